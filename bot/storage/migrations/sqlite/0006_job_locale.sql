-- The language a job's public messages (status, result, failure) are written in, chosen when it
-- is admitted (the server's language setting, else its Discord locale), so that every later edit,
-- after a restart or from a worker process, stays in that language.
ALTER TABLE jobs ADD COLUMN locale TEXT NOT NULL DEFAULT 'en-US';
