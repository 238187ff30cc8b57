use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use hearth_core::text::render_markdown;
use hearth_store::legal::{DocKind, Document};

use super::page::{Chrome, render};
use super::views::Moment;
use super::{Visitor, WebError};
use crate::App;
use crate::error::ServiceError;
use crate::services::legal;

pub fn router() -> Router<App> {
    Router::new()
        .route("/privacy", get(|s, v| current(s, v, DocKind::Privacy)))
        .route("/terms", get(|s, v| current(s, v, DocKind::Terms)))
        .route("/{kind}/history", get(history))
        .route("/{kind}/v/{version}", get(version))
}

pub struct DocView {
    version: i64,
    published: Moment,
    html: String,
}

impl DocView {
    fn new(d: &Document) -> Self {
        Self {
            version: d.version,
            published: Moment::from_ms(d.published_at),
            html: render_markdown(&d.body_md),
        }
    }
}

#[derive(Template)]
#[template(path = "legal.html")]
struct LegalPage {
    chrome: Chrome,
    kind: &'static str,
    document: Option<DocView>,
    has_history: bool,
}

async fn current(
    State(app): State<App>,
    visitor: Visitor,
    kind: DocKind,
) -> Result<Response, WebError> {
    let document = legal::current(&app, kind).await?;
    let chrome = Chrome::new(&app, &visitor, kind.title()).await?;
    Ok(render(&LegalPage {
        chrome,
        kind: kind.as_str(),
        has_history: document.as_ref().is_some_and(|d| d.version > 1),
        document: document.as_ref().map(DocView::new),
    }))
}

fn kind_of(text: &str) -> Result<DocKind, WebError> {
    DocKind::parse(text).ok_or_else(|| ServiceError::NotFound.into())
}

#[derive(Template)]
#[template(path = "legal_history.html")]
struct HistoryPage {
    chrome: Chrome,
    kind: &'static str,
    documents: Vec<DocView>,
}

async fn history(
    State(app): State<App>,
    visitor: Visitor,
    Path(kind): Path<String>,
) -> Result<Response, WebError> {
    let kind = kind_of(&kind)?;
    let documents = legal::history(&app, kind)
        .await?
        .iter()
        .map(DocView::new)
        .collect();
    let chrome = Chrome::new(&app, &visitor, format!("{}: all versions", kind.title())).await?;
    Ok(render(&HistoryPage {
        chrome,
        kind: kind.as_str(),
        documents,
    }))
}

async fn version(
    State(app): State<App>,
    visitor: Visitor,
    Path((kind, version)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let kind = kind_of(&kind)?;
    let version: i64 = version.parse().map_err(|_| ServiceError::NotFound)?;
    let doc = legal::version(&app, kind, version).await?;
    let chrome = Chrome::new(
        &app,
        &visitor,
        format!("{}, version {}", kind.title(), doc.version),
    )
    .await?;
    Ok(render(&LegalPage {
        chrome,
        kind: kind.as_str(),
        document: Some(DocView::new(&doc)),
        has_history: true,
    }))
}
