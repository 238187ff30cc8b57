//! Full-text search behind one interface: SQLite FTS5 or PostgreSQL
//! `tsvector`. Both index the stems hearth-core computes, so they find the
//! same posts; only ranking differs a little (bm25 / ts_rank). Visibility is
//! decided here, in the query, so nothing unreadable is returned or counted.

use hearth_core::model::{AccountId, PostId, SpaceId, Tier, TopicId};
use sqlx::Row;

use crate::{Backend, Batch, Conn, Result};

/// The index's two tables: posts (with their topic's title) and chat messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Indexed {
    Posts,
    ChatMessages,
}

impl Indexed {
    fn table(self) -> &'static str {
        match self {
            Indexed::Posts => "post_terms",
            Indexed::ChatMessages => "chat_terms",
        }
    }

    /// The column naming the indexed row (an FTS5 table's rowid on SQLite).
    fn key(self, backend: Backend) -> &'static str {
        match (backend, self) {
            (Backend::Sqlite, _) => "rowid",
            (Backend::Postgres, Indexed::Posts) => "post_id",
            (Backend::Postgres, Indexed::ChatMessages) => "message_id",
        }
    }
}

/// Stores (or replaces) a row's stems.
async fn put(
    conn: &mut Conn,
    backend: Backend,
    indexed: Indexed,
    id: i64,
    terms: &str,
) -> Result<()> {
    let mut batch = Batch::new();
    put_in(&mut batch, backend, indexed, id, terms);
    batch.run(conn).await
}

fn put_in(batch: &mut Batch, backend: Backend, indexed: Indexed, id: i64, terms: &str) {
    let (table, key) = (indexed.table(), indexed.key(backend));
    let sql = match backend {
        // FTS5 replaces a row with the same rowid: its old stems leave the
        // index.
        Backend::Sqlite => format!("INSERT OR REPLACE INTO {table} (rowid, terms) VALUES ($1, $2)"),
        Backend::Postgres => format!(
            "INSERT INTO {table} ({key}, terms) VALUES ($1, to_tsvector('simple', $2))
             ON CONFLICT ({key}) DO UPDATE SET terms = excluded.terms"
        ),
    };
    batch.push(sql, vec![id.into(), terms.into()]);
}

/// Stores (or replaces) a post's stems. Call in the writing transaction.
pub async fn index(conn: &mut Conn, backend: Backend, post: PostId, terms: &str) -> Result<()> {
    put(conn, backend, Indexed::Posts, post.0, terms).await
}

/// `index`, with the writer's other statements.
pub fn index_in(batch: &mut Batch, backend: Backend, post: PostId, terms: &str) {
    put_in(batch, backend, Indexed::Posts, post.0, terms);
}

/// Stores (or replaces) a chat message's stems. Call in the writing transaction.
pub async fn index_chat(
    conn: &mut Conn,
    backend: Backend,
    message: i64,
    terms: &str,
) -> Result<()> {
    put(conn, backend, Indexed::ChatMessages, message, terms).await
}

/// Forgets a chat message's stems (deleted, or moved to a new id).
pub async fn forget_chat(conn: &mut Conn, backend: Backend, message: i64) -> Result<()> {
    let key = Indexed::ChatMessages.key(backend);
    sqlx::query(&format!("DELETE FROM chat_terms WHERE {key} = $1"))
        .bind(message)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Forgets the stems of all an author's chat messages (their texts were erased).
pub async fn forget_chat_of(conn: &mut Conn, backend: Backend, author: AccountId) -> Result<()> {
    let key = Indexed::ChatMessages.key(backend);
    sqlx::query(&format!(
        "DELETE FROM chat_terms WHERE {key} IN (SELECT id FROM chat_messages WHERE author_id = $1)"
    ))
    .bind(author.0)
    .execute(&mut *conn)
    .await?;
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
    for table in [Indexed::Posts.table(), Indexed::ChatMessages.table()] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *conn)
            .await?;
    }
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

