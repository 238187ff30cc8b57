//! Email news alerts over JSON: subscribing, and (staff) sending and listing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_store::alerts::Alert;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::Problem;
use super::schema::{EmailIn, rfc3339};
use super::{ApiActor, ApiError, ApiJson};
use crate::App;
use crate::services::alerts::{self, NewAlert};

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(subscribe))
        .routes(routes!(list, send))
}

/// Subscribe an address to the news alerts. A mail with a confirmation link
/// goes to it; the answer is the same whether or not it was subscribed.
#[utoipa::path(post, path = "/api/alerts/subscribe", tag = "alerts", request_body = EmailIn,
    responses((status = 202, description = "A confirmation mail is on its way (unless the address was already confirmed)"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn subscribe(
    State(app): State<App>,
    ApiJson(input): ApiJson<EmailIn>,
) -> Result<StatusCode, ApiError> {
    alerts::subscribe(&app, &input.email).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
pub struct AlertIn {
    #[schema(example = "Our helpline is open on Sunday")]
    pub subject: String,
    /// Markdown.
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct AlertOut {
    pub id: i64,
    pub subject: String,
    /// Markdown.
    pub body: String,
    pub created_at: String,
    /// False until one mail per confirmed subscriber has been queued.
    pub queued: bool,
    /// Mails handed to the mail server.
    pub sent: i64,
    /// Mails waiting to go out (or to be tried again).
    pub waiting: i64,
    /// Mails out of tries (see `/api/admin/jobs`).
    pub failed: i64,
}

impl From<Alert> for AlertOut {
    fn from(a: Alert) -> Self {
        Self {
            id: a.id,
            subject: a.subject,
            body: a.body,
            created_at: rfc3339(a.created_at),
            queued: a.queued_at.is_some(),
            sent: a.sent,
            waiting: a.waiting,
            failed: a.failed,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AlertsOut {
    /// Confirmed subscribers.
    pub subscribers: i64,
    /// Newest first.
    pub alerts: Vec<AlertOut>,
}

/// The alerts sent, with their mails sent, waiting and failed (staff).
#[utoipa::path(get, path = "/api/alerts", tag = "alerts",
    responses((status = 200, body = AlertsOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn list(State(app): State<App>, actor: ApiActor) -> Result<Json<AlertsOut>, ApiError> {
    let view = alerts::list(&app, &actor.actor).await?;
    Ok(Json(AlertsOut {
        subscribers: view.subscribers,
        alerts: view.alerts.into_iter().map(AlertOut::from).collect(),
    }))
}

/// Send an alert to every confirmed subscriber (staff). The mails are
/// queued: follow them with `GET /api/alerts`.
#[utoipa::path(post, path = "/api/alerts", tag = "alerts", request_body = AlertIn,
    responses((status = 202, body = AlertOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn send(
    State(app): State<App>,
    actor: ApiActor,
    ApiJson(input): ApiJson<AlertIn>,
) -> Result<(StatusCode, Json<AlertOut>), ApiError> {
    let alert = NewAlert {
        subject: input.subject,
        body: input.body,
    };
    let sent = alerts::send(&app, &actor.actor, &alert).await?;
    Ok((StatusCode::ACCEPTED, Json(AlertOut::from(sent))))
}
