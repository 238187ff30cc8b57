//! RSS 2.0 and Atom. A use case in `services::feeds` describes a feed in
//! neutral terms (`Feed`, `Item`); this module writes it in either format
//! and serves it with validators (ETag, Last-Modified) so that feed readers
//! polling an unchanged feed get 304 Not Modified.
//!
//! URLs: `/feeds/{rss|atom}` (the site), `/feeds/s/{slug}/{rss|atom}` (a
//! space), `/feeds/t/{id}/{rss|atom}` (a topic). Adding a feed is a variant
//! of `FeedOf`, its path, a route and one small function in the service.
//!
//! A member's private feed token rides in the query (`?token=…`), the way
//! other forges and forums carry feed tokens: the feed keeps one path
//! whoever reads it, so a member turns any public feed link into their own
//! by adding the token, and one route serves both.

mod atom;
mod rss;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearth_core::model::TopicId;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::App;
use crate::error::{ServiceError, ServiceResult};
use crate::services::{Actor, feeds};
use crate::web::WebError;

/// Items in every feed.
pub const ITEMS: i64 = 50;

/// Feed readers may keep a copy this long before asking again (with the
/// validators, so that asking is cheap). Short, so that a post taken down
/// by moderators leaves shared caches soon.
const MAX_AGE_SECS: u32 = 60;

/// A feed, whatever its format.
#[derive(Clone, Debug)]
pub struct Feed {
    pub title: String,
    pub subtitle: String,
    /// The page this feed follows (absolute).
    pub page: String,
    /// The latest change among the items, or of the followed thing when it has none (ms).
    pub updated: i64,
    /// Newest first.
    pub items: Vec<Item>,
}

impl Feed {
    /// A feed of `items`, updated when its newest item was (or at `since`, when empty).
    pub fn new(
        title: String,
        subtitle: String,
        page: String,
        since: i64,
        items: Vec<Item>,
    ) -> Self {
        let updated = items
            .iter()
            .map(|i| i.updated.max(i.published))
            .max()
            .unwrap_or(since);
        Self {
            title,
            subtitle,
            page,
            updated,
            items,
        }
    }
}

/// One entry: a topic, a post.
#[derive(Clone, Debug)]
pub struct Item {
    pub title: String,
    /// Where it is read (absolute); also its permanent id.
    pub link: String,
    /// An alias or a guest's name: never anything else about a person.
    pub author: String,
    pub published: i64,
    pub updated: i64,
    /// Sanitized HTML whose links work outside the site.
    pub html: String,
}

impl Item {
    /// Makes the site's own links in a post (mentions, `/t/…`) absolute: a
    /// feed reader has no page to resolve them against.
    pub fn absolute_links(html: &str, base_url: &str) -> String {
        html.replace("href=\"/", &format!("href=\"{base_url}/"))
            .replace("src=\"/", &format!("src=\"{base_url}/"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
}

impl Format {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "rss" => Some(Format::Rss),
            "atom" => Some(Format::Atom),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml",
            Format::Atom => "application/atom+xml",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Format::Rss => "RSS",
            Format::Atom => "Atom",
        }
    }
}

/// What a feed follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedOf {
    Site,
    Space(String),
    /// A topic's posts, or a blog entry's text and comments.
    Topic(TopicId),
    Blog(String),
    Tag(String),
}

impl FeedOf {
    /// The feed's path in this format (without a token).
    pub fn path(&self, format: Format) -> String {
        let format = format.as_str();
        match self {
            FeedOf::Site => format!("/feeds/{format}"),
            FeedOf::Space(slug) => format!("/feeds/s/{slug}/{format}"),
            FeedOf::Topic(id) => format!("/feeds/t/{id}/{format}"),
            FeedOf::Blog(slug) => format!("/feeds/b/{slug}/{format}"),
            FeedOf::Tag(slug) => format!("/feeds/tags/{slug}/{format}"),
        }
    }

    /// The feed as the member with this feed token reads it (absolute).
    pub fn private_url(&self, app: &App, format: Format, token: &str) -> String {
        format!("{}?token={token}", app.link(&self.path(format)))
    }

    /// The feed in both formats, for a page's head and its visible links.
    pub fn links(&self, title: &str) -> Vec<FeedLink> {
        [Format::Rss, Format::Atom]
            .into_iter()
            .map(|format| FeedLink {
                href: self.path(format),
                mime: format.mime(),
                label: format.label(),
                title: format!("{title} ({})", format.label()),
            })
            .collect()
    }
}

