-- Safety: moderation per space, the queue, flags, actions on members, the
-- audit log and what the spam filter learned. Keep postgres/0002_safety.sql in step.

-- How posts in a space reach readers: 'post' (at once; flags can hide them),
-- 'pre' (every post queued) or 'new_members_pre' (queued until the author has
-- enough approved posts). What happens to personal details: 'warn', 'hold', 'redact'.
ALTER TABLE spaces ADD COLUMN moderation TEXT NOT NULL DEFAULT 'post';
ALTER TABLE spaces ADD COLUMN detail_policy TEXT NOT NULL DEFAULT 'warn';
-- Topics in medical spaces carry the site's medical disclaimer.
ALTER TABLE spaces ADD COLUMN medical BIGINT NOT NULL DEFAULT 0;

ALTER TABLE accounts ADD COLUMN approved_posts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN last_seen_at BIGINT;
-- Unknown until now: counted from the upgrade, so no one is erased for it.
UPDATE accounts SET last_seen_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
-- Kept in step with member_actions, so that every request checks one row.
ALTER TABLE accounts ADD COLUMN silenced_until BIGINT;
ALTER TABLE accounts ADD COLUMN suspended_until BIGINT;
ALTER TABLE accounts ADD COLUMN erased_at BIGINT;
CREATE INDEX accounts_by_last_seen ON accounts (last_seen_at);

-- Hidden by members' flags until a moderator decides (text kept, placeholder shown).
ALTER TABLE posts ADD COLUMN hidden_at BIGINT;
-- A hash of the normalised text: the same text posted again is a spam signal.
ALTER TABLE posts ADD COLUMN fingerprint BIGINT NOT NULL DEFAULT 0;
CREATE INDEX posts_by_fingerprint ON posts (fingerprint, created_at);

-- A rejection reason, a flag's outcome: words a moderator wrote for the reader.
ALTER TABLE notifications ADD COLUMN note TEXT;

-- The moderation queue: posts held for approval, and published posts that need
-- staff's attention now (crisis phrases). One row per post.
CREATE TABLE queue_items (
    id         INTEGER PRIMARY KEY,
    post_id    BIGINT NOT NULL UNIQUE REFERENCES posts (id) ON DELETE CASCADE,
    held       BIGINT NOT NULL,
    urgent     BIGINT NOT NULL DEFAULT 0,
    reasons    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by BIGINT REFERENCES accounts (id),
    decision   TEXT,
    note       TEXT
);
CREATE INDEX queue_open ON queue_items (decided_at, urgent, id);

CREATE TABLE flags (
    id          INTEGER PRIMARY KEY,
    post_id     BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by BIGINT REFERENCES accounts (id),
    outcome     TEXT,
    UNIQUE (post_id, account_id)
);
CREATE INDEX flags_open ON flags (resolved_at, post_id);

-- Warnings, silences and suspensions. A period ends by itself at ends_at
-- (NULL: for good); a moderator may lift it earlier.
CREATE TABLE member_actions (
    id              INTEGER PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    reason          TEXT NOT NULL,
    by_id           BIGINT REFERENCES accounts (id),
    created_at      BIGINT NOT NULL,
    ends_at         BIGINT,
    lifted_at       BIGINT,
    lifted_by       BIGINT REFERENCES accounts (id),
    acknowledged_at BIGINT
);
CREATE INDEX member_actions_by_account ON member_actions (account_id, id);

-- Every moderator and admin action. Append-only: the triggers below refuse
-- changes, so not even a bug in Hearth can rewrite it.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    actor_id    BIGINT REFERENCES accounts (id),
    action      TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   BIGINT,
    reason      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, id);

-- The spam filter's counts learned from moderators' decisions, added to the
-- starter model; the feature '' holds the document totals.
CREATE TABLE spam_counts (
    feature TEXT PRIMARY KEY,
    ham     BIGINT NOT NULL,
    spam    BIGINT NOT NULL
);

-- The decisions themselves, so that `hearth admin spam-train` can rebuild the counts.
CREATE TABLE spam_examples (
    id         INTEGER PRIMARY KEY,
    post_id    BIGINT REFERENCES posts (id) ON DELETE SET NULL,
    author_id  BIGINT REFERENCES accounts (id),
    label      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX spam_examples_by_author ON spam_examples (author_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
