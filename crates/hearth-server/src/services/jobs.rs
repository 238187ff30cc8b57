//! The job queue as use cases: queuing follow-up work inside a service's
//! write transaction, and the backlog that admins watch and retry.

use hearth_core::access::Viewer;
use hearth_store::WriteTx;
use hearth_store::jobs::{self, Backlog, Job, NewJob};
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
}

/// Queues a job to run as soon as a worker is free, in the caller's
/// transaction: it exists only if that transaction commits. `None` when an
/// equal job (same dedupe key) already waits.
pub async fn enqueue<P: JobPayload>(
    app: &App,
    tx: &mut WriteTx,
    payload: &P,
) -> ServiceResult<Option<i64>> {
    enqueue_at(app, tx, payload, app.now()).await
}

/// Queues a job to run at `run_at` (Unix ms) or soon after, like `enqueue`.
pub async fn enqueue_at<P: JobPayload>(
    app: &App,
    tx: &mut WriteTx,
    payload: &P,
    run_at: i64,
) -> ServiceResult<Option<i64>> {
    let json = serde_json::to_string(payload)
        .map_err(|e| ServiceError::Internal(format!("job payload: {e}")))?;
    let key = payload.dedupe_key();
    let job = NewJob {
        dedupe_key: key.as_deref(),
        ..NewJob::new(P::KIND, &json, run_at)
    };
    Ok(jobs::enqueue(tx, &job, app.now()).await?)
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
