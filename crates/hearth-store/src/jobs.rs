//! The durable job queue. A service queues follow-up work (a mail, later a
//! federation delivery, a webmention, a digest) inside its own write
//! transaction, so the work exists if and only if the change that caused it
//! was committed. Workers on any node claim due jobs with a lease: a job
//! whose worker died is claimed again when the lease runs out, so every job
//! runs at least once, and handlers are written to be safe to run twice.
//!
//! The one difference between the backends stays here: PostgreSQL claims
//! with `FOR UPDATE SKIP LOCKED`, so that nodes never wait on each other nor
//! take the same job; SQLite has one writer at a time (`BEGIN IMMEDIATE`), so
//! its single `UPDATE … RETURNING` is already exclusive.

use rand::Rng;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Conn, Result, Store, WriteTx};

/// Tries before a job is marked failed, unless its kind says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 12;
/// Longest error text kept (an SMTP server may answer at length).
const MAX_ERROR_CHARS: usize = 2000;

/// Work to queue. `payload` is JSON and must not hold a personal detail in
/// the clear: name the account, or seal the value.
#[derive(Clone, Debug)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: &'a str,
    /// Not before this moment (Unix ms).
    pub run_at: i64,
    /// At most one job with this key waits to run; queuing another while
    /// one waits does nothing. A job already running does not count: work
    /// queued after it started may need newer data.
    pub dedupe_key: Option<&'a str>,
    pub max_attempts: i64,
}

impl<'a> NewJob<'a> {
    pub fn new(kind: &'a str, payload: &'a str, run_at: i64) -> Self {
        Self {
            kind,
            payload,
            run_at,
            dedupe_key: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// Queues a job in the caller's transaction; the workers of this process
/// are woken when it commits. `None` when a job with the same dedupe key
/// is already waiting.
pub async fn enqueue(tx: &mut WriteTx, job: &NewJob<'_>, now: i64) -> Result<Option<i64>> {
    let id = enqueue_quietly(tx, job, now).await?;
    tx.queued_job |= id.is_some();
    Ok(id)
}

/// Queues a job in the transaction `conn` belongs to, without waking this
/// process's workers at commit: they find it at their next poll (for code
/// that holds the transaction only as a connection).
pub async fn enqueue_quietly(conn: &mut Conn, job: &NewJob<'_>, now: i64) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, max_attempts, run_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (dedupe_key) WHERE state = 'queued' DO NOTHING
         RETURNING id",
    )
    .bind(job.kind)
    .bind(job.payload)
    .bind(job.dedupe_key)
    .bind(job.max_attempts.max(1))
    .bind(job.run_at)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| row.try_get(0))
        .transpose()
        .map_err(Into::into)
}

/// A job leased to one worker.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// 1 on the first run.
    pub attempt: i64,
    pub max_attempts: i64,
}

/// Leases up to `limit` of the oldest due jobs of `kinds` to `worker` for
/// `lease_ms`, in one transaction; the oldest comes first. A running job
/// whose lease ran out is due again (its worker died) while it has attempts
/// left (see `fail_abandoned`).
pub async fn claim(
    store: &Store,
    worker: &str,
    kinds: &[&str],
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Claimed>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let kind_params = (0..kinds.len())
        .map(|i| format!("${}", i + 5))
        .collect::<Vec<_>>()
        .join(", ");
    // `state IN ('queued', 'running')` repeats the condition of the partial
    // index `jobs_waiting`: without it SQLite cannot tell that the index
    // holds every candidate, and scans and sorts the whole table instead.
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1,
            locked_by = $1, locked_until = $2, updated_at = $3
         WHERE id IN (SELECT id FROM jobs
                      WHERE state IN ('queued', 'running')
                        AND ((state = 'queued' AND run_at <= $3)
                             OR (state = 'running' AND locked_until <= $3 AND attempts < max_attempts))
                        AND kind IN ({kind_params})
                      ORDER BY run_at, id LIMIT $4 {skip_locked})
         RETURNING id, kind, payload, attempts, max_attempts, run_at",
        skip_locked = skip_locked(store)
    );
    let mut query = sqlx::query(&sql)
        .bind(worker)
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit.max(1));
    for kind in kinds {
        query = query.bind(*kind);
    }
    let mut tx = store.write_private().await?;
    let rows = query.fetch_all(&mut *tx).await?;
    crate::commit(tx).await?;
    let mut claimed = rows
        .iter()
        .map(|row| {
            let run_at: i64 = row.try_get("run_at")?;
            let job = Claimed {
                id: row.try_get("id")?,
                kind: row.try_get("kind")?,
                payload: row.try_get("payload")?,
                attempt: row.try_get("attempts")?,
                max_attempts: row.try_get("max_attempts")?,
            };
            Ok((run_at, job))
        })
        .collect::<Result<Vec<_>>>()?;
    // RETURNING gives the rows in no particular order.
    claimed.sort_by_key(|(run_at, job)| (*run_at, job.id));
    Ok(claimed.into_iter().map(|(_, job)| job).collect())
}

