//! Cross-site request forgery protection for forms: a random token in a
//! cookie that must come back in the form's hidden `csrf` field. A foreign
//! site can make a browser post a form, but cannot read or set our cookie.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::WebError;
use super::session::{cookie, set_cookie};
use crate::App;
use crate::error::ServiceError;

pub const COOKIE: &str = "hearth_csrf";

/// The token of this request, for the hidden field of every form.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// Gives every visitor a token cookie before any form is shown.
pub async fn ensure_cookie(State(app): State<App>, mut request: Request, next: Next) -> Response {
    // Only a token as we make them (base64url): pages write it unescaped.
    let existing = cookie(request.headers(), COOKIE).filter(|t| {
        (32..=128).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let token = existing
        .clone()
        .unwrap_or_else(hearth_store::seal::random_token);
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    // What shared caches may keep (feeds, the stylesheet) must not hand one
    // visitor's token to the next.
    let shared = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public"));
    if existing.is_none() && !shared {
        set_cookie(
            response.headers_mut(),
            COOKIE,
            &token,
            None,
            app.config().secure_cookies(),
        );
    }
    response
}

/// A form body whose `csrf` field matched the cookie; `T` gets the rest.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<App> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &App) -> Result<Self, Self::Rejection> {
        let expected = request.extensions().get::<CsrfToken>().map(|t| t.0.clone());
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(WebError::from(ServiceError::field(
                "form",
                "Send this form as a web form.",
            )));
        }
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| WebError::too_large())?;
        let sent = serde_urlencoded::from_bytes::<CsrfField>(&body)
            .ok()
            .and_then(|f| f.csrf);
        match (expected, sent) {
            (Some(a), Some(b)) if constant_time_eq(a.as_bytes(), b.as_bytes()) => {}
            _ => return Err(WebError::expired_form()),
        }
        serde_urlencoded::from_bytes::<T>(&body)
            .map(CsrfForm)
            .map_err(|e| {
                WebError::from(ServiceError::field(
                    "form",
                    format!("The form was not complete: {e}."),
                ))
            })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form that carries a file (`multipart/form-data`), its CSRF token
/// checked like `CsrfForm`'s. Text fields fill `T`; non-empty files are
/// kept by field name.
pub struct CsrfMultipart<T> {
    pub form: T,
    pub files: std::collections::HashMap<String, Vec<u8>>,
}

impl<T: DeserializeOwned> FromRequest<App> for CsrfMultipart<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &App) -> Result<Self, Self::Rejection> {
        use axum::extract::Multipart;
        let expected = request.extensions().get::<CsrfToken>().map(|t| t.0.clone());
        let not_a_form = || {
            WebError::from(ServiceError::field(
                "form",
                "Send this form as a web form with its file.",
            ))
        };
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|_| not_a_form())?;
        let mut fields = serde_json::Map::new();
        let mut files = std::collections::HashMap::new();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(WebError::too_large());
                }
                Err(_) => return Err(not_a_form()),
            };
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                let bytes = field.bytes().await.map_err(|_| WebError::too_large())?;
                if !bytes.is_empty() {
                    files.insert(name, bytes.to_vec());
                }
            } else {
                let text = field.text().await.map_err(|_| not_a_form())?;
                fields.insert(name, serde_json::Value::String(text));
            }
        }
        let sent = fields.get("csrf").and_then(|v| v.as_str());
        match (expected, sent) {
            (Some(a), Some(b)) if constant_time_eq(a.as_bytes(), b.as_bytes()) => {}
            _ => return Err(WebError::expired_form()),
        }
        let form = serde_json::from_value(serde_json::Value::Object(fields)).map_err(|e| {
            WebError::from(ServiceError::field(
                "form",
                format!("The form was not complete: {e}."),
            ))
        })?;
        Ok(CsrfMultipart { form, files })
    }
}

/// The fields of a form that is only a button (its CSRF token aside).
#[derive(serde::Deserialize, Default)]
pub struct Empty {}
