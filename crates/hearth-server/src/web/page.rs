//! What every page shows around its content (the "chrome"), and rendering.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{Visitor, WebError};
use crate::App;
use crate::error::{FieldError, ServiceError};
use crate::feeds::{FeedLink, FeedOf};
use crate::services::members;
use hearth_core::model::MemberActionKind;

/// The frame of every page: site name, who is signed in, the form token.
pub struct Chrome {
    pub site_name: String,
    pub alias: Option<String>,
    pub is_admin: bool,
    pub unread: i64,
    /// Private conversations with messages this person has not read.
    pub messages: i64,
    /// For staff: posts waiting in the queue or flagged (None for others).
    pub waiting: Option<i64>,
    /// Warnings and restrictions the member has not yet read.
    pub notices: Vec<Notice>,
    pub csrf: String,
    pub title: String,
    /// Public feeds of what the page shows: linked in its head and at its foot.
    pub feeds: Vec<FeedLink>,
}

/// A moderator's message to the member, shown on every page until read.
pub struct Notice {
    pub id: i64,
    pub heading: String,
    pub reason: String,
}

impl Chrome {
    pub async fn new(
        app: &App,
        visitor: &Visitor,
        title: impl Into<String>,
    ) -> Result<Self, WebError> {
        let actor = &visitor.actor;
        let summary = members::summary(app, actor).await?;
        let notices = summary
            .notices
            .iter()
            .map(|a| Notice {
                id: a.id,
                heading: match (a.kind, a.ends_at) {
                    (MemberActionKind::Warn, _) => "A message from the moderators".into(),
                    (MemberActionKind::Silence, Some(end)) => format!(
                        "You can read but not post until {}",
                        crate::services::human_time(end)
                    ),
                    (MemberActionKind::Silence, None) => "You can read but not post for now".into(),
                    (MemberActionKind::Suspend, _) => "Your account is suspended".into(),
                },
                reason: a.reason.clone(),
            })
            .collect();
        Ok(Self {
            site_name: app.site_name(),
            alias: actor.signed_in().map(|a| a.alias.to_string()),
            is_admin: actor.viewer().administers(),
            unread: summary.unread_notifications,
            messages: summary.unread_messages,
            waiting: summary.waiting,
            notices,
            csrf: visitor.csrf.clone(),
            title: title.into(),
            feeds: Vec::new(),
        })
    }

    /// Links the page to the public feeds of `of`, when there is one.
    pub fn with_feed(mut self, of: Option<FeedOf>, title: &str) -> Self {
        self.feeds = of.map(|of| of.links(title)).unwrap_or_default();
        self
    }
}

/// Renders a page with status 200.
pub fn render<T: Template>(page: &T) -> Response {
    render_with(StatusCode::OK, page)
}

pub fn render_with<T: Template>(status: StatusCode, page: &T) -> Response {
    // Room for a long page at once: growing the buffer step by step copied
    // a topic page's HTML several times over.
    let mut html = String::with_capacity(T::SIZE_HINT.max(64 * 1024));
    match page.render_into(&mut html) {
        Ok(()) => (status, Html(html)).into_response(),
        Err(e) => WebError::from(ServiceError::Internal(format!("template: {e}"))).into_response(),
    }
}

/// Field errors of a form that came back, with a lookup by field name.
#[derive(Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    pub fn list(&self) -> &[FieldError] {
        &self.0
    }
}

/// Splits a service result for a form handler: field errors re-render the
/// form (with what was typed), every other error becomes an error page.
pub fn form_errors<T>(result: Result<T, ServiceError>) -> Result<Result<T, Errors>, WebError> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(ServiceError::Invalid(fields)) => Ok(Err(Errors(fields))),
        Err(other) => Err(other.into()),
    }
}

/// A 303 to `location`. A location that cannot be a header (it came from
/// input with control characters) sends people home instead of failing.
pub fn redirect(location: &str) -> Response {
    match axum::http::HeaderValue::from_str(location) {
        Ok(_) => axum::response::Redirect::to(location).into_response(),
        Err(_) => axum::response::Redirect::to("/").into_response(),
    }
}
