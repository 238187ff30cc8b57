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

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

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

/// Things made for guests (pages here, public feeds in `feeds`), each valid
/// while no shared write has been committed since it was made and for at
/// most `MAX_AGE`. `V` is cheap to clone (an `Arc`).
pub struct Kept<V> {
    entries: RwLock<Entries<V>>,
}

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

struct Entries<V> {
    by_key: HashMap<String, Entry<V>>,
    bytes: usize,
}

struct Entry<V> {
    changes: u64,
    made: Instant,
    bytes: usize,
    value: V,
}

impl<V> Default for Kept<V> {
    fn default() -> Self {
        Self {
            entries: RwLock::new(Entries {
                by_key: HashMap::new(),
                bytes: 0,
            }),
        }
    }
}

impl<V: Clone> Kept<V> {
    pub fn get(&self, key: &str, changes: u64) -> Option<V> {
        let entries = self.entries.read().ok()?;
        entries
            .by_key
            .get(key)
            .filter(|e| e.changes == changes && e.made.elapsed() < MAX_AGE)
            .map(|e| e.value.clone())
    }

    /// Forgets everything (after a change not made through a transaction).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.by_key.clear();
            entries.bytes = 0;
        }
    }

    /// Keeps `value` (of about `bytes` bytes) made when the store had seen `changes` writes.
    pub fn put(&self, key: String, changes: u64, value: V, bytes: usize) {
        if bytes > MAX_CACHED_PAGE_BYTES {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.bytes + bytes > MAX_BYTES {
            entries.by_key.clear();
            entries.bytes = 0;
        }
        entries.bytes += bytes;
        if let Some(old) = entries.by_key.insert(
            key,
            Entry {
                changes,
                made: Instant::now(),
                bytes,
                value,
            },
        ) {
            entries.bytes -= old.bytes;
        }
    }
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
    let Some(changes) = app.store().changes().await else {
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