/// Chat messages to (re)index, in id order after `after`: (id, text).
/// Deleted ones are left out, and so are private conversations, which
/// search never looks into.
pub async fn chat_messages_after(
    conn: &mut Conn,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT m.id, m.body_md FROM chat_messages m JOIN spaces s ON s.id = m.room_id
         WHERE m.id > $1 AND m.deleted_at IS NULL AND s.kind = 'room' ORDER BY m.id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
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

/// Only the newest this many matches are ranked and counted, so that a word
/// found in a quarter of all posts costs what a rare one does. Anything
/// older is found by narrowing the search (a space, an author, dates).
/// Ranking costs about as much per match (at 1 M posts, 1,000 took 15 ms
/// of a common word's search alone, over the 20 ms target): 300 is fifteen
/// pages of results.
pub const MOST_RANKED: i64 = 300;

/// How one of the index's tables is matched and ranked, as SQL pieces
/// around `$1` (the query) and `$6` (now), joined to the indexed rows
/// (`rows`, e.g. `posts p`, whose alias is `alias`).
struct Matching {
    from: String,
    matches: String,
    /// The match's relevance, smaller is better (in the newest matches' query).
    score: String,
    /// The indexed row's id, newest last.
    id: String,
    query: String,
}

impl Matching {
    fn new(backend: Backend, indexed: Indexed, stems: &[String], rows: &str, alias: &str) -> Self {
        let table = indexed.table();
        let key = indexed.key(backend);
        // Stems hold only letters and digits (hearth-core), so quoting is enough.
        match backend {
            Backend::Sqlite => Matching {
                from: format!("{table} JOIN {rows} ON {alias}.id = {table}.rowid"),
                matches: format!("{table} MATCH $1"),
                score: sqlite_score(table, stems),
                // FTS5 walks its matches in rowid order, newest first here.
                id: format!("{table}.rowid"),
                query: stems
                    .iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(" AND "),
            },
            Backend::Postgres => Matching {
                from: format!("{table} f JOIN {rows} ON {alias}.id = f.{key}"),
                matches: "f.terms @@ plainto_tsquery('simple', $1)".into(),
                score: "-ts_rank(f.terms, plainto_tsquery('simple', $1))".into(),
                id: format!("{alias}.id"),
                query: stems.join(" "),
            },
        }
    }

    /// The newest `MOST_RANKED` matches that pass `filters` (and `joins`):
    /// `c.id` and `c.score`; or, for counting, just rows.
    fn newest(&self, joins: &str, filters: &str, scored: bool) -> String {
        let Matching {
            from, score, id, ..
        } = self;
        let select = if scored {
            format!("{id} AS id, {score} AS score")
        } else {
            "1 AS found".into()
        };
        format!(
            "(SELECT {select} FROM {from} {joins} WHERE {filters} ORDER BY {id} DESC LIMIT {MOST_RANKED}) c"
        )
    }
}

/// A match's relevance on SQLite, smaller is better: BM25 (k1 = 1.2,
/// b = 0.75) on the stored stems, counted in SQL, without the terms' rarity.
/// FTS5's own `bm25()` reads every match of each term to weigh its rarity:
/// for a word in a quarter of 1 M posts that was 14 of a search's 15 ms,
/// and every result has every term anyway (terms are ANDed).
fn sqlite_score(table: &str, stems: &[String]) -> String {
    // Each stem between spaces of its own, so that neighbours both count.
    let spaced = format!("(' ' || replace({table}.terms, ' ', '  ') || ' ')");
    let length = format!("(length({table}.terms) - length(replace({table}.terms, ' ', '')) + 1)");
    let norm = format!("(1.2 * (0.25 + 0.75 * {length} / {AVERAGE_STEMS:.1}))");
    let sum = stems
        .iter()
        .map(|stem| {
            let needle = format!(" {} ", stem.replace('\'', "''"));
            let tf = format!(
                "((length({spaced}) - length(replace({spaced}, '{needle}', ''))) / {:.1})",
                needle.chars().count()
            );
            format!("{tf} * 2.2 / ({tf} + {norm})")
        })
        .collect::<Vec<_>>()
        .join(" + ");
    format!("-({sum})")
}

/// About how many stems a post has, for BM25's length normalisation.
const AVERAGE_STEMS: f64 = 50.0;

/// Best first: relevance, each year of age halving it.
fn ranked(alias: &str) -> String {
    format!("c.score / (1.0 + ($6 - {alias}.created_at) / {YEAR_MS:.1}), {alias}.id DESC")
}

/// One page of hits, best first, and how many there are in all (up to
/// `MOST_RANKED`: only the newest that many are ranked).
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
    let matching = Matching::new(backend, Indexed::Posts, f.stems, "posts p", "p");
    let filters = format!(
        "{matches}
           AND p.held = 0 AND p.deleted_at IS NULL AND p.hidden_at IS NULL
           AND t.held = 0 AND t.deleted_at IS NULL AND s.tier IN ({tiers})
           AND t.publish_at <= $6
           AND ($2 = 0 OR s.id = $2) AND ($3 = 0 OR p.author_id = $3)
           AND p.created_at >= $4 AND p.created_at < $5",
        matches = matching.matches,
        tiers = crate::tier_list(f.tiers)
    );
    let joins = "JOIN topics t ON t.id = p.topic_id JOIN spaces s ON s.id = t.space_id";
    let sql = format!(
        "SELECT p.id, p.topic_id, t.title, s.slug, s.name, a.alias, p.guest_name, p.body_md, p.created_at,
                COUNT(*) OVER () AS total
         FROM {newest} JOIN posts p ON p.id = c.id {joins} LEFT JOIN accounts a ON a.id = p.author_id
         ORDER BY {ranked} LIMIT $7 OFFSET $8",
        newest = matching.newest(joins, &filters, true),
        ranked = ranked("p"),
    );
    let count_sql = format!(
        "SELECT COUNT(*) FROM {}",
        matching.newest(joins, &filters, false)
    );
    let query = matching.query;
    let (rows, total) = page_of(conn, (&sql, &count_sql), &query, f, now, (limit, offset)).await?;
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
    Ok((hits, total))
}

