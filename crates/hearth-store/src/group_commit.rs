//! SQLite's write connection, and group commit.
//!
//! SQLite writes one transaction at a time, so this process's writers take
//! turns on one connection of their own (a fair queue). A writer that ends
//! its turn while others wait for theirs leaves its transaction open for
//! them, and one commit then keeps the work of all. A commit costs more than
//! most writes: it appends every changed page to the log, and many pages a
//! reply changes (the ends of tables and indexes, a space's counters, the
//! search index's newest segment) are the next reply's too, so a group
//! writes them once.
//!
//! Each writer after a group's first works in a savepoint, so that its
//! failure undoes its own work alone. No writer hears "done" before the
//! commit that keeps its work: it waits for the group's outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use crate::{Result, StoreError};

/// How long a writer waits for its turn before it is told "busy" (503).
const TURN_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a writer waiting for its group's outcome looks whether the
/// writer it left the transaction to went away (a cancelled request), so
/// that it commits the group itself.
const STRANDED_CHECK: Duration = Duration::from_millis(10);
/// The most writers in one group, and the oldest a group may be, for a
/// writer to leave it open rather than commit: they bound how long the first
/// writers of a busy group wait for the last.
const MAX_MEMBERS: usize = 64;
const MAX_AGE: Duration = Duration::from_millis(50);

/// Takes turns on the write connection. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Writer {
    /// Makes the connection (once), set up with the writer's pragmas.
    pool: AnyPool,
    turn: Arc<Mutex<Connection>>,
    /// Writers waiting for their turn (not those waiting for a commit).
    waiting: Arc<AtomicUsize>,
}

#[derive(Default)]
struct Connection {
    conn: Option<PoolConnection<Any>>,
    group: Option<Group>,
    /// Numbers groups, so that a writer tells its own from a later one.
    groups: u64,
}

struct Group {
    number: u64,
    started: tokio::time::Instant,
    /// Writers whose work is in it, waiting for its outcome.
    members: usize,
    outcome: watch::Sender<Option<Outcome>>,
}

/// How a group's commit went, for its members.
type Outcome = std::result::Result<(), Failure>;

#[derive(Clone, Debug)]
struct Failure {
    busy: bool,
    message: String,
}

impl From<&StoreError> for Failure {
    fn from(e: &StoreError) -> Self {
        Failure {
            busy: matches!(e, StoreError::Busy(_)),
            message: e.to_string(),
        }
    }
}

impl From<Failure> for StoreError {
    fn from(f: Failure) -> Self {
        let message = format!("a write committed with this one failed: {}", f.message);
        if f.busy {
            StoreError::Busy(message)
        } else {
            StoreError::GroupFailed(message)
        }
    }
}

/// One writer's turn: the connection, inside the group's transaction.
pub(crate) struct Turn {
    conn: Option<OwnedMutexGuard<Connection>>,
    /// Began the group's transaction: it works without a savepoint, and its
    /// failure undoes the transaction (no one else's work is in it yet).
    first: bool,
    writer: Writer,
}

impl Writer {
    pub(crate) fn new(pool: AnyPool) -> Self {
        Writer {
            pool,
            turn: Arc::default(),
            waiting: Arc::default(),
        }
    }

    /// Waits for a turn, then starts this writer's work: a transaction
    /// (`BEGIN IMMEDIATE`, so that a writer in another process makes it wait
    /// rather than fail after it has read), or a savepoint in the group's.
    pub(crate) async fn turn(&self) -> Result<Turn> {
        let waiting = Waiting::count(&self.waiting);
        let conn = tokio::time::timeout(TURN_TIMEOUT, self.turn.clone().lock_owned())
            .await
            .map_err(|_| {
                StoreError::Busy(format!(
                    "no turn on the write connection in {} s",
                    TURN_TIMEOUT.as_secs()
                ))
            })?;
        drop(waiting);
        let writer = self.clone();
        detached(async move { writer.start(conn).await }).await
    }

