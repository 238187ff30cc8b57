-- A member's unread notifications about one topic: found when they open the
-- topic (to mark them read), and when a reply comes to a topic they watch
-- (they are told once, until they have read it).
CREATE INDEX notifications_unread_by_topic ON notifications (account_id, topic_id)
    WHERE read_at IS NULL;
