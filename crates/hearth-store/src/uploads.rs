//! Uploaded files' records; the bytes live behind the server's storage.

use hearth_core::model::AccountId;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub id: i64,
    /// Where the storage keeps the bytes (also the file's public name).
    pub storage_key: String,
    pub content_type: String,
    pub byte_size: i64,
    pub width: i64,
    pub height: i64,
}

pub struct NewUpload<'a> {
    pub storage_key: &'a str,
    pub content_type: &'a str,
    pub byte_size: i64,
    pub width: i64,
    pub height: i64,
    pub uploader: Option<AccountId>,
}

pub async fn insert(conn: &mut Conn, u: NewUpload<'_>, now: i64) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO uploads (storage_key, content_type, byte_size, width, height, uploader_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(u.storage_key)
    .bind(u.content_type)
    .bind(u.byte_size)
    .bind(u.width)
    .bind(u.height)
    .bind(u.uploader.map(|a| a.0))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?)
}

const COLUMNS: &str = "id, storage_key, content_type, byte_size, width, height";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Upload> {
    Ok(Upload {
        id: row.try_get("id")?,
        storage_key: row.try_get("storage_key")?,
        content_type: row.try_get("content_type")?,
        byte_size: row.try_get("byte_size")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
    })
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Upload>> {
    let sql = format!("SELECT {COLUMNS} FROM uploads WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_key(conn: &mut Conn, key: &str) -> Result<Option<(Upload, Option<AccountId>)>> {
    let sql = format!("SELECT {COLUMNS}, uploader_id FROM uploads WHERE storage_key = $1");
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok((
            from_row(&r)?,
            r.try_get::<Option<i64>, _>("uploader_id")?.map(AccountId),
        ))
    })
    .transpose()
}

/// The entries that show an upload as their cover (to decide who may see it).
pub async fn used_by_entries(conn: &mut Conn, id: i64) -> Result<Vec<hearth_core::model::TopicId>> {
    let rows = sqlx::query("SELECT topic_id FROM entries WHERE cover_id = $1")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok(hearth_core::model::TopicId(r.try_get(0)?)))
        .collect()
}
