use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::Notify;

use crate::group_commit::{Turn, Writer};
use crate::{Result, Sealer};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// The database plus the sealer for personal fields. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    sealer: Sealer,
    /// Counts committed writes that others can see; caches compare it.
    changes: Changes,
    /// Told when a transaction that queued a job commits, so that this
    /// process's workers start at once instead of at their next poll.
    jobs_queued: Arc<Notify>,
    events: crate::events::Events,
    /// SQLite has one writer at a time, so this process writes through one
    /// connection of its own. Its writers wait for it in turn (a fair
    /// queue), rather than all trying the file's lock and sleeping between
    /// tries in no order (which left some waiting seconds under load), and
    /// those who wait together commit together (see `group_commit`). Its
    /// page cache stays warm, as no other connection of this process changes
    /// the file under it (a change empties the cache).
    writer: Option<Writer>,
}

/// The counts of committed writes: in this process on SQLite (one node); on
/// PostgreSQL sequences, so that every node's caches see every node's writes.
/// Two counts: shared writes (what others can see: guests' pages), and all
/// writes, private ones too (what only their writer sees: a member's pages).
#[derive(Clone)]
enum Changes {
    Local {
        shared: Arc<AtomicU64>,
        all: Arc<AtomicU64>,
    },
    Shared(AnyPool),
}

impl Changes {
    /// Counts one change, after its commit: a reader who saw the old count
    /// may have read the old data, and must not keep it under the new count.
    async fn count(&self, private: bool) {
        match self {
            Changes::Local { shared, all } => {
                if !private {
                    shared.fetch_add(1, Ordering::AcqRel);
                }
                all.fetch_add(1, Ordering::AcqRel);
            }
            Changes::Shared(pool) => {
                let sql = if private {
                    "SELECT nextval('hearth_changes_all')"
                } else {
                    "SELECT nextval('hearth_changes'), nextval('hearth_changes_all')"
                };
                // The write is committed: failing it now would invite a
                // second one. Entries still expire after a few seconds.
                if let Err(e) = sqlx::query(sql).execute(pool).await {
                    tracing::warn!(error = %e, "cannot count a change for the caches");
                }
            }
        }
    }

    async fn now(&self, private: bool) -> Option<u64> {
        match self {
            Changes::Local { shared, all } => {
                Some(if private { all } else { shared }.load(Ordering::Acquire))
            }
            Changes::Shared(pool) => {
                let sql = if private {
                    "SELECT last_value FROM hearth_changes_all"
                } else {
                    "SELECT last_value FROM hearth_changes"
                };
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(pool)
                    .await
                    .ok()
                    .map(|n| n as u64)
            }
        }
    }
}

/// A write transaction. Committing it (with `commit`) counts a change:
/// a private one when it was opened with `Store::write_private`.
pub struct WriteTx {
    tx: Tx,
    changes: Changes,
    private: bool,
    jobs_queued: Arc<Notify>,
    /// Whether this transaction queued a job (see `jobs::enqueue`).
    pub(crate) queued_job: bool,
}