    async fn start(self, mut conn: OwnedMutexGuard<Connection>) -> Result<Turn> {
        if conn.conn.is_none() {
            conn.conn = Some(self.pool.acquire().await?);
        }
        let first = conn.group.is_none();
        if first {
            execute(&mut conn, "BEGIN IMMEDIATE").await?;
            conn.groups += 1;
            conn.group = Some(Group {
                number: conn.groups,
                started: tokio::time::Instant::now(),
                members: 0,
                outcome: watch::Sender::new(None),
            });
        } else if let Err(e) = execute(&mut conn, "SAVEPOINT hearth_writer").await {
            fail_group(&mut conn, &e).await;
            return Err(e);
        }
        Ok(Turn {
            conn: Some(conn),
            first,
            writer: self,
        })
    }

    /// Waits for the outcome of group `number`; or, should the writer it
    /// was left to have gone away, commits it.
    async fn outcome_of(
        &self,
        number: u64,
        mut outcome: watch::Receiver<Option<Outcome>>,
    ) -> Result<()> {
        loop {
            let told = tokio::time::timeout(STRANDED_CHECK, outcome.wait_for(Option::is_some))
                .await
                .map(|told| told.map(|o| (*o).clone()));
            match told {
                Ok(Ok(Some(outcome))) => return outcome.map_err(Into::into),
                Ok(Ok(None)) => unreachable!("waited for an outcome"),
                Ok(Err(_)) => {
                    return Err(StoreError::GroupFailed(
                        "the store closed before the write was committed".into(),
                    ));
                }
                Err(_) => {
                    // A free connection with the group still open: no one
                    // else will commit it.
                    if let Ok(mut conn) = self.turn.clone().try_lock_owned()
                        && conn.group.as_ref().is_some_and(|g| g.number == number)
                    {
                        return detached(async move { commit_group(&mut conn).await }).await;
                    }
                }
            }
        }
    }

    /// Ends the turns: commits an open group and lets go of the connection.
    pub(crate) async fn close(&self) {
        let mut conn = self.turn.lock().await;
        if conn.group.is_some() {
            let _ = commit_group(&mut conn).await;
        }
        conn.conn = None;
        drop(conn);
        self.pool.close().await;
    }
}

impl Turn {
    pub(crate) fn connection(&self) -> &sqlx::AnyConnection {
        self.conn
            .as_ref()
            .and_then(|c| c.conn.as_deref())
            .expect("a turn holds the connection until it ends")
    }

    pub(crate) fn connection_mut(&mut self) -> &mut sqlx::AnyConnection {
        self.conn
            .as_mut()
            .and_then(|c| c.conn.as_deref_mut())
            .expect("a turn holds the connection until it ends")
    }

    /// Ends this writer's work well. If others wait for their turn (and the
    /// group is not yet full or old), the transaction is left to them and
    /// this writer waits for its outcome; otherwise it commits.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let conn = self
            .conn
            .take()
            .expect("a turn holds the connection until it ends");
        let writer = self.writer.clone();
        match detached(async move { writer.end(conn).await }).await? {
            Ended::Committed => Ok(()),
            Ended::LeftOpen { number, outcome } => self.writer.outcome_of(number, outcome).await,
        }
    }
}

enum Ended {
    Committed,
    /// Left open for the writers waiting: the outcome comes with the group's commit.
    LeftOpen {
        number: u64,
        outcome: watch::Receiver<Option<Outcome>>,
    },
}

impl Writer {
    /// A writer's savepoint is not released: `COMMIT` releases them all,
    /// and a later writer's `ROLLBACK TO` finds its own, the newest of the
    /// name. That saves a trip to the connection for every writer.
    async fn end(&self, mut conn: OwnedMutexGuard<Connection>) -> Result<Ended> {
        let group = conn.group.as_mut().expect("a turn is in a group");
        let others_wait = self.waiting.load(Ordering::Acquire) > 0;
        if !others_wait || group.members + 1 >= MAX_MEMBERS || group.started.elapsed() >= MAX_AGE {
            commit_group(&mut conn).await?;
            return Ok(Ended::Committed);
        }
        group.members += 1;
        Ok(Ended::LeftOpen {
            number: group.number,
            outcome: group.outcome.subscribe(),
        })
    }
}

