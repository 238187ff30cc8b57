//! The caller's private feed token over JSON.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::problem::Problem;
use super::schema::*;
use super::{ApiActor, ApiError};
use crate::App;
use crate::error::ServiceError;
use crate::feeds::{FeedOf, Format};
use crate::services::feeds;

pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(feed_token, create_feed_token, revoke_feed_token))
}

type ApiResult<T> = Result<T, ApiError>;

/// When the caller's private feed token was made (the token itself is
/// shown only when it is made).
#[utoipa::path(get, path = "/api/feed-token", tag = "accounts",
    responses((status = 200, body = FeedTokenOut),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No feed token", body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn feed_token(State(app): State<App>, actor: ApiActor) -> ApiResult<Json<FeedTokenOut>> {
    let created = feeds::token_created(&app, &actor.actor)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(Json(FeedTokenOut {
        created_at: rfc3339(created),
        token: None,
        rss: None,
        atom: None,
    }))
}

/// Make a new private feed token, replacing any earlier one (whose links
/// stop working). Add `?token=…` to any feed URL to read it as the caller,
/// members-only spaces included.
#[utoipa::path(post, path = "/api/feed-token", tag = "accounts",
    responses((status = 201, body = FeedTokenOut),
        (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn create_feed_token(
    State(app): State<App>,
    actor: ApiActor,
) -> ApiResult<(StatusCode, Json<FeedTokenOut>)> {
    let token = feeds::create_token(&app, &actor.actor).await?;
    let created = feeds::token_created(&app, &actor.actor)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        Json(FeedTokenOut {
            created_at: rfc3339(created),
            rss: Some(FeedOf::Site.private_url(&app, Format::Rss, &token)),
            atom: Some(FeedOf::Site.private_url(&app, Format::Atom, &token)),
            token: Some(token),
        }),
    ))
}

/// Revoke the caller's private feed token: its feed URLs answer 404.
#[utoipa::path(delete, path = "/api/feed-token", tag = "accounts",
    responses((status = 204),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No feed token", body = Problem, content_type = "application/problem+json")),
    security(("token" = []), ("session" = [])))]
async fn revoke_feed_token(State(app): State<App>, actor: ApiActor) -> ApiResult<StatusCode> {
    feeds::revoke_token(&app, &actor.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