/// PostgreSQL's writers each have a transaction; SQLite's take turns.
enum Tx {
    Own(Transaction<'static, Any>),
    Turn(Turn),
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        match &self.tx {
            Tx::Own(tx) => tx,
            Tx::Turn(turn) => turn.connection(),
        }
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match &mut self.tx {
            Tx::Own(tx) => tx,
            Tx::Turn(turn) => turn.connection_mut(),
        }
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). Does not migrate.
    pub async fn connect(url: &str, sealer: Sealer) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            sqlx::Error::Configuration("DATABASE_URL must start with sqlite: or postgres:".into())
        })?;
        let options = AnyConnectOptions::from_str(url)?;
        let pool = match backend {
            Backend::Sqlite => sqlite_pool(&options, 8, &[]).await?,
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // Statements are prepared once per connection; after a
                            // few runs PostgreSQL may plan them for any parameter,
                            // and filters written `($2 = 0 OR s.id = $2)` then read
                            // every row (a search: 13 s instead of 33 ms at 1 M
                            // posts). Planning for the values given costs far less.
                            sqlx::query("SET plan_cache_mode = force_custom_plan")
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
                    .await?
            }
        };
        let events = crate::events::Events::default();
        if backend == Backend::Postgres {
            events.listen(url.to_owned());
        }
        let changes = match backend {
            Backend::Sqlite => Changes::Local {
                shared: Arc::default(),
                all: Arc::default(),
            },
            Backend::Postgres => Changes::Shared(pool.clone()),
        };
        Ok(Self {
            pool,
            backend,
            sealer,
            changes,
            jobs_queued: Arc::new(Notify::new()),
            events,
            writer: match backend {
                Backend::Sqlite => {
                    Some(Writer::new(sqlite_pool(&options, 1, WRITER_PRAGMAS).await?))
                }
                Backend::Postgres => None,
            },
        })
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// A connection for reads (each statement sees committed data).
    /// Writes a consistent copy of a SQLite database to `path` while it
    /// serves (`VACUUM INTO` reads one snapshot). PostgreSQL has its own tools.
    pub async fn snapshot_sqlite(&self, path: &std::path::Path) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// About how many bytes a SQLite snapshot will take (the pages in use),
    /// to show a backup's progress against.
    pub async fn sqlite_bytes_in_use(&self) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        let mut v = [0i64; 3];
        for (value, pragma) in v.iter_mut().zip([
            "PRAGMA page_count",
            "PRAGMA freelist_count",
            "PRAGMA page_size",
        ]) {
            *value = sqlx::query_scalar(pragma).fetch_one(&mut *conn).await?;
        }
        let (pages, size) = (v[0] - v[1], v[2]);
        Ok(u64::try_from(pages.max(0) * size).unwrap_or(0))
    }

    /// The tables of a PostgreSQL database with their sizes in bytes, to
    /// show a backup's progress against.
    pub async fn postgres_table_sizes(&self) -> Result<Vec<(String, u64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT c.relname::TEXT, pg_table_size(c.oid)::BIGINT FROM pg_class c
             WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(name, size)| (name, u64::try_from(size).unwrap_or(0)))
            .collect())
    }

    /// Whether the database holds no Hearth schema yet (not even migrated).
    pub async fn is_blank(&self) -> Result<bool> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT count(*) FROM information_schema.tables
                 WHERE table_schema = 'public' AND table_name = '_sqlx_migrations'"
            }
        };
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&self.pool).await?;
        Ok(n == 0)
    }

    pub async fn read(&self) -> Result<PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// A transaction for writes. On SQLite it waits its turn for the
    /// process's write connection, and may share its transaction (and the
    /// commit) with the writers before and after it: see `group_commit`.
    pub async fn write(&self) -> Result<WriteTx> {
        Ok(WriteTx {
            tx: self.begin().await?,
            changes: self.changes.clone(),
            private: false,
            jobs_queued: self.jobs_queued.clone(),
            queued_job: false,
        })
    }

    /// A transaction that changes only what its own writer sees (sessions,
    /// reading positions, counters), so it leaves shared caches valid (it
    /// counts only among all changes: see `all_changes`).
    pub async fn write_private(&self) -> Result<WriteTx> {
        Ok(WriteTx {
            tx: self.begin().await?,
            changes: self.changes.clone(),
            private: true,
            jobs_queued: self.jobs_queued.clone(),
            queued_job: false,
        })
    }

    async fn begin(&self) -> Result<Tx> {
        Ok(match &self.writer {
            Some(writer) => Tx::Turn(writer.turn().await?),
            None => Tx::Own(self.pool.begin().await?),
        })
    }

    /// How many shared changes have been committed (on PostgreSQL, by every
    /// node); a cached page made at an earlier count may be stale. None when
    /// it cannot be told: then nothing is served from a cache.
    pub async fn changes(&self) -> Option<u64> {
        self.changes.now(false).await
    }

    /// How many writes of any kind have been committed, private ones too: a
    /// member's cached page or session made at an earlier count may be stale.
    pub async fn all_changes(&self) -> Option<u64> {
        self.changes.now(true).await
    }

    /// Wakes when a job queued in this process has been committed (other
    /// nodes' jobs are found by polling).
    pub fn jobs_queued(&self) -> Arc<Notify> {
        self.jobs_queued.clone()
    }

    /// This node's change events (see `events`).
    pub fn events(&self) -> tokio::sync::broadcast::Receiver<crate::events::Event> {
        self.events.subscribe()
    }

    /// Tells every node (this one included) about a committed change.
    pub async fn publish(&self, event: crate::events::Event) -> Result<()> {
        match self.backend {
            Backend::Sqlite => self.events.deliver(event),
            Backend::Postgres => {
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(crate::events::CHANNEL)
                    .bind(event.encode())
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Becomes true when the store closes (background listeners stop).
    pub fn closed(&self) -> tokio::sync::watch::Receiver<bool> {
        self.events.closed()
    }

    pub async fn close(&self) {
        self.events.close();
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

/// Commits a write transaction, then counts the change (so that no cache
/// serves what was there before once the writer has its answer).
pub async fn commit(tx: WriteTx) -> Result<()> {
    match tx.tx {
        Tx::Own(own) => own.commit().await?,
        Tx::Turn(turn) => turn.commit().await?,
    }
    tx.changes.count(tx.private).await;
    if tx.queued_job {
        tx.jobs_queued.notify_one();
    }
    Ok(())
}

/// How every connection to a SQLite file is set up.
const PRAGMAS: &[&str] = &[
    // WAL lets readers run beside the one writer.
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    // Writers from other processes (the command line) queue instead of
    // failing.
    "PRAGMA busy_timeout = 10000",
    // Copy the log into the file every 10,000 pages, not 1,000: each copy
    // ends with an fsync, and pages that every write touches (counters, the
    // ends of indexes) are copied once for many writes. Replies went from
    // 343 to 454 a second. (Copying in the background, off the writer's
    // path, measured no better.)
    "PRAGMA wal_autocheckpoint = 10000",
];

/// And the write connection besides.
const WRITER_PRAGMAS: &[&str] = &[
    // Statement journals in memory: as files, one was made and removed for
    // each reply. (Readers keep theirs on disk, as a large sort may need.)
    "PRAGMA temp_store = MEMORY",
    // 32 MB of pages, not 2: the writer's cache is never emptied by another
    // connection's write, so what it holds stays useful.
    "PRAGMA cache_size = -32000",
];

/// A pool of connections to a SQLite file, set up with `PRAGMAS` and `extra`.
async fn sqlite_pool(
    options: &AnyConnectOptions,
    max_connections: u32,
    extra: &'static [&'static str],
) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max_connections)
        // A request that cannot get a connection in this time is answered
        // "busy, try again" (503) instead of waiting on.
        .acquire_timeout(Duration::from_secs(10))
        // A connection to a local file cannot be lost; the test would cost a
        // trip to the connection's thread on every acquire.
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                for pragma in PRAGMAS.iter().chain(extra) {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write transaction dropped after a failed statement, without a
    /// commit, hands the one write connection (SQLite) to the next writer.
    #[tokio::test]
    async fn a_dropped_writer_leaves_the_write_connection_to_the_next() {
        let dir = std::env::temp_dir().join(format!("hearth-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/w.db?mode=rwc", dir.display());
        let store = Store::connect(&url, Sealer::new(&crate::seal::SecretKey::generate()))
            .await
            .unwrap();
        for _ in 0..3 {
            let mut tx = tokio::time::timeout(Duration::from_secs(5), store.write())
                .await
                .expect("the write connection is free")
                .unwrap();
            assert!(
                sqlx::query("INSERT INTO no_such_table VALUES (1)")
                    .execute(&mut *tx)
                    .await
                    .is_err()
            );
            drop(tx);
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
