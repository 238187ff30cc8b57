//! Spaces (forum categories and blogs) and their kept counters.

use hearth_core::model::{DetailPolicy, Moderation, Slug, SpaceId, SpaceKind, Tier};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Batch, Conn, Result, StoreError};

#[derive(Clone, Debug)]
pub struct Space {
    pub id: SpaceId,
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub position: i64,
    pub kind: SpaceKind,
    pub tier: Tier,
    pub moderation: Moderation,
    pub detail_policy: DetailPolicy,
    /// Topics here carry the site's medical disclaimer.
    pub medical: bool,
    /// A blog's comments close this many days after an entry's publication
    /// (`None`: the site's setting).
    pub comments_close_days: Option<i64>,
    pub topic_count: i64,
    pub post_count: i64,
    pub last_activity_at: Option<i64>,
}

const COLUMNS: &str =
    "id, slug, name, description, position, kind, tier, moderation, detail_policy, medical,
    comments_close_days, topic_count, post_count, last_activity_at";

fn from_row(row: &AnyRow) -> Result<Space> {
    let tier: String = row.try_get("tier")?;
    let moderation: String = row.try_get("moderation")?;
    let detail_policy: String = row.try_get("detail_policy")?;
    let kind: String = row.try_get("kind")?;
    Ok(Space {
        id: SpaceId(row.try_get("id")?),
        slug: Slug::from_trusted(row.try_get("slug")?),
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        position: row.try_get("position")?,
        kind: SpaceKind::parse(&kind).unwrap_or_default(),
        // An unknown tier is treated as the most private one.
        tier: Tier::parse(&tier).unwrap_or(Tier::MembersOnly),
        // Likewise the strictest moderation and policy.
        moderation: Moderation::parse(&moderation).unwrap_or(Moderation::Pre),
        detail_policy: DetailPolicy::parse(&detail_policy).unwrap_or(DetailPolicy::Hold),
        medical: crate::flag(row.try_get("medical")?),
        comments_close_days: row.try_get("comments_close_days")?,
        topic_count: row.try_get("topic_count")?,
        post_count: row.try_get("post_count")?,
        last_activity_at: row.try_get("last_activity_at")?,
    })
}

/// Fields an admin sets.
pub struct SpaceFields<'a> {
    pub slug: &'a Slug,
    pub name: &'a str,
    pub description: &'a str,
    pub position: i64,
    pub tier: Tier,
    pub moderation: Moderation,
    pub detail_policy: DetailPolicy,
    pub medical: bool,
    pub comments_close_days: Option<i64>,
}

/// A new space of `kind` (which stays: a forum's topics are not entries).
pub async fn insert(
    conn: &mut Conn,
    kind: SpaceKind,
    f: SpaceFields<'_>,
    now: i64,
) -> Result<SpaceId> {
    let id: i64 = sqlx::query(
        "INSERT INTO spaces (slug, name, description, position, tier, moderation, detail_policy, medical,
                comments_close_days, created_at, kind)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(f.slug.as_str())
    .bind(f.name)
    .bind(f.description)
    .bind(f.position)
    .bind(f.tier.as_str())
    .bind(f.moderation.as_str())
    .bind(f.detail_policy.as_str())
    .bind(i64::from(f.medical))
    .bind(f.comments_close_days)
    .bind(now)
    .bind(kind.as_str())
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(SpaceId(id))
}

pub async fn update(conn: &mut Conn, id: SpaceId, f: SpaceFields<'_>) -> Result<()> {
    let done = sqlx::query(
        "UPDATE spaces SET slug = $1, name = $2, description = $3, position = $4, tier = $5,
                moderation = $6, detail_policy = $7, medical = $8, comments_close_days = $9
         WHERE id = $10",
    )
    .bind(f.slug.as_str())
    .bind(f.name)
    .bind(f.description)
    .bind(f.position)
    .bind(f.tier.as_str())
    .bind(f.moderation.as_str())
    .bind(f.detail_policy.as_str())
    .bind(i64::from(f.medical))
    .bind(f.comments_close_days)
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Every space in display order, but for private conversations (which no
/// list shows). Callers filter by access.
pub async fn list(conn: &mut Conn) -> Result<Vec<Space>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM spaces WHERE kind <> 'conversation' ORDER BY position, name"
    );
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

pub async fn by_slug(conn: &mut Conn, slug: &str) -> Result<Option<Space>> {
    let sql = format!("SELECT {COLUMNS} FROM spaces WHERE slug = $1");
    let row = sqlx::query(&sql)
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_id(conn: &mut Conn, id: SpaceId) -> Result<Option<Space>> {
    let sql = format!("SELECT {COLUMNS} FROM spaces WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Keeps the counters shown on the front page, instead of counting rows.
pub fn bump(batch: &mut Batch, id: SpaceId, topics: i64, posts: i64, now: i64) {
    batch.push(
        "UPDATE spaces SET topic_count = topic_count + $1, post_count = post_count + $2,
                last_activity_at = $3 WHERE id = $4",
        vec![topics.into(), posts.into(), now.into(), id.0.into()],
    );
}

/// Corrects the kept counters after posts are taken away (last activity stays).
pub async fn uncount(conn: &mut Conn, id: SpaceId, topics: i64, posts: i64) -> Result<()> {
    sqlx::query("UPDATE spaces SET topic_count = topic_count - $1, post_count = post_count - $2 WHERE id = $3")
        .bind(topics)
        .bind(posts)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
