-- A member's private feed token: one at a time, stored only as its hash.
-- Feed URLs carrying it show what the member may read, members-only spaces
-- included; creating a new one replaces the old, revoking deletes the row.
CREATE TABLE feed_tokens (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
