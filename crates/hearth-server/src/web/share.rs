//! Sharing a topic or an entry: copy the link, send it by email, or share it
//! on a fediverse server or another network through their public share
//! addresses. Plain links only: no third-party script or tracker on any page.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::page::{Chrome, render};
use super::{Visitor, WebError};
use crate::App;
use crate::error::ServiceError;

pub fn router() -> Router<App> {
    Router::new().route("/share/fediverse", get(fediverse))
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// The share control under a topic or an entry.
pub struct Share {
    /// The page's own path, e.g. `/b/news/open-day`.
    pub path: String,
    pub url: String,
    pub title: String,
    /// Members-only pages offer only the link and email, without the title,
    /// and say who can open the link.
    pub members_only: bool,
    pub email_href: String,
    pub networks: Vec<(&'static str, String)>,
}

impl Share {
    pub fn new(app: &App, path: &str, title: &str, members_only: bool) -> Self {
        let url = format!("{}{path}", app.config().base_url.trim_end_matches('/'));
        let site = app.site_name();
        let email_href = if members_only {
            format!(
                "mailto:?subject={}&body={}",
                encode(&format!("A link from {site}")),
                encode(&url)
            )
        } else {
            format!(
                "mailto:?subject={}&body={}",
                encode(title),
                encode(&format!("{title}\n\n{url}"))
            )
        };
        let text = format!("{title} {url}");
        let networks = if members_only {
            Vec::new()
        } else {
            vec![
                (
                    "Bluesky",
                    format!("https://bsky.app/intent/compose?text={}", encode(&text)),
                ),
                (
                    "Facebook",
                    format!(
                        "https://www.facebook.com/sharer/sharer.php?u={}",
                        encode(&url)
                    ),
                ),
                (
                    "LinkedIn",
                    format!(
                        "https://www.linkedin.com/sharing/share-offsite/?url={}",
                        encode(&url)
                    ),
                ),
                ("WhatsApp", format!("https://wa.me/?text={}", encode(&text))),
                (
                    "X",
                    format!(
                        "https://x.com/intent/post?text={}&url={}",
                        encode(title),
                        encode(&url)
                    ),
                ),
            ]
        };
        Self {
            path: path.to_owned(),
            url,
            title: title.to_owned(),
            members_only,
            email_href,
            networks,
        }
    }
}

/// A fediverse server as someone typed it: "mastodon.social",
/// "https://mastodon.social/", "@me@mastodon.social" → the host name.
pub fn fediverse_host(input: &str) -> Option<String> {
    let s = input.trim();
    let s = s.strip_prefix("https://").unwrap_or(s);
    let s = s.strip_prefix("http://").unwrap_or(s);
    let s = s.trim_end_matches('/');
    // A handle names its server after the last '@'.
    let s = s.rsplit('@').next().unwrap_or(s).to_lowercase();
    let (host, port) = match s.split_once(':') {
        Some((h, p))
            if p.chars().all(|c| c.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|n| n > 0) =>
        {
            (h.to_owned(), Some(p.to_owned()))
        }
        Some(_) => return None,
        None => (s, None),
    };
    let labels_ok = host.split('.').count() >= 2
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    // The address parser has the last word: a name whose last label is a
    // number is read as an IPv4 address, and "l.eme.3" is not one.
    let parses = url::Host::parse(&host).is_ok();
    (labels_ok && parses && host.len() <= 253).then(|| match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FediverseQuery {
    server: String,
    path: String,
    title: String,
}

#[derive(Template)]
#[template(path = "share_fediverse.html")]
struct FediversePage {
    chrome: Chrome,
    server: String,
    target: String,
    back: String,
}

/// The fediverse share form lands here: the page names the server and links
/// to its share page (a form may not send people to another site by itself).
async fn fediverse(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<FediverseQuery>,
) -> Result<Response, WebError> {
    // Only this site's pages are shared through here.
    if !q.path.starts_with('/') || q.path.starts_with("//") || q.path.contains(['\\', '\n']) {
        return Err(ServiceError::field("path", "Only pages of this site can be shared.").into());
    }
    let Some(server) = fediverse_host(&q.server) else {
        return Err(ServiceError::field(
            "server",
            "Type your server's name, like mastodon.social (the part after the second @ of your handle).",
        )
        .into());
    };
    let url = format!("{}{}", app.config().base_url.trim_end_matches('/'), q.path);
    let title: String = q.title.chars().take(200).collect();
    let text = if title.trim().is_empty() {
        url
    } else {
        format!("{} {url}", title.trim())
    };
    Ok(render(&FediversePage {
        chrome: Chrome::new(&app, &visitor, format!("Share on {server}")).await?,
        target: format!("https://{server}/share?text={}", encode(&text)),
        server,
        back: q.path,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_read_from_what_people_type() {
        assert_eq!(
            fediverse_host("mastodon.social").as_deref(),
            Some("mastodon.social")
        );
        // Found by fuzzing: the last label a number, yet not an IPv4 address.
        assert_eq!(fediverse_host("l.eme.3rte.3"), None);
        assert_eq!(fediverse_host("l.exu:94142"), None, "no such port");
        assert_eq!(
            fediverse_host("192.168.1.20:3000").as_deref(),
            Some("192.168.1.20:3000")
        );
        assert_eq!(
            fediverse_host(" https://Mastodon.Social/ ").as_deref(),
            Some("mastodon.social")
        );
        assert_eq!(
            fediverse_host("@nurse@social.example.org").as_deref(),
            Some("social.example.org")
        );
        assert_eq!(fediverse_host("localhost:3000"), None);
        assert_eq!(fediverse_host("evil.example/path?x"), None);
        assert_eq!(fediverse_host("a b.example"), None);
        assert_eq!(fediverse_host(""), None);
    }
}
