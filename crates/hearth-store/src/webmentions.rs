//! Webmentions and pingbacks: mentions of entries by other sites' pages,
//! and the record of the mentions this site sent for its entries' links.

use hearth_core::model::{AccountId, ReactionKind, ReactionStatus, TopicId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Conn, Result};

pub struct NewMention<'a> {
    pub topic: TopicId,
    pub source: &'a str,
    /// "webmention" or "pingback".
    pub protocol: &'a str,
    pub kind: ReactionKind,
    pub title: &'a str,
    pub author: &'a str,
    pub excerpt: &'a str,
}

#[derive(Clone, Debug)]
pub struct Mention {
    pub id: i64,
    pub topic_id: TopicId,
    pub source: String,
    pub protocol: String,
    pub kind: ReactionKind,
    pub title: String,
    pub author: String,
    pub excerpt: String,
    pub status: ReactionStatus,
    pub received_at: i64,
    pub updated_at: i64,
    /// The entry's title and address, for moderators' lists.
    pub entry_title: String,
    pub entry_path: String,
}

/// What `record` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub id: i64,
    /// Its standing: a mention sent again keeps the moderator's decision.
    pub status: ReactionStatus,
    pub new: bool,
}

/// Records a mention, or refreshes what it says when its source sends it
/// again. A refreshed mention keeps a rejection, and an approved one that
/// now says something else waits for a moderator again.
pub async fn record(conn: &mut Conn, m: NewMention<'_>, now: i64) -> Result<Recorded> {
    let existed = sqlx::query("SELECT id FROM webmentions WHERE topic_id = $1 AND source = $2")
        .bind(m.topic.0)
        .bind(m.source)
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    let row = sqlx::query(
        "INSERT INTO webmentions (topic_id, source, protocol, kind, title, author, excerpt,
                                  status, received_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'held', $8, $8)
         ON CONFLICT (topic_id, source) DO UPDATE SET protocol = excluded.protocol,
            kind = excluded.kind, title = excluded.title, author = excluded.author,
            excerpt = excluded.excerpt, updated_at = excluded.updated_at,
            status = CASE
                WHEN webmentions.status = 'approved' AND (webmentions.kind <> excluded.kind
                    OR webmentions.title <> excluded.title OR webmentions.author <> excluded.author
                    OR webmentions.excerpt <> excluded.excerpt) THEN 'held'
                ELSE webmentions.status END
         RETURNING id, status",
    )
    .bind(m.topic.0)
    .bind(m.source)
    .bind(m.protocol)
    .bind(m.kind.as_str())
    .bind(m.title)
    .bind(m.author)
    .bind(m.excerpt)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let status: String = row.try_get("status")?;
    Ok(Recorded {
        id: row.try_get("id")?,
        status: ReactionStatus::parse(&status).unwrap_or(ReactionStatus::Held),
        new: !existed,
    })
}

/// Forgets a mention whose source no longer links to the entry. A rejected
/// one is kept, so that taking the link away and back does not bring it back.
pub async fn remove(conn: &mut Conn, topic: TopicId, source: &str) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM webmentions WHERE topic_id = $1 AND source = $2 AND status <> 'rejected'",
    )
    .bind(topic.0)
    .bind(source)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

const SELECT: &str = "SELECT w.id, w.topic_id, w.source, w.protocol, w.kind, w.title, w.author,
        w.excerpt, w.status, w.received_at, w.updated_at, t.title AS entry_title,
        s.slug AS blog_slug, e.slug AS entry_slug
    FROM webmentions w
    JOIN topics t ON t.id = w.topic_id
    JOIN entries e ON e.topic_id = w.topic_id
    JOIN spaces s ON s.id = e.space_id";

