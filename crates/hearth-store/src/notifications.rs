//! In-app notifications: replies in watched topics, mentions.

use hearth_core::model::{AccountId, PostId, TopicId};
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Reply,
    Mention,
    Approved,
    /// A moderator did not approve the post; the note says why.
    Rejected,
    /// A moderator decided on a post the member flagged; the note says what.
    FlagOutcome,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::Mention => "mention",
            Kind::Approved => "approved",
            Kind::Rejected => "rejected",
            Kind::FlagOutcome => "flag_outcome",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "mention" => Kind::Mention,
            "approved" => Kind::Approved,
            "rejected" => Kind::Rejected,
            "flag_outcome" => Kind::FlagOutcome,
            _ => Kind::Reply,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Notification {
    pub id: i64,
    pub kind: Kind,
    pub topic_id: TopicId,
    pub topic_title: String,
    pub post_id: PostId,
    pub actor_alias: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
    pub read: bool,
}

/// A notification shows only while what it points to is there for others to
/// see: a post deleted or still held (or in such a topic) drops out. A
/// moderator's answer (a rejection, a flag's outcome) is about exactly such
/// posts, and always shows.
const VISIBLE: &str = "(n.kind IN ('rejected', 'flag_outcome')
    OR (t.deleted_at IS NULL AND t.held = 0 AND p.deleted_at IS NULL AND p.held = 0))";

/// A notification to write.
pub struct NewNotification<'a> {
    pub to: AccountId,
    pub kind: Kind,
    pub topic: TopicId,
    pub post: PostId,
    /// Who caused it (None: a guest, or Hearth itself).
    pub actor: Option<AccountId>,
    /// Words a moderator wrote for the reader.
    pub note: Option<&'a str>,
}

pub async fn insert(conn: &mut Conn, n: NewNotification<'_>, now: i64) -> Result<()> {
    let NewNotification {
        to,
        kind,
        topic,
        post,
        actor,
        note,
    } = n;
    sqlx::query(
        "INSERT INTO notifications (account_id, kind, topic_id, post_id, actor_id, note, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(to.0)
    .bind(kind.as_str())
    .bind(topic.0)
    .bind(post.0)
    .bind(actor.map(|a| a.0))
    .bind(note)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Newest first, before notification `before` (keyset).
pub async fn list(
    conn: &mut Conn,
    to: AccountId,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Notification>> {
    let sql = format!(
        "SELECT n.id, n.kind, n.topic_id, t.title, n.post_id, a.alias, n.created_at, n.read_at, n.note
         FROM notifications n JOIN topics t ON t.id = n.topic_id JOIN posts p ON p.id = n.post_id
         LEFT JOIN accounts a ON a.id = n.actor_id
         WHERE n.account_id = $1 AND n.id < $2 AND {VISIBLE} ORDER BY n.id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(to.0)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Notification {
                id: row.try_get(0)?,
                kind: Kind::parse(row.try_get(1)?),
                topic_id: TopicId(row.try_get(2)?),
                topic_title: row.try_get(3)?,
                post_id: PostId(row.try_get(4)?),
                actor_alias: row.try_get(5)?,
                created_at: row.try_get(6)?,
                read: row.try_get::<Option<i64>, _>(7)?.is_some(),
                note: row.try_get(8)?,
            })
        })
        .collect()
}

pub async fn unread_count(conn: &mut Conn, to: AccountId) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM notifications n JOIN topics t ON t.id = n.topic_id JOIN posts p ON p.id = n.post_id
         WHERE n.account_id = $1 AND n.read_at IS NULL AND {VISIBLE}"
    );
    Ok(sqlx::query(&sql)
        .bind(to.0)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?)
}

pub async fn mark_all_read(conn: &mut Conn, to: AccountId, now: i64) -> Result<()> {
    sqlx::query("UPDATE notifications SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL")
        .bind(now)
        .bind(to.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Marks the notifications about one topic read (when the member opens it).
pub async fn mark_topic_read(
    conn: &mut Conn,
    to: AccountId,
    topic: TopicId,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE account_id = $2 AND topic_id = $3 AND read_at IS NULL",
    )
    .bind(now)
    .bind(to.0)
    .bind(topic.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
