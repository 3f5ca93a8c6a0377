ALTER TABLE generations ADD COLUMN overflow_message_ids TEXT NOT NULL DEFAULT '[]';
