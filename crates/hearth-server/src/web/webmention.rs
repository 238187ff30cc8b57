//! The doors other sites knock at: the webmention endpoint (a form post,
//! answered in HTML for people and in JSON or problem+json for programs),
//! the pingback XML-RPC server, and the moderators' list of mentions.
//! Neither door takes a form token: other sites post to them by design.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hearth_core::model::ReactionKind;
use hearth_store::webmentions::Mention;
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::page::{Chrome, redirect, render};
use super::session::ClientAddr;
use super::views::Moment;
use super::{Visitor, WebError};
use crate::App;
use crate::api::problem::ApiError;
use crate::error::ServiceError;
use crate::services::webmentions::{self as mentions, Protocol, Refused};
use crate::webmention::pingback;

/// A mention is two addresses; anything much larger is not one.
const MAX_MENTION_BYTES: usize = 16 * 1024;

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/webmention",
            get(endpoint_page)
                .post(receive)
                .layer(DefaultBodyLimit::max(MAX_MENTION_BYTES)),
        )
        .route(
            "/xmlrpc",
            post(receive_pingback).layer(DefaultBodyLimit::max(MAX_MENTION_BYTES)),
        )
        .route("/mod/mentions", get(held_page))
        .route("/mod/mentions/{id}", post(decide))
}

/// How other sites find the doors: on each public entry page, in its
/// headers (the head has the same as `<link>`s).
pub fn advertise(headers: &mut HeaderMap) {
    headers.append(
        header::LINK,
        HeaderValue::from_static("</webmention>; rel=\"webmention\""),
    );
    headers.insert("x-pingback", HeaderValue::from_static("/xmlrpc"));
}

// ---- webmention

#[derive(Template)]
#[template(path = "webmention.html")]
struct EndpointPage {
    chrome: Chrome,
}

