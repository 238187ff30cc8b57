//! What the spam filter learned from moderators: per-feature counts (added to
//! the starter model at start-up) and the decisions they came from.

use hearth_core::model::{AccountId, PostId};
use sqlx::Row;

use crate::{Conn, Result};

/// The row that holds the ham and spam document totals.
const TOTALS: &str = "";

/// Every learned count: (feature, ham, spam); the totals come as feature "".
pub async fn counts(conn: &mut Conn) -> Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query("SELECT feature, ham, spam FROM spam_counts")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

pub fn is_totals(feature: &str) -> bool {
    feature == TOTALS
}

/// Adds one document's features to the counts.
pub async fn learn(conn: &mut Conn, features: &[String], spam: bool) -> Result<()> {
    let (ham, spam) = if spam { (0, 1) } else { (1, 0) };
    for feature in features.iter().map(String::as_str).chain([TOTALS]) {
        sqlx::query(
            "INSERT INTO spam_counts (feature, ham, spam) VALUES ($1, $2, $3)
             ON CONFLICT (feature) DO UPDATE SET ham = spam_counts.ham + $2, spam = spam_counts.spam + $3",
        )
        .bind(feature)
        .bind(ham)
        .bind(spam)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn clear_counts(conn: &mut Conn) -> Result<()> {
    sqlx::query("DELETE FROM spam_counts")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn add_example(
    conn: &mut Conn,
    post: Option<PostId>,
    author: Option<AccountId>,
    spam: bool,
    body: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO spam_examples (post_id, author_id, label, body, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(post.map(|p| p.0))
    .bind(author.map(|a| a.0))
    .bind(if spam { "spam" } else { "ham" })
    .bind(body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every decision as (is spam, text), oldest first.
pub async fn examples(conn: &mut Conn) -> Result<Vec<(bool, String)>> {
    let rows = sqlx::query("SELECT label, body FROM spam_examples ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>(0)? == "spam", r.try_get(1)?)))
        .collect()
}

/// Forgets the examples an erased member wrote.
pub async fn forget_author(conn: &mut Conn, author: AccountId) -> Result<()> {
    sqlx::query("DELETE FROM spam_examples WHERE author_id = $1")
        .bind(author.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