/// A link to a public feed, as pages show it.
#[derive(Clone, Debug)]
pub struct FeedLink {
    pub href: String,
    pub mime: &'static str,
    /// "RSS" or "Atom".
    pub label: &'static str,
    pub title: String,
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/feeds/{format}", get(site))
        .route("/feeds/s/{slug}/{format}", get(space))
        .route("/feeds/t/{id}/{format}", get(topic))
        .route("/feeds/b/{slug}/{format}", get(blog))
        .route("/feeds/tags/{slug}/{format}", get(tag))
}

#[derive(Deserialize, Default)]
struct TokenQuery {
    token: Option<String>,
}

async fn site(
    State(app): State<App>,
    Path(format): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    serve(&app, FeedOf::Site, &format, q.token, &headers).await
}

async fn space(
    State(app): State<App>,
    Path((slug, format)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    serve(&app, FeedOf::Space(slug), &format, q.token, &headers).await
}

async fn blog(
    State(app): State<App>,
    Path((slug, format)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    serve(&app, FeedOf::Blog(slug), &format, q.token, &headers).await
}

async fn tag(
    State(app): State<App>,
    Path((slug, format)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    serve(&app, FeedOf::Tag(slug), &format, q.token, &headers).await
}

async fn topic(
    State(app): State<App>,
    Path((id, format)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    match id.parse() {
        Ok(id) => serve(&app, FeedOf::Topic(TopicId(id)), &format, q.token, &headers).await,
        Err(_) => WebError::from(ServiceError::NotFound).into_response(),
    }
}

async fn serve(
    app: &App,
    of: FeedOf,
    format: &str,
    token: Option<String>,
    headers: &HeaderMap,
) -> Response {
    match rendered(app, of, format, token.as_deref()).await {
        Ok(feed) => feed.response(headers, token.is_none()),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// The feed as bytes: public feeds from memory while nothing has changed
/// (as guests' pages are), private ones always made afresh.
async fn rendered(
    app: &App,
    of: FeedOf,
    format: &str,
    token: Option<&str>,
) -> ServiceResult<Arc<Rendered>> {
    let format = Format::parse(format).ok_or(ServiceError::NotFound)?;
    let path = of.path(format);
    // Read the count before building: a write that lands meanwhile makes the entry stale.
    let changes = match token {
        None => app.changes().await,
        Some(_) => None,
    };
    if let Some(changes) = changes
        && let Some(feed) = app.feed_cache().get(&path, changes)
    {
        return Ok(feed);
    }
    let (reader, self_url) = match token {
        None => (Actor::guest(), app.link(&path)),
        Some(token) => (
            feeds::reader(app, token).await?,
            of.private_url(app, format, token),
        ),
    };
    let feed = feeds::build(app, &reader, &of).await?;
    let body = match format {
        Format::Rss => rss::write(&feed, &self_url),
        Format::Atom => atom::write(&feed, &app.link(&path), &self_url),
    };
    let rendered = Arc::new(Rendered::new(body, format, feed.updated));
    if let Some(changes) = changes {
        let bytes = rendered.body.len();
        app.feed_cache().put(path, changes, rendered.clone(), bytes);
    }
    Ok(rendered)
}

/// A written feed with its validators.
pub struct Rendered {
    body: Bytes,
    format: Format,
    etag: String,
    last_modified: SystemTime,
}

impl Rendered {
    fn new(body: String, format: Format, updated: i64) -> Self {
        let digest = Sha256::digest(body.as_bytes());
        let etag = format!(
            "\"{}\"",
            digest[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        Self {
            body: Bytes::from(body),
            format,
            etag,
            // HTTP dates have whole seconds.
            last_modified: UNIX_EPOCH + Duration::from_secs(updated.max(0) as u64 / 1000),
        }
    }

    /// 200 with the feed, or 304 when the reader's copy is current. As RFC
    /// 9110 says, `If-None-Match` wins over `If-Modified-Since` when both come.
    fn response(&self, request: &HeaderMap, public: bool) -> Response {
        let fresh = match request.get(header::IF_NONE_MATCH) {
            Some(tags) => tags.to_str().is_ok_and(|tags| {
                tags.split(',')
                    .map(|t| t.trim().trim_start_matches("W/"))
                    .any(|t| t == "*" || t == self.etag)
            }),
            None => request
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .is_some_and(|since| self.last_modified <= since),
        };
        let mut response = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            (StatusCode::OK, self.body.clone()).into_response()
        };
        let headers = response.headers_mut();
        if !fresh {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.format.content_type()),
            );
        }
        let cache = if public { "public" } else { "private" };
        let headers_to_set = [
            (header::ETAG, self.etag.clone()),
            (
                header::LAST_MODIFIED,
                httpdate::fmt_http_date(self.last_modified),
            ),
            (
                header::CACHE_CONTROL,
                format!("{cache}, max-age={MAX_AGE_SECS}"),
            ),
        ];
        for (name, value) in headers_to_set {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }
}