fn from_row(row: &AnyRow) -> Result<Mention> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let blog: String = row.try_get("blog_slug")?;
    let entry: String = row.try_get("entry_slug")?;
    Ok(Mention {
        id: row.try_get("id")?,
        topic_id: TopicId(row.try_get("topic_id")?),
        source: row.try_get("source")?,
        protocol: row.try_get("protocol")?,
        kind: ReactionKind::parse(&kind).unwrap_or(ReactionKind::Mention),
        title: row.try_get("title")?,
        author: row.try_get("author")?,
        excerpt: row.try_get("excerpt")?,
        status: ReactionStatus::parse(&status).unwrap_or(ReactionStatus::Held),
        received_at: row.try_get("received_at")?,
        updated_at: row.try_get("updated_at")?,
        entry_title: row.try_get("entry_title")?,
        entry_path: format!("/b/{blog}/{entry}"),
    })
}

/// An entry's mentions with this standing, oldest first.
pub async fn for_topic(
    conn: &mut Conn,
    topic: TopicId,
    status: ReactionStatus,
) -> Result<Vec<Mention>> {
    let sql = format!("{SELECT} WHERE w.topic_id = $1 AND w.status = $2 ORDER BY w.id");
    let rows = sqlx::query(&sql)
        .bind(topic.0)
        .bind(status.as_str())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Mentions waiting for a moderator, oldest first (of entries not deleted).
pub async fn held(conn: &mut Conn, limit: i64) -> Result<Vec<Mention>> {
    let sql = format!(
        "{SELECT} WHERE w.status = 'held' AND t.deleted_at IS NULL
         ORDER BY w.received_at, w.id LIMIT $1"
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

pub async fn held_count(conn: &mut Conn) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) FROM webmentions w JOIN topics t ON t.id = w.topic_id
             WHERE w.status = 'held' AND t.deleted_at IS NULL",
    )
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?)
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Mention>> {
    let sql = format!("{SELECT} WHERE w.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn decide(
    conn: &mut Conn,
    id: i64,
    status: ReactionStatus,
    by: AccountId,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webmentions SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(by.0)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A link of an entry this site told about the entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub target: String,
    /// The revision of the entry's text the target was told of.
    pub revision: i64,
    pub endpoint: Option<String>,
    /// What happened, in words for admins.
    pub outcome: String,
    /// The endpoint took it (else: no endpoint, or it refused).
    pub delivered: bool,
    pub sent_at: i64,
}

pub async fn sent(conn: &mut Conn, topic: TopicId) -> Result<Vec<Sent>> {
    let rows = sqlx::query(
        "SELECT target, revision, endpoint, outcome, delivered, sent_at
         FROM webmention_sends WHERE topic_id = $1 ORDER BY target",
    )
    .bind(topic.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Sent {
                target: r.try_get("target")?,
                revision: r.try_get("revision")?,
                endpoint: r.try_get("endpoint")?,
                outcome: r.try_get("outcome")?,
                delivered: r.try_get::<i64, _>("delivered")? != 0,
                sent_at: r.try_get("sent_at")?,
            })
        })
        .collect()
}

pub async fn record_sent(conn: &mut Conn, topic: TopicId, s: &Sent) -> Result<()> {
    sqlx::query(
        "INSERT INTO webmention_sends (topic_id, target, revision, endpoint, outcome, delivered, sent_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (topic_id, target) DO UPDATE SET revision = excluded.revision,
            endpoint = excluded.endpoint, outcome = excluded.outcome,
            delivered = excluded.delivered, sent_at = excluded.sent_at",
    )
    .bind(topic.0)
    .bind(&s.target)
    .bind(s.revision)
    .bind(s.endpoint.as_deref())
    .bind(&s.outcome)
    .bind(i64::from(s.delivered))
    .bind(s.sent_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets a link the entry no longer has, once its target was told.
pub async fn forget_sent(conn: &mut Conn, topic: TopicId, target: &str) -> Result<()> {
    sqlx::query("DELETE FROM webmention_sends WHERE topic_id = $1 AND target = $2")
        .bind(topic.0)
        .bind(target)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
