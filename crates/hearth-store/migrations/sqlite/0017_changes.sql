-- On SQLite (one node) the count of shared writes for the caches is kept in
-- memory; this number is used on PostgreSQL, for a sequence.
SELECT 1;
