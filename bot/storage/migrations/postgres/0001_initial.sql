CREATE TABLE generations (
    id           TEXT PRIMARY KEY,
    parent_id    TEXT REFERENCES generations(id) ON DELETE SET NULL,
    action       TEXT NOT NULL,
    guild_id     BIGINT,
    channel_id   BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    model        TEXT NOT NULL,
    request      TEXT NOT NULL,
    seed         BIGINT NOT NULL,
    status       TEXT NOT NULL,
    message_id   BIGINT,
    image_count  INTEGER NOT NULL DEFAULT 0,
    gateway_request_id TEXT,
    error        TEXT,
    created_at   DOUBLE PRECISION NOT NULL,
    started_at   DOUBLE PRECISION,
    finished_at  DOUBLE PRECISION
);
CREATE INDEX generations_user ON generations(user_id, created_at);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
