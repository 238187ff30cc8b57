//! The job queue as use cases: queuing follow-up work inside a service's
//! write transaction, and the backlog that admins watch and retry.

use hearth_core::access::Viewer;
use hearth_store::jobs::{self, Backlog, Job, NewJob};
use hearth_store::{Conn, WriteTx};
use serde::Serialize;

use super::Actor;
use super::audit::{self, Target};
use crate::App;
use crate::error::{ServiceError, ServiceResult};

/// What a kind of job carries. The payload is stored as JSON and must hold
/// no personal detail in the clear (name the account, or seal the value).
pub trait JobPayload: Serialize {
    /// The kind's name in the queue; a handler of the same name runs it.
    const KIND: &'static str;

    /// Jobs with the same key are one job while they wait (see `NewJob`).
    fn dedupe_key(&self) -> Option<String> {
        None
    }

    /// Not to run before this moment (Unix ms); at once unless a kind says.
    fn run_at(&self, now: i64) -> i64 {
        now
    }
}

/// Queues a job to run as soon as a worker is free, in the caller's
/// transaction: it exists only if that transaction commits. `None` when an
/// equal job (same dedupe key) already waits.
pub async fn enqueue<P: JobPayload>(
    app: &App,
    tx: &mut WriteTx,
    payload: &P,
) -> ServiceResult<Option<i64>> {
    let now = app.now();
    let job = Encoded::of(payload, now)?;
    Ok(jobs::enqueue(tx, &job.job(), now).await?)
}

/// A job in its stored form, as the queue takes it.
pub struct Encoded {
    kind: &'static str,
    json: String,
    key: Option<String>,
    run_at: i64,
}

impl Encoded {
    pub fn of<P: JobPayload>(payload: &P, now: i64) -> ServiceResult<Self> {
        let (json, key) = encode(payload)?;
        Ok(Encoded {
            kind: P::KIND,
            json,
            key,
            run_at: payload.run_at(now),
        })
    }

    pub fn job(&self) -> NewJob<'_> {
        NewJob {
            dedupe_key: self.key.as_deref(),
            ..NewJob::new(self.kind, &self.json, self.run_at)
        }
    }
}

/// `enqueue` for code that holds the transaction as a connection: the job is
/// the same, but this process's workers find it at their next poll.
pub async fn enqueue_quietly<P: JobPayload>(
    conn: &mut Conn,
    payload: &P,
    now: i64,
) -> ServiceResult<Option<i64>> {
    let job = Encoded::of(payload, now)?;
    Ok(jobs::enqueue_quietly(conn, &job.job(), now).await?)
}

fn encode<P: JobPayload>(payload: &P) -> ServiceResult<(String, Option<String>)> {
    let json = serde_json::to_string(payload)
        .map_err(|e| ServiceError::Internal(format!("job payload: {e}")))?;
    Ok((json, payload.dedupe_key()))
}

/// How many jobs are shown in each list of the backlog.
const LISTED: i64 = 100;

/// The queue as admins see it.
pub struct BacklogView {
    /// Counts by kind of job.
    pub kinds: Vec<Backlog>,
    /// Out of attempts, with their last error; an admin may retry them.
    pub failed: Vec<Job>,
    /// Waiting to be tried again after an error.
    pub retrying: Vec<Job>,
    /// Without a mail server, mail jobs wait in the queue.
    pub mail_configured: bool,
}

pub async fn backlog(app: &App, actor: &Actor) -> ServiceResult<BacklogView> {
    actor.require(Viewer::administers, "Only admins can see the job queue.")?;
    let mut conn = app.store().read().await?;
    Ok(BacklogView {
        kinds: jobs::backlog(&mut conn, app.now()).await?,
        failed: jobs::failed(&mut conn, LISTED).await?,
        retrying: jobs::retrying(&mut conn, LISTED).await?,
        mail_configured: app.mailer().is_some(),
    })
}

/// A job's number from a path: anything else names no job.
pub fn parse_id(text: &str) -> ServiceResult<i64> {
    text.parse().map_err(|_| ServiceError::NotFound)
}

/// Queues a failed job again, with all its attempts (audited).
pub async fn retry(app: &App, actor: &Actor, id: i64) -> ServiceResult<Job> {
    actor.require(Viewer::administers, "Only admins can retry jobs.")?;
    let now = app.now();
    let mut tx = app.store().write_private().await?;
    if !jobs::retry(&mut tx, id, now).await? {
        return Err(ServiceError::NotFound);
    }
    let job = jobs::by_id(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    audit::record(
        &mut tx,
        actor,
        "job.retry",
        Target::Site,
        "",
        &format!("{} job {id}", job.kind),
        now,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(job)
}
