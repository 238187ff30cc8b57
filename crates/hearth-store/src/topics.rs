//! Topics, their lists (keyset-paginated by last activity), watching and
//! read positions.

use hearth_core::model::{AccountId, Alias, PostId, Role, SpaceId, Tier, TopicId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Batch, Conn, Result, Returns, flag};

#[derive(Clone, Debug)]
pub struct Topic {
    pub id: TopicId,
    pub space_id: SpaceId,
    pub author_id: Option<AccountId>,
    pub author_alias: Option<Alias>,
    pub author_role: Option<Role>,
    pub guest_name: Option<String>,
    pub title: String,
    pub created_at: i64,
    pub last_activity_at: i64,
    pub last_post_id: Option<i64>,
    pub reply_count: i64,
    pub pinned: bool,
    pub locked: bool,
    pub held: bool,
    pub deleted: bool,
    /// When readers may see it: `None` for a blog draft, a future time for a
    /// scheduled entry; a forum topic's start.
    pub publish_at: Option<i64>,
    /// The viewer's last read post, when the viewer is signed in and has read it.
    pub last_read_post_id: Option<i64>,
    /// Space slug and name, filled in lists that cross spaces.
    pub space_slug: String,
    pub space_name: String,
}

impl Topic {
    /// Readers may see it at `now` (it is not a draft or still scheduled).
    pub fn published(&self, now: i64) -> bool {
        self.publish_at.is_some_and(|at| at <= now)
    }

    pub fn has_unread(&self) -> bool {
        match (self.last_read_post_id, self.last_post_id) {
            (Some(read), Some(last)) => last > read,
            _ => false,
        }
    }
}

const SELECT: &str = "SELECT t.id, t.space_id, t.author_id, a.alias AS author_alias, a.role AS author_role,
        t.guest_name, t.title, t.created_at, t.last_activity_at, t.last_post_id, t.reply_count,
        t.pinned, t.locked, t.held, t.deleted_at, t.publish_at, r.last_read_post_id, s.slug AS space_slug, s.name AS space_name
    FROM topics t
    JOIN spaces s ON s.id = t.space_id
    LEFT JOIN accounts a ON a.id = t.author_id
    LEFT JOIN topic_reads r ON r.topic_id = t.id AND r.account_id = $1";

fn from_row(row: &AnyRow) -> Result<Topic> {
    Ok(Topic {
        id: TopicId(row.try_get("id")?),
        space_id: SpaceId(row.try_get("space_id")?),
        author_id: row.try_get::<Option<i64>, _>("author_id")?.map(AccountId),
        author_alias: row
            .try_get::<Option<String>, _>("author_alias")?
            .map(Alias::from_trusted),
        author_role: row
            .try_get::<Option<String>, _>("author_role")?
            .and_then(|r| Role::parse(&r)),
        guest_name: row.try_get("guest_name")?,
        title: row.try_get("title")?,
        created_at: row.try_get("created_at")?,
        last_activity_at: row.try_get("last_activity_at")?,
        last_post_id: row.try_get("last_post_id")?,
        reply_count: row.try_get("reply_count")?,
        pinned: flag(row.try_get("pinned")?),
        locked: flag(row.try_get("locked")?),
        held: flag(row.try_get("held")?),
        deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
        publish_at: row.try_get("publish_at")?,
        last_read_post_id: row.try_get("last_read_post_id")?,
        space_slug: row.try_get("space_slug")?,
        space_name: row.try_get("space_name")?,
    })
}

/// Whose eyes a list is for: held and deleted topics show only to moderators
/// (and held ones to their author).
#[derive(Clone, Copy, Debug)]
pub struct ListFor {
    pub viewer: Option<AccountId>,
    pub moderator: bool,
}

impl ListFor {
    fn filter(&self) -> &'static str {
        if self.moderator {
            ""
        } else {
            " AND t.deleted_at IS NULL AND (t.held = 0 OR t.author_id = $1)"
        }
    }
}

/// A position in a list ordered by last activity, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivityCursor {
    pub last_activity_at: i64,
    pub id: i64,
}

