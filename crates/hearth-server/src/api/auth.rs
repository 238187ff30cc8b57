//! Who is calling the API: a personal access token (`Authorization: Bearer`)
//! or the session cookie of a browser.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};

use super::ApiError;
use crate::App;
use crate::error::ServiceError;
use crate::services::{Actor, accounts};
use crate::web::session::{SESSION_COOKIE, cookie};

pub struct ApiActor {
    pub actor: Actor,
    pub session_token: Option<String>,
}

impl FromRequestParts<App> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(secret) = bearer {
            let account = accounts::from_api_token(app, secret).await?;
            return match account {
                Some(account) => Ok(ApiActor {
                    actor: Actor::member(account),
                    session_token: None,
                }),
                None => Err(ServiceError::SignInRequired.into()),
            };
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(ApiActor {
                actor: Actor::guest(),
                session_token: None,
            });
        };
        // A cookie rides along on any request to this site, so an unsafe
        // request that another site's page makes is refused.
        if !matches!(parts.method, Method::GET | Method::HEAD) && !same_origin(parts, app) {
            return Err(ServiceError::Forbidden(
                "Requests from other sites cannot use your session.".into(),
            )
            .into());
        }
        let account = accounts::from_session(app, &token).await?;
        let session_token = account.as_ref().map(|_| token);
        Ok(ApiActor {
            actor: Actor { account },
            session_token,
        })
    }
}

fn same_origin(parts: &Parts, app: &App) -> bool {
    let fetch_site = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site") | Some("same-site")) {
        return false;
    }
    match parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        Some(origin) => origin == app.config().base_url,
        None => true,
    }
}
