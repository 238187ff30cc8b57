-- Search over chat messages: each message's stems, as for posts (0003);
-- rowid = message id. Who may see a hit is decided when searching.
CREATE VIRTUAL TABLE chat_terms USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0');
-- Messages written before this existed are indexed when the index is next
-- rebuilt: forgetting the language it was made in makes the server rebuild it.
DELETE FROM settings WHERE key = 'search.language';
