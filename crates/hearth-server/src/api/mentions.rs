//! Mentions from other sites (webmentions and pingbacks) for moderators.
//! The doors other sites post to are `/webmention` and `/xmlrpc`, outside
//! the API: their formats are the protocols'.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::Problem;
use super::schema::MentionOut;
use super::{ApiActor, ApiError, ApiJson};
use crate::App;
use crate::error::ServiceError;
use crate::services::webmentions;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(held))
        .routes(routes!(decide))
}

type ApiResult<T> = Result<T, ApiError>;

/// Mentions waiting for a moderator, oldest first (moderators).
#[utoipa::path(get, path = "/api/moderation/mentions", tag = "moderation",
    responses((status = 200, body = Vec<MentionOut>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn held(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<Vec<MentionOut>>> {
    let held = webmentions::held(&app, &actor.actor).await?;
    Ok(Json(held.iter().map(MentionOut::new).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct MentionDecisionIn {
    /// `approve` (shown below the entry) or `reject`.
    pub decision: String,
}

/// Approve or reject a mention (moderators).
#[utoipa::path(post, path = "/api/moderation/mentions/{id}", tag = "moderation", params(("id" = i64, Path)), request_body = MentionDecisionIn,
    responses((status = 200, body = MentionOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn decide(
    State(app): State<App>,
    actor: ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MentionDecisionIn>,
) -> ApiResult<(StatusCode, Json<MentionOut>)> {
    let id: i64 = id.parse().map_err(|_| ServiceError::NotFound)?;
    let approve = match input.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(ServiceError::field("decision", "Use approve or reject.").into());
        }
    };
    let mention = webmentions::decide(&app, &actor.actor, id, approve).await?;
    Ok((StatusCode::OK, Json(MentionOut::new(&mention))))
}
