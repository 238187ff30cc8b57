//! Nothing typed is lost. When a form cannot be taken for a reason the form
//! itself cannot show (the session ended, the form token expired, new terms
//! wait to be accepted), the person gets a page with their text on it.

use askama::Template;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::app::MAX_BODY_BYTES;

/// Put on an error response whose form text must be given back.
#[derive(Clone, Debug)]
pub enum KeepTyped {
    SignIn,
    Expired,
    Terms,
    /// The service refused the form; its message is shown above the text.
    Refused {
        status: StatusCode,
        heading: &'static str,
        message: String,
    },
}

#[derive(Template)]
#[template(path = "kept.html")]
struct KeptPage {
    heading: &'static str,
    message: String,
    fields: Vec<(String, String)>,
    next_href: &'static str,
    next_label: &'static str,
}

/// Fields worth giving back: what a person typed, not the form's own
/// hidden fields, not passwords, not empty.
fn worth_keeping(name: &str, value: &str) -> bool {
    !["csrf", "started", "website", "acknowledge", "reply_to"].contains(&name)
        && !name.contains("password")
        && !value.trim().is_empty()
}

pub async fn give_back_typed_text(request: Request, next: Next) -> Response {
    let is_form = request.method() == Method::POST
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // Too large a body is refused further in, with 413.
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES * 2).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "That was too much to send at once.",
        )
            .into_response();
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes.clone())))
        .await;
    let Some(reason) = response.extensions().get::<KeepTyped>().cloned() else {
        return response;
    };
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, v)| worth_keeping(k, v))
            .collect();
    let (status, page) = match reason {
        KeepTyped::SignIn => (
            StatusCode::UNAUTHORIZED,
            KeptPage {
                heading: "Please sign in again",
                message: "You were signed out (sessions end after a while), so this was not sent.".into(),
                fields,
                next_href: "/login",
                next_label: "Sign in",
            },
        ),
        KeepTyped::Expired => (
            StatusCode::FORBIDDEN,
            KeptPage {
                heading: "This form had expired",
                message: "For your safety, forms stop working after a while or after signing in or out, so this was not sent.".into(),
                fields,
                next_href: "/",
                next_label: "Go to the home page",
            },
        ),
        KeepTyped::Terms => (
            StatusCode::FORBIDDEN,
            KeptPage {
                heading: "Please accept the updated terms first",
                message: "We have updated our terms or privacy statement. Please read and accept them, then send this again.".into(),
                fields,
                next_href: "/accept",
                next_label: "Read the updated terms",
            },
        ),
        KeepTyped::Refused {
            status,
            heading,
            message,
        } => {
            if fields.is_empty() {
                return response;
            }
            (
                status,
                KeptPage {
                    heading,
                    message: format!("{message} This was not sent; here is what you wrote."),
                    fields,
                    next_href: "/",
                    next_label: "Go to the home page",
                },
            )
        }
    };
    let headers = response.headers().clone();
    match page.render() {
        Ok(html) => {
            let mut kept = (status, Html(html)).into_response();
            if let Some(retry) = headers.get(header::RETRY_AFTER) {
                kept.headers_mut()
                    .insert(header::RETRY_AFTER, retry.clone());
            }
            kept
        }
        Err(_) => response,
    }
}
