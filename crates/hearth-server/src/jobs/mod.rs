//! Background workers: the runner that claims jobs from the queue
//! (`hearth_store::jobs`) and hands each to the handler of its kind.
//!
//! To add a kind of job (federation deliveries, webmentions, digests):
//! 1. give its payload a type that implements `services::jobs::JobPayload`
//!    (its `KIND`, and a dedupe key if repeats should merge), and queue it
//!    with `services::jobs::enqueue` inside the service's write transaction;
//! 2. write its handler, `async fn(App, Claimed) -> Result<(), JobError>`,
//!    safe to run twice (a worker may die after the work but before it can
//!    report), and list it in `handlers`.
//!
//! Each node runs a few workers. A worker claims the oldest due jobs of the
//! kinds it has a handler for, a few at a time, with a lease, and runs them
//! one after the other; a handler's error or panic is recorded on the job
//! (retried with back-off, or failed for admins to see) and the worker goes
//! on. Jobs of a kind no handler is listed for (mail without a mail server)
//! wait in the queue.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hearth_store::jobs::{self as queue, Backoff, Claimed, Failed};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::App;
use crate::error::ServiceError;

/// Why a job did not finish.
#[derive(Debug)]
pub enum JobError {
    /// Worth another try later (a server down, a database hiccup).
    Retry(String),
    /// Another try would fail the same way: the job is failed at once.
    GiveUp(String),
}

impl From<ServiceError> for JobError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Internal(cause) => JobError::Retry(cause),
            other => JobError::Retry(other.to_string()),
        }
    }
}

impl From<hearth_store::StoreError> for JobError {
    fn from(e: hearth_store::StoreError) -> Self {
        JobError::Retry(e.to_string())
    }
}

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;

/// Runs the jobs of one kind.
#[derive(Clone, Copy)]
pub struct Handler {
    pub kind: &'static str,
    pub run: fn(App, Claimed) -> HandlerFuture,
}

/// The handlers this node runs. Mail is sent only when a mail server is
/// configured; until then mail jobs wait.
pub fn handlers(app: &App) -> Vec<Handler> {
    let mut handlers = vec![
        crate::services::alerts::FAN_OUT,
        crate::services::blogs::PUBLISH,
        crate::services::notification_mail::DIGESTS,
        crate::services::webmentions::SEND,
    ];
    if app.mailer().is_some() {
        handlers.push(crate::mail::HANDLER);
    }
    handlers
}

/// The runner's timings. Not an operator setting: the defaults suit every
/// site, and tests shorten them.
#[derive(Clone, Debug)]
pub struct Tuning {
    /// Workers on this node (each runs one job at a time). A mail job spends
    /// most of its time waiting for the mail server, so more workers send
    /// more: with a server that takes 20 ms to accept a message, 2 workers
    /// sent 70 mails a second and 4 sent 132 (bench/mail.sh, SMTP_DELAY_MS).
    pub workers: usize,
    /// How often an idle worker looks for due jobs (jobs queued on other
    /// nodes, retries coming due); jobs queued on this node wake it at once.
    pub poll: Duration,
    /// How long a claimed job is a worker's. A handler is stopped before its
    /// lease runs out, so that only a dead worker's job is claimed again.
    pub lease: Duration,
    /// Waits between attempts: doubling from the base up to the cap.
    pub retry: Backoff,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            workers: 4,
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(5 * 60),
            retry: Backoff {
                base_ms: 30_000,
                cap_ms: 6 * 3_600_000,
            },
        }
    }
}

impl Tuning {
    fn handler_timeout(&self) -> Duration {
        self.lease.mul_f64(0.8)
    }
}

/// The running workers of this node.
pub struct Runner {
    stop: watch::Sender<bool>,
    workers: Vec<JoinHandle<()>>,
}

/// How long stopping waits for jobs in progress; then they are abandoned,
/// and claimed again elsewhere (or at the next start) when their lease ends.
const STOP_GRACE: Duration = Duration::from_secs(10);

impl Runner {
    /// Starts `app.config().jobs.workers` workers for these handlers.
    pub fn start(app: App, handlers: Vec<Handler>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let handlers: Arc<[Handler]> = handlers.into();
        let wake = app.store().jobs_queued();
        let node = &hearth_store::seal::random_token()[..8];
        let mut workers: Vec<JoinHandle<()>> = (0..app.config().jobs.workers.max(1))
            .map(|n| {
                let worker = Worker {
                    app: app.clone(),
                    handlers: handlers.clone(),
                    name: format!("{node}-{}-{n}", std::process::id()),
                    wake: wake.clone(),
                };
                tokio::spawn(worker.run(stopped.clone()))
            })
            .collect();
        workers.push(tokio::spawn(fail_abandoned(app, stopped)));
        Self { stop, workers }
    }

    /// Lets the workers finish the job in hand (for a while), then stops them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + STOP_GRACE;
        for mut worker in self.workers {
            if tokio::time::timeout_at(deadline, &mut worker)
                .await
                .is_err()
            {
                worker.abort();
            }
        }
    }
}

