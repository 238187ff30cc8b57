//! The JSON API under `/api`, described by its OpenAPI document at
//! `/api/openapi.json`. `/api/v1` and `/api/v2` stay free for the Mastodon
//! client API.

use axum::Router;

use crate::App;

pub fn router() -> Router<App> {
    Router::new()
}
