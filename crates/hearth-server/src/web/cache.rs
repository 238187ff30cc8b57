//! Pages for guests, kept in memory. Everything a guest sees is the same for
//! every guest except the form token, so a page is rendered once with a
//! placeholder token and served to the next guests with theirs. An entry is
//! valid only while no shared write has been committed since it was made
//! (`Store::changes`), so a page is never stale once a writer has its answer.
//!
//! Writes made outside this process (the `hearth` command while serving)
//! are not counted, so an entry also expires after a few seconds.
//!
//! Only on a single node (SQLite) for now: with several nodes on PostgreSQL
//! another node's writes are not seen here, so the cache is off there until
//! changes are announced across nodes.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hearth_store::Backend;

use super::csrf::CsrfToken;
use super::session::{SESSION_COOKIE, cookie};
use crate::App;

/// Stands in for the form token in a cached page. Random per process, so
/// that no one can write it into a post to learn other guests' tokens.
fn placeholder() -> &'static str {
    static PLACEHOLDER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PLACEHOLDER.get_or_init(|| format!("ph{}", hearth_store::seal::random_token()))
}

/// Enough for the pages guests read most; past it the cache starts afresh.
const MAX_BYTES: usize = 32 * 1024 * 1024;
/// Larger pages are served but not kept.
const MAX_CACHED_PAGE_BYTES: usize = 2 * 1024 * 1024;
/// No page comes near this (50 posts of 50,000 characters).
const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;
const MAX_AGE: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct PageCache {
    pages: RwLock<Pages>,
}

#[derive(Default)]
struct Pages {
    by_uri: HashMap<String, Page>,
    bytes: usize,
}

struct Page {
    changes: u64,
    made: Instant,
    html: String,
}

impl PageCache {
    fn get(&self, uri: &str, changes: u64) -> Option<String> {
        let pages = self.pages.read().ok()?;
        pages
            .by_uri
            .get(uri)
            .filter(|p| p.changes == changes && p.made.elapsed() < MAX_AGE)
            .map(|p| p.html.clone())
    }

    /// Forgets every page (after a change not made through a transaction).
    pub fn clear(&self) {
        if let Ok(mut pages) = self.pages.write() {
            *pages = Pages::default();
        }
    }

    fn put(&self, uri: String, changes: u64, html: String) {
        let Ok(mut pages) = self.pages.write() else {
            return;
        };
        if pages.bytes + html.len() > MAX_BYTES {
            pages.by_uri.clear();
            pages.bytes = 0;
        }
        pages.bytes += html.len();
        if let Some(old) = pages.by_uri.insert(
            uri,
            Page {
                changes,
                made: Instant::now(),
                html,
            },
        ) {
            pages.bytes -= old.html.len();
        }
    }
}

fn cacheable(app: &App, request: &Request) -> bool {
    app.store().backend() == Backend::Sqlite
        && request.method() == Method::GET
        && cookie(request.headers(), SESSION_COOKIE).is_none()
        && !request.headers().contains_key(header::AUTHORIZATION)
        && !request.uri().path().starts_with("/api")
}

fn html_response(html: String, token: &str) -> Response {
    let mut response = (StatusCode::OK, html.replace(placeholder(), token)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

pub async fn guest_pages(State(app): State<App>, mut request: Request, next: Next) -> Response {
    if !cacheable(&app, &request) {
        return next.run(request).await;
    }
    let uri = request.uri().to_string();
    let token = request
        .extensions()
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    // Read the count before rendering: a write that lands meanwhile makes this entry stale.
    let changes = app.store().changes();
    if let Some(html) = app.page_cache().get(&uri, changes) {
        return html_response(html, &token);
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
            let response = html_response(html.clone(), &token);
            if html.len() <= MAX_CACHED_PAGE_BYTES {
                app.page_cache().put(uri, changes, html);
            }
            response
        }
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}