/// A chat message found.
#[derive(Clone, Debug)]
pub struct ChatHit {
    pub message_id: i64,
    pub room_slug: String,
    pub room_name: String,
    pub author_alias: Option<String>,
    pub body_md: String,
    pub created_at: i64,
}

/// One page of chat messages found in rooms, best first, and how many in
/// all. Private conversations are never searched; nor are messages waiting
/// for a moderator or questions waiting for a session (their readers are
/// fewer than the room's).
pub async fn search_chat(
    conn: &mut Conn,
    backend: Backend,
    f: &Filter<'_>,
    now: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ChatHit>, i64)> {
    if f.stems.is_empty() || f.tiers.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let matching = Matching::new(
        backend,
        Indexed::ChatMessages,
        f.stems,
        "chat_messages m",
        "m",
    );
    let filters = format!(
        "{matches}
           AND m.held = 0 AND m.waiting = 0 AND m.deleted_at IS NULL
           AND s.kind = 'room' AND s.tier IN ({tiers})
           AND ($2 = 0 OR s.id = $2) AND ($3 = 0 OR m.author_id = $3)
           AND m.created_at >= $4 AND m.created_at < $5 AND m.created_at <= $6",
        matches = matching.matches,
        tiers = crate::tier_list(f.tiers)
    );
    let joins = "JOIN spaces s ON s.id = m.room_id";
    let sql = format!(
        "SELECT m.id, s.slug, s.name, a.alias, m.body_md, m.created_at, COUNT(*) OVER () AS total
         FROM {newest} JOIN chat_messages m ON m.id = c.id {joins} LEFT JOIN accounts a ON a.id = m.author_id
         ORDER BY {ranked} LIMIT $7 OFFSET $8",
        newest = matching.newest(joins, &filters, true),
        ranked = ranked("m"),
    );
    let count_sql = format!(
        "SELECT COUNT(*) FROM {}",
        matching.newest(joins, &filters, false)
    );
    let query = matching.query;
    let (rows, total) = page_of(conn, (&sql, &count_sql), &query, f, now, (limit, offset)).await?;
    let hits = rows
        .iter()
        .map(|r| {
            Ok(ChatHit {
                message_id: r.try_get(0)?,
                room_slug: r.try_get(1)?,
                room_name: r.try_get(2)?,
                author_alias: r.try_get(3)?,
                body_md: r.try_get(4)?,
                created_at: r.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((hits, total))
}

/// One page of rows (`sql`, then `$7` limit and `$8` offset) and how many
/// there are in all (`count_sql`).
async fn page_of(
    conn: &mut Conn,
    (sql, count_sql): (&str, &str),
    query: &str,
    f: &Filter<'_>,
    now: i64,
    (limit, offset): (i64, i64),
) -> Result<(Vec<sqlx::any::AnyRow>, i64)> {
    let rows = bound(sql, query, f, now)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    // Each row carries the count (its last column), so that the matches
    // are walked once; a page past the last has no row to carry it.
    let total: i64 = match rows.first() {
        Some(row) => row.try_get(row.len() - 1)?,
        None if offset == 0 => 0,
        None => bound(count_sql, query, f, now)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?,
    };
    Ok((rows, total))
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
