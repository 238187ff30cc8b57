//! The privacy statement and the terms: versioned texts, and who accepted which.

use hearth_core::model::AccountId;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Conn, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    Privacy,
    Terms,
}

impl DocKind {
    pub const ALL: [DocKind; 2] = [DocKind::Privacy, DocKind::Terms];

    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Privacy => "privacy",
            DocKind::Terms => "terms",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            DocKind::Privacy => "Privacy statement",
            DocKind::Terms => "Terms of use",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Document {
    pub id: i64,
    pub kind: DocKind,
    pub version: i64,
    pub body_md: String,
    pub published_at: i64,
}

fn from_row(row: &AnyRow) -> Result<Document> {
    let kind: String = row.try_get("kind")?;
    Ok(Document {
        id: row.try_get("id")?,
        kind: DocKind::parse(&kind).unwrap_or(DocKind::Terms),
        version: row.try_get("version")?,
        body_md: row.try_get("body_md")?,
        published_at: row.try_get("published_at")?,
    })
}

pub async fn current(conn: &mut Conn, kind: DocKind) -> Result<Option<Document>> {
    let row = sqlx::query(
        "SELECT id, kind, version, body_md, published_at FROM legal_documents
         WHERE kind = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn version(conn: &mut Conn, kind: DocKind, version: i64) -> Result<Option<Document>> {
    let row = sqlx::query(
        "SELECT id, kind, version, body_md, published_at FROM legal_documents WHERE kind = $1 AND version = $2",
    )
    .bind(kind.as_str())
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn history(conn: &mut Conn, kind: DocKind) -> Result<Vec<Document>> {
    let rows = sqlx::query(
        "SELECT id, kind, version, body_md, published_at FROM legal_documents WHERE kind = $1 ORDER BY version DESC",
    )
    .bind(kind.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Publishes a new version; returns its number.
pub async fn publish(
    conn: &mut Conn,
    kind: DocKind,
    body_md: &str,
    by: Option<AccountId>,
    now: i64,
) -> Result<i64> {
    let next: i64 =
        sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 FROM legal_documents WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
    sqlx::query(
        "INSERT INTO legal_documents (kind, version, body_md, published_at, published_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(kind.as_str())
    .bind(next)
    .bind(body_md)
    .bind(now)
    .bind(by.map(|b| b.0))
    .execute(&mut *conn)
    .await?;
    Ok(next)
}

pub async fn accept(conn: &mut Conn, account: AccountId, document_id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO acceptances (account_id, document_id, accepted_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(account.0)
    .bind(document_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The current documents this account has not accepted yet.
pub async fn awaiting_acceptance(conn: &mut Conn, account: AccountId) -> Result<Vec<Document>> {
    // The newest version of each kind, unless this account accepted it, in
    // one query (`must_accept` is the check posts make).
    let rows = sqlx::query(
        "SELECT d.id, d.kind, d.version, d.body_md, d.published_at FROM legal_documents d
         WHERE d.version = (SELECT MAX(n.version) FROM legal_documents n WHERE n.kind = d.kind)
           AND NOT EXISTS (SELECT 1 FROM acceptances x WHERE x.account_id = $1 AND x.document_id = d.id)
         ORDER BY d.kind",
    )
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut waiting = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    // In the order of `DocKind::ALL`, as pages list them.
    waiting.sort_by_key(|d| DocKind::ALL.iter().position(|k| *k == d.kind));
    Ok(waiting)
}

/// Whether this account has a document to accept before it may post: one
/// small query, as it runs in every post's writing transaction.
pub async fn must_accept(conn: &mut Conn, account: AccountId) -> Result<bool> {
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM legal_documents d
         WHERE d.version = (SELECT MAX(n.version) FROM legal_documents n WHERE n.kind = d.kind)
           AND NOT EXISTS (SELECT 1 FROM acceptances x WHERE x.account_id = $1 AND x.document_id = d.id)",
    )
    .bind(account.0)
    .fetch_one(&mut *conn)
    .await?;
    Ok(waiting > 0)
}

/// Acceptance records, newest first, for admins: (alias, kind, version, when).
pub async fn acceptances(conn: &mut Conn, limit: i64) -> Result<Vec<(String, DocKind, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT a.alias, d.kind, d.version, x.accepted_at FROM acceptances x
         JOIN accounts a ON a.id = x.account_id JOIN legal_documents d ON d.id = x.document_id
         ORDER BY x.accepted_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get(1)?;
            Ok((
                row.try_get(0)?,
                DocKind::parse(&kind).unwrap_or(DocKind::Terms),
                row.try_get(2)?,
                row.try_get(3)?,
            ))
        })
        .collect()
}

/// The current version of each document that has been published.
pub async fn current_all(conn: &mut Conn) -> Result<Vec<Document>> {
    let mut docs = Vec::new();
    for kind in DocKind::ALL {
        if let Some(doc) = current(conn, kind).await? {
            docs.push(doc);
        }
    }
    Ok(docs)
}
