//! Rows by the million, for the data generator (`hearth demo --scale`):
//! one connection tuned for loading, multi-row inserts with ids chosen by
//! the caller, and the secondary indexes set aside while the rows go in and
//! built once at the end (sorting once costs far less than keeping a
//! B-tree in order through ten million random inserts). Not for requests:
//! services write through the aggregate modules.

use sqlx::Row;

use crate::{Backend, Conn, Result};

/// Rows a statement carries; well under both backends' parameter limits.
const ROWS_PER_STATEMENT: usize = 400;

/// The largest id in a table (0 when empty), to number new rows from.
pub async fn max_id(conn: &mut Conn, table: &str) -> Result<i64> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
    Ok(sqlx::query(&sql).fetch_one(&mut *conn).await?.try_get(0)?)
}

/// Whether a table has any row.
pub async fn any_rows(conn: &mut Conn, table: &str) -> Result<bool> {
    let sql = format!("SELECT 1 FROM {table} LIMIT 1");
    Ok(sqlx::query(&sql)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

/// Tunes this connection for loading a fresh database. A load that fails
/// is started again from an empty database, so commits need not wait for
/// the disk; more memory for the page cache and for index builds.
pub async fn tune_for_loading(conn: &mut Conn, backend: Backend) -> Result<()> {
    let statements: &[&str] = match backend {
        Backend::Sqlite => &[
            "PRAGMA synchronous = OFF",
            // 512 MiB (a negative size is in KiB).
            "PRAGMA cache_size = -524288",
            "PRAGMA temp_store = MEMORY",
        ],
        Backend::Postgres => &[
            "SET synchronous_commit = off",
            "SET maintenance_work_mem = '512MB'",
        ],
    };
    for sql in statements {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Starts a transaction on the loading connection (a failed load is
/// started again from an empty database, so nothing rolls back by itself).
pub async fn begin(conn: &mut Conn) -> Result<()> {
    sqlx::query("BEGIN").execute(&mut *conn).await?;
    Ok(())
}

pub async fn commit(conn: &mut Conn) -> Result<()> {
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(())
}

/// An index set aside during a load, with the statement that makes it again.
#[derive(Clone, Debug)]
pub struct SetAside {
    pub name: String,
    create: String,
}

/// Drops the indexes of `tables` that neither are a primary key nor
/// enforce uniqueness, and returns them to build again with `rebuild`.
pub async fn set_aside_indexes(
    conn: &mut Conn,
    backend: Backend,
    tables: &[&str],
) -> Result<Vec<SetAside>> {
    let names = tables
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = match backend {
        // Indexes SQLite makes for UNIQUE and PRIMARY KEY have no SQL.
        Backend::Sqlite => format!(
            "SELECT name, sql FROM sqlite_master
             WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'
               AND tbl_name IN ({names}) ORDER BY name"
        ),
        Backend::Postgres => format!(
            "SELECT c.relname::text, pg_get_indexdef(c.oid)
             FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
             JOIN pg_class t ON t.oid = x.indrelid
             WHERE t.relname IN ({names}) AND NOT x.indisunique AND NOT x.indisprimary
               AND t.relnamespace = current_schema()::regnamespace
             ORDER BY c.relname"
        ),
    };
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    let mut set_aside = Vec::new();
    for row in &rows {
        let index = SetAside {
            name: row.try_get(0)?,
            create: row.try_get(1)?,
        };
        sqlx::query(&format!("DROP INDEX {}", index.name))
            .execute(&mut *conn)
            .await?;
        set_aside.push(index);
    }
    Ok(set_aside)
}

/// Builds an index set aside by `set_aside_indexes` again.
pub async fn rebuild(conn: &mut Conn, index: &SetAside) -> Result<()> {
    sqlx::query(&index.create).execute(&mut *conn).await?;
    Ok(())
}

/// Gathers the planner's statistics after a load (PostgreSQL's autovacuum
/// would do it later; benchmarks should not wait for it). SQLite plans
/// without statistics, as a site that never ran ANALYZE does.
pub async fn analyze(conn: &mut Conn, backend: Backend) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query("ANALYZE").execute(&mut *conn).await?;
    }
    Ok(())
}

/// After rows with explicit ids, PostgreSQL's identity sequences must move
/// past them (SQLite numbers from the largest id by itself).
pub async fn fix_sequences(conn: &mut Conn, backend: Backend, tables: &[&str]) -> Result<()> {
    if backend == Backend::Postgres {
        for table in tables {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
            );
            sqlx::query(&sql).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// One value of a row.
#[derive(Clone, Debug)]
pub enum Value {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    Bytes(Vec<u8>),
}

/// Rows for one table: its columns, and how a column's placeholder is
/// wrapped (e.g. `to_tsvector('simple', {})`), if at all.
pub struct Rows {
    backend: Backend,
    table: &'static str,
    columns: &'static [&'static str],
    wrap: Vec<Option<&'static str>>,
    rows: Vec<Vec<Value>>,
}

impl Rows {
    pub fn new(backend: Backend, table: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            backend,
            table,
            columns,
            wrap: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Wraps the placeholder of `column` in `sql` (`{}` stands for it).
    pub fn wrap(mut self, column: &str, sql: &'static str) -> Self {
        self.wrap = self
            .columns
            .iter()
            .map(|c| if *c == column { Some(sql) } else { None })
            .collect();
        self
    }

    pub fn push(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Inserts the rows gathered so far and forgets them.
    pub async fn insert(&mut self, conn: &mut Conn) -> Result<()> {
        let rows = std::mem::take(&mut self.rows);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Value>> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
            let sql = self.statement(chunk.len());
            let mut query = sqlx::query(&sql);
            for value in chunk.into_iter().flatten() {
                query = match value {
                    Value::Int(i) => query.bind(i),
                    Value::OptInt(i) => query.bind(i),
                    Value::Text(t) => query.bind(t),
                    Value::Bytes(b) => query.bind(b),
                };
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }

    fn statement(&self, rows: usize) -> String {
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            self.table,
            self.columns.join(", ")
        );
        let mut n = 0;
        for i in 0..rows {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..self.columns.len() {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                // SQLite looks a numbered parameter up by name, one by one:
                // with thousands in a statement, binding took half the
                // load's time. `?` is bound by position.
                let placeholder = match self.backend {
                    Backend::Sqlite => "?".to_owned(),
                    Backend::Postgres => format!("${n}"),
                };
                match self.wrap.get(c).copied().flatten() {
                    Some(w) => sql.push_str(&w.replace("{}", &placeholder)),
                    None => sql.push_str(&placeholder),
                }
            }
            sql.push(')');
        }
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_numbers_every_placeholder_and_wraps_the_chosen_column() {
        let rows = Rows::new(Backend::Postgres, "post_terms", &["post_id", "terms"])
            .wrap("terms", "to_tsvector('simple', {})");
        assert_eq!(
            rows.statement(2),
            "INSERT INTO post_terms (post_id, terms) VALUES \
             ($1, to_tsvector('simple', $2)), ($3, to_tsvector('simple', $4))"
        );
        let rows = Rows::new(Backend::Sqlite, "likes", &["post_id", "account_id"]);
        assert_eq!(
            rows.statement(2),
            "INSERT INTO likes (post_id, account_id) VALUES (?, ?), (?, ?)"
        );
    }
}
