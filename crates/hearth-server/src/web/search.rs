//! The search page: a GET form (bookmarkable, works without JavaScript) and
//! its results, within what the visitor may read.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::page::{Chrome, Errors, form_errors, render, render_with};
use super::views::{Author, Moment};
use super::{Visitor, WebError};
use crate::App;
use crate::services::search::{self, SearchInput};

pub fn router() -> Router<App> {
    Router::new().route("/search", get(search_page))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    pub q: String,
    pub space: String,
    pub author: String,
    pub from: String,
    pub until: String,
    pub page: Option<String>,
}

impl SearchQuery {
    pub fn input(&self) -> SearchInput {
        SearchInput {
            q: self.q.clone(),
            space: self.space.clone(),
            author: self.author.clone(),
            from: self.from.clone(),
            until: self.until.clone(),
            page: self
                .page
                .as_deref()
                .and_then(|p| p.parse().ok())
                .unwrap_or(1),
        }
    }

    /// This search's address with another page number.
    fn page_href(&self, page: i64) -> String {
        let pairs = [
            ("q", self.q.as_str()),
            ("space", self.space.as_str()),
            ("author", self.author.as_str()),
            ("from", self.from.as_str()),
            ("until", self.until.as_str()),
        ];
        let kept: Vec<_> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let query = serde_urlencoded::to_string(kept).unwrap_or_default();
        format!("/search?{query}&page={page}")
    }
}

struct HitView {
    href: String,
    topic_title: String,
    space_name: String,
    space_href: String,
    author: Author,
    when: Moment,
    snippet_html: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    form: SearchQuery,
    errors: Errors,
    searched: bool,
    empty_query: bool,
    total: i64,
    hits: Vec<HitView>,
    newer: Option<String>,
    older: Option<String>,
}

async fn search_page(
    State(app): State<App>,
    visitor: Visitor,
    Query(form): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let chrome = Chrome::new(&app, &visitor, "Search").await?;
    let searched = !form.q.trim().is_empty();
    let mut page = SearchPage {
        chrome,
        errors: Errors::default(),
        searched,
        empty_query: false,
        total: 0,
        hits: Vec::new(),
        newer: None,
        older: None,
        form,
    };
    if !searched {
        return Ok(render(&page));
    }
    match form_errors(search::search(&app, &visitor.actor, &page.form.input()).await)? {
        Ok(results) => {
            page.empty_query = results.empty_query;
            page.total = results.total;
            let shown = (results.page - 1) * search::PER_PAGE + results.hits.len() as i64;
            page.older = (shown < results.total).then(|| page.form.page_href(results.page + 1));
            page.newer = (results.page > 1).then(|| page.form.page_href(results.page - 1));
            page.hits = results
                .hits
                .into_iter()
                .map(|h| HitView {
                    href: format!("/p/{}", h.post_id),
                    topic_title: h.topic_title,
                    space_href: format!("/s/{}", h.space_slug),
                    space_name: h.space_name,
                    author: Author::new(
                        h.author
                            .map(hearth_core::model::Alias::from_trusted)
                            .as_ref(),
                        None,
                        h.guest_name.as_deref(),
                    ),
                    when: Moment::from_ms(h.created_at),
                    snippet_html: h.snippet_html,
                })
                .collect();
            Ok(render(&page))
        }
        Err(errors) => {
            page.errors = errors;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}
