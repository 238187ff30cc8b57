//! Private conversations between a member and staff. Each is a space of
//! kind `conversation` whose messages are chat messages; these tables say
//! who is in it, how far each has read, and whether it was reported.

use hearth_core::model::{AccountId, Alias, Role, SpaceId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Conn, Result, flag};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    pub space_id: SpaceId,
    /// The member the staff talk with.
    pub member_id: AccountId,
    /// Every staff member is in it.
    pub with_team: bool,
    pub started_at: i64,
    /// Reported and not yet closed by a moderator.
    pub reported: Option<Report>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub at: i64,
    pub by: Option<Alias>,
    pub reason: String,
}

pub async fn insert(
    conn: &mut Conn,
    space: SpaceId,
    member: AccountId,
    with_team: bool,
    started_by: AccountId,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO conversations (space_id, member_id, with_team, started_by, started_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(space.0)
    .bind(member.0)
    .bind(i64::from(with_team))
    .bind(started_by.0)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Puts a person in the conversation by name (nothing if they are).
pub async fn add_person(conn: &mut Conn, space: SpaceId, account: AccountId) -> Result<()> {
    sqlx::query(
        "INSERT INTO conversation_people (space_id, account_id) VALUES ($1, $2)
         ON CONFLICT (space_id, account_id) DO NOTHING",
    )
    .bind(space.0)
    .bind(account.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn by_space(conn: &mut Conn, space: SpaceId) -> Result<Option<Conversation>> {
    let row = sqlx::query(
        "SELECT c.space_id, c.member_id, c.with_team, c.started_at, c.reported_at,
                c.report_reason, c.report_closed_at, a.alias AS reported_by
         FROM conversations c LEFT JOIN accounts a ON a.id = c.reported_by
         WHERE c.space_id = $1",
    )
    .bind(space.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(conversation_from_row).transpose()
}

fn conversation_from_row(row: &AnyRow) -> Result<Conversation> {
    let reported_at: Option<i64> = row.try_get("reported_at")?;
    let closed_at: Option<i64> = row.try_get("report_closed_at")?;
    Ok(Conversation {
        space_id: SpaceId(row.try_get("space_id")?),
        member_id: AccountId(row.try_get("member_id")?),
        with_team: flag(row.try_get("with_team")?),
        started_at: row.try_get("started_at")?,
        reported: match reported_at {
            Some(at) if closed_at.is_none_or(|closed| closed < at) => Some(Report {
                at,
                by: row
                    .try_get::<Option<String>, _>("reported_by")?
                    .map(Alias::from_trusted),
                reason: row
                    .try_get::<Option<String>, _>("report_reason")?
                    .unwrap_or_default(),
            }),
            _ => None,
        },
    })
}

/// Whether this account is in the conversation by name.
pub async fn listed(conn: &mut Conn, space: SpaceId, account: AccountId) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM conversation_people WHERE space_id = $1 AND account_id = $2")
            .bind(space.0)
            .bind(account.0)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

/// The people in a conversation by name, by alias.
pub async fn people(conn: &mut Conn, space: SpaceId) -> Result<Vec<(Alias, Role)>> {
    let rows = sqlx::query(
        "SELECT a.alias, a.role FROM conversation_people p JOIN accounts a ON a.id = p.account_id
         WHERE p.space_id = $1 ORDER BY a.alias",
    )
    .bind(space.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            Ok((
                Alias::from_trusted(r.try_get("alias")?),
                Role::parse(&role).unwrap_or(Role::Member),
            ))
        })
        .collect()
}

/// A conversation in someone's list.
#[derive(Clone, Debug)]
pub struct Summary {
    pub space_id: SpaceId,
    pub slug: String,
    pub subject: String,
    pub member_alias: Option<Alias>,
    pub with_team: bool,
    pub started_at: i64,
    /// When the newest message was sent.
    pub last_at: Option<i64>,
    /// Messages from others this person has not seen.
    pub unread: i64,
    pub reported: bool,
}

/// Messages from others after what `$1` has read: published, not deleted.
const UNREAD: &str = "(SELECT COUNT(*) FROM chat_messages m WHERE m.room_id = c.space_id
        AND m.id > COALESCE(p.last_read_id, 0) AND COALESCE(m.author_id, 0) <> $1
        AND m.held = 0 AND m.deleted_at IS NULL)";

/// The conversations this person is in (staff: also every one with the
/// team), the most recently active first.
pub async fn of(conn: &mut Conn, account: AccountId, staff: bool) -> Result<Vec<Summary>> {
    let sql = format!(
        "SELECT * FROM (
            SELECT c.space_id, s.slug, s.name, ma.alias AS member_alias, c.with_team, c.started_at,
                c.reported_at, c.report_closed_at,
                (SELECT MAX(m.created_at) FROM chat_messages m WHERE m.room_id = c.space_id) AS last_at,
                {UNREAD} AS unread
            FROM conversations c
            JOIN spaces s ON s.id = c.space_id
            LEFT JOIN accounts ma ON ma.id = c.member_id
            LEFT JOIN conversation_people p ON p.space_id = c.space_id AND p.account_id = $1
            WHERE p.account_id IS NOT NULL OR (c.with_team = 1 AND $2 = 1)
         ) mine
         ORDER BY COALESCE(last_at, started_at) DESC, space_id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(account.0)
        .bind(i64::from(staff))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(summary_from_row).collect()
}

fn summary_from_row(row: &AnyRow) -> Result<Summary> {
    let reported_at: Option<i64> = row.try_get("reported_at")?;
    let closed_at: Option<i64> = row.try_get("report_closed_at")?;
    Ok(Summary {
        space_id: SpaceId(row.try_get("space_id")?),
        slug: row.try_get("slug")?,
        subject: row.try_get("name")?,
        member_alias: row
            .try_get::<Option<String>, _>("member_alias")?
            .map(Alias::from_trusted),
        with_team: flag(row.try_get("with_team")?),
        started_at: row.try_get("started_at")?,
        last_at: row.try_get("last_at")?,
        unread: row.try_get("unread")?,
        reported: reported_at.is_some_and(|at| closed_at.is_none_or(|c| c < at)),
    })
}

/// How many of this person's conversations have messages they have not seen.
pub async fn with_unread(conn: &mut Conn, account: AccountId, staff: bool) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM conversations c
         LEFT JOIN conversation_people p ON p.space_id = c.space_id AND p.account_id = $1
         WHERE (p.account_id IS NOT NULL OR (c.with_team = 1 AND $2 = 1)) AND {UNREAD} > 0"
    );
    Ok(sqlx::query(&sql)
        .bind(account.0)
        .bind(i64::from(staff))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?)
}

/// Notes that this person has read up to `last_id` (never backwards).
pub async fn mark_read(
    conn: &mut Conn,
    space: SpaceId,
    account: AccountId,
    last_id: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE conversation_people SET last_read_id = $1
         WHERE space_id = $2 AND account_id = $3 AND last_read_id < $1",
    )
    .bind(last_id)
    .bind(space.0)
    .bind(account.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Someone in the conversation reports it: moderators may now read it.
pub async fn report(
    conn: &mut Conn,
    space: SpaceId,
    by: AccountId,
    reason: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE conversations SET reported_at = $1, reported_by = $2, report_reason = $3
         WHERE space_id = $4",
    )
    .bind(now)
    .bind(by.0)
    .bind(reason)
    .bind(space.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A moderator has dealt with the report: the conversation is private again.
pub async fn close_report(conn: &mut Conn, space: SpaceId, now: i64) -> Result<()> {
    sqlx::query("UPDATE conversations SET report_closed_at = $1 WHERE space_id = $2")
        .bind(now)
        .bind(space.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A reported conversation, as the moderators' list shows it.
#[derive(Clone, Debug)]
pub struct Reported {
    pub slug: String,
    pub subject: String,
    pub member_alias: Option<Alias>,
    pub report: Report,
}

/// Conversations reported and not yet closed, the oldest report first.
pub async fn reported(conn: &mut Conn) -> Result<Vec<Reported>> {
    let rows = sqlx::query(
        "SELECT s.slug, s.name, ma.alias AS member_alias, c.reported_at, c.report_reason,
                ra.alias AS reported_by
         FROM conversations c
         JOIN spaces s ON s.id = c.space_id
         LEFT JOIN accounts ma ON ma.id = c.member_id
         LEFT JOIN accounts ra ON ra.id = c.reported_by
         WHERE c.reported_at IS NOT NULL
           AND (c.report_closed_at IS NULL OR c.report_closed_at < c.reported_at)
         ORDER BY c.reported_at",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Reported {
                slug: r.try_get("slug")?,
                subject: r.try_get("name")?,
                member_alias: r
                    .try_get::<Option<String>, _>("member_alias")?
                    .map(Alias::from_trusted),
                report: Report {
                    at: r.try_get("reported_at")?,
                    by: r
                        .try_get::<Option<String>, _>("reported_by")?
                        .map(Alias::from_trusted),
                    reason: r
                        .try_get::<Option<String>, _>("report_reason")?
                        .unwrap_or_default(),
                },
            })
        })
        .collect()
}

/// The staff members a member may write to by name, by alias.
pub async fn staff(conn: &mut Conn) -> Result<Vec<Alias>> {
    let rows =
        sqlx::query("SELECT alias FROM accounts WHERE role = 'staff' ORDER BY alias LIMIT 500")
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| Ok(Alias::from_trusted(r.try_get(0)?)))
        .collect()
}
