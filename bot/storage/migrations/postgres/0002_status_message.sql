ALTER TABLE generations ADD COLUMN status_message_id BIGINT;
ALTER TABLE generations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX generations_status ON generations(status, created_at);
