-- The count of committed shared writes, which every node's page and feed
-- caches compare (a sequence, so counting takes no lock and is seen at once).
CREATE SEQUENCE hearth_changes;
