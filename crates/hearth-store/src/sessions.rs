//! Signed-in sessions, kept in the database so that any node can serve any
//! request. Only the hash of the cookie value is stored.

use hearth_core::model::AccountId;

use crate::seal::token_hash;
use crate::{Conn, Result};

pub async fn create(
    conn: &mut Conn,
    token: &str,
    account: AccountId,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash(token))
        .bind(account.0)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, token: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Signs an account out everywhere but the session `keep` (after a password change).
pub async fn delete_others(conn: &mut Conn, account: AccountId, keep: Option<&str>) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
        .bind(account.0)
        .bind(keep.map(token_hash).unwrap_or_default())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete_expired(conn: &mut Conn, now: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}
