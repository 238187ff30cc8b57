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
pub mod blogs;
pub mod bulk;
pub mod chat;
pub mod conversations;
mod db;
pub mod events;
pub mod flags;
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
    #[error("sealed data could not be opened: wrong secret key?")]
    Unseal,
    #[error("database: {0}")]
    Db(#[source] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Db(e),
        }
    }
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
