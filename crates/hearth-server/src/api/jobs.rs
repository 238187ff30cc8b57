//! The job queue for admins over JSON: the backlog, and trying a failed job again.

use axum::Json;
use axum::extract::{Path, State};
use hearth_store::jobs::{Backlog, Job};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::Problem;
use super::schema::rfc3339;
use super::{ApiActor, ApiError};
use crate::App;
use crate::services::jobs;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(backlog))
        .routes(routes!(retry))
}

/// The jobs of one kind that are not done.
#[derive(Serialize, ToSchema)]
pub struct KindOut {
    #[schema(example = "mail")]
    pub kind: String,
    /// Could run now.
    pub due: i64,
    /// Waiting for a later moment (a retry after an error, or work set for later).
    pub scheduled: i64,
    pub running: i64,
    /// Out of tries: retry them with `POST /api/admin/jobs/{id}/retry`.
    pub failed: i64,
}

impl From<Backlog> for KindOut {
    fn from(b: Backlog) -> Self {
        Self {
            kind: b.kind,
            due: b.due,
            scheduled: b.scheduled,
            running: b.running,
            failed: b.failed,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct JobOut {
    pub id: i64,
    #[schema(example = "mail")]
    pub kind: String,
    /// `queued`, `running`, `failed` or `done`.
    #[schema(example = "failed")]
    pub state: &'static str,
    /// What the job is for (never a personal detail in the clear).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Tries so far.
    pub attempts: i64,
    pub max_attempts: i64,
    /// Not to run before this moment.
    pub run_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Job> for JobOut {
    fn from(j: Job) -> Self {
        Self {
            id: j.id,
            payload: serde_json::from_str(&j.payload)
                .unwrap_or(serde_json::Value::String(j.payload)),
            kind: j.kind,
            state: j.state.as_str(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: rfc3339(j.run_at),
            last_error: j.last_error,
            created_at: rfc3339(j.created_at),
            updated_at: rfc3339(j.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BacklogOut {
    /// Without a mail server, mail jobs wait in the queue.
    pub mail_configured: bool,
    /// Counts by kind of job.
    pub kinds: Vec<KindOut>,
    /// Waiting to be tried again after an error, the next first.
    pub retrying: Vec<JobOut>,
    /// Out of tries, the most recent first.
    pub failed: Vec<JobOut>,
}

/// The job queue: counts by kind, jobs trying again and failed jobs (admins).
#[utoipa::path(get, path = "/api/admin/jobs", tag = "admin",
    responses((status = 200, body = BacklogOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn backlog(State(app): State<App>, actor: ApiActor) -> Result<Json<BacklogOut>, ApiError> {
    let view = jobs::backlog(&app, &actor.actor).await?;
    Ok(Json(BacklogOut {
        mail_configured: view.mail_configured,
        kinds: view.kinds.into_iter().map(KindOut::from).collect(),
        retrying: view.retrying.into_iter().map(JobOut::from).collect(),
        failed: view.failed.into_iter().map(JobOut::from).collect(),
    }))
}

/// Try a failed job again now, with all its tries (admins).
#[utoipa::path(post, path = "/api/admin/jobs/{id}/retry", tag = "admin", params(("id" = i64, Path, description = "A failed job")),
    responses((status = 200, body = JobOut, description = "The job, queued again"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No failed job has this id")),
    security(("token" = []), ("session" = [])))]
async fn retry(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<JobOut>, ApiError> {
    let id = jobs::parse_id(&id)?;
    Ok(Json(JobOut::from(
        jobs::retry(&app, &actor.actor, id).await?,
    )))
}
