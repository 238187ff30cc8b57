//! Blog entries beyond their topic (address, excerpt, cover, tags) and the
//! writers of each blog. An entry's text is its topic's opening post and its
//! comments are the topic's replies, so those live in `topics` and `posts`.

use std::collections::HashMap;

use hearth_core::model::{AccountId, Alias, Role, SpaceId, Tier, TopicId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::uploads::Upload;
use crate::{Conn, Result};

/// A tag: its address name and the words shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub slug: String,
    pub name: String,
}

/// An entry as lists and pages show it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub topic_id: TopicId,
    pub space_id: SpaceId,
    pub blog_slug: String,
    pub blog_name: String,
    pub blog_tier: Tier,
    pub slug: String,
    pub title: String,
    pub excerpt: String,
    pub author_id: Option<AccountId>,
    pub author_alias: Option<Alias>,
    pub author_role: Option<Role>,
    /// `None`: a draft. In the future: scheduled.
    pub publish_at: Option<i64>,
    pub updated_at: i64,
    pub comment_count: i64,
    /// Comments closed by hand (the topic's lock).
    pub locked: bool,
    pub held: bool,
    pub cover: Option<Upload>,
    pub cover_alt: String,
    pub tags: Vec<Tag>,
}

const SELECT: &str =
    "SELECT t.id AS topic_id, t.space_id, s.slug AS blog_slug, s.name AS blog_name,
        s.tier AS blog_tier, e.slug, t.title, e.excerpt, t.author_id, a.alias AS author_alias,
        a.role AS author_role, t.publish_at, e.updated_at, t.reply_count, t.locked, t.held,
        e.cover_alt, u.id AS cover_id, u.storage_key, u.content_type, u.byte_size, u.width, u.height
    FROM entries e
    JOIN topics t ON t.id = e.topic_id
    JOIN spaces s ON s.id = t.space_id
    LEFT JOIN accounts a ON a.id = t.author_id
    LEFT JOIN uploads u ON u.id = e.cover_id";

fn from_row(row: &AnyRow) -> Result<Entry> {
    let cover = match row.try_get::<Option<i64>, _>("cover_id")? {
        Some(id) => Some(Upload {
            id,
            storage_key: row.try_get("storage_key")?,
            content_type: row.try_get("content_type")?,
            byte_size: row.try_get("byte_size")?,
            width: row.try_get("width")?,
            height: row.try_get("height")?,
        }),
        None => None,
    };
    let tier: String = row.try_get("blog_tier")?;
    Ok(Entry {
        topic_id: TopicId(row.try_get("topic_id")?),
        space_id: SpaceId(row.try_get("space_id")?),
        blog_slug: row.try_get("blog_slug")?,
        blog_name: row.try_get("blog_name")?,
        blog_tier: Tier::parse(&tier).unwrap_or(Tier::MembersOnly),
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        excerpt: row.try_get("excerpt")?,
        author_id: row.try_get::<Option<i64>, _>("author_id")?.map(AccountId),
        author_alias: row
            .try_get::<Option<String>, _>("author_alias")?
            .map(Alias::from_trusted),
        author_role: row
            .try_get::<Option<String>, _>("author_role")?
            .and_then(|r| Role::parse(&r)),
        publish_at: row.try_get("publish_at")?,
        updated_at: row.try_get("updated_at")?,
        comment_count: row.try_get("reply_count")?,
        locked: crate::flag(row.try_get("locked")?),
        held: crate::flag(row.try_get("held")?),
        cover,
        cover_alt: row.try_get("cover_alt")?,
        tags: Vec::new(),
    })
}

async fn with_tags(conn: &mut Conn, mut entries: Vec<Entry>) -> Result<Vec<Entry>> {
    if entries.is_empty() {
        return Ok(entries);
    }
    // Ids come from rows just read, never from input.
    let ids = entries
        .iter()
        .map(|e| e.topic_id.0.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT et.topic_id, g.slug, g.name FROM entry_tags et JOIN tags g ON g.id = et.tag_id
         WHERE et.topic_id IN ({ids}) ORDER BY g.name"
    );
    let mut by_topic: HashMap<i64, Vec<Tag>> = HashMap::new();
    for row in sqlx::query(&sql).fetch_all(&mut *conn).await? {
        by_topic
            .entry(row.try_get("topic_id")?)
            .or_default()
            .push(Tag {
                slug: row.try_get("slug")?,
                name: row.try_get("name")?,
            });
    }
    for e in &mut entries {
        e.tags = by_topic.remove(&e.topic_id.0).unwrap_or_default();
    }
    Ok(entries)
}

