//! Statements sent together. sqlx runs each SQLite statement by a trip to
//! the connection's own thread and back, and inside SQLite's one write turn
//! (see `group_commit`) those trips are much of what writers wait for. A
//! writer's statements that need no answer can go as a batch: on SQLite one
//! multi-statement call (one trip); on PostgreSQL, whose protocol takes
//! bound statements one at a time, in order.

use std::borrow::Cow;
use std::fmt::Write;

use crate::{Conn, Result};

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

/// A bound value.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&mut self, sql: impl Into<Cow<'static, str>>, values: Vec<Value>) {
        self.statements.push(Statement {
            sql: sql.into(),
            values,
        });
    }

    /// Runs the statements, stopping at the first that fails.
    pub async fn run(self, conn: &mut Conn) -> Result<()> {
        if self.statements.is_empty() {
            return Ok(());
        }
        if conn.backend_name() != "SQLite" {
            for statement in &self.statements {
                bound(&statement.sql, &statement.values)
                    .execute(&mut *conn)
                    .await?;
            }
            return Ok(());
        }
        let (sql, values) = self.joined();
        bound(&sql, &values).execute(&mut *conn).await?;
        Ok(())
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
            Value::Text(v) => query.bind(v.as_str()),
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

    /// On SQLite the statements run in one call, each with its own values.
    #[tokio::test]
    async fn a_batch_runs_every_statement_with_its_values() {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n BIGINT, s TEXT)")
            .execute(&mut conn)
            .await
            .unwrap();
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
}
