//! Site-wide settings as key/value text (the organization's name, …).

use sqlx::Row;

use crate::{Conn, Result};

pub const ORGANIZATION_NAME: &str = "organization_name";
/// The organization's IANA time zone (opening hours are in it); UTC if unset.
pub const TIME_ZONE: &str = "time_zone";
/// A keyed hash of a fixed text: tells whether the key in use is the one the
/// database's personal details were sealed with.
pub const KEY_CHECK: &str = "key_check";

pub async fn get(conn: &mut Conn, key: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get(0)?),
        None => None,
    })
}

pub async fn set(conn: &mut Conn, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
