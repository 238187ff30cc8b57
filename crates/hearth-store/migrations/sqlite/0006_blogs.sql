-- Blogs: a blog is a space of kind 'blog'; its topics are entries (the opening
-- post is the entry's text) and replies are comments, so that comments pass
-- the same guards, queue, flags and search as forum posts.
-- Keep postgres/0006_blogs.sql in step.

ALTER TABLE spaces ADD COLUMN kind TEXT NOT NULL DEFAULT 'forum';
-- Comments close by themselves this many days after publication (NULL: the site's setting).
ALTER TABLE spaces ADD COLUMN comments_close_days BIGINT;

-- When a topic is visible to readers: NULL for a blog draft, a future time for
-- a scheduled entry; forum topics are visible from their start.
ALTER TABLE topics ADD COLUMN publish_at BIGINT;
UPDATE topics SET publish_at = created_at;
-- A blog's page: published entries, newest first (keyset pagination).
CREATE INDEX topics_by_publication ON topics (space_id, publish_at, id);

-- Files people upload (cover images), kept behind the storage interface.
CREATE TABLE uploads (
    id           INTEGER PRIMARY KEY,
    storage_key  TEXT NOT NULL UNIQUE,
    content_type TEXT NOT NULL,
    byte_size    BIGINT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    uploader_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL
);

-- What an entry has beyond a topic: its address in the blog, excerpt and cover.
CREATE TABLE entries (
    topic_id   BIGINT PRIMARY KEY REFERENCES topics (id) ON DELETE CASCADE,
    space_id   BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    slug       TEXT NOT NULL,
    excerpt    TEXT NOT NULL,
    cover_id   BIGINT REFERENCES uploads (id) ON DELETE SET NULL,
    cover_alt  TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    UNIQUE (space_id, slug)
);
CREATE INDEX entries_by_cover ON entries (cover_id);

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE entry_tags (
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    tag_id   BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (topic_id, tag_id)
);
CREATE INDEX entry_tags_by_tag ON entry_tags (tag_id, topic_id);

-- Staff and volunteers an admin has named as writers of a blog.
CREATE TABLE blog_writers (
    space_id   BIGINT NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (space_id, account_id)
);
CREATE INDEX blog_writers_by_account ON blog_writers (account_id);
