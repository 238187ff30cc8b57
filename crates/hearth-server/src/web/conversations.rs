//! Private conversations as pages: the list of one's conversations with the
//! form to start one, reporting one, and the moderators' list of reported
//! ones. A conversation itself is shown, sent to and watched live by the
//! chat room pages (`super::chat`), under `/messages/{slug}`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use hearth_core::model::{Alias, Role};
use hearth_store::conversations::{Reported, Summary};
use serde::Deserialize;

use super::csrf::{CsrfForm, Empty};
use super::page::{Chrome, Errors, form_errors, redirect, render, render_with};
use super::views::Moment;
use super::{Visitor, WebError};
use crate::App;
use crate::services::conversations::{self, Start, TEAM};

pub fn router() -> Router<App> {
    Router::new()
        .route("/messages", get(list_page).post(start))
        .route("/messages/{room}/report", post(report))
        .route("/messages/{room}/close-report", post(close_report))
        .route("/mod/conversations", get(reported_page))
}

struct SummaryView {
    href: String,
    subject: String,
    with: String,
    last: Moment,
    unread: i64,
    reported: bool,
}

impl SummaryView {
    fn new(s: &Summary, me: &str) -> Self {
        let member = s.member_alias.as_ref().map(Alias::to_string);
        Self {
            href: format!("/messages/{}", s.slug),
            subject: s.subject.clone(),
            with: match (s.with_team, member.as_deref()) {
                (true, Some(m)) if m != me => format!("{m} and the staff team"),
                (true, _) => "The staff team".into(),
                (false, Some(m)) if m != me => m.to_owned(),
                (false, _) => "A staff member".into(),
            },
            last: Moment::from_ms(s.last_at.unwrap_or(s.started_at)),
            unread: s.unread,
            reported: s.reported,
        }
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct StartForm {
    with: String,
    subject: String,
}

#[derive(Template)]
#[template(path = "conversations.html")]
struct ListPage {
    chrome: Chrome,
    conversations: Vec<SummaryView>,
    /// Staff start with a member (typed); members choose the team or a staff member.
    staff_starts: bool,
    staff: Vec<Alias>,
    team: &'static str,
    form: StartForm,
    errors: Errors,
}

async fn list_view(
    app: &App,
    visitor: &Visitor,
    form: StartForm,
    errors: Errors,
) -> Result<ListPage, WebError> {
    let summaries = conversations::list(app, &visitor.actor).await?;
    let me = visitor
        .actor
        .signed_in()
        .map(|a| a.alias.to_string())
        .unwrap_or_default();
    let staff_starts = visitor.actor.viewer().role() == Some(Role::Staff);
    Ok(ListPage {
        chrome: Chrome::new(app, visitor, "Private messages").await?,
        conversations: summaries.iter().map(|s| SummaryView::new(s, &me)).collect(),
        staff: if staff_starts {
            Vec::new()
        } else {
            conversations::staff(app).await?
        },
        staff_starts,
        team: TEAM,
        form,
        errors,
    })
}

async fn list_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let form = StartForm {
        with: TEAM.into(),
        ..Default::default()
    };
    Ok(render(
        &list_view(&app, &visitor, form, Errors::default()).await?,
    ))
}

async fn start(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<StartForm>,
) -> Result<Response, WebError> {
    let cmd = Start {
        with: form.with.clone(),
        subject: form.subject.clone(),
    };
    match form_errors(conversations::start(&app, &visitor.actor, cmd).await)? {
        Ok(room) => Ok(redirect(&format!("/messages/{}#composer", room.slug))),
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &list_view(&app, &visitor, form, errors).await?,
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReportForm {
    reason: String,
}

async fn report(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<ReportForm>,
) -> Result<Response, WebError> {
    conversations::report(&app, &visitor.actor, &slug, &form.reason).await?;
    Ok(redirect(&format!("/messages/{slug}?reported=1")))
}

async fn close_report(
    State(app): State<App>,
    visitor: Visitor,
    Path(slug): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    conversations::close_report(&app, &visitor.actor, &slug).await?;
    Ok(redirect("/mod/conversations"))
}

struct ReportedView {
    href: String,
    subject: String,
    member: String,
    by: String,
    reason: String,
    at: Moment,
}

impl From<&Reported> for ReportedView {
    fn from(r: &Reported) -> Self {
        let alias = |a: &Option<Alias>| {
            a.as_ref()
                .map_or_else(|| "a former member".to_owned(), Alias::to_string)
        };
        Self {
            href: format!("/messages/{}", r.slug),
            subject: r.subject.clone(),
            member: alias(&r.member_alias),
            by: alias(&r.report.by),
            reason: r.report.reason.clone(),
            at: Moment::from_ms(r.report.at),
        }
    }
}

#[derive(Template)]
#[template(path = "mod_conversations.html")]
struct ReportedPage {
    chrome: Chrome,
    reported: Vec<ReportedView>,
}

async fn reported_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let reported = conversations::reported(&app, &visitor.actor).await?;
    Ok(render(&ReportedPage {
        chrome: Chrome::new(&app, &visitor, "Reported conversations").await?,
        reported: reported.iter().map(ReportedView::from).collect(),
    }))
}
