//! Pages for guests, kept in memory. Everything a guest sees is the same for
//! every guest except the form token, so a page is rendered once with a
//! placeholder token and served to the next guests with theirs. An entry is
//! valid only while no shared write has been committed since it was made
//! (`Store::changes`), so a page is never stale once a writer has its answer.
//!
//! On PostgreSQL the count is a sequence in the database, so every node
//! sees every node's writes (one cheap query per page served from here).
//! On SQLite it is kept in this process: writes made outside it (the
//! `hearth` command while serving) are not counted, so an entry also
//! expires after a few seconds.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::csrf::CsrfToken;
use super::session::{SESSION_COOKIE, cookie};
use crate::App;
pub use crate::memory::Kept;

/// Stands in for the form token in a cached page. Random per process, so
/// that no one can write it into a post to learn other guests' tokens.
fn placeholder() -> &'static str {
    static PLACEHOLDER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PLACEHOLDER.get_or_init(|| format!("ph{}", hearth_store::seal::random_token()))
}

/// No page comes near this (50 posts of 50,000 characters).
const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;

pub type PageCache = Kept<Arc<KeptPage>>;

/// A guest's page as kept: its HTML and the headers that say more about it.
pub struct KeptPage {
    html: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// Headers a page's handler sets that every guest should get too (the
/// webmention and pingback doors of an entry). Nothing else is carried:
/// above all no cookie.
fn carried(name: &HeaderName) -> bool {
    name == header::LINK || name.as_str() == "x-pingback"
}

fn cacheable(request: &Request) -> bool {
    request.method() == Method::GET
        && cookie(request.headers(), SESSION_COOKIE).is_none()
        && !request.headers().contains_key(header::AUTHORIZATION)
        && !request.uri().path().starts_with("/api")
}

fn html_response(page: &KeptPage, token: &str) -> Response {
    let mut response = (StatusCode::OK, page.html.replace(placeholder(), token)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    for (name, value) in &page.headers {
        headers.append(name.clone(), value.clone());
    }
    response
}

pub async fn guest_pages(State(app): State<App>, mut request: Request, next: Next) -> Response {
    if !cacheable(&request) {
        return next.run(request).await;
    }
    let uri = request.uri().to_string();
    let token = request
        .extensions()
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    // Read the count before rendering: a write that lands meanwhile makes this entry stale.
    let Some(changes) = app.changes().await else {
        return next.run(request).await;
    };
    if let Some(page) = app.page_cache().get(&uri, changes) {
        return html_response(&page, &token);
    }
    request
        .extensions_mut()
        .insert(CsrfToken(placeholder().into()));
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if response.status() != StatusCode::OK || !is_html {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_PAGE_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    match String::from_utf8(bytes.to_vec()) {
        Ok(html) => {
            let page = Arc::new(KeptPage {
                headers: parts
                    .headers
                    .iter()
                    .filter(|(name, _)| carried(name))
                    .map(|(n, v)| (n.clone(), v.clone()))
                    .collect(),
                html,
            });
            let response = html_response(&page, &token);
            let bytes = page.html.len();
            app.page_cache().put(uri, changes, page, bytes);
            response
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}