/// Gives back jobs that `worker` claimed but did not start (it was stopping,
/// or their lease had no room left for them): they wait in the queue as
/// before, and the attempt does not count.
pub async fn release(conn: &mut Conn, ids: &[i64], worker: &str, now: i64) -> Result<()> {
    for id in ids {
        sqlx::query(&format!(
            "UPDATE jobs SET state = {REQUEUED_STATE}, attempts = attempts - 1,
                locked_by = NULL, locked_until = NULL, updated_at = $3
             WHERE id = $1 AND state = 'running' AND locked_by = $2"
        ))
        .bind(id)
        .bind(worker)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Marks failed the running jobs whose lease ran out with no attempts left
/// (their worker stopped during the last one), so that admins see them.
/// It reads every waiting job (through `jobs_waiting`, whose condition it
/// repeats as `claim` does), so the runner calls it once a poll, not at
/// every claim.
pub async fn fail_abandoned(store: &Store, now: i64) -> Result<u64> {
    let mut tx = store.write_private().await?;
    let failed = sqlx::query(&format!(
        "UPDATE jobs SET state = 'failed', locked_by = NULL, locked_until = NULL, updated_at = $1,
            last_error = 'Its worker stopped during the last attempt (the lease ran out), and no attempts are left.'
         WHERE id IN (SELECT id FROM jobs
                      WHERE state IN ('queued', 'running')
                        AND state = 'running' AND locked_until <= $1 AND attempts >= max_attempts
                      {skip_locked})",
        skip_locked = skip_locked(store)
    ))
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    crate::commit(tx).await?;
    Ok(failed)
}

/// On PostgreSQL, claimers pass over rows another transaction holds, so
/// that nodes never wait on each other nor take the same job. SQLite has one
/// writer at a time (`BEGIN IMMEDIATE`): its statements are exclusive already.
fn skip_locked(store: &Store) -> &'static str {
    match store.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    }
}

/// Marks a job done. `false` when `worker` no longer holds it (its lease
/// ran out and another worker took it over).
pub async fn complete(conn: &mut Conn, id: i64, worker: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = $3
         WHERE id = $1 AND state = 'running' AND locked_by = $2",
    )
    .bind(id)
    .bind(worker)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// How long to wait before trying again: `base_ms` doubled at each attempt,
/// up to `cap_ms`.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base_ms: i64,
    pub cap_ms: i64,
}

impl Backoff {
    /// The wait after failed attempt number `attempt` (1-based), give or
    /// take a tenth (`unit` in 0..1), so that jobs that failed together do
    /// not all come back at the same moment.
    pub fn delay(self, attempt: i64, unit: f64) -> i64 {
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(40);
        let plain = self
            .base_ms
            .saturating_mul(1i64 << doublings)
            .min(self.cap_ms)
            .max(1);
        let jitter = (plain as f64 * (unit.clamp(0.0, 1.0) * 0.2 - 0.1)) as i64;
        (plain + jitter).max(1)
    }
}

/// What became of a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failed {
    /// Queued again for this moment.
    Retrying { at: i64 },
    /// Out of attempts (or not worth retrying): listed for admins.
    GaveUp,
    /// Another job with the same dedupe key waits and will do the same work.
    Superseded,
    /// `worker` no longer held the job.
    NotHeld,
}

/// Records a failed attempt: the job is queued again after a back-off while
/// attempts are left and `retry` is given, else marked failed.
pub async fn fail(
    conn: &mut Conn,
    id: i64,
    worker: &str,
    error: &str,
    retry: Option<Backoff>,
    now: i64,
) -> Result<Failed> {
    let row = sqlx::query(
        "SELECT attempts, max_attempts FROM jobs WHERE id = $1 AND state = 'running' AND locked_by = $2",
    )
    .bind(id)
    .bind(worker)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(Failed::NotHeld);
    };
    let attempts: i64 = row.try_get(0)?;
    let max_attempts: i64 = row.try_get(1)?;
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    let retry_at = retry
        .filter(|_| attempts < max_attempts)
        .map(|b| now + b.delay(attempts, rand::thread_rng().r#gen::<f64>()));
    let Some(at) = retry_at else {
        sqlx::query(
            "UPDATE jobs SET state = 'failed', locked_by = NULL, locked_until = NULL, last_error = $2, updated_at = $3
             WHERE id = $1",
        )
        .bind(id)
        .bind(&error)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        return Ok(Failed::GaveUp);
    };
    let state: String = sqlx::query(&format!(
        "UPDATE jobs SET state = {REQUEUED_STATE}, run_at = $2,
            locked_by = NULL, locked_until = NULL, last_error = $3, updated_at = $4
         WHERE id = $1 RETURNING state"
    ))
    .bind(id)
    .bind(at)
    .bind(&error)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(if state == "queued" {
        Failed::Retrying { at }
    } else {
        Failed::Superseded
    })
}

/// The state a job goes back to the queue in: `queued`, unless another job
/// with its dedupe key already waits to do the same work (then `done`).
const REQUEUED_STATE: &str = "CASE WHEN jobs.dedupe_key IS NOT NULL AND EXISTS
    (SELECT 1 FROM jobs twin WHERE twin.dedupe_key = jobs.dedupe_key AND twin.state = 'queued')
    THEN 'done' ELSE 'queued' END";

/// Queues a failed job again now, with all its attempts (this process's
/// workers are woken at commit). `false` when there is no failed job with
/// this id.
pub async fn retry(tx: &mut WriteTx, id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(&format!(
        "UPDATE jobs SET state = {REQUEUED_STATE}, attempts = 0, run_at = $2, updated_at = $2
         WHERE id = $1 AND state = 'failed'"
    ))
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    tx.queued_job |= done.rows_affected() > 0;
    Ok(done.rows_affected() > 0)
}

/// The jobs of one kind that are not done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    pub kind: String,
    /// Could run now (including jobs whose worker died).
    pub due: i64,
    /// Waiting for a later moment (a retry after a back-off, or work set for later).
    pub scheduled: i64,
    pub running: i64,
    pub failed: i64,
}

