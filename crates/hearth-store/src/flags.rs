//! Members' flags on posts, and their resolution by a moderator.

use hearth_core::model::{AccountId, FlagReason, PostId};
use sqlx::Row;

use crate::{Conn, Result};

/// Adds a member's flag; false if they had already flagged this post.
pub async fn add(
    conn: &mut Conn,
    post: PostId,
    by: AccountId,
    reason: FlagReason,
    note: &str,
    now: i64,
) -> Result<bool> {
    let added = sqlx::query(
        "INSERT INTO flags (post_id, account_id, reason, note, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (post_id, account_id) DO NOTHING",
    )
    .bind(post.0)
    .bind(by.0)
    .bind(reason.as_str())
    .bind(note)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(added == 1)
}

/// Distinct members whose flags on the post wait for a decision.
pub async fn open_on_post(conn: &mut Conn, post: PostId) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) FROM flags WHERE post_id = $1 AND resolved_at IS NULL")
            .bind(post.0)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?,
    )
}

#[derive(Clone, Debug)]
pub struct Flag {
    pub id: i64,
    pub post_id: PostId,
    pub flagger_alias: String,
    pub reason: FlagReason,
    pub note: String,
    pub created_at: i64,
}

/// Open flags on the oldest flagged posts first, grouped by post; at most
/// `posts` posts.
pub async fn open(conn: &mut Conn, posts: i64) -> Result<Vec<Flag>> {
    let rows = sqlx::query(
        "SELECT f.id, f.post_id, a.alias, f.reason, f.note, f.created_at FROM flags f
         JOIN accounts a ON a.id = f.account_id
         WHERE f.resolved_at IS NULL AND f.post_id IN (
             SELECT post_id FROM flags WHERE resolved_at IS NULL
             GROUP BY post_id ORDER BY MIN(id) LIMIT $1)
         ORDER BY f.post_id, f.id",
    )
    .bind(posts)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let reason: String = row.try_get(3)?;
            Ok(Flag {
                id: row.try_get(0)?,
                post_id: PostId(row.try_get(1)?),
                flagger_alias: row.try_get(2)?,
                reason: FlagReason::parse(&reason).unwrap_or(FlagReason::Other),
                note: row.try_get(4)?,
                created_at: row.try_get(5)?,
            })
        })
        .collect()
}

/// How many posts have flags waiting.
pub async fn flagged_post_count(conn: &mut Conn) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(DISTINCT post_id) FROM flags WHERE resolved_at IS NULL")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?,
    )
}

/// Resolves every open flag on the post; returns who flagged it, to tell them.
pub async fn resolve(
    conn: &mut Conn,
    post: PostId,
    by: AccountId,
    outcome: &str,
    now: i64,
) -> Result<Vec<AccountId>> {
    let rows = sqlx::query(
        "UPDATE flags SET resolved_at = $1, resolved_by = $2, outcome = $3
         WHERE post_id = $4 AND resolved_at IS NULL RETURNING account_id",
    )
    .bind(now)
    .bind(by.0)
    .bind(outcome)
    .bind(post.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(AccountId(r.try_get(0)?))).collect()
}
