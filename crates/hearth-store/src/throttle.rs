//! Fixed-window counters in the database, so that throttling holds across
//! restarts and across nodes.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Batch, Conn, Result, Returns, StoreError};

/// Counts one hit on `key` and returns the hits in the current window.
pub async fn hit(conn: &mut Conn, key: &[u8], now: i64, window_ms: i64) -> Result<i64> {
    let row = sqlx::query(HIT)
        .bind(key)
        .bind(now)
        .bind(now - window_ms)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// `hit` as a statement in `batch`; its rows then give the count to `hits`.
pub fn hit_in(batch: &mut Batch, key: &[u8], now: i64, window_ms: i64) -> Returns {
    batch.push(
        HIT,
        vec![key.to_vec().into(), now.into(), (now - window_ms).into()],
    )
}

/// The count a statement of `hit_in` returned.
pub fn hits(rows: &[AnyRow]) -> Result<i64> {
    let row = rows.first().ok_or(StoreError::NotFound)?;
    Ok(row.try_get(0)?)
}

/// Counts one hit in the window that is running, or starts a new window;
/// returns the hits in it.
const HIT: &str = "INSERT INTO throttle (key, window_start, hits) VALUES ($1, $2, 1)
     ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN throttle.window_start <= $3 THEN 1 ELSE throttle.hits + 1 END,
        window_start = CASE WHEN throttle.window_start <= $3 THEN $2 ELSE throttle.window_start END
     RETURNING hits";

/// Takes back one hit (a success that was counted before it was known).
pub async fn undo(conn: &mut Conn, key: &[u8]) -> Result<()> {
    sqlx::query("UPDATE throttle SET hits = hits - 1 WHERE key = $1 AND hits > 0")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn clear(conn: &mut Conn, key: &[u8]) -> Result<()> {
    sqlx::query("DELETE FROM throttle WHERE key = $1")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Forgets counters whose window ended before `before`.
pub async fn delete_stale(conn: &mut Conn, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM throttle WHERE window_start < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}
