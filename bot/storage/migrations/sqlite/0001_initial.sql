CREATE TABLE generations (
    id           TEXT PRIMARY KEY,
    parent_id    TEXT REFERENCES generations(id) ON DELETE SET NULL,
    action       TEXT NOT NULL,
    guild_id     INTEGER,
    channel_id   INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    model        TEXT NOT NULL,
    request      TEXT NOT NULL,
    seed         INTEGER NOT NULL,
    status       TEXT NOT NULL,
    message_id   INTEGER,
    image_count  INTEGER NOT NULL DEFAULT 0,
    gateway_request_id TEXT,
    error        TEXT,
    created_at   REAL NOT NULL,
    started_at   REAL,
    finished_at  REAL
);
CREATE INDEX generations_user ON generations(user_id, created_at);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
