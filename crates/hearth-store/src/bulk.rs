//! Rows by the thousand, for the data generator (`hearth demo --scale`):
//! multi-row inserts with ids chosen by the caller, so that one statement
//! writes a whole batch. Not for requests: services write through the
//! aggregate modules.

use sqlx::Row;

use crate::{Backend, Conn, Result};

/// Rows a statement carries; well under both backends' parameter limits.
const ROWS_PER_STATEMENT: usize = 400;

/// The largest id in a table (0 when empty), to number new rows from.
pub async fn max_id(conn: &mut Conn, table: &str) -> Result<i64> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
    Ok(sqlx::query(&sql).fetch_one(&mut *conn).await?.try_get(0)?)
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

/// Inserts `rows` into `table (columns)`; `wrap` may wrap a column's
/// placeholder (e.g. `to_tsvector('simple', {})`).
pub async fn insert(
    conn: &mut Conn,
    table: &str,
    columns: &[&str],
    wrap: &[Option<&str>],
    rows: &[Vec<Value>],
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..columns.len() {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                let placeholder = format!("${n}");
                match wrap.get(c).copied().flatten() {
                    Some(w) => sql.push_str(&w.replace("{}", &placeholder)),
                    None => sql.push_str(&placeholder),
                }
            }
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                query = match v {
                    Value::Int(i) => query.bind(*i),
                    Value::OptInt(i) => query.bind(*i),
                    Value::Text(t) => query.bind(t.clone()),
                    Value::Bytes(b) => query.bind(b.clone()),
                };
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
