//! Statements sent together. sqlx runs each SQLite statement by a trip to
//! the connection's own thread and back, and inside SQLite's one write turn
//! (see `group_commit`) those trips are much of what writers wait for. A
//! writer's statements that need no answer can go as a batch: on SQLite one
//! multi-statement call (one trip); on PostgreSQL, whose protocol takes
//! bound statements one at a time, in order. The rows the statements
//! return come back together, in order (`run_returning`).

use std::borrow::Cow;
use std::fmt::Write;

use futures_util::TryStreamExt;
use sqlx::Either;
use sqlx::Executor;
use sqlx::any::AnyRow;

use crate::{Conn, Result, StoreError};

/// Statements to run in order, in the caller's transaction.
#[derive(Default)]
pub struct Batch {
    statements: Vec<Statement>,
}

struct Statement {
    /// With its own parameters numbered from `$1`.
    sql: Cow<'static, str>,
    values: Vec<Value>,
}

/// Which statement of a batch, to find its rows in what `run_returning`
/// gave back.
#[derive(Clone, Copy, Debug)]
pub struct Returns(usize);

impl Returns {
    pub fn rows(self, returned: &Returned) -> &[AnyRow] {
        returned.0.get(self.0).map_or(&[], Vec::as_slice)
    }
}

/// The rows each statement of a batch returned, in order.
#[derive(Default)]
pub struct Returned(Vec<Vec<AnyRow>>);

/// A bound value (None: NULL of that type, as PostgreSQL types parameters).
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Vec<u8>),
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a statement; where its rows will be among `run_returning`'s.
    pub(crate) fn push(
        &mut self,
        sql: impl Into<Cow<'static, str>>,
        values: Vec<Value>,
    ) -> Returns {
        self.statements.push(Statement {
            sql: sql.into(),
            values,
        });
        Returns(self.statements.len() - 1)
    }

    /// Runs the statements, stopping at the first that fails.
    pub async fn run(self, conn: &mut Conn) -> Result<()> {
        self.run_returning(conn).await.map(drop)
    }

    /// Runs the statements as `run` does; the rows each returned, in the
    /// statements' order.
    pub async fn run_returning(self, conn: &mut Conn) -> Result<Returned> {
        let count = self.statements.len();
        let mut returned = Vec::with_capacity(count);
        if count == 0 {
            return Ok(Returned(returned));
        }
        if conn.backend_name() != "SQLite" {
            for statement in &self.statements {
                returned.push(
                    bound(&statement.sql, &statement.values)
                        .fetch_all(&mut *conn)
                        .await?,
                );
            }
            return Ok(Returned(returned));
        }
        let (sql, values) = self.joined();
        // Each statement's rows come before the result that ends it.
        let mut steps = conn.fetch_many(bound(&sql, &values));
        let mut rows = Vec::new();
        while let Some(step) = steps.try_next().await? {
            match step {
                Either::Left(_) => returned.push(std::mem::take(&mut rows)),
                Either::Right(row) => rows.push(row),
            }
        }
        if returned.len() != count {
            return Err(StoreError::Db(sqlx::Error::Protocol(format!(
                "a batch of {count} statements ended {} times",
                returned.len()
            ))));
        }
        Ok(Returned(returned))
    }

    /// One multi-statement text, each statement's parameters renumbered to
    /// follow the ones before (SQLite numbers `$N` across the whole text).
    fn joined(self) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        for statement in self.statements {
            let offset = values.len();
            renumber(&mut sql, &statement.sql, offset);
            sql.push_str(";\n");
            values.extend(statement.values);
        }
        (sql, values)
    }
}

/// Appends `sql` to `out` with every `$N` made `$(N + offset)`.
fn renumber(out: &mut String, sql: &str, offset: usize) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Ok(n) = rest[..digits].parse::<usize>() {
            let _ = write!(out, "{}", n + offset);
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

fn bound<'q>(
    sql: &'q str,
    values: &'q [Value],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    values
        .iter()
        .fold(sqlx::query(sql), |query, value| match value {
            Value::Int(v) => query.bind(*v),
            Value::Text(v) => query.bind(v.as_deref()),
            Value::Bytes(v) => query.bind(v.as_slice()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_across_the_batch() {
        let mut batch = Batch::new();
        batch.push(
            "UPDATE a SET x = $1 WHERE id = $2",
            vec![1.into(), 2.into()],
        );
        batch.push(
            "INSERT INTO b VALUES ($1, $2, $1)",
            vec![3.into(), "c".into()],
        );
        let (sql, values) = batch.joined();
        assert_eq!(
            sql,
            "UPDATE a SET x = $1 WHERE id = $2;\nINSERT INTO b VALUES ($3, $4, $3);\n"
        );
        assert_eq!(values.len(), 4);
    }

    /// An SQLite database in memory with a table `t (n, s)`.
    async fn table_t() -> sqlx::AnyConnection {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n BIGINT, s TEXT)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    }

    /// On SQLite the statements run in one call, each with its own values.
    #[tokio::test]
    async fn a_batch_runs_every_statement_with_its_values() {
        let mut conn = table_t().await;
        let mut batch = Batch::new();
        batch.push(
            "INSERT INTO t VALUES ($1, $2)",
            vec![1.into(), "one".into()],
        );
        batch.push(
            "INSERT INTO t VALUES ($1, $2)",
            vec![2.into(), "two".into()],
        );
        batch.push(
            "UPDATE t SET n = n + $1 WHERE s = $2",
            vec![10.into(), "two".into()],
        );
        batch.run(&mut conn).await.unwrap();
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT n, s FROM t ORDER BY n")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows, [(1, "one".into()), (12, "two".into())]);
    }

    /// The rows of every statement come back, in the statements' order.
    #[tokio::test]
    async fn a_batch_returns_its_statements_rows_in_order() {
        use sqlx::Row;
        let mut conn = table_t().await;
        let mut batch = Batch::new();
        batch.push(
            "INSERT INTO t VALUES ($1, $2), ($3, $2) RETURNING n",
            vec![1.into(), "a".into(), 2.into()],
        );
        batch.push("UPDATE t SET n = n * 10", vec![]);
        batch.push(
            "INSERT INTO t VALUES ($1, $2) RETURNING n, s",
            vec![None::<i64>.into(), "b".into()],
        );
        let returned = batch.run_returning(&mut conn).await.unwrap();
        let firsts: Vec<Vec<Option<i64>>> = returned
            .0
            .iter()
            .map(|rows| rows.iter().map(|r| r.try_get(0).unwrap()).collect())
            .collect();
        assert_eq!(firsts, [vec![Some(1), Some(2)], vec![], vec![None]]);
        let s: String = returned.0[2][0].try_get(1).unwrap();
        assert_eq!(s, "b");
    }
}
