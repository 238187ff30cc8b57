-- Every committed write, private ones too (sessions, reading positions),
-- which members' caches compare; hearth_changes counts the shared ones.
CREATE SEQUENCE hearth_changes_all;
