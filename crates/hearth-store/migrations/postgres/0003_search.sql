-- Full-text search: each post's stems, computed by hearth-core in the site's
-- language (so both backends find the same posts). Who may see a hit is
-- decided when searching, from the posts, topics and spaces.
CREATE TABLE post_terms (
    post_id BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    terms   TSVECTOR NOT NULL
);
CREATE INDEX post_terms_search ON post_terms USING GIN (terms);
