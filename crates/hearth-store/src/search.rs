//! Full-text search behind one interface: SQLite FTS5 or PostgreSQL
//! `tsvector`. Both index the stems hearth-core computes, so they find the
//! same posts; only ranking differs a little (bm25 / ts_rank). Visibility is
//! decided here, in the query, so nothing unreadable is returned or counted.

use hearth_core::model::{AccountId, PostId, SpaceId, Tier, TopicId};
use sqlx::Row;

use crate::{Backend, Conn, Result};

/// Stores (or replaces) a post's stems. Call in the writing transaction.
pub async fn index(conn: &mut Conn, backend: Backend, post: PostId, terms: &str) -> Result<()> {
    match backend {
        Backend::Sqlite => {
            sqlx::query("DELETE FROM post_terms WHERE rowid = $1")
                .bind(post.0)
                .execute(&mut *conn)
                .await?;
            sqlx::query("INSERT INTO post_terms (rowid, terms) VALUES ($1, $2)")
                .bind(post.0)
                .bind(terms)
                .execute(&mut *conn)
                .await?;
        }
        Backend::Postgres => {
            sqlx::query(
                "INSERT INTO post_terms (post_id, terms) VALUES ($1, to_tsvector('simple', $2))
                 ON CONFLICT (post_id) DO UPDATE SET terms = excluded.terms",
            )
            .bind(post.0)
            .bind(terms)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Forgets the stems of an author's deleted posts (their text was erased).
pub async fn forget_deleted_of(conn: &mut Conn, backend: Backend, author: AccountId) -> Result<()> {
    let key = match backend {
        Backend::Sqlite => "rowid",
        Backend::Postgres => "post_id",
    };
    let sql = format!(
        "DELETE FROM post_terms WHERE {key} IN
         (SELECT id FROM posts WHERE author_id = $1 AND deleted_at IS NOT NULL)"
    );
    sqlx::query(&sql).bind(author.0).execute(&mut *conn).await?;
    Ok(())
}

/// Empties the index (before rebuilding it in another language).
pub async fn clear(conn: &mut Conn) -> Result<()> {
    sqlx::query("DELETE FROM post_terms")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Posts to (re)index, in id order after `after`: (id, title if it opens its topic, body).
pub async fn posts_after(
    conn: &mut Conn,
    after: i64,
    limit: i64,
) -> Result<Vec<(PostId, Option<String>, String)>> {
    let rows = sqlx::query(
        "SELECT p.id, CASE WHEN p.id = (SELECT MIN(o.id) FROM posts o WHERE o.topic_id = p.topic_id)
                THEN t.title END, p.body_md
         FROM posts p JOIN topics t ON t.id = p.topic_id WHERE p.id > $1 ORDER BY p.id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((PostId(r.try_get(0)?), r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// What to search, within what the searcher may read.
pub struct Filter<'a> {
    /// Stems that must all be present (from `hearth_core::text::search::Query`).
    pub stems: &'a [String],
    /// The tiers the searcher may read (from the access decision).
    pub tiers: &'a [Tier],
    pub space: Option<SpaceId>,
    pub author: Option<AccountId>,
    /// Created at or after / before (ms).
    pub from: Option<i64>,
    pub until: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Hit {
    pub post_id: PostId,
    pub topic_id: TopicId,
    pub topic_title: String,
    pub space_slug: String,
    pub space_name: String,
    pub author_alias: Option<String>,
    pub guest_name: Option<String>,
    pub body_md: String,
    pub created_at: i64,
}

/// A year in ms: each year of age halves a hit's weight, so recent posts
/// rank above old ones as relevant.
const YEAR_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

/// One page of hits, best first, and how many there are in all.
pub async fn search(
    conn: &mut Conn,
    backend: Backend,
    f: &Filter<'_>,
    now: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Hit>, i64)> {
    if f.stems.is_empty() || f.tiers.is_empty() {
        return Ok((Vec::new(), 0));
    }
    // Stems hold only letters and digits (hearth-core), so quoting is enough.
    let (from, matches, rank, query) = match backend {
        Backend::Sqlite => (
            "post_terms JOIN posts p ON p.id = post_terms.rowid",
            "post_terms MATCH $1",
            format!("bm25(post_terms) / (1.0 + ($6 - p.created_at) / {YEAR_MS:.1})"),
            f.stems
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
        Backend::Postgres => (
            "post_terms f JOIN posts p ON p.id = f.post_id",
            "f.terms @@ plainto_tsquery('simple', $1)",
            format!(
                "-ts_rank(f.terms, plainto_tsquery('simple', $1)) / (1.0 + ($6 - p.created_at) / {YEAR_MS:.1})"
            ),
            f.stems.join(" "),
        ),
    };
    let filters = format!(
        "{matches}
           AND p.held = 0 AND p.deleted_at IS NULL AND p.hidden_at IS NULL
           AND t.held = 0 AND t.deleted_at IS NULL AND s.tier IN ({tiers})
           AND t.publish_at <= $6
           AND ($2 = 0 OR s.id = $2) AND ($3 = 0 OR p.author_id = $3)
           AND p.created_at >= $4 AND p.created_at < $5",
        tiers = crate::tier_list(f.tiers)
    );
    let joins = "JOIN topics t ON t.id = p.topic_id JOIN spaces s ON s.id = t.space_id";
    let sql = format!(
        "SELECT p.id, p.topic_id, t.title, s.slug, s.name, a.alias, p.guest_name, p.body_md, p.created_at
         FROM {from} {joins} LEFT JOIN accounts a ON a.id = p.author_id
         WHERE {filters} ORDER BY {rank}, p.id DESC LIMIT $7 OFFSET $8"
    );
    let rows = bound(&sql, &query, f, now)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    let hits = rows
        .iter()
        .map(|r| {
            Ok(Hit {
                post_id: PostId(r.try_get(0)?),
                topic_id: TopicId(r.try_get(1)?),
                topic_title: r.try_get(2)?,
                space_slug: r.try_get(3)?,
                space_name: r.try_get(4)?,
                author_alias: r.try_get(5)?,
                guest_name: r.try_get(6)?,
                body_md: r.try_get(7)?,
                created_at: r.try_get(8)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let count_sql = format!("SELECT COUNT(*) FROM {from} {joins} WHERE {filters}");
    let total: i64 = bound(&count_sql, &query, f, now)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok((hits, total))
}

/// The query with the filter's parameters bound as $1…$6.
fn bound<'q>(
    sql: &'q str,
    query: &str,
    f: &Filter<'_>,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(sql)
        .bind(query.to_owned())
        .bind(f.space.map(|s| s.0).unwrap_or(0))
        .bind(f.author.map(|a| a.0).unwrap_or(0))
        .bind(f.from.unwrap_or(i64::MIN))
        .bind(f.until.unwrap_or(i64::MAX))
        .bind(now)
}
