//! Service errors as HTML pages with the right status code.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::kept::KeepTyped;
use super::page::redirect;
use crate::error::ServiceError;

#[derive(Debug)]
pub struct WebError {
    error: ServiceError,
    status: Option<StatusCode>,
    expired_form: bool,
}

impl From<ServiceError> for WebError {
    fn from(error: ServiceError) -> Self {
        Self {
            error,
            status: None,
            expired_form: false,
        }
    }
}

impl WebError {
    pub fn too_large() -> Self {
        Self {
            error: ServiceError::field(
                "body",
                "That was too much to send at once. Please shorten it.",
            ),
            status: Some(StatusCode::PAYLOAD_TOO_LARGE),
            expired_form: false,
        }
    }

    /// The form token did not match: the text typed is given back.
    pub fn expired_form() -> Self {
        Self {
            error: ServiceError::Forbidden(
                "This form had expired. Please go back, reload the page, and send it again.".into(),
            ),
            status: None,
            expired_form: true,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading: &'a str,
    message: String,
    details: Vec<String>,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let keep = |mut response: Response, why: KeepTyped| {
            response.extensions_mut().insert(why);
            response
        };
        let (status, heading) = match &self.error {
            ServiceError::SignInRequired => return keep(redirect("/login"), KeepTyped::SignIn),
            ServiceError::TermsPending => return keep(redirect("/accept"), KeepTyped::Terms),
            ServiceError::Invalid(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Please check what you sent",
            ),
            ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed"),
            ServiceError::NotFound => (StatusCode::NOT_FOUND, "Page not found"),
            ServiceError::CheckFirst(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Please look at your post again",
            ),
            ServiceError::Throttled { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "Please wait a moment")
            }
            ServiceError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "Very busy just now"),
            ServiceError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong")
            }
        };
        let status = self.status.unwrap_or(status);
        let details = match &self.error {
            ServiceError::Invalid(fields) => fields.iter().map(|f| f.message.clone()).collect(),
            _ => Vec::new(),
        };
        let expired_form = self.expired_form;
        let page = ErrorPage {
            status: status.as_u16(),
            heading,
            message: self.error.to_string(),
            details,
        };
        let mut response = match page.render() {
            Ok(html) => (status, axum::response::Html(html)).into_response(),
            Err(_) => (status, self.error.to_string()).into_response(),
        };
        if let Some(retry_after_secs) = self.error.retry_after_secs()
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if expired_form {
            return keep(response, KeepTyped::Expired);
        }
        // A refused form (too fast, not allowed now) still gives its text back.
        if matches!(
            self.error,
            ServiceError::Throttled { .. }
                | ServiceError::Busy { .. }
                | ServiceError::Forbidden(_)
                | ServiceError::CheckFirst(_)
        ) {
            return keep(
                response,
                KeepTyped::Refused {
                    status,
                    heading,
                    message: self.error.to_string(),
                },
            );
        }
        response
    }
}
