//! Errors as `application/problem+json` (RFC 9457), and the JSON body and
//! query string extractors whose rejections are problems too.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::error::{FieldError, ServiceError};

/// A problem report. `errors` lists field-level problems when the input was invalid.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[schema(example = "about:blank")]
    r#type: &'static str,
    #[schema(example = "Not found")]
    title: &'static str,
    #[schema(example = 404)]
    status: u16,
    #[schema(example = "We could not find that page.")]
    detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ProblemField>,
    /// With `type` `/problems/check-first`: what the checks found. Show it to
    /// the author, then send again with `acknowledge_warnings: true` to post.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    check: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemField {
    field: &'static str,
    message: String,
}

#[derive(Debug)]
pub struct ApiError {
    error: ServiceError,
    status: Option<StatusCode>,
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        Self {
            error,
            status: None,
        }
    }
}

impl ApiError {
    pub(crate) fn with_status(status: StatusCode, detail: String) -> Self {
        Self {
            error: ServiceError::field("body", detail),
            status: Some(status),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, title) = match &self.error {
            ServiceError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid input"),
            ServiceError::SignInRequired => (StatusCode::UNAUTHORIZED, "Sign in required"),
            ServiceError::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed"),
            ServiceError::TermsPending => (StatusCode::FORBIDDEN, "Terms to accept"),
            ServiceError::NotFound => (StatusCode::NOT_FOUND, "Not found"),
            ServiceError::CheckFirst(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "Check before posting")
            }
            ServiceError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
            ServiceError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "Busy"),
            ServiceError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Server error"),
        };
        let status = self.status.unwrap_or(status);
        let (detail, errors) = match &self.error {
            ServiceError::Invalid(fields) if self.status.is_some() => (
                fields
                    .first()
                    .map(|f| f.message.clone())
                    .unwrap_or_default(),
                Vec::new(),
            ),
            ServiceError::Invalid(fields) => (
                self.error.to_string(),
                fields
                    .iter()
                    .map(|FieldError { field, message }| ProblemField {
                        field,
                        message: message.clone(),
                    })
                    .collect(),
            ),
            other => (other.to_string(), Vec::new()),
        };
        let (r#type, check) = match &self.error {
            ServiceError::CheckFirst(review) => (
                "/problems/check-first",
                Some(serde_json::json!({
                    "personal_details": review.findings,
                    "personal_details_in_title": review.title_findings,
                    "explanations": review.findings.iter().chain(&review.title_findings)
                        .map(|f| f.kind.explain()).collect::<std::collections::BTreeSet<_>>(),
                    "policy": review.policy,
                    "crisis": review.crisis,
                    "helplines_markdown": review.crisis.then_some(&review.helplines_md),
                })),
            ),
            _ => ("about:blank", None),
        };
        let body = Problem {
            r#type,
            title,
            status: status.as_u16(),
            detail,
            errors,
            check,
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ServiceError::SignInRequired = self.error {
            // RFC 9110: a 401 names the ways to authenticate.
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"hearth\""),
            );
        }
        if let Some(retry_after_secs) = self.error.retry_after_secs()
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// A JSON body; malformed JSON, a wrong content type or a body that is too
/// large each get a problem that says so.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(match rejection {
                JsonRejection::MissingJsonContentType(_) => ApiError::with_status(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Send the body as JSON, with Content-Type: application/json.".into(),
                ),
                JsonRejection::JsonSyntaxError(e) => ApiError::with_status(
                    StatusCode::BAD_REQUEST,
                    format!("The body is not valid JSON: {}", e.body_text()),
                ),
                JsonRejection::JsonDataError(e) => ApiError::with_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("The JSON does not fit: {}", e.body_text()),
                ),
                JsonRejection::BytesRejection(_) => ApiError::with_status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The body is too large.".into(),
                ),
                other => ApiError::with_status(StatusCode::BAD_REQUEST, other.body_text()),
            }),
        }
    }
}

/// A query string; one that does not fit (a number too large, a word where a
/// number goes) gets a problem that names the parameter, not a line of text.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => Err(ApiError::with_status(
                StatusCode::BAD_REQUEST,
                format!("The query string does not fit: {}", rejection.body_text()),
            )),
        }
    }
}
