//! The JSON API under `/api`, described by the OpenAPI 3.1 document at
//! `/api/openapi.json` (generated from the handlers, so it cannot drift).
//! `/api/v1` and `/api/v2` stay free for the Mastodon client API.
//!
//! Each handler parses JSON into a service command, calls the same service
//! as the HTML pages, and answers JSON or `application/problem+json`.

mod accounts;
mod admin;
mod alerts;
mod auth;
mod blogs;
mod feeds;
mod forum;
mod jobs;
mod mentions;
mod moderation;
pub(crate) mod problem;
mod schema;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

pub use auth::ApiActor;
pub use problem::{ApiError, ApiJson};

use crate::App;
use crate::error::ServiceError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hearth API",
        description = "The community's forums as JSON. Sign in with a session cookie (`POST /api/session`) or send a personal access token as `Authorization: Bearer …` (create one on your account page or with `POST /api/tokens`). Errors are `application/problem+json`."
    ),
    modifiers(&Security),
    tags(
        (name = "accounts", description = "Registering, signing in, your account"),
        (name = "forums", description = "Spaces, topics and posts"),
        (name = "blogs", description = "Blogs, their entries and threaded comments, tags, image uploads"),
        (name = "chat", description = "Chat rooms (live messages travel over the WebSocket at /r/{room}/live)"),
        (name = "moderation", description = "The queue, flags, actions on members, the audit log"),
        (name = "privacy", description = "Your data: download it, delete your account"),
        (name = "alerts", description = "Email news alerts: subscribing, and sending (staff)"),
        (name = "admin", description = "For admins"),
        (name = "legal", description = "Privacy statement and terms"),
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("hearth_session"))),
        );
    }
}

pub fn router() -> Router<App> {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(accounts::router())
        .merge(alerts::router())
        .merge(feeds::router())
        .merge(forum::router())
        .merge(blogs::router())
        .merge(admin::router())
        .merge(jobs::router())
        .merge(moderation::router())
        .merge(mentions::router())
        .split_for_parts();
    let document = serde_json::to_value(&openapi).unwrap_or_default();
    router
        .route(
            "/api/openapi.json",
            get(move || async move { Json(document.clone()) }),
        )
        .route("/api", get(not_found).post(not_found))
        .route(
            "/api/{*rest}",
            get(not_found)
                .post(not_found)
                .put(not_found)
                .patch(not_found)
                .delete(not_found),
        )
}

async fn not_found() -> ApiError {
    ServiceError::NotFound.into()
}
