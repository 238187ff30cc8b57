use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use hearth_store::spaces::Space;
use hearth_store::topics::ActivityCursor;
use serde::Deserialize;

use super::page::{Chrome, render};
use super::views::TopicItem;
use super::{Visitor, WebError};
use crate::App;
use crate::feeds::FeedOf;
use crate::services::{forum, spaces};

pub fn router() -> Router<App> {
    Router::new().route("/", get(home))
}

#[derive(Deserialize, Default)]
pub struct AfterQuery {
    pub after: Option<String>,
}

/// Cursors travel in URLs as `<last activity ms>_<topic id>`.
pub fn parse_cursor(text: Option<&str>) -> Option<ActivityCursor> {
    let (at, id) = text?.split_once('_')?;
    Some(ActivityCursor {
        last_activity_at: at.parse().ok()?,
        id: id.parse().ok()?,
    })
}

pub fn format_cursor(c: &ActivityCursor) -> String {
    format!("{}_{}", c.last_activity_at, c.id)
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    spaces: Vec<Space>,
    topics: Vec<TopicItem>,
    show_space: bool,
    next: Option<String>,
}

async fn home(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<AfterQuery>,
) -> Result<Response, WebError> {
    let actor = &visitor.actor;
    let spaces = spaces::readable(&app, actor, hearth_core::model::SpaceKind::Forum).await?;
    let (topics, next) = forum::latest(&app, actor, parse_cursor(q.after.as_deref())).await?;
    let signed_in = actor.signed_in().is_some();
    let chrome = Chrome::new(&app, &visitor, "Home")
        .await?
        .with_feed(Some(FeedOf::Site), "Latest topics");
    Ok(render(&HomePage {
        chrome,
        spaces,
        topics: topics
            .iter()
            .map(|t| TopicItem::new(t, signed_in))
            .collect(),
        show_space: true,
        next: next.as_ref().map(format_cursor),
    }))
}
