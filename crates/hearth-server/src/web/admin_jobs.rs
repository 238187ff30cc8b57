//! The job queue for admins: the backlog by kind, jobs trying again after
//! an error, and failed jobs with a button to try them again.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use hearth_store::jobs::Job;

use super::csrf::CsrfForm;
use super::page::{Chrome, render};
use super::views::Moment;
use super::{Visitor, WebError};
use crate::App;
use crate::services::jobs::{self, BacklogView};

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/jobs", get(jobs_page))
        .route("/admin/jobs/{id}/retry", post(retry))
}

struct JobRow {
    id: i64,
    kind: String,
    payload: String,
    tries: String,
    /// The next try (retrying) or when it failed.
    when: Moment,
    error: String,
}

impl JobRow {
    fn new(job: Job, when: i64) -> Self {
        Self {
            id: job.id,
            tries: format!("{} of {}", job.attempts, job.max_attempts),
            kind: job.kind,
            payload: job.payload,
            when: Moment::from_ms(when),
            error: job.last_error.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    chrome: Chrome,
    kinds: Vec<hearth_store::jobs::Backlog>,
    retrying: Vec<JobRow>,
    failed: Vec<JobRow>,
    mail_configured: bool,
    notice: Option<String>,
}

async fn page(app: &App, visitor: &Visitor, notice: Option<String>) -> Result<Response, WebError> {
    let BacklogView {
        kinds,
        failed,
        retrying,
        mail_configured,
    } = jobs::backlog(app, &visitor.actor).await?;
    Ok(render(&JobsPage {
        chrome: Chrome::new(app, visitor, "Background jobs").await?,
        kinds,
        retrying: retrying
            .into_iter()
            .map(|j| {
                let at = j.run_at;
                JobRow::new(j, at)
            })
            .collect(),
        failed: failed
            .into_iter()
            .map(|j| {
                let at = j.updated_at;
                JobRow::new(j, at)
            })
            .collect(),
        mail_configured,
        notice,
    }))
}

async fn jobs_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    page(&app, &visitor, None).await
}

async fn retry(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Response, WebError> {
    let job = jobs::retry(&app, &visitor.actor, jobs::parse_id(&id)?).await?;
    let notice = format!("Job {} ({}) will be tried again now.", job.id, job.kind);
    page(&app, &visitor, Some(notice)).await
}
