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
use crate::services::search::{self, Found, FoundChat, Scope, SearchInput};

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
    /// `posts` (the default) or `chat`.
    #[serde(rename = "in")]
    pub scope: String,
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
        format!("{}&page={page}", self.href(&self.scope))
    }

    /// This search's first page, looking through `scope`.
    fn href(&self, scope: &str) -> String {
        let pairs = [
            ("in", scope),
            ("q", self.q.as_str()),
            ("space", self.space.as_str()),
            ("author", self.author.as_str()),
            ("from", self.from.as_str()),
            ("until", self.until.as_str()),
        ];
        let kept: Vec<_> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let query = serde_urlencoded::to_string(kept).unwrap_or_default();
        format!("/search?{query}")
    }
}

struct HitView {
    href: String,
    title: String,
    /// The space a post is in (a chat message's room is its title).
    space: Option<(String, String)>,
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
    chat: bool,
    posts_href: String,
    chat_href: String,
    empty_query: bool,
    total: i64,
    /// More matches than are ranked (`most_ranked`, written out).
    many: bool,
    most_ranked: String,
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
    // An unknown `in` searches posts, as if it were not there.
    let scope = Scope::parse(&form.scope).unwrap_or_default();
    let mut page = SearchPage {
        chrome,
        errors: Errors::default(),
        searched,
        chat: scope == Scope::Chat,
        posts_href: form.href(Scope::Posts.as_str()),
        chat_href: form.href(Scope::Chat.as_str()),
        empty_query: false,
        total: 0,
        many: false,
        most_ranked: hearth_store::search::MOST_RANKED.to_string(),
        hits: Vec::new(),
        newer: None,
        older: None,
        form,
    };
    page.form.scope = scope.as_str().to_owned();
    if !searched {
        return Ok(render(&page));
    }
    let input = page.form.input();
    let found = match scope {
        Scope::Posts => search::search(&app, &visitor.actor, &input)
            .await
            .map(|r| r.map(post_view)),
        Scope::Chat => search::search_chat(&app, &visitor.actor, &input)
            .await
            .map(|r| r.map(chat_view)),
    };
    match form_errors(found)? {
        Ok(results) => {
            page.empty_query = results.empty_query;
            page.total = results.total;
            page.many = results.total >= hearth_store::search::MOST_RANKED;
            let shown = (results.page - 1) * search::PER_PAGE + results.hits.len() as i64;
            page.older = (shown < results.total).then(|| page.form.page_href(results.page + 1));
            page.newer = (results.page > 1).then(|| page.form.page_href(results.page - 1));
            page.hits = results.hits;
            Ok(render(&page))
        }
        Err(errors) => {
            page.errors = errors;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

fn post_view(h: Found) -> HitView {
    HitView {
        href: format!("/p/{}", h.post_id),
        title: h.topic_title,
        space: Some((h.space_name, format!("/s/{}", h.space_slug))),
        author: Author::new(
            h.author
                .map(hearth_core::model::Alias::from_trusted)
                .as_ref(),
            None,
            h.guest_name.as_deref(),
        ),
        when: Moment::from_ms(h.created_at),
        snippet_html: h.snippet_html,
    }
}

/// A message is shown at the foot of the room's page that ends with it.
fn chat_view(h: FoundChat) -> HitView {
    HitView {
        href: format!(
            "/r/{}?before={}#m-{}",
            h.room_slug,
            h.message_id + 1,
            h.message_id
        ),
        title: h.room_name,
        space: None,
        author: Author::new(
            h.author
                .map(hearth_core::model::Alias::from_trusted)
                .as_ref(),
            None,
            None,
        ),
        when: Moment::from_ms(h.created_at),
        snippet_html: h.snippet_html,
    }
}