impl Drop for Turn {
    /// A turn ended without `commit` (an error, or a cancelled request)
    /// undoes its own work; the group's earlier work stays, for the next
    /// writer to commit or for this one to commit now.
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        // Without a runtime the process is ending: SQLite undoes the open
        // transaction when the connection closes.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (writer, first) = (self.writer.clone(), self.first);
            runtime.spawn(async move { writer.abandon(conn, first).await });
        }
    }
}

impl Writer {
    async fn abandon(&self, mut conn: OwnedMutexGuard<Connection>, first: bool) {
        if first {
            if let Err(e) = execute(&mut conn, "ROLLBACK").await {
                tracing::debug!(error = %e, "rollback after a failed write");
            }
            conn.group = None;
            return;
        }
        for sql in ["ROLLBACK TO hearth_writer", "RELEASE hearth_writer"] {
            if let Err(e) = execute(&mut conn, sql).await {
                fail_group(&mut conn, &e).await;
                return;
            }
        }
        if self.waiting.load(Ordering::Acquire) == 0
            && let Err(e) = commit_group(&mut conn).await
        {
            tracing::warn!(error = %e, "a group commit failed");
        }
    }
}

/// Commits the open group and tells its members how it went.
async fn commit_group(conn: &mut Connection) -> Result<()> {
    let result = execute(conn, "COMMIT").await;
    if result.is_err() {
        // Whatever SQLite kept open of it is undone.
        let _ = execute(conn, "ROLLBACK").await;
    }
    if let Some(group) = conn.group.take() {
        group
            .outcome
            .send_replace(Some(result.as_ref().map(|_| ()).map_err(Failure::from)));
    }
    result
}

/// After an error that may have ended the transaction: undoes the group's
/// work and tells its members.
async fn fail_group(conn: &mut Connection, error: &StoreError) {
    let _ = execute(conn, "ROLLBACK").await;
    if let Some(group) = conn.group.take() {
        group.outcome.send_replace(Some(Err(Failure::from(error))));
    }
}

/// Runs a step on the connection to its end even if the writer stops
/// waiting (a cancelled request): a step half-known would leave the
/// transaction in a state no one knows.
async fn detached<T: Send + 'static>(
    step: impl Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    match tokio::spawn(step).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(StoreError::GroupFailed("the process is stopping".into())),
    }
}

async fn execute(conn: &mut Connection, sql: &'static str) -> Result<()> {
    let conn = conn.conn.as_mut().expect("a turn has a connection");
    sqlx::query(sql).execute(&mut **conn).await?;
    Ok(())
}

