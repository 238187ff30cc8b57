//! Hearth's persistence. One `Store` over SQLite or PostgreSQL, chosen by the
//! URL at run time; SQL is written once in the dialect both accept (`$1`
//! placeholders, BIGINT times and flags), and the few real differences stay
//! inside this crate (`db.rs`).
//!
//! Aggregate modules are plain functions over a connection, so a service can
//! run several of them inside one transaction.

pub mod accounts;
pub mod alerts;
pub mod audit;
mod batch;
pub mod blogs;
pub mod bulk;
pub mod chat;
pub mod conversations;
mod db;
pub mod events;
pub mod flags;
mod group_commit;
pub mod jobs;
pub mod legal;
pub mod member_actions;
pub mod notifications;
pub mod personal_data;
pub mod posts;
pub mod queue;
pub mod seal;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod spaces;
pub mod spam;
pub mod throttle;
pub mod tokens;
pub mod topics;
pub mod uploads;
pub mod webmentions;

pub use batch::{Batch, Returned, Returns};
pub use db::{Backend, Store, WriteTx, commit};
pub use seal::{Sealer, SecretKey};
pub use sqlx::AnyConnection as Conn;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key already holds this value.
    #[error("already exists")]
    Conflict,
    #[error("not found")]
    NotFound,
    /// The database is too busy to take this now (no connection free in
    /// time, or a lock not granted in time): worth trying again shortly,
    /// not a fault.
    #[error("database busy: {0}")]
    Busy(String),
    #[error("sealed data could not be opened: wrong secret key?")]
    Unseal,
    #[error("database: {0}")]
    Db(#[source] sqlx::Error),
    /// SQLite commits writers that waited together in one transaction;
    /// this write was in one whose commit failed, so none of it was kept.
    #[error("{0}")]
    GroupFailed(String),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
            sqlx::Error::PoolTimedOut => StoreError::Busy(e.to_string()),
            sqlx::Error::Database(d) if d.code().as_deref().is_some_and(is_busy_code) => {
                StoreError::Busy(e.to_string())
            }
            _ => StoreError::Db(e),
        }
    }
}

/// Error codes that mean "wait and try again": PostgreSQL's SQLSTATEs (five
/// characters) `too_many_connections`, `lock_not_available`,
/// `serialization_failure` and `deadlock_detected`; SQLite's numbers
/// `SQLITE_BUSY` and `SQLITE_LOCKED`, with their extended codes (whose low
/// byte is the primary code).
fn is_busy_code(code: &str) -> bool {
    if code.len() == 5 {
        return matches!(code, "53300" | "55P03" | "40001" | "40P01");
    }
    code.parse::<u32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A SQL list of tier names for `IN (…)`: the tiers come from the access
/// decision, never from input, so they are written into the statement.
pub(crate) fn tier_list(tiers: &[hearth_core::model::Tier]) -> String {
    tiers
        .iter()
        .map(|t| format!("'{}'", t.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Converts a 0/1 column into a bool (flags are BIGINT on both backends).
pub(crate) fn flag(v: i64) -> bool {
    v != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_and_locks_are_busy_not_faults() {
        assert!(matches!(
            StoreError::from(sqlx::Error::PoolTimedOut),
            StoreError::Busy(_)
        ));
        for code in ["5", "6", "261", "517", "773", "53300", "55P03", "40P01"] {
            assert!(is_busy_code(code), "{code}");
        }
        // SQLITE_CONSTRAINT_FOREIGNKEY, SQLITE_CORRUPT, PostgreSQL's
        // undefined_table and a unique violation are faults or conflicts.
        for code in ["787", "11", "42P01", "23505", "22005"] {
            assert!(!is_busy_code(code), "{code}");
        }
    }

    /// A second writer that cannot get SQLite's write lock in time is told
    /// "busy", which the server answers with 503 and Retry-After.
    #[tokio::test]
    async fn a_locked_sqlite_database_is_busy() {
        use sqlx::Connection;
        let path = std::env::temp_dir().join(format!(
            "hearth-busy-{}-{}.db",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut first = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let mut second = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("PRAGMA busy_timeout = 0")
            .execute(&mut second)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut first)
            .await
            .unwrap();
        let refused = sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut second)
            .await
            .unwrap_err();
        assert!(matches!(StoreError::from(refused), StoreError::Busy(_)));
        drop((first, second));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
