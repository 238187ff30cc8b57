//! In-app notifications: replies in watched topics, mentions.

use hearth_core::model::{AccountId, PostId, Tier, TopicId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::batch::Value;
use crate::jobs::NewJob;
use crate::{Batch, Conn, Result, Returns};

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

/// Writes the notification; its id.
pub async fn insert(conn: &mut Conn, n: NewNotification<'_>, now: i64) -> Result<i64> {
    let NewNotification {
        to,
        kind,
        topic,
        post,
        actor,
        note,
    } = n;
    Ok(sqlx::query(
        "INSERT INTO notifications (account_id, kind, topic_id, post_id, actor_id, note, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(to.0)
    .bind(kind.as_str())
    .bind(topic.0)
    .bind(post.0)
    .bind(actor.map(|a| a.0))
    .bind(note)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?)
}

/// Who hears of a new post: the accounts named (those it mentions, the one
/// it answers), each with its kind, and, for a reply, the topic's watchers
/// not among them nor in `except` (its author).
///
/// A watcher is told of new replies once, until they have read them (as
/// phpBB does, and as Discourse folds them together): one who still has an
/// unread reply or mention in the topic, about a post they can see, is not
/// told again. A busy topic then leaves one line in their notifications and
/// sends one mail, not one for every reply.
pub struct Recipients<'a> {
    pub named: &'a [(AccountId, Kind)],
    pub watchers_of: Option<TopicId>,
    pub except: &'a [AccountId],
}

impl Recipients<'_> {
    fn is_empty(&self) -> bool {
        self.named.is_empty() && self.watchers_of.is_none()
    }

    /// A query of `(account_id, kind)` rows, its parameters numbered from
    /// `$first`, and their values.
    fn query(&self, first: usize) -> (String, Vec<Value>) {
        let mut values: Vec<Value> = Vec::new();
        let next = |value: Value, values: &mut Vec<Value>| {
            values.push(value);
            format!("${}", first + values.len() - 1)
        };
        let mut parts = Vec::new();
        if !self.named.is_empty() {
            let rows: Vec<String> = self
                .named
                .iter()
                .map(|(to, kind)| {
                    let to = next(to.0.into(), &mut values);
                    let kind = next(kind.as_str().into(), &mut values);
                    format!("({to}, {kind})")
                })
                .collect();
            // Both databases name a VALUES list's columns column1, column2….
            parts.push(format!(
                "SELECT column1 AS account_id, column2 AS kind FROM (VALUES {}) AS named",
                rows.join(", ")
            ));
        }
        if let Some(topic) = self.watchers_of {
            let topic = next(topic.0.into(), &mut values);
            let mut sql = format!(
                "SELECT w.account_id, 'reply' AS kind FROM watches w WHERE w.topic_id = {topic}
                   AND NOT EXISTS (SELECT 1 FROM notifications n JOIN posts p ON p.id = n.post_id
                                    WHERE n.account_id = w.account_id AND n.topic_id = w.topic_id
                                      AND n.read_at IS NULL AND n.kind IN ('reply', 'mention')
                                      AND p.deleted_at IS NULL AND p.held = 0)"
            );
            let not: Vec<String> = self
                .except
                .iter()
                .chain(self.named.iter().map(|(to, _)| to))
                .map(|a| next(a.0.into(), &mut values))
                .collect();
            if !not.is_empty() {
                sql.push_str(&format!(" AND w.account_id NOT IN ({})", not.join(", ")));
            }
            parts.push(sql);
        }
        (parts.join(" UNION ALL "), values)
    }
}

/// Adds to `batch` the notifications of a new post for `to`, with `actor`
/// as their cause. Its rows, once run, give each notification's reader, id
/// and reader's mail choice to `made`.
pub fn notify_in(
    batch: &mut Batch,
    to: &Recipients<'_>,
    topic: TopicId,
    post: PostId,
    actor: Option<AccountId>,
    now: i64,
) -> Option<Returns> {
    if to.is_empty() {
        return None;
    }
    let (recipients, mut values) = to.query(5);
    Some(batch.push(
        format!(
            "INSERT INTO notifications (account_id, kind, topic_id, post_id, actor_id, created_at)
             SELECT r.account_id, r.kind, $1, $2, $3, $4 FROM ({recipients}) AS r
             RETURNING account_id, id, {MAIL_CHOICE}"
        ),
        {
            let mut all = vec![
                topic.0.into(),
                post.0.into(),
                actor.map(|a| a.0).into(),
                now.into(),
            ];
            all.append(&mut values);
            all
        },
    ))
}

