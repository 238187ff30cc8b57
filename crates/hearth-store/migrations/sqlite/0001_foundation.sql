-- Foundation: accounts, sessions, spaces, topics, posts, notifications, legal texts.
-- Times are Unix milliseconds (BIGINT); flags are 0/1 BIGINT, so that the same
-- queries run on SQLite and PostgreSQL. Keep postgres/0001_foundation.sql in step.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id                INTEGER PRIMARY KEY,
    alias             TEXT NOT NULL,
    alias_folded      TEXT NOT NULL UNIQUE,
    email_sealed      BLOB NOT NULL,
    email_index       BLOB NOT NULL UNIQUE,
    password_hash     TEXT NOT NULL,
    role              TEXT NOT NULL DEFAULT 'member',
    email_verified_at BIGINT,
    created_at        BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id);

-- Setup, email-verification and password-reset links. The token itself is
-- sealed so that admins can be shown pending links until mail is delivered.
CREATE TABLE one_time_tokens (
    token_hash   BLOB PRIMARY KEY,
    token_sealed BLOB NOT NULL,
    purpose      TEXT NOT NULL,
    account_id   BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX one_time_tokens_pending ON one_time_tokens (purpose, used_at, expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_by_account ON api_tokens (account_id);

-- Fixed-window counters for throttling (sign-in attempts, …), keyed by a hash.
CREATE TABLE throttle (
    key          BLOB PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);

CREATE TABLE spaces (
    id               INTEGER PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    position         BIGINT NOT NULL,
    tier             TEXT NOT NULL,
    topic_count      BIGINT NOT NULL DEFAULT 0,
    post_count       BIGINT NOT NULL DEFAULT 0,
    last_activity_at BIGINT,
    created_at       BIGINT NOT NULL
);

CREATE TABLE topics (
    id               INTEGER PRIMARY KEY,
    space_id         BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    author_id        BIGINT REFERENCES accounts (id),
    guest_name       TEXT,
    title            TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    last_post_id     BIGINT,
    reply_count      BIGINT NOT NULL DEFAULT 0,
    pinned           BIGINT NOT NULL DEFAULT 0,
    locked           BIGINT NOT NULL DEFAULT 0,
    held             BIGINT NOT NULL DEFAULT 0,
    deleted_at       BIGINT
);
-- The space page: pinned first, then by last activity (keyset pagination).
CREATE INDEX topics_by_activity ON topics (space_id, pinned, last_activity_at, id);
CREATE INDEX topics_latest ON topics (last_activity_at, id);

CREATE TABLE posts (
    id          INTEGER PRIMARY KEY,
    topic_id    BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    author_id   BIGINT REFERENCES accounts (id),
    guest_name  TEXT,
    reply_to_id BIGINT REFERENCES posts (id),
    body_md     TEXT NOT NULL,
    body_html   TEXT NOT NULL,
    held        BIGINT NOT NULL DEFAULT 0,
    revision    BIGINT NOT NULL DEFAULT 1,
    like_count  BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    edited_at   BIGINT,
    deleted_at  BIGINT,
    deleted_by  BIGINT REFERENCES accounts (id)
);
CREATE INDEX posts_in_topic ON posts (topic_id, id);
CREATE INDEX posts_by_author ON posts (author_id, id);

-- Every earlier text of an edited post, for the visible edit history.
CREATE TABLE post_revisions (
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    revision   BIGINT NOT NULL,
    body_md    TEXT NOT NULL,
    editor_id  BIGINT REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, revision)
);

CREATE TABLE likes (
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, account_id)
);

CREATE TABLE watches (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    topic_id   BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, topic_id)
);
CREATE INDEX watches_by_topic ON watches (topic_id);

CREATE TABLE topic_reads (
    account_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    topic_id          BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    last_read_post_id BIGINT NOT NULL,
    PRIMARY KEY (account_id, topic_id)
);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    topic_id   BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    actor_id   BIGINT REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
CREATE INDEX notifications_for_account ON notifications (account_id, id);

CREATE TABLE legal_documents (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    version      BIGINT NOT NULL,
    body_md      TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by BIGINT REFERENCES accounts (id),
    UNIQUE (kind, version)
);

CREATE TABLE acceptances (
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    document_id BIGINT NOT NULL REFERENCES legal_documents (id),
    accepted_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, document_id)
);
