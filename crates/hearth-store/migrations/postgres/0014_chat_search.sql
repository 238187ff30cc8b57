-- Search over chat messages: each message's stems, as for posts (0003).
-- Who may see a hit is decided when searching.
CREATE TABLE chat_terms (
    message_id BIGINT PRIMARY KEY REFERENCES chat_messages (id) ON DELETE CASCADE,
    terms      TSVECTOR NOT NULL
);
CREATE INDEX chat_terms_search ON chat_terms USING GIN (terms);
-- Messages written before this existed are indexed when the index is next
-- rebuilt: forgetting the language it was made in makes the server rebuild it.
DELETE FROM settings WHERE key = 'search.language';
