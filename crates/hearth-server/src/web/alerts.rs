//! Email news alerts: the public subscribe form, the confirmation and
//! unsubscribe links, and the staff page that writes and sends alerts.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::account::message;
use super::csrf::CsrfForm;
use super::page::{Chrome, Errors, form_errors, render, render_with};
use super::views::Moment;
use super::{Visitor, WebError};
use crate::App;
use crate::services::alerts::{self, NewAlert};

pub fn router() -> Router<App> {
    Router::new()
        .route("/alerts", get(subscribe_page).post(subscribe))
        .route("/alerts/confirm/{token}", get(confirm))
        .route(
            "/alerts/unsubscribe/{token}",
            get(unsubscribe_page).post(unsubscribe),
        )
        .route("/admin/alerts", get(admin_page).post(send))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    email: String,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct SubscribePage {
    chrome: Chrome,
    form: EmailForm,
    errors: Errors,
}

async fn subscribe_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    Ok(render(&SubscribePage {
        chrome: Chrome::new(&app, &visitor, "Email news alerts").await?,
        form: EmailForm::default(),
        errors: Errors::default(),
    }))
}

async fn subscribe(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<Response, WebError> {
    match form_errors(alerts::subscribe(&app, &form.email).await)? {
        Ok(()) => {
            message(
                &app,
                &visitor,
                "Check your email",
                &["We have sent a link to that address. Open it to confirm, and the news alerts will start."],
                None,
            )
            .await
        }
        Err(errors) => {
            let chrome = Chrome::new(&app, &visitor, "Email news alerts").await?;
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SubscribePage { chrome, form, errors },
            ))
        }
    }
}

async fn confirm(
    State(app): State<App>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    alerts::confirm(&app, &token).await?;
    message(
        &app,
        &visitor,
        "News alerts confirmed",
        &["Thank you: you will get our email news alerts. Every alert has a link to stop them."],
        Some(("/", "Go to the home page")),
    )
    .await
}

/// The page an unsubscribe link opens: a button, since following a link
/// alone must change nothing (mail scanners follow links).
#[derive(Template)]
#[template(path = "unsubscribe.html")]
pub struct UnsubscribePage {
    pub chrome: Chrome,
    pub what: &'static str,
    pub action: String,
}

async fn unsubscribe_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    alerts::unsubscribe_link_is_live(&app, &token).await?;
    Ok(render(&UnsubscribePage {
        chrome: Chrome::new(&app, &visitor, "Stop email news alerts").await?,
        what: "Press the button to get no more email news alerts at this address.",
        action: format!("/alerts/unsubscribe/{token}"),
    }))
}

/// The page's button and mail readers' one-click requests (RFC 8058) both
/// land here. No form token: a mail reader has none, and the secret link
/// is the proof; what the body says does not matter.
async fn unsubscribe(
    State(app): State<App>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    alerts::unsubscribe(&app, &token).await?;
    message(
        &app,
        &visitor,
        "Unsubscribed",
        &["You will get no more email news alerts, and we no longer keep your address for them."],
        Some(("/alerts", "Subscribe again")),
    )
    .await
}

struct AlertRow {
    subject: String,
    sent_at: Moment,
    preparing: bool,
    sent: i64,
    waiting: i64,
    failed: i64,
}

#[derive(Template)]
#[template(path = "admin_alerts.html")]
struct AdminPage {
    chrome: Chrome,
    subscribers: i64,
    alerts: Vec<AlertRow>,
    form: NewAlert,
    errors: Errors,
    notice: Option<String>,
}

async fn admin_view(
    app: &App,
    visitor: &Visitor,
    form: NewAlert,
    errors: Errors,
    notice: Option<String>,
) -> Result<AdminPage, WebError> {
    let view = alerts::list(app, &visitor.actor).await?;
    Ok(AdminPage {
        chrome: Chrome::new(app, visitor, "News alerts").await?,
        subscribers: view.subscribers,
        alerts: view
            .alerts
            .into_iter()
            .map(|a| AlertRow {
                subject: a.subject,
                sent_at: Moment::from_ms(a.created_at),
                preparing: a.queued_at.is_none(),
                sent: a.sent,
                waiting: a.waiting,
                failed: a.failed,
            })
            .collect(),
        form,
        errors,
        notice,
    })
}

async fn admin_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    let page = admin_view(&app, &visitor, NewAlert::default(), Errors::default(), None).await?;
    Ok(render(&page))
}

async fn send(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<NewAlert>,
) -> Result<Response, WebError> {
    match form_errors(alerts::send(&app, &visitor.actor, &form).await)? {
        Ok(alert) => {
            let notice = format!(
                "\u{201c}{}\u{201d} is on its way to every confirmed subscriber.",
                alert.subject
            );
            let page = admin_view(
                &app,
                &visitor,
                NewAlert::default(),
                Errors::default(),
                Some(notice),
            )
            .await?;
            Ok(render(&page))
        }
        Err(errors) => {
            let page = admin_view(&app, &visitor, form, errors, None).await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}
