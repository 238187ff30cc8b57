//! The moderation queue: posts held for a decision, and published posts that
//! need staff's attention now. One row per post; decided rows stay as a record.

use hearth_core::model::{AccountId, HoldReason, PostId, SpaceId, TopicId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Conn, Result, flag};

pub struct NewItem<'a> {
    pub post: PostId,
    /// Waits for approval (else: published, but staff should look now).
    pub held: bool,
    pub urgent: bool,
    pub reasons: &'a [HoldReason],
    /// What the checks found, as JSON, for the moderator.
    pub detail: &'a str,
}

/// Queues a post, or re-opens its item with the new reasons (after an edit).
pub async fn add(conn: &mut Conn, item: NewItem<'_>, now: i64) -> Result<()> {
    let reasons = item
        .reasons
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",");
    sqlx::query(
        "INSERT INTO queue_items (post_id, held, urgent, reasons, detail, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (post_id) DO UPDATE SET held = excluded.held, urgent = excluded.urgent,
            reasons = excluded.reasons, detail = excluded.detail, created_at = excluded.created_at,
            decided_at = NULL, decided_by = NULL, decision = NULL, note = NULL",
    )
    .bind(item.post.0)
    .bind(i64::from(item.held))
    .bind(i64::from(item.urgent))
    .bind(reasons)
    .bind(item.detail)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An open queue item with what a moderator needs to decide on it.
#[derive(Clone, Debug)]
pub struct Item {
    pub post_id: PostId,
    pub topic_id: TopicId,
    pub topic_title: String,
    pub space_id: SpaceId,
    pub space_name: String,
    /// The post opens its topic (approving it publishes the topic).
    pub opening: bool,
    pub author_id: Option<AccountId>,
    pub author_alias: Option<String>,
    pub guest_name: Option<String>,
    pub author_approved_posts: i64,
    pub body_md: String,
    pub body_html: String,
    pub held: bool,
    pub urgent: bool,
    pub reasons: Vec<HoldReason>,
    pub detail: String,
    pub queued_at: i64,
}

const SELECT: &str = "SELECT q.post_id, p.topic_id, t.title, t.space_id, s.name AS space_name,
        (SELECT MIN(o.id) FROM posts o WHERE o.topic_id = p.topic_id) AS opening_id,
        p.author_id, a.alias, p.guest_name, a.approved_posts, p.body_md, p.body_html,
        q.held, q.urgent, q.reasons, q.detail, q.created_at
    FROM queue_items q
    JOIN posts p ON p.id = q.post_id
    JOIN topics t ON t.id = p.topic_id
    JOIN spaces s ON s.id = t.space_id
    LEFT JOIN accounts a ON a.id = p.author_id";

fn from_row(row: &AnyRow) -> Result<Item> {
    let post_id: i64 = row.try_get("post_id")?;
    let reasons: String = row.try_get("reasons")?;
    Ok(Item {
        post_id: PostId(post_id),
        topic_id: TopicId(row.try_get("topic_id")?),
        topic_title: row.try_get("title")?,
        space_id: SpaceId(row.try_get("space_id")?),
        space_name: row.try_get("space_name")?,
        opening: row.try_get::<Option<i64>, _>("opening_id")? == Some(post_id),
        author_id: row.try_get::<Option<i64>, _>("author_id")?.map(AccountId),
        author_alias: row.try_get("alias")?,
        guest_name: row.try_get("guest_name")?,
        author_approved_posts: row
            .try_get::<Option<i64>, _>("approved_posts")?
            .unwrap_or(0),
        body_md: row.try_get("body_md")?,
        body_html: row.try_get("body_html")?,
        held: flag(row.try_get("held")?),
        urgent: flag(row.try_get("urgent")?),
        reasons: reasons.split(',').filter_map(HoldReason::parse).collect(),
        detail: row.try_get("detail")?,
        queued_at: row.try_get("created_at")?,
    })
}

/// Open items, urgent first, then oldest first (keyset on the item order).
pub async fn open(conn: &mut Conn, limit: i64) -> Result<Vec<Item>> {
    let sql = format!(
        "{SELECT} WHERE q.decided_at IS NULL AND p.deleted_at IS NULL AND t.deleted_at IS NULL
         ORDER BY q.urgent DESC, q.id LIMIT $1"
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

pub async fn open_item(conn: &mut Conn, post: PostId) -> Result<Option<Item>> {
    let sql = format!("{SELECT} WHERE q.post_id = $1 AND q.decided_at IS NULL");
    let row = sqlx::query(&sql)
        .bind(post.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// How many items wait (shown to staff in the page header).
pub async fn open_count(conn: &mut Conn) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) FROM queue_items q JOIN posts p ON p.id = q.post_id
         JOIN topics t ON t.id = p.topic_id
         WHERE q.decided_at IS NULL AND p.deleted_at IS NULL AND t.deleted_at IS NULL",
    )
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?)
}

/// Records the decision; false when someone decided first. What the checks
/// found (personal details among it) is not kept past the decision.
pub async fn decide(
    conn: &mut Conn,
    post: PostId,
    by: AccountId,
    decision: &str,
    note: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE queue_items SET decided_at = $1, decided_by = $2, decision = $3, note = $4, detail = '{}'
         WHERE post_id = $5 AND decided_at IS NULL",
    )
    .bind(now)
    .bind(by.0)
    .bind(decision)
    .bind(note)
    .bind(post.0)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
