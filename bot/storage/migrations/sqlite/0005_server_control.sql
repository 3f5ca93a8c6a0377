-- Each server's policy (allowances, channels, roles, defaults, blocklist) as one JSON document,
-- read in one query by every command; and each member's own defaults.
CREATE TABLE server_policies (
    guild_id   INTEGER PRIMARY KEY,
    policy     TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE member_preferences (
    user_id     INTEGER PRIMARY KEY,
    preferences TEXT NOT NULL,
    updated_at  REAL NOT NULL
);
-- Images per member and server per UTC day (guild_id 0: direct messages). A job reserves its
-- images at admission; when it ends, the reservation becomes the images actually delivered.
CREATE TABLE usage (
    day      TEXT NOT NULL,
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    used     INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, guild_id, user_id)
);
ALTER TABLE jobs ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN usage_day TEXT;