/// Adds to `batch` a job queued only if one of `to` wants mail as `choice`
/// (a digest's run, which then gathers theirs).
pub fn queue_for_choice_in(
    batch: &mut Batch,
    to: &Recipients<'_>,
    choice: MailChoice,
    job: &NewJob<'_>,
    now: i64,
) {
    if to.is_empty() {
        return;
    }
    let (recipients, mut values) = to.query(8);
    let mut all: Vec<Value> = vec![
        job.kind.into(),
        job.payload.into(),
        job.dedupe_key.into(),
        job.max_attempts.max(1).into(),
        job.run_at.into(),
        now.into(),
        choice.as_str().into(),
    ];
    all.append(&mut values);
    batch.push(
        format!(
            "INSERT INTO jobs (kind, payload, dedupe_key, max_attempts, run_at, created_at, updated_at)
             SELECT $1, $2, $3, $4, $5, $6, $6
              WHERE EXISTS (SELECT 1 FROM ({recipients}) AS r JOIN accounts a ON a.id = r.account_id
                             WHERE a.notification_mail = $7 AND a.email_verified_at IS NOT NULL)
             ON CONFLICT (dedupe_key) WHERE state = 'queued' DO NOTHING"
        ),
        all,
    );
}

/// The reader's mail choice, in a `RETURNING` of notifications: none
/// without a confirmed address.
const MAIL_CHOICE: &str = "(SELECT a.notification_mail FROM accounts a
    WHERE a.id = notifications.account_id AND a.email_verified_at IS NOT NULL)";

/// The reader, id and reader's mail choice of each notification in `rows`
/// (as `notify_in` and `insert_many` return them).
pub fn made<'r>(
    rows: impl IntoIterator<Item = &'r AnyRow>,
) -> Result<Vec<(AccountId, i64, MailChoice)>> {
    rows.into_iter()
        .map(|row| {
            let mail: Option<String> = row.try_get(2)?;
            let mail = mail.as_deref().and_then(MailChoice::parse);
            Ok((
                AccountId(row.try_get(0)?),
                row.try_get(1)?,
                mail.unwrap_or(MailChoice::Off),
            ))
        })
        .collect()
}

