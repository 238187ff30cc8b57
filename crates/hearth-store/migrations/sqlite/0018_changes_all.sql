-- On SQLite (one node) the counts of writes for the caches are kept in
-- memory; this number is used on PostgreSQL, for a second sequence.
SELECT 1;