pub async fn by_id(
    conn: &mut Conn,
    id: TopicId,
    viewer: Option<AccountId>,
) -> Result<Option<Topic>> {
    let sql = format!("{SELECT} WHERE t.id = $2");
    let row = sqlx::query(&sql)
        .bind(viewer.map(|v| v.0).unwrap_or(0))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// `by_id` (as a guest sees its counters) as a statement in `batch`; its
/// rows then give the topic to `from_returned`.
pub fn by_id_in(batch: &mut Batch, id: TopicId) -> Returns {
    batch.push(
        format!("{SELECT} WHERE t.id = $2"),
        vec![0.into(), id.0.into()],
    )
}

/// The topic a statement of `by_id_in` found.
pub fn from_returned(rows: &[AnyRow]) -> Result<Option<Topic>> {
    rows.first().map(from_row).transpose()
}

/// A space's pinned topics (first page only) and then one page of the others.
pub async fn list_in_space(
    conn: &mut Conn,
    space: SpaceId,
    who: ListFor,
    after: Option<ActivityCursor>,
    limit: i64,
) -> Result<Vec<Topic>> {
    let mut topics = Vec::new();
    let viewer = who.viewer.map(|v| v.0).unwrap_or(0);
    if after.is_none() {
        let sql = format!(
            "{SELECT} WHERE t.space_id = $2 AND t.pinned = 1{} ORDER BY t.last_activity_at DESC, t.id DESC LIMIT 50",
            who.filter()
        );
        let rows = sqlx::query(&sql)
            .bind(viewer)
            .bind(space.0)
            .fetch_all(&mut *conn)
            .await?;
        for row in &rows {
            topics.push(from_row(row)?);
        }
    }
    let cursor = after.unwrap_or(ActivityCursor {
        last_activity_at: i64::MAX,
        id: i64::MAX,
    });
    // The cursor as one row comparison, which both databases take as the
    // index's bound (PostgreSQL does not for the same written out with OR).
    let sql = format!(
        "{SELECT} WHERE t.space_id = $2 AND t.pinned = 0{}
           AND (t.last_activity_at, t.id) < ($3, $4)
         ORDER BY t.last_activity_at DESC, t.id DESC LIMIT $5",
        who.filter()
    );
    let rows = sqlx::query(&sql)
        .bind(viewer)
        .bind(space.0)
        .bind(cursor.last_activity_at)
        .bind(cursor.id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    for row in &rows {
        topics.push(from_row(row)?);
    }
    Ok(topics)
}

/// The latest forum topics across the spaces of the given tiers (the front
/// page; blogs have their own pages).
pub async fn latest(
    conn: &mut Conn,
    tiers: &[Tier],
    who: ListFor,
    after: Option<ActivityCursor>,
    limit: i64,
) -> Result<Vec<Topic>> {
    if tiers.is_empty() {
        return Ok(Vec::new());
    }
    let tier_list = crate::tier_list(tiers);
    let cursor = after.unwrap_or(ActivityCursor {
        last_activity_at: i64::MAX,
        id: i64::MAX,
    });
    let sql = format!(
        "{SELECT} WHERE s.tier IN ({tier_list}) AND s.kind = 'forum'{}
           AND (t.last_activity_at, t.id) < ($2, $3)
         ORDER BY t.last_activity_at DESC, t.id DESC LIMIT $4",
        who.filter()
    );
    let rows = sqlx::query(&sql)
        .bind(who.viewer.map(|v| v.0).unwrap_or(0))
        .bind(cursor.last_activity_at)
        .bind(cursor.id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

pub struct NewTopic<'a> {
    pub space: SpaceId,
    pub author: Option<AccountId>,
    pub guest_name: Option<&'a str>,
    pub title: &'a str,
    pub held: bool,
    /// See `Topic::publish_at`.
    pub publish_at: Option<i64>,
}

pub async fn insert(conn: &mut Conn, t: NewTopic<'_>, now: i64) -> Result<TopicId> {
    let id: i64 = sqlx::query(
        "INSERT INTO topics (space_id, author_id, guest_name, title, created_at, last_activity_at, held, publish_at)
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7) RETURNING id",
    )
    .bind(t.space.0)
    .bind(t.author.map(|a| a.0))
    .bind(t.guest_name)
    .bind(t.title)
    .bind(now)
    .bind(i64::from(t.held))
    .bind(t.publish_at)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(TopicId(id))
}

/// Records a new visible post in the topic's kept counters.
pub fn note_post(batch: &mut Batch, id: TopicId, post_id: i64, is_reply: bool, now: i64) {
    batch.push(
        "UPDATE topics SET last_activity_at = $1, last_post_id = $2, reply_count = reply_count + $3 WHERE id = $4",
        vec![now.into(), post_id.into(), i64::from(is_reply).into(), id.0.into()],
    );
}

/// One reply fewer in the kept count (a reply was deleted).
pub async fn uncount_reply(conn: &mut Conn, id: TopicId) -> Result<()> {
    sqlx::query(
        "UPDATE topics SET reply_count = reply_count - 1 WHERE id = $1 AND reply_count > 0",
    )
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_title(conn: &mut Conn, id: TopicId, title: &str) -> Result<()> {
    sqlx::query("UPDATE topics SET title = $1 WHERE id = $2")
        .bind(title)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_pinned(conn: &mut Conn, id: TopicId, pinned: bool) -> Result<()> {
    sqlx::query("UPDATE topics SET pinned = $1 WHERE id = $2")
        .bind(i64::from(pinned))
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_locked(conn: &mut Conn, id: TopicId, locked: bool) -> Result<()> {
    sqlx::query("UPDATE topics SET locked = $1 WHERE id = $2")
        .bind(i64::from(locked))
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_held(conn: &mut Conn, id: TopicId, held: bool) -> Result<()> {
    sqlx::query("UPDATE topics SET held = $1 WHERE id = $2")
        .bind(i64::from(held))
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_deleted(conn: &mut Conn, id: TopicId, at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE topics SET deleted_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn watch(conn: &mut Conn, account: AccountId, topic: TopicId) -> Result<()> {
    let mut batch = Batch::new();
    watch_in(&mut batch, account, topic);
    batch.run(conn).await
}

/// `watch`, with the writer's other statements.
pub fn watch_in(batch: &mut Batch, account: AccountId, topic: TopicId) {
    batch.push(
        "INSERT INTO watches (account_id, topic_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        vec![account.0.into(), topic.0.into()],
    );
}

pub async fn unwatch(conn: &mut Conn, account: AccountId, topic: TopicId) -> Result<()> {
    sqlx::query("DELETE FROM watches WHERE account_id = $1 AND topic_id = $2")
        .bind(account.0)
        .bind(topic.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn is_watching(conn: &mut Conn, account: AccountId, topic: TopicId) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM watches WHERE account_id = $1 AND topic_id = $2")
            .bind(account.0)
            .bind(topic.0)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

/// Moves the reader's position forward (never back).
pub async fn mark_read(
    conn: &mut Conn,
    account: AccountId,
    topic: TopicId,
    post_id: i64,
) -> Result<()> {
    let mut batch = Batch::new();
    mark_read_in(&mut batch, account, topic, post_id);
    batch.run(conn).await
}

/// `mark_read`, with the writer's other statements.
pub fn mark_read_in(batch: &mut Batch, account: AccountId, topic: TopicId, post_id: i64) {
    batch.push(
        "INSERT INTO topic_reads (account_id, topic_id, last_read_post_id) VALUES ($1, $2, $3)
         ON CONFLICT (account_id, topic_id) DO UPDATE
         SET last_read_post_id = CASE WHEN topic_reads.last_read_post_id < excluded.last_read_post_id
                                      THEN excluded.last_read_post_id ELSE topic_reads.last_read_post_id END",
        vec![account.0.into(), topic.0.into(), post_id.into()],
    );
}

/// What is one reader's own on a topic's page: where they stopped reading,
/// whether they watch it, and which of the posts `from..=to` they liked.
#[derive(Clone, Debug, Default)]
pub struct ReaderState {
    pub last_read_post_id: Option<i64>,
    pub watching: bool,
    pub liked: Vec<PostId>,
}

pub async fn reader_state(
    conn: &mut Conn,
    account: AccountId,
    topic: TopicId,
    posts: &[PostId],
) -> Result<ReaderState> {
    let row = sqlx::query(
        "SELECT (SELECT last_read_post_id FROM topic_reads WHERE account_id = $1 AND topic_id = $2) AS last_read,
                (SELECT COUNT(*) FROM watches WHERE account_id = $1 AND topic_id = $2) AS watching",
    )
    .bind(account.0)
    .bind(topic.0)
    .fetch_one(&mut *conn)
    .await?;
    // The page's posts by id: a long topic's posts are spread over the
    // whole table, and a range from the first to the last would read the
    // likes of every post written between them.
    let liked = if posts.is_empty() {
        Vec::new()
    } else {
        let list = (2..posts.len() + 2)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql =
            format!("SELECT post_id FROM likes WHERE account_id = $1 AND post_id IN ({list})");
        posts
            .iter()
            .fold(
                sqlx::query_scalar::<_, i64>(&sql).bind(account.0),
                |q, p| q.bind(p.0),
            )
            .fetch_all(&mut *conn)
            .await?
    };
    Ok(ReaderState {
        last_read_post_id: row.try_get("last_read")?,
        watching: flag(row.try_get("watching")?),
        liked: liked.into_iter().map(PostId).collect(),
    })
}