/// Every poll, marks failed the jobs whose worker died during their last
/// attempt, so that admins see them.
async fn fail_abandoned(app: App, mut stopped: watch::Receiver<bool>) {
    let poll = app.config().jobs.poll;
    while !*stopped.borrow() {
        match queue::fail_abandoned(app.store(), app.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::error!(
                jobs = n,
                "jobs failed for good (their worker stopped): see /admin/jobs"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "could not look for abandoned jobs; will try again")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            changed = stopped.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
}

struct Worker {
    app: App,
    handlers: Arc<[Handler]>,
    name: String,
    wake: Arc<Notify>,
}

/// Aborts a handler's task when the worker lets go of it (timeout, stop).
struct AbortOnDrop(JoinHandle<Result<(), JobError>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How many due jobs a worker claims at once. One write transaction claims
/// them and one records how they went: with one job at a time, those two
/// transactions cost a mail more than sending it (bench/README.md, mail.sh).
const BATCH: i64 = 8;

/// What became of one claimed job.
struct Ran {
    id: i64,
    outcome: Result<(), JobError>,
}

impl Worker {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let kinds: Vec<&str> = self.handlers.iter().map(|h| h.kind).collect();
        let tuning = &self.app.config().jobs;
        let lease_ms = i64::try_from(tuning.lease.as_millis()).unwrap_or(i64::MAX / 2);
        while !*stopped.borrow() {
            let now = self.app.now();
            let claimed_at = tokio::time::Instant::now();
            match queue::claim(self.app.store(), &self.name, &kinds, now, lease_ms, BATCH).await {
                Ok(jobs) if !jobs.is_empty() => {
                    // There may be more: let an idle sibling look too.
                    self.wake.notify_one();
                    self.run_batch(jobs, claimed_at, &stopped).await;
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, worker = %self.name, "could not claim a job; will try again")
                }
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(tuning.poll) => {}
                changed = stopped.changed() => {
                    if changed.is_err() {
                        break; // the runner is gone
                    }
                }
            }
        }
    }

    /// Runs claimed jobs one after the other, then records their outcomes in
    /// one transaction. A job is started only while its whole handler time
    /// still fits in the lease, so that no other worker takes it over while
    /// it runs; the others, and all of them once the runner stops, go back
    /// to the queue untried.
    async fn run_batch(
        &self,
        jobs: Vec<Claimed>,
        claimed_at: tokio::time::Instant,
        stopped: &watch::Receiver<bool>,
    ) {
        let tuning = &self.app.config().jobs;
        let mut ran = Vec::with_capacity(jobs.len());
        let mut untried = Vec::new();
        for job in jobs {
            let room = claimed_at.elapsed() + tuning.handler_timeout() <= tuning.lease;
            match self.handlers.iter().find(|h| h.kind == job.kind) {
                Some(handler) if room && !*stopped.borrow() => {
                    ran.push(self.run_one(handler, job).await)
                }
                _ => untried.push(job.id),
            }
        }
        if let Err(e) = self.record(&ran, &untried).await {
            // The leases will run out and the jobs will run again: at least once.
            tracing::warn!(worker = %self.name, error = %e, "could not record how jobs went");
        }
    }

    async fn run_one(&self, handler: &Handler, job: Claimed) -> Ran {
        let (id, kind, attempt) = (job.id, job.kind.clone(), job.attempt);
        let timeout = self.app.config().jobs.handler_timeout();
        let mut task = AbortOnDrop(tokio::spawn((handler.run)(self.app.clone(), job)));
        let outcome = match tokio::time::timeout(timeout, &mut task.0).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) if e.is_panic() => Err(JobError::Retry(format!(
                "the handler panicked: {}",
                panic_message(e.into_panic())
            ))),
            Ok(Err(e)) => Err(JobError::Retry(format!("the handler stopped: {e}"))),
            Err(_) => Err(JobError::Retry(format!(
                "the handler took longer than {} s and was stopped",
                timeout.as_secs()
            ))),
        };
        if let Err(e) = &outcome {
            tracing::warn!(job = id, kind = %kind, attempt, error = ?e, "job failed");
        }
        Ran { id, outcome }
    }

    async fn record(&self, ran: &[Ran], untried: &[i64]) -> hearth_store::Result<()> {
        let now = self.app.now();
        let mut tx = self.app.store().write_private().await?;
        let mut lost = Vec::new();
        for Ran { id, outcome } in ran {
            let held = match outcome {
                Ok(()) => queue::complete(&mut tx, *id, &self.name, now).await?,
                Err(e) => {
                    let (error, retry) = match e {
                        JobError::Retry(error) => (error, Some(self.app.config().jobs.retry)),
                        JobError::GiveUp(error) => (error, None),
                    };
                    let failed = queue::fail(&mut tx, *id, &self.name, error, retry, now).await?;
                    if failed == Failed::GaveUp {
                        tracing::error!(job = id, error = %error, "job failed for good: see /admin/jobs");
                    }
                    failed != Failed::NotHeld
                }
            };
            if !held {
                lost.push(*id);
            }
        }
        queue::release(&mut tx, untried, &self.name, now).await?;
        hearth_store::commit(tx).await?;
        for id in lost {
            tracing::warn!(job = id, worker = %self.name, "a job outlived its lease and was taken over");
        }
        Ok(())
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}
