-- A job is a job everywhere: the table takes the name the code uses.
ALTER TABLE generations RENAME TO jobs;
-- The queue lives in the database: a running job holds a lease that its process renews; a job
-- whose lease ran out is claimed again by another process.
ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_expires_at REAL;
-- The interaction's webhook token, kept only while it is valid (15 minutes) and the job is open.
ALTER TABLE jobs ADD COLUMN interaction_token TEXT;
ALTER TABLE jobs ADD COLUMN token_expires_at REAL;
-- Set once the interaction is acknowledged: only then may a process claim the job (its status
-- message exists to be edited).
ALTER TABLE jobs ADD COLUMN acknowledged_at REAL;
-- What presenting the job needs in any process: the upload limit where it posts, and notes
-- (language-neutral keys) shown while it waits and runs.
ALTER TABLE jobs ADD COLUMN upload_limit INTEGER;
ALTER TABLE jobs ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
-- Jobs from before this version were all acknowledged when they were created.
UPDATE jobs SET acknowledged_at = created_at;
-- Set just before the result is posted: a re-run checks for that post instead of posting twice.
ALTER TABLE jobs ADD COLUMN delivery_nonce TEXT;
CREATE INDEX jobs_open ON jobs(status, lease_expires_at) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_token ON jobs(token_expires_at) WHERE interaction_token IS NOT NULL;
-- When each user was last served: fair turns across processes.
CREATE TABLE user_turns (user_id INTEGER PRIMARY KEY, served_at REAL NOT NULL);
-- Recent button presses: a second press of the same button within seconds is ignored.
CREATE TABLE clicks (
    message_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    action     TEXT NOT NULL,
    clicked_at REAL NOT NULL,
    PRIMARY KEY (message_id, user_id, action)
);
