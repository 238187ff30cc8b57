//! Who is asking: the session cookie (or, on the API, a bearer token) turned
//! into an `Actor`, plus the helpers that read and write cookies.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};

use super::WebError;
use super::csrf::CsrfToken;
use crate::App;
use crate::services::{Actor, accounts};

pub const SESSION_COOKIE: &str = "hearth_session";

/// The visitor of a page: who they are, their session and their form token.
#[derive(Clone, Debug)]
pub struct Visitor {
    pub actor: Actor,
    pub session_token: Option<String>,
    pub csrf: String,
}

impl FromRequestParts<App> for Visitor {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let session_token = cookie(&parts.headers, SESSION_COOKIE);
        let account = match &session_token {
            Some(token) => accounts::from_session(app, token).await?,
            None => None,
        };
        let actor = Actor { account };
        // A stale cookie is as good as none.
        let session_token = session_token.filter(|_| actor.account.is_some());
        Ok(Visitor {
            actor,
            session_token,
            csrf,
        })
    }
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Sets a cookie for the whole site: HttpOnly, SameSite=Lax, and Secure
/// when served over HTTPS. `max_age` None: a session cookie; Some(0): delete.
pub fn set_cookie(
    headers: &mut HeaderMap,
    name: &str,
    value: &str,
    max_age_secs: Option<i64>,
    secure: bool,
) {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_secs {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&text) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// A throttling key for the client: its IP address (hashed before storage).
/// Behind a reverse proxy on the same host (the default bind is loopback),
/// the proxy's `X-Forwarded-For` names the client; from anywhere else that
/// header is not trusted.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let addr = match (peer, forwarded) {
            (Some(ip), Some(client)) if ip.is_loopback() => client,
            (Some(ip), _) => ip.to_string(),
            (None, _) => String::new(),
        };
        Ok(ClientAddr(addr))
    }
}

/// Where to go after signing in: only a path on this site. Browsers ignore
/// tabs and newlines in a location and read `/\` as `//`, so any control
/// character, space or backslash, or a second slash, sends people home instead.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && !n
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\') =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        assert_eq!(
            safe_next(Some("/t/5?after=3#post-4")),
            "/t/5?after=3#post-4"
        );
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/a\nb",
            "https://evil.example",
            "/ x",
        ] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil:?}");
        }
    }
}
