-- The durable job queue: follow-up work (mail, later federation deliveries,
-- webmentions, digests) committed with the change that caused it and run by
-- workers on any node, at least once. Keep postgres/0004_jobs.sql in step.
--
-- state: 'queued' (waits for run_at), 'running' (leased to locked_by until
-- locked_until; an expired lease is claimed again), 'failed' (out of
-- attempts; an admin may retry it) or 'done'. payload is JSON and never holds
-- a personal detail in the clear: it names an account, or carries it sealed.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'queued',
    -- At most one job with a key waits to run (a running one does not count:
    -- work queued after it started may need newer data).
    dedupe_key   TEXT,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at       BIGINT NOT NULL,
    locked_until BIGINT,
    locked_by    TEXT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX jobs_waiting ON jobs (run_at, id) WHERE state IN ('queued', 'running');
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE state = 'queued';
CREATE INDEX jobs_finished ON jobs (state, updated_at) WHERE state IN ('failed', 'done');

-- Mail a job has handed to the SMTP server: a job run again (its worker died
-- before it could say so) does not send it twice.
CREATE TABLE mail_sent (
    job_id  BIGINT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    sent_at BIGINT NOT NULL
);
