-- Chat rooms: a room is a space of kind 'room' (tiers, roles, moderation and
-- the personal-detail policy as any space); this table adds what only rooms
-- have. Messages are their own table: many, short, and paged by id.
-- Keep postgres/0010_chat.sql in step.

CREATE TABLE rooms (
    space_id       BIGINT PRIMARY KEY REFERENCES spaces (id) ON DELETE CASCADE,
    -- Only staff and moderators write while a room is locked.
    locked         BIGINT NOT NULL DEFAULT 0,
    -- Seconds a member waits between messages (0: no wait).
    slow_mode_secs BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE chat_messages (
    id          INTEGER PRIMARY KEY,
    room_id     BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    author_id   BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    reply_to_id BIGINT REFERENCES chat_messages (id) ON DELETE SET NULL,
    body_md     TEXT NOT NULL,
    body_html   TEXT NOT NULL,
    -- Waiting for a moderator: only its author and moderators see it.
    held        BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    edited_at   BIGINT,
    deleted_at  BIGINT,
    deleted_by  BIGINT REFERENCES accounts (id) ON DELETE SET NULL
);
-- History pages backwards by id; a client resumes after the last id it has.
CREATE INDEX chat_messages_in_room ON chat_messages (room_id, id);
-- Slow mode and rate limits: a member's latest message in a room.
CREATE INDEX chat_messages_by_author ON chat_messages (author_id, room_id, id);
