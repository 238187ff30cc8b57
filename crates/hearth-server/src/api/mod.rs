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
pub use problem::{ApiError, ApiJson, ApiQuery};

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
    let mut openapi = openapi;
    document_common_answers(&mut openapi);
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

/// Answers an operation can give before its handler runs, documented once
/// here rather than on each: a body that is not JSON, too large or of the
/// wrong shape (`ApiJson`), a query string that does not fit (`ApiQuery`),
/// and, where a signed-in caller is needed, 401.
fn document_common_answers(openapi: &mut utoipa::openapi::OpenApi) {
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let body = operation.request_body.is_some();
            let query = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query));
            let secured = operation.security.is_some();
            let answers = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                answers
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description));
            };
            if body {
                add("400", "The body is not valid JSON");
                add("413", "The body is too large");
                add("415", "The body is not sent as application/json");
                add("422", "The body does not fit, or a field is invalid");
            }
            if query {
                add("400", "The query string does not fit");
            }
            if secured {
                add("401", "Sign in required");
            }
        }
    }
}

fn problem(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::response::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

async fn not_found() -> ApiError {
    ServiceError::NotFound.into()
}
