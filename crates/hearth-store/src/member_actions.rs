//! Warnings, silences and suspensions. The account row carries the current
//! restriction (one column read per request); this table is the record.

use hearth_core::model::{AccountId, MemberActionKind};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Conn, Result};

#[derive(Clone, Debug)]
pub struct MemberAction {
    pub id: i64,
    pub account_id: AccountId,
    pub kind: MemberActionKind,
    pub reason: String,
    pub by_alias: Option<String>,
    pub created_at: i64,
    /// None: for good (or a warning, which has no period).
    pub ends_at: Option<i64>,
    pub lifted_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
}

impl MemberAction {
    /// In force now: not lifted, and its period not over.
    pub fn in_force(&self, now: i64) -> bool {
        self.kind != MemberActionKind::Warn
            && self.lifted_at.is_none()
            && self.ends_at.is_none_or(|end| end > now)
    }
}

const SELECT: &str =
    "SELECT m.id, m.account_id, m.kind, m.reason, b.alias AS by_alias, m.created_at,
        m.ends_at, m.lifted_at, m.acknowledged_at
    FROM member_actions m LEFT JOIN accounts b ON b.id = m.by_id";

fn from_row(row: &AnyRow) -> Result<MemberAction> {
    let kind: String = row.try_get("kind")?;
    Ok(MemberAction {
        id: row.try_get("id")?,
        account_id: AccountId(row.try_get("account_id")?),
        kind: MemberActionKind::parse(&kind).unwrap_or(MemberActionKind::Warn),
        reason: row.try_get("reason")?,
        by_alias: row.try_get("by_alias")?,
        created_at: row.try_get("created_at")?,
        ends_at: row.try_get("ends_at")?,
        lifted_at: row.try_get("lifted_at")?,
        acknowledged_at: row.try_get("acknowledged_at")?,
    })
}

pub struct NewAction<'a> {
    pub account: AccountId,
    pub kind: MemberActionKind,
    pub reason: &'a str,
    pub by: AccountId,
    pub ends_at: Option<i64>,
}

pub async fn insert(conn: &mut Conn, a: NewAction<'_>, now: i64) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO member_actions (account_id, kind, reason, by_id, created_at, ends_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(a.account.0)
    .bind(a.kind.as_str())
    .bind(a.reason)
    .bind(a.by.0)
    .bind(now)
    .bind(a.ends_at)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?)
}

/// Every action on a member, newest first.
pub async fn for_account(conn: &mut Conn, account: AccountId) -> Result<Vec<MemberAction>> {
    let sql = format!("{SELECT} WHERE m.account_id = $1 ORDER BY m.id DESC");
    let rows = sqlx::query(&sql)
        .bind(account.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<MemberAction>> {
    let sql = format!("{SELECT} WHERE m.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn lift(conn: &mut Conn, id: i64, by: AccountId, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE member_actions SET lifted_at = $1, lifted_by = $2 WHERE id = $3 AND lifted_at IS NULL",
    )
    .bind(now)
    .bind(by.0)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The member has read a warning (or the reason for a restriction).
pub async fn acknowledge(conn: &mut Conn, account: AccountId, id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE member_actions SET acknowledged_at = $1
         WHERE id = $2 AND account_id = $3 AND acknowledged_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(account.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
