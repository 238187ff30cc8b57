-- Email news alerts and notification emails. Keep postgres/0007_mail.sql in step.

-- People (with or without an account) who asked for news alerts. The address
-- is sealed, found by its blind index; the token (sealed, to be put in every
-- alert, and hashed, to be looked up) confirms and unsubscribes. Only
-- confirmed subscribers get alerts; unsubscribing deletes the row.
CREATE TABLE alert_subscribers (
    id           INTEGER PRIMARY KEY,
    email_sealed BLOB NOT NULL,
    email_index  BLOB NOT NULL UNIQUE,
    token_sealed BLOB NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    confirmed_at BIGINT,
    -- When a confirmation mail was last queued: at most one an hour, so
    -- the public form cannot be used to flood someone's inbox.
    asked_at     BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- An alert staff wrote (Markdown), and when its fan-out queued one mail job
-- per confirmed subscriber.
CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    author_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    queued_at  BIGINT
);

-- One alert to one subscriber: its mail job, and when the mail went out.
-- Kept when the job record is cleared away, so that the counts stay.
CREATE TABLE alert_deliveries (
    alert_id      BIGINT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    subscriber_id BIGINT NOT NULL,
    job_id        BIGINT REFERENCES jobs (id) ON DELETE SET NULL,
    sent_at       BIGINT,
    PRIMARY KEY (alert_id, subscriber_id)
);

-- How notifications reach a member by email: 'off', 'immediately', 'daily'
-- or 'weekly' (a digest).
ALTER TABLE accounts ADD COLUMN notification_mail TEXT NOT NULL DEFAULT 'daily';
-- When a notification went out by email (alone or in a digest): never twice.
ALTER TABLE notifications ADD COLUMN mailed_at BIGINT;
CREATE INDEX notifications_unmailed ON notifications (account_id, id) WHERE mailed_at IS NULL AND read_at IS NULL;