/// Counts a writer waiting for its turn while it waits, cancelled or not.
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    fn count(waiting: &Arc<AtomicUsize>) -> Self {
        waiting.fetch_add(1, Ordering::AcqRel);
        Waiting(waiting.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::any::AnyPoolOptions;

    /// A writer over a new SQLite file with a table `t (n)`, and a reader.
    async fn writer(name: &str) -> (Writer, AnyPool) {
        sqlx::any::install_default_drivers();
        // One folder a test, emptied at its next run: nothing piles up.
        let dir = std::env::temp_dir().join("hearth-group-tests").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/g.db?mode=rwc", dir.display());
        let pool = |n| AnyPoolOptions::new().max_connections(n).connect(&url);
        let (writes, reads) = (pool(1).await.unwrap(), pool(1).await.unwrap());
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&writes)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n BIGINT)")
            .execute(&writes)
            .await
            .unwrap();
        (Writer::new(writes), reads)
    }

    /// A writer over a new file, and a turn that inserted 1 (a group's first).
    async fn first_wrote_1(name: &str) -> (Writer, AnyPool, Turn) {
        let (writer, reads) = writer(name).await;
        let mut first = writer.turn().await.unwrap();
        insert(&mut first, 1).await;
        (writer, reads, first)
    }

    async fn insert(turn: &mut Turn, n: i64) {
        sqlx::query("INSERT INTO t (n) VALUES ($1)")
            .bind(n)
            .execute(turn.connection_mut())
            .await
            .unwrap();
    }

    async fn rows(reads: &AnyPool) -> Vec<i64> {
        sqlx::query_scalar("SELECT n FROM t ORDER BY n")
            .fetch_all(reads)
            .await
            .unwrap()
    }

    async fn until_waiting(writer: &Writer, n: usize) {
        while writer.waiting.load(Ordering::Acquire) < n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Starts a writer that inserts `n`, then commits or, if not `keep`,
    /// gives up its turn without committing.
    fn spawn_writer(writer: &Writer, n: i64, keep: bool) -> tokio::task::JoinHandle<Result<()>> {
        let writer = writer.clone();
        tokio::spawn(async move {
            let mut turn = writer.turn().await?;
            insert(&mut turn, n).await;
            if keep { turn.commit().await } else { Ok(()) }
        })
    }

    #[tokio::test]
    async fn writers_who_wait_together_commit_together() {
        let (writer, reads, first) = first_wrote_1("together").await;
        let (second, third) = (
            spawn_writer(&writer, 2, true),
            spawn_writer(&writer, 3, true),
        );
        until_waiting(&writer, 2).await;
        // Nothing is visible, and no one is answered, before the one commit.
        assert!(rows(&reads).await.is_empty());
        first.commit().await.unwrap();
        second.await.unwrap().unwrap();
        third.await.unwrap().unwrap();
        assert_eq!(rows(&reads).await, [1, 2, 3]);
        assert_eq!(
            writer.turn.lock().await.groups,
            1,
            "one transaction for all three"
        );
        // The next writer starts a new group.
        spawn_writer(&writer, 4, true).await.unwrap().unwrap();
        assert_eq!(writer.turn.lock().await.groups, 2);
    }

    #[tokio::test]
    async fn a_writer_that_fails_in_a_group_undoes_its_own_work_alone() {
        let (writer, reads, first) = first_wrote_1("fails").await;
        let kept = spawn_writer(&writer, 2, true);
        until_waiting(&writer, 1).await;
        let failing = spawn_writer(&writer, 3, false);
        until_waiting(&writer, 2).await;
        let last = spawn_writer(&writer, 4, true);
        until_waiting(&writer, 3).await;
        first.commit().await.unwrap();
        kept.await.unwrap().unwrap();
        failing.await.unwrap().unwrap();
        last.await.unwrap().unwrap();
        // The failing writer's rollback found its own savepoint, not the
        // one before it (savepoints stay until the group's COMMIT).
        assert_eq!(rows(&reads).await, [1, 2, 4]);
        assert_eq!(writer.turn.lock().await.groups, 1);
    }

    #[tokio::test]
    async fn a_group_left_to_a_writer_who_went_away_is_committed_by_its_member() {
        let (writer, reads, first) = first_wrote_1("away").await;
        // A writer waits for its turn, so the first leaves the group open…
        let gone = Waiting::count(&writer.waiting);
        let committing = tokio::spawn(first.commit());
        while writer.turn.try_lock().is_err() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(rows(&reads).await.is_empty());
        // …and goes away (a cancelled request) without taking it.
        drop(gone);
        committing.await.unwrap().unwrap();
        assert_eq!(rows(&reads).await, [1]);
    }

    #[tokio::test]
    async fn when_a_groups_transaction_ends_early_every_member_hears_it_failed() {
        let (writer, reads, first) = first_wrote_1("ends").await;
        let w = writer.clone();
        let breaking = tokio::spawn(async move {
            let mut turn = w.turn().await?;
            // As SQLite does itself after some errors (a full disk).
            sqlx::query("ROLLBACK")
                .execute(turn.connection_mut())
                .await
                .unwrap();
            turn.commit().await
        });
        until_waiting(&writer, 1).await;
        assert!(matches!(
            first.commit().await,
            Err(StoreError::GroupFailed(_))
        ));
        assert!(breaking.await.unwrap().is_err());
        assert!(rows(&reads).await.is_empty());
        // The connection is usable again.
        spawn_writer(&writer, 5, true).await.unwrap().unwrap();
        assert_eq!(rows(&reads).await, [5]);
    }
}
