-- Admission counts a member's open jobs. The index on (user_id, created_at) made that a walk over
-- every job the member ever had (thousands for a regular: milliseconds, under the member's lock);
-- with the status in the index it is two short range reads.
CREATE INDEX jobs_user_status ON jobs(user_id, status);
