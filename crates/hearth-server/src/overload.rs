//! Shedding excess load. Requests that need the database pass a gate with a
//! fixed number of places, one gate for reads and one for writes (so a flood
//! of page views cannot keep a member from posting, nor a flood of posts
//! keep the pages from being read). A request that finds its gate full waits
//! a short while for a place; if none frees up, it is answered at once with
//! 503 and `Retry-After`, instead of queueing until the database pool gives
//! up and the answer is a 500.
//!
//! Health checks and the embedded static files never wait here, and the
//! guest page cache answers before the gate, so the cheap answers stay cheap
//! under load.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::App;
use crate::api::ApiError;
use crate::error::ServiceError;
use crate::web::WebError;

/// What a shed request (and a database too busy to answer) is told to wait.
pub const RETRY_AFTER_SECS: u64 = 5;

/// How many requests of each kind are served at once, and how long one
/// waits for a place (`HEARTH_CONCURRENT_READS`, `HEARTH_CONCURRENT_WRITES`,
/// `HEARTH_QUEUE_TIMEOUT_MS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub reads: usize,
    pub writes: usize,
    pub queue_timeout: Duration,
}

impl Default for Limits {
    /// The database pool has 8 (SQLite) or 16 (PostgreSQL) connections;
    /// a few times that many requests in hand keeps it busy without letting
    /// thousands pile up behind it. Two seconds absorbs a burst; past that,
    /// a quick "try again" serves a person better than a page that hangs.
    fn default() -> Self {
        Self {
            reads: 64,
            writes: 16,
            queue_timeout: Duration::from_secs(2),
        }
    }
}

/// Which gate a request passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Read,
    Write,
}

impl Class {
    fn of(method: &Method) -> Self {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            Class::Read
        } else {
            Class::Write
        }
    }
}

/// The two gates. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Gate {
    reads: Arc<Semaphore>,
    writes: Arc<Semaphore>,
    queue_timeout: Duration,
    /// Requests shed since the last log line, and when that was (ms): under
    /// overload a line per request would add to the load.
    shed: Arc<(AtomicU64, AtomicI64)>,
}

/// At most one log line about shed requests this often.
const LOG_EVERY_MS: i64 = 10_000;

impl Gate {
    pub fn new(limits: Limits) -> Self {
        Self {
            reads: Arc::new(Semaphore::new(limits.reads.max(1))),
            writes: Arc::new(Semaphore::new(limits.writes.max(1))),
            queue_timeout: limits.queue_timeout,
            shed: Arc::default(),
        }
    }

    /// Counts a shed request, and logs how many were shed now and then.
    fn note_shed(&self, now_ms: i64) {
        let (count, logged_at) = &*self.shed;
        count.fetch_add(1, Ordering::Relaxed);
        let last = logged_at.load(Ordering::Relaxed);
        if now_ms - last >= LOG_EVERY_MS
            && logged_at
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let n = count.swap(0, Ordering::Relaxed);
            tracing::warn!(
                shed = n,
                "overloaded: requests answered 503 since the last report"
            );
        }
    }

    /// A place for a request of this class, or `None` when none freed up
    /// within the queue timeout. The place is given back when dropped.
    pub async fn enter(&self, class: Class) -> Option<OwnedSemaphorePermit> {
        let gate = match class {
            Class::Read => &self.reads,
            Class::Write => &self.writes,
        };
        if let Ok(permit) = gate.clone().try_acquire_owned() {
            return Some(permit);
        }
        tokio::time::timeout(self.queue_timeout, gate.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }
}

/// Requests that never wait at the gate: they touch no database.
fn exempt(path: &str) -> bool {
    path == "/healthz" || path.starts_with("/static/")
}

/// The middleware: holds a place while the handler works out its answer
/// (a response body is built by then; a chat socket, once upgraded, runs
/// on without one).
pub async fn shed(State(app): State<App>, request: Request, next: Next) -> Response {
    if exempt(request.uri().path()) {
        return next.run(request).await;
    }
    let class = Class::of(request.method());
    let Some(_place) = app.gate().enter(class).await else {
        app.gate().note_shed(crate::app::now_ms());
        return refusal(&request);
    };
    next.run(request).await
}

/// 503 with `Retry-After`, as problem+json for the API and as a page
/// (which gives a form's text back) for everything else.
fn refusal(request: &Request) -> Response {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        ApiError::from(ServiceError::busy()).into_response()
    } else {
        WebError::from(ServiceError::busy()).into_response()
    }
}

/// Raises this process's limit of open files to the most the system allows:
/// every connection is a file, and a default soft limit of 1,024 would
/// refuse connections long before the gates shed anything.
pub fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < 4096 => tracing::warn!(
            limit,
            "the open-files limit is low: raise it (ulimit -n, LimitNOFILE=) to serve thousands of connections"
        ),
        Ok(limit) => tracing::debug!(limit, "open-files limit"),
        Err(e) => tracing::warn!(error = %e, "could not read or raise the open-files limit"),
    }
}
