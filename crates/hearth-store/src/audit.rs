//! The audit log: who did what, to what, why and when. Rows are only ever
//! added (the database refuses updates and deletes, see 0002_safety.sql).

use hearth_core::model::AccountId;
use sqlx::Row;

use crate::{Conn, Result};

pub struct Entry<'a> {
    pub actor: Option<AccountId>,
    /// A short verb phrase in snake case: `post.approve`, `member.silence`…
    pub action: &'a str,
    /// `post`, `account`, `space`, `settings`…
    pub target_kind: &'a str,
    pub target_id: Option<i64>,
    pub reason: &'a str,
    /// Facts about the change that are not personal data (periods, old → new).
    pub detail: &'a str,
}

pub async fn record(conn: &mut Conn, e: Entry<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, action, target_kind, target_id, reason, detail, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.actor.map(|a| a.0))
    .bind(e.action)
    .bind(e.target_kind)
    .bind(e.target_id)
    .bind(e.reason)
    .bind(e.detail)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct Record {
    pub id: i64,
    pub actor_alias: Option<String>,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<i64>,
    /// The alias, when the target is an account.
    pub target_alias: Option<String>,
    pub reason: String,
    pub detail: String,
    pub created_at: i64,
}

/// Which records to list; empty fields match all.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Actions starting with this (`member.` matches all actions on members).
    pub action: String,
    pub actor: Option<AccountId>,
    /// Records on this account.
    pub account: Option<AccountId>,
    /// Keyset: records older than this id.
    pub before: Option<i64>,
}

/// The newest records first.
pub async fn list(conn: &mut Conn, f: &Filter, limit: i64) -> Result<Vec<Record>> {
    let rows = sqlx::query(
        "SELECT l.id, a.alias, l.action, l.target_kind, l.target_id, ta.alias, l.reason, l.detail, l.created_at
         FROM audit_log l
         LEFT JOIN accounts a ON a.id = l.actor_id
         LEFT JOIN accounts ta ON l.target_kind = 'account' AND ta.id = l.target_id
         WHERE l.id < $1 AND substr(l.action, 1, length($2)) = $2
           AND ($3 = 0 OR l.actor_id = $3)
           AND ($4 = 0 OR (l.target_kind = 'account' AND l.target_id = $4))
         ORDER BY l.id DESC LIMIT $5",
    )
    .bind(f.before.unwrap_or(i64::MAX))
    .bind(f.action.as_str())
    .bind(f.actor.map(|a| a.0).unwrap_or(0))
    .bind(f.account.map(|a| a.0).unwrap_or(0))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Record {
                id: row.try_get(0)?,
                actor_alias: row.try_get(1)?,
                action: row.try_get(2)?,
                target_kind: row.try_get(3)?,
                target_id: row.try_get(4)?,
                target_alias: row.try_get(5)?,
                reason: row.try_get(6)?,
                detail: row.try_get(7)?,
                created_at: row.try_get(8)?,
            })
        })
        .collect()
}
