//! The HTML front door: server-rendered pages and forms that work without
//! JavaScript. Handlers parse input, call one service, and render.

pub mod account;
mod admin;
mod admin_jobs;
mod admin_safety;
mod admin_site;
pub mod alerts;
mod blogs;
pub mod cache;
mod chat;
mod compose;
mod conversations;
pub mod csrf;
mod error;
mod forum;
pub mod home;
pub mod kept;
mod legal;
mod moderation;
mod page;
pub mod privacy;
mod search;
pub mod session;
mod setup;
pub mod share;
pub(crate) mod views;
mod webmention;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use error::WebError;
pub use page::Chrome;
pub use session::Visitor;

use crate::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/hearth.css", get(stylesheet))
        .route("/static/chat.js", get(chat_script))
        .merge(home::router())
        .merge(setup::router())
        .merge(account::router())
        .merge(legal::router())
        .merge(forum::router())
        .merge(admin::router())
        .merge(admin_jobs::router())
        .merge(alerts::router())
        .merge(admin_safety::router())
        .merge(admin_site::router())
        .merge(moderation::router())
        .merge(privacy::router())
        .merge(search::router())
        .merge(blogs::router())
        .merge(chat::router())
        .merge(conversations::router())
        .merge(share::router())
        .merge(webmention::router())
        .fallback(|| async { WebError::from(crate::error::ServiceError::NotFound) })
}

async fn chat_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/chat.js"),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/hearth.css"),
    )
        .into_response()
}

/// A path whose percent-escapes do not decode to UTF-8 names nothing on this
/// site. The routes' `Path` extractors would refuse it with a bare line of
/// text; it is answered here, before routing, like any other missing page:
/// an HTML page, or a problem under `/api`.
pub async fn unreadable_paths(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    if percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .is_ok()
    {
        return next.run(request).await;
    }
    let missing = crate::error::ServiceError::NotFound;
    if path == "/api" || path.starts_with("/api/") {
        crate::api::ApiError::from(missing).into_response()
    } else {
        WebError::from(missing).into_response()
    }
}

/// Security headers on every response: no inline script, no framing, no
/// referrer leaking a members-only URL to another site, and no images from
/// other sites (they would tell those sites who reads what, and when).
pub async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    );
    response
}