async fn one(conn: &mut Conn, sql: &str, a: i64, b: Option<&str>) -> Result<Option<Entry>> {
    let mut q = sqlx::query(sql).bind(a);
    if let Some(b) = b {
        q = q.bind(b.to_owned());
    }
    let Some(row) = q.fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    Ok(with_tags(conn, vec![from_row(&row)?]).await?.pop())
}

pub async fn by_slug(conn: &mut Conn, blog: SpaceId, slug: &str) -> Result<Option<Entry>> {
    let sql = format!("{SELECT} WHERE t.space_id = $1 AND e.slug = $2 AND t.deleted_at IS NULL");
    one(conn, &sql, blog.0, Some(slug)).await
}

pub async fn by_topic(conn: &mut Conn, topic: TopicId) -> Result<Option<Entry>> {
    let sql = format!("{SELECT} WHERE e.topic_id = $1 AND t.deleted_at IS NULL");
    one(conn, &sql, topic.0, None).await
}

/// An entry even after it was deleted (to tell the sites it linked to).
pub async fn by_topic_even_deleted(conn: &mut Conn, topic: TopicId) -> Result<Option<Entry>> {
    let sql = format!("{SELECT} WHERE e.topic_id = $1");
    one(conn, &sql, topic.0, None).await
}

/// A position in a list of published entries, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublishedCursor {
    pub publish_at: i64,
    pub id: i64,
}

impl PublishedCursor {
    /// Reads the `after` text of a page link (`<publish_at>_<id>`).
    pub fn parse(text: Option<&str>) -> Option<Self> {
        let (at, id) = text?.split_once('_')?;
        Some(Self {
            publish_at: at.parse().ok()?,
            id: id.parse().ok()?,
        })
    }

    /// The `after` text of the next page's link.
    pub fn to_text(self) -> String {
        format!("{}_{}", self.publish_at, self.id)
    }
}

/// Where an entry stands, for its readers and writers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Published,
    Scheduled,
    Draft,
    /// Waiting for a moderator.
    Held,
}

impl Entry {
    pub fn status(&self, now: i64) -> Status {
        match self.publish_at {
            _ if self.held => Status::Held,
            None => Status::Draft,
            Some(at) if at > now => Status::Scheduled,
            Some(_) => Status::Published,
        }
    }
}

/// Which entries a list holds.
pub enum Listing<'a> {
    /// One blog's.
    Blog(SpaceId),
    /// A tag's, across the blogs of these tiers.
    Tag { slug: &'a str, tiers: &'a [Tier] },
}

/// Published entries (not drafts, not scheduled, not held or deleted),
/// newest first, after `after` (keyset).
pub async fn published(
    conn: &mut Conn,
    listing: Listing<'_>,
    now: i64,
    after: Option<PublishedCursor>,
    limit: i64,
) -> Result<Vec<Entry>> {
    let cursor = after.unwrap_or(PublishedCursor {
        publish_at: i64::MAX,
        id: i64::MAX,
    });
    let (scope, tag) = match listing {
        Listing::Blog(space) => (format!("t.space_id = {}", space.0), None),
        Listing::Tag { slug, tiers } => {
            if tiers.is_empty() {
                return Ok(Vec::new());
            }
            (
                format!(
                    "s.tier IN ({}) AND e.topic_id IN (SELECT et.topic_id FROM entry_tags et
                        JOIN tags g ON g.id = et.tag_id WHERE g.slug = $5)",
                    crate::tier_list(tiers)
                ),
                Some(slug),
            )
        }
    };
    let sql = format!(
        "{SELECT} WHERE {scope} AND s.kind = 'blog' AND t.deleted_at IS NULL AND t.held = 0
           AND t.publish_at <= $1
           AND (t.publish_at < $2 OR (t.publish_at = $2 AND t.id < $3))
         ORDER BY t.publish_at DESC, t.id DESC LIMIT $4"
    );
    let mut q = sqlx::query(&sql)
        .bind(now)
        .bind(cursor.publish_at)
        .bind(cursor.id)
        .bind(limit);
    if let Some(tag) = tag {
        q = q.bind(tag.to_owned());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let entries = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    with_tags(conn, entries).await
}

