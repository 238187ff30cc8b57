-- Webmentions and pingbacks: mentions of blog entries by pages on other
-- sites, received (held for a moderator, then shown below the entry), and
-- the ones this site sent for the links in its own entries.
-- Keep postgres/0009_webmentions.sql in step.

CREATE TABLE webmentions (
    id          INTEGER PRIMARY KEY,
    topic_id    BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    -- The page that mentions the entry (public, like its title and author).
    source      TEXT NOT NULL,
    -- 'webmention' or 'pingback'.
    protocol    TEXT NOT NULL,
    -- 'mention', 'reply', 'like', 'repost' or 'bookmark' (from microformats).
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    author      TEXT NOT NULL,
    excerpt     TEXT NOT NULL,
    -- 'held', 'approved' or 'rejected'.
    status      TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    decided_at  BIGINT,
    decided_by  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    UNIQUE (topic_id, source)
);
CREATE INDEX webmentions_by_status ON webmentions (status, received_at);

-- One row per link in an entry this site told about the entry: the
-- entry's revision it was told of, so that a retried job skips it, and the
-- outcome for admins.
CREATE TABLE webmention_sends (
    topic_id  BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    target    TEXT NOT NULL,
    revision  BIGINT NOT NULL,
    endpoint  TEXT,
    outcome   TEXT NOT NULL,
    delivered BIGINT NOT NULL,
    sent_at   BIGINT NOT NULL,
    PRIMARY KEY (topic_id, target)
);
