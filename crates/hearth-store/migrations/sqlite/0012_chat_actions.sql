-- Chat: what members and moderators do to messages and in rooms beyond
-- sending: edits (the earlier texts kept), reactions, and mutes.
-- Keep postgres/0012_chat_actions.sql in step.

-- The text a message had before each edit, for its author and the moderators.
CREATE TABLE chat_message_edits (
    id          INTEGER PRIMARY KEY,
    message_id  BIGINT NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    body_md     TEXT NOT NULL,
    editor_id   BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX chat_message_edits_of ON chat_message_edits (message_id, id);

-- One row per member and reaction on a message (a toggle: there or not).
CREATE TABLE chat_reactions (
    message_id BIGINT NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    reaction   TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, reaction, account_id)
);

-- A member muted in one room: reads, cannot write or react there until
-- `ends_at` (NULL: until a moderator lifts it). Lifted mutes stay as the record.
CREATE TABLE chat_mutes (
    id         INTEGER PRIMARY KEY,
    room_id    BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    reason     TEXT NOT NULL,
    by_id      BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    ends_at    BIGINT,
    lifted_at  BIGINT,
    lifted_by  BIGINT REFERENCES accounts (id) ON DELETE SET NULL
);
CREATE INDEX chat_mutes_in_room ON chat_mutes (room_id, account_id, id);
