-- Staffed sessions: a room's weekly opening hours, and questions members
-- leave for the next session while the room is closed.
-- Keep sqlite/0011_chat_hours.sql in step.

-- One session a line, "Tuesday 18:00–19:00", in the organization's time
-- zone (hearth_core::hours reads it). Empty: always open.
ALTER TABLE rooms ADD COLUMN hours TEXT NOT NULL DEFAULT '';

-- A question left for the next session: only its author and staff see it
-- until staff pick it up. Picking up moves it to the end of the room as a
-- new message, so that it is read in its place and clients that resume
-- after an id find it.
ALTER TABLE chat_messages ADD COLUMN waiting BIGINT NOT NULL DEFAULT 0;
-- On a question that was picked up: when it was asked, and the id it had
-- while it waited (live pages replace that one).
ALTER TABLE chat_messages ADD COLUMN asked_at BIGINT;
ALTER TABLE chat_messages ADD COLUMN asked_as BIGINT;
-- The questions waiting in a room, for staff.
CREATE INDEX chat_messages_waiting ON chat_messages (room_id, id) WHERE waiting = 1;