pub async fn backlog(conn: &mut Conn, now: i64) -> Result<Vec<Backlog>> {
    let rows = sqlx::query(
        "SELECT kind,
            SUM(CASE WHEN (state = 'queued' AND run_at <= $1)
                       OR (state = 'running' AND locked_until <= $1) THEN 1 ELSE 0 END) AS due,
            SUM(CASE WHEN state = 'queued' AND run_at > $1 THEN 1 ELSE 0 END) AS scheduled,
            SUM(CASE WHEN state = 'running' AND locked_until > $1 THEN 1 ELSE 0 END) AS running,
            SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed
         FROM jobs WHERE state <> 'done' GROUP BY kind ORDER BY kind",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Backlog {
                kind: r.try_get("kind")?,
                due: r.try_get("due")?,
                scheduled: r.try_get("scheduled")?,
                running: r.try_get("running")?,
                failed: r.try_get("failed")?,
            })
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Failed,
    Done,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Failed => "failed",
            JobState::Done => "done",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "running" => JobState::Running,
            "failed" => JobState::Failed,
            "done" => JobState::Done,
            _ => JobState::Queued,
        }
    }
}

/// A job as admins see it.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub state: JobState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const JOB_COLUMNS: &str =
    "id, kind, payload, state, attempts, max_attempts, run_at, last_error, created_at, updated_at";

fn job(row: &AnyRow) -> Result<Job> {
    Ok(Job {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        state: JobState::parse(row.try_get("state")?),
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        run_at: row.try_get("run_at")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Failed jobs, the most recent first.
pub async fn failed(conn: &mut Conn, limit: i64) -> Result<Vec<Job>> {
    let rows = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE state = 'failed' ORDER BY updated_at DESC, id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(job).collect()
}

/// Jobs waiting to be tried again after an error, the next first.
pub async fn retrying(conn: &mut Conn, limit: i64) -> Result<Vec<Job>> {
    let rows = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM jobs
         WHERE state IN ('queued', 'running') AND last_error IS NOT NULL
         ORDER BY run_at, id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(job).collect()
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Job>> {
    let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(job).transpose()
}

/// Forgets jobs done before `before` (their dedupe keys were freed when
/// they finished; only the record goes).
pub async fn delete_done(conn: &mut Conn, before: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM jobs WHERE state = 'done' AND updated_at < $1")
            .bind(before)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}

/// Whether the mail of this job was already handed to the mail server.
pub async fn mail_was_sent(conn: &mut Conn, job: i64) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM mail_sent WHERE job_id = $1")
        .bind(job)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

/// Records that the mail of this job was handed to the mail server.
pub async fn record_mail_sent(conn: &mut Conn, job: i64, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO mail_sent (job_id, sent_at) VALUES ($1, $2) ON CONFLICT (job_id) DO NOTHING",
    )
    .bind(job)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_cap() {
        let b = Backoff {
            base_ms: 1000,
            cap_ms: 60_000,
        };
        let middle = 0.5;
        assert_eq!(b.delay(1, middle), 1000);
        assert_eq!(b.delay(2, middle), 2000);
        assert_eq!(b.delay(5, middle), 16_000);
        assert_eq!(b.delay(7, middle), 60_000);
        assert_eq!(b.delay(1_000, middle), 60_000);
    }

    #[test]
    fn back_off_jitter_stays_within_a_tenth() {
        let b = Backoff {
            base_ms: 10_000,
            cap_ms: 1_000_000,
        };
        assert_eq!(b.delay(1, 0.0), 9_000);
        assert_eq!(b.delay(1, 1.0), 11_000);
        assert!(b.delay(0, 0.3) >= 1);
    }
}
