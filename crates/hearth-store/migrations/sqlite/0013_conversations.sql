-- Private conversations between a member and staff: one staff member, or the
-- staff team (every staff account). Each is a space of kind 'conversation',
-- so its messages are chat messages (the same guards, live socket and
-- moderation), but no list of spaces shows it and the space's tier is not
-- what opens it: the people in it are. Moderators may read one only once
-- someone in it has reported it, and each such reading is audited.
-- Keep postgres/0013_conversations.sql in step.

CREATE TABLE conversations (
    space_id      BIGINT PRIMARY KEY REFERENCES spaces (id) ON DELETE CASCADE,
    -- The member the staff talk with.
    member_id     BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- 1: the staff team is in it (every staff account), not only those listed.
    with_team     BIGINT NOT NULL DEFAULT 0,
    started_by    BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    started_at    BIGINT NOT NULL,
    reported_at   BIGINT,
    reported_by   BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    report_reason TEXT,
    -- A moderator has dealt with the report: the conversation is private again.
    report_closed_at BIGINT
);
CREATE INDEX conversations_by_member ON conversations (member_id);
CREATE INDEX conversations_reported ON conversations (reported_at);

-- The people in a conversation by name (the team's staff join when they
-- first write or read), and how far each has read.
CREATE TABLE conversation_people (
    space_id     BIGINT NOT NULL REFERENCES conversations (space_id) ON DELETE CASCADE,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    last_read_id BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (space_id, account_id)
);
CREATE INDEX conversation_people_by_account ON conversation_people (account_id, space_id);