/// A blog's drafts and scheduled entries, for its writers.
pub async fn unpublished(conn: &mut Conn, blog: SpaceId, now: i64) -> Result<Vec<Entry>> {
    let sql = format!(
        "{SELECT} WHERE t.space_id = $1 AND t.deleted_at IS NULL
           AND (t.publish_at IS NULL OR t.publish_at > $2)
         ORDER BY e.updated_at DESC LIMIT 200"
    );
    let rows = sqlx::query(&sql)
        .bind(blog.0)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    let entries = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    with_tags(conn, entries).await
}

/// What a writer sets on an entry beyond its title and text.
pub struct EntryFields<'a> {
    pub slug: &'a str,
    pub excerpt: &'a str,
    pub cover_id: Option<i64>,
    pub cover_alt: &'a str,
}

pub async fn insert(
    conn: &mut Conn,
    topic: TopicId,
    blog: SpaceId,
    f: EntryFields<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO entries (topic_id, space_id, slug, excerpt, cover_id, cover_alt, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(topic.0)
    .bind(blog.0)
    .bind(f.slug)
    .bind(f.excerpt)
    .bind(f.cover_id)
    .bind(f.cover_alt)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn update(conn: &mut Conn, topic: TopicId, f: EntryFields<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE entries SET slug = $1, excerpt = $2, cover_id = $3, cover_alt = $4, updated_at = $5
         WHERE topic_id = $6",
    )
    .bind(f.slug)
    .bind(f.excerpt)
    .bind(f.cover_id)
    .bind(f.cover_alt)
    .bind(now)
    .bind(topic.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether another entry of the blog already has this address.
pub async fn slug_taken(
    conn: &mut Conn,
    blog: SpaceId,
    slug: &str,
    except: Option<TopicId>,
) -> Result<bool> {
    let row = sqlx::query("SELECT topic_id FROM entries WHERE space_id = $1 AND slug = $2")
        .bind(blog.0)
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => Some(TopicId(row.try_get(0)?)) != except,
        None => false,
    })
}

/// Replaces an entry's tags, creating the tags that are new.
pub async fn set_tags(conn: &mut Conn, topic: TopicId, tags: &[Tag]) -> Result<()> {
    sqlx::query("DELETE FROM entry_tags WHERE topic_id = $1")
        .bind(topic.0)
        .execute(&mut *conn)
        .await?;
    for tag in tags {
        sqlx::query("INSERT INTO tags (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING")
            .bind(&tag.slug)
            .bind(&tag.name)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO entry_tags (topic_id, tag_id) SELECT $1, id FROM tags WHERE slug = $2
             ON CONFLICT DO NOTHING",
        )
        .bind(topic.0)
        .bind(&tag.slug)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn tag(conn: &mut Conn, slug: &str) -> Result<Option<Tag>> {
    let row = sqlx::query("SELECT slug, name FROM tags WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(Tag {
            slug: r.try_get("slug")?,
            name: r.try_get("name")?,
        })
    })
    .transpose()
}

/// Makes an entry visible at `at` (`None`: back to a draft).
pub async fn set_publish_at(conn: &mut Conn, topic: TopicId, at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE topics SET publish_at = $1 WHERE id = $2")
        .bind(at)
        .bind(topic.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_writers(conn: &mut Conn, blog: SpaceId, writers: &[AccountId]) -> Result<()> {
    sqlx::query("DELETE FROM blog_writers WHERE space_id = $1")
        .bind(blog.0)
        .execute(&mut *conn)
        .await?;
    for w in writers {
        sqlx::query(
            "INSERT INTO blog_writers (space_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(blog.0)
        .bind(w.0)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The aliases of a blog's named writers.
pub async fn writers(conn: &mut Conn, blog: SpaceId) -> Result<Vec<Alias>> {
    let rows = sqlx::query(
        "SELECT a.alias FROM blog_writers w JOIN accounts a ON a.id = w.account_id
         WHERE w.space_id = $1 ORDER BY a.alias_folded",
    )
    .bind(blog.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok(Alias::from_trusted(r.try_get("alias")?)))
        .collect()
}

pub async fn is_writer(conn: &mut Conn, blog: SpaceId, account: AccountId) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM blog_writers WHERE space_id = $1 AND account_id = $2")
            .bind(blog.0)
            .bind(account.0)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}
