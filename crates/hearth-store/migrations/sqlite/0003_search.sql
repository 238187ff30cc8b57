-- Full-text search: each post's stems, computed by hearth-core in the site's
-- language (so both backends find the same posts); rowid = post id. Who may
-- see a hit is decided when searching, from the posts, topics and spaces.
CREATE VIRTUAL TABLE post_terms USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0');