/// A page for people who open the endpoint: what it is, and a form.
async fn endpoint_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    Ok(render(&EndpointPage {
        chrome: Chrome::new(&app, &visitor, "Tell us you wrote about an entry").await?,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MentionForm {
    source: String,
    target: String,
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

async fn receive(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let html = wants_html(&headers);
    let form: MentionForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(_) => {
            let why = Refused::Request(
                "Send source and target as a form (application/x-www-form-urlencoded).".into(),
            );
            return refusal(&app, &visitor, html, why).await;
        }
    };
    match mentions::receive(
        &app,
        Protocol::Webmention,
        &form.source,
        &form.target,
        &client,
    )
    .await
    {
        Ok(received) if html => {
            let first = if received.new {
                "Thank you: we have your mention."
            } else {
                "Thank you: we have updated your mention."
            };
            super::account::message(
                &app,
                &visitor,
                "Mention received",
                &[
                    first,
                    "A moderator looks at mentions from other sites before they appear below the entry.",
                ],
                Some((
                    url::Url::parse(&form.target)
                        .map(|u| u.path().to_owned())
                        .as_deref()
                        .unwrap_or("/"),
                    "Back to the entry",
                )),
            )
            .await
        }
        Ok(received) => Ok((
            StatusCode::OK,
            axum::Json(serde_json::json!({
                "status": received.status,
                "message": "Received: a moderator looks at mentions before they are shown.",
            })),
        )
            .into_response()),
        Err(e) => refusal(&app, &visitor, html, e).await,
    }
}

/// A refused mention: 400 with the reason (429 when throttled), as a page
/// or as a problem.
async fn refusal(
    app: &App,
    visitor: &Visitor,
    html: bool,
    why: Refused,
) -> Result<Response, WebError> {
    let reason = match why {
        Refused::Service(e) if html => return Err(e.into()),
        Refused::Service(e) => return Ok(ApiError::from(e).into_response()),
        other => other.to_string(),
    };
    if !html {
        return Ok(ApiError::with_status(StatusCode::BAD_REQUEST, reason).into_response());
    }
    let mut page = super::account::message(
        app,
        visitor,
        "The mention was not taken",
        &[&reason],
        Some(("/webmention", "Try again")),
    )
    .await?;
    *page.status_mut() = StatusCode::BAD_REQUEST;
    Ok(page)
}

// ---- pingback

async fn receive_pingback(
    State(app): State<App>,
    ClientAddr(client): ClientAddr,
    body: Bytes,
) -> Response {
    let answer = match std::str::from_utf8(&body) {
        Ok(xml) => match mentions::receive_pingback(&app, xml, &client).await {
            Ok(message) => pingback::success(&message),
            Err(fault) => pingback::fault_response(&fault),
        },
        Err(_) => pingback::fault_response(&pingback::Fault::new(
            pingback::fault::GENERIC,
            "The request is not UTF-8 text.",
        )),
    };
    // XML-RPC answers faults with 200 too: the fault is in the body.
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], answer).into_response()
}

// ---- the moderators' list

pub struct MentionView {
    pub id: i64,
    pub source: String,
    pub host: String,
    pub kind: &'static str,
    pub title: String,
    pub author: String,
    pub excerpt: String,
    pub protocol: String,
    pub received: Moment,
    pub entry_title: String,
    pub entry_path: String,
}

impl MentionView {
    pub fn new(m: &Mention) -> Self {
        Self {
            id: m.id,
            host: url::Url::parse(&m.source)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default(),
            source: m.source.clone(),
            kind: m.kind.as_str(),
            title: m.title.clone(),
            author: m.author.clone(),
            excerpt: m.excerpt.clone(),
            protocol: m.protocol.clone(),
            received: Moment::from_ms(m.received_at),
            entry_title: m.entry_title.clone(),
            entry_path: m.entry_path.clone(),
        }
    }
}

impl MentionView {
    /// What the page does to the entry, for the moderators' list.
    pub fn kind_phrase(&self) -> &'static str {
        match self.kind {
            "reply" => "A reply to",
            "like" => "A like of",
            "repost" => "A share of",
            "bookmark" => "A bookmark of",
            _ => "A mention of",
        }
    }

    /// Who reacted: the page's author, else its site.
    pub fn who(&self) -> &str {
        if self.author.is_empty() {
            &self.host
        } else {
            &self.author
        }
    }
}

/// An entry's approved mentions as its page groups them: likes, shares and
/// bookmarks as lists of names; replies and mentions with their titles.
#[derive(Default)]
pub struct Reactions {
    pub likes: Vec<MentionView>,
    pub reposts: Vec<MentionView>,
    pub bookmarks: Vec<MentionView>,
    pub writings: Vec<MentionView>,
}

impl Reactions {
    pub fn new(mentions: &[Mention]) -> Self {
        let mut r = Self::default();
        for m in mentions {
            let view = MentionView::new(m);
            match m.kind {
                ReactionKind::Like => r.likes.push(view),
                ReactionKind::Repost => r.reposts.push(view),
                ReactionKind::Bookmark => r.bookmarks.push(view),
                ReactionKind::Reply | ReactionKind::Mention => r.writings.push(view),
            }
        }
        r
    }

    pub fn is_empty(&self) -> bool {
        self.likes.is_empty()
            && self.reposts.is_empty()
            && self.bookmarks.is_empty()
            && self.writings.is_empty()
    }
}

#[derive(Template)]
#[template(path = "mod_mentions.html")]
struct HeldPage {
    chrome: Chrome,
    mentions: Vec<MentionView>,
}

async fn held_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let held = mentions::held(&app, &visitor.actor).await?;
    Ok(render(&HeldPage {
        chrome: Chrome::new(&app, &visitor, "Mentions from other sites").await?,
        mentions: held.iter().map(MentionView::new).collect(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecisionForm {
    /// approve | reject
    decision: String,
}

async fn decide(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| ServiceError::NotFound)?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(ServiceError::field("decision", "Choose approve or reject.").into()),
    };
    mentions::decide(&app, &visitor.actor, id, approve).await?;
    Ok(redirect("/mod/mentions"))
}