/// Writes notifications given one by one (a moderator's answers; a new
/// post's go through `notify_in`), one statement per few hundred; returns
/// each one's reader, id, and the reader's choice of mail (`Off` without a
/// confirmed address), read in the same statement.
pub async fn insert_many(
    conn: &mut Conn,
    all: &[NewNotification<'_>],
    now: i64,
) -> Result<Vec<(AccountId, i64, MailChoice)>> {
    let mut all_made = Vec::with_capacity(all.len());
    // 7 values a row: well under either database's limit of bound values.
    for chunk in all.chunks(500) {
        let rows = (0..chunk.len())
            .map(|i| {
                let p = i * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6,
                    p + 7
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO notifications (account_id, kind, topic_id, post_id, actor_id, note, created_at)
             VALUES {rows} RETURNING account_id, id, {MAIL_CHOICE}"
        );
        let mut query = sqlx::query(&sql);
        for n in chunk {
            query = query
                .bind(n.to.0)
                .bind(n.kind.as_str())
                .bind(n.topic.0)
                .bind(n.post.0)
                .bind(n.actor.map(|a| a.0))
                .bind(n.note)
                .bind(now);
        }
        all_made.extend(made(&query.fetch_all(&mut *conn).await?)?);
    }
    Ok(all_made)
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

/// How notifications reach a member by email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailChoice {
    Off,
    Immediately,
    Daily,
    Weekly,
}

impl MailChoice {
    pub const ALL: [MailChoice; 4] = [
        MailChoice::Off,
        MailChoice::Immediately,
        MailChoice::Daily,
        MailChoice::Weekly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailChoice::Off => "off",
            MailChoice::Immediately => "immediately",
            MailChoice::Daily => "daily",
            MailChoice::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The member's choice as stored (`confirmed_only`: `Off` for an address
/// never confirmed, as Hearth does not mail an address no one has shown to
/// be theirs).
pub async fn mail_choice(
    conn: &mut Conn,
    account: AccountId,
    confirmed_only: bool,
) -> Result<MailChoice> {
    let row = sqlx::query(
        "SELECT notification_mail FROM accounts
         WHERE id = $1 AND ($2 = 0 OR email_verified_at IS NOT NULL)",
    )
    .bind(account.0)
    .bind(i64::from(confirmed_only))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => MailChoice::parse(row.try_get(0)?).unwrap_or(MailChoice::Off),
        None => MailChoice::Off,
    })
}

pub async fn set_mail_choice(
    conn: &mut Conn,
    account: AccountId,
    choice: MailChoice,
) -> Result<()> {
    sqlx::query("UPDATE accounts SET notification_mail = $2 WHERE id = $1")
        .bind(account.0)
        .bind(choice.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Members with this choice and notifications waiting to be mailed.
pub async fn digest_due(conn: &mut Conn, choice: MailChoice) -> Result<Vec<AccountId>> {
    let rows = sqlx::query(
        "SELECT a.id FROM accounts a
         WHERE a.notification_mail = $1 AND a.email_verified_at IS NOT NULL
           AND EXISTS (SELECT 1 FROM notifications n
                       WHERE n.account_id = a.id AND n.mailed_at IS NULL AND n.read_at IS NULL)
         ORDER BY a.id",
    )
    .bind(choice.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(AccountId(r.try_get(0)?))).collect()
}

/// A notification to mail, with the tier of its space (for the access check
/// made at send time).
#[derive(Clone, Debug)]
pub struct ToMail {
    pub notification: Notification,
    pub tier: Tier,
}

/// The member's unread notifications not yet mailed, still visible (a post
/// deleted or held since drops out), oldest first; only `id` if given.
pub async fn to_mail(
    conn: &mut Conn,
    to: AccountId,
    id: Option<i64>,
    limit: i64,
) -> Result<Vec<ToMail>> {
    let sql = format!(
        "SELECT n.id, n.kind, n.topic_id, t.title, n.post_id, a.alias, n.created_at, n.note, s.tier
         FROM notifications n JOIN topics t ON t.id = n.topic_id JOIN posts p ON p.id = n.post_id
         JOIN spaces s ON s.id = t.space_id
         LEFT JOIN accounts a ON a.id = n.actor_id
         WHERE n.account_id = $1 AND n.mailed_at IS NULL AND n.read_at IS NULL
           AND ($2 = 0 OR n.id = $2) AND {VISIBLE}
         ORDER BY n.id LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(to.0)
        .bind(id.unwrap_or(0))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .filter_map(|row| {
            let tier: String = match row.try_get(8) {
                Ok(t) => t,
                Err(e) => return Some(Err(e.into())),
            };
            // A space of an unknown tier is left out rather than guessed at.
            let tier = Tier::parse(&tier)?;
            Some((|| {
                Ok(ToMail {
                    notification: Notification {
                        id: row.try_get(0)?,
                        kind: Kind::parse(row.try_get(1)?),
                        topic_id: TopicId(row.try_get(2)?),
                        topic_title: row.try_get(3)?,
                        post_id: PostId(row.try_get(4)?),
                        actor_alias: row.try_get(5)?,
                        created_at: row.try_get(6)?,
                        read: false,
                        note: row.try_get(7)?,
                    },
                    tier,
                })
            })())
        })
        .collect()
}

/// Marks notifications as mailed, so that none goes out twice.
pub async fn mark_mailed(conn: &mut Conn, ids: &[i64], now: i64) -> Result<()> {
    for id in ids {
        sqlx::query("UPDATE notifications SET mailed_at = $2 WHERE id = $1 AND mailed_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
