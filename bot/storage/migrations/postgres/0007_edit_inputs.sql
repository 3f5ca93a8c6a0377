-- Members' input images for edits, once per content: a job names them by sha256 digest in its
-- request, so re-running it (Same seed, New seed, Remix) sends the same images in any process.
CREATE TABLE inputs (
    digest     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    byte_size  INTEGER NOT NULL,
    data       BYTEA NOT NULL,
    stored_at  DOUBLE PRECISION NOT NULL
);
CREATE INDEX inputs_stored ON inputs(stored_at);
-- Which job names which input. The database keeps it: every job stored is linked to the inputs
-- its request names in the same transaction (a job cannot name an input that is not stored), and
-- a deleted job is unlinked; an input no job names can then be purged.
CREATE TABLE job_inputs (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    digest TEXT NOT NULL REFERENCES inputs(digest),
    PRIMARY KEY (job_id, digest)
);
CREATE INDEX job_inputs_digest ON job_inputs(digest);
CREATE FUNCTION link_job_inputs() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO job_inputs (job_id, digest) SELECT DISTINCT NEW.id, digest FROM jsonb_array_elements_text(COALESCE(NEW.request::jsonb -> 'inputs', '[]'::jsonb)) AS digest ON CONFLICT DO NOTHING; RETURN NEW; END $$;
CREATE TRIGGER jobs_link_inputs AFTER INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION link_job_inputs();
