//! Webmention (W3C Recommendation) and Pingback 1.0: how another site tells
//! this one that a page of theirs links to an entry here, and how this site
//! tells others about the links in its entries. This module holds the
//! protocols' rules, free of the database; `services::webmentions` holds
//! the use cases (verify, hold for moderators, send from the job queue).

pub mod discover;
pub mod html;
pub mod pingback;

use hearth_core::model::ReactionKind;
use url::Url;

use crate::outbound::Fetched;

/// What a source page says about the target it links to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub kind: ReactionKind,
    /// The page's entry name, else its title, else its host.
    pub title: String,
    pub author: String,
    pub excerpt: String,
}

/// Two addresses name the same page: equal once parsed (case of scheme and
/// host, default ports), ignoring any `#fragment`.
fn same_page(a: &Url, b: &Url) -> bool {
    let mut a = a.clone();
    let mut b = b.clone();
    a.set_fragment(None);
    b.set_fragment(None);
    a == b
}

/// Whether the fetched source links to `target`, and how. An HTML page must
/// link to it from its content (a link, an image, a quotation's `cite`);
/// other text must contain the address.
pub fn find_link(source: &Fetched, target: &Url) -> Option<Found> {
    let content_type = source.content_type().to_ascii_lowercase();
    let text = source.text();
    let host = source.url.host_str().unwrap_or_default().to_owned();
    if !content_type.is_empty() && !content_type.contains("html") {
        return text.contains(target.as_str()).then(|| Found {
            kind: ReactionKind::Mention,
            title: host,
            author: String::new(),
            excerpt: String::new(),
        });
    }
    let page = html::scan(&text);
    let base = page.base_url(&source.url);
    let link = page.links.iter().find(|l| {
        l.in_content()
            && base
                .join(&l.href)
                .is_ok_and(|href| same_page(&href, target))
    })?;
    let kind = ReactionKind::from_classes(&link.classes);
    Some(Found {
        kind,
        title: page.name.or(page.title).unwrap_or(host),
        author: page.author.unwrap_or_default(),
        excerpt: match kind {
            ReactionKind::Reply | ReactionKind::Mention => page.content.unwrap_or_default(),
            _ => String::new(),
        },
    })
}

/// Most links an entry is allowed to send mentions for (a list of links
/// should not turn one entry into a hundred requests).
pub const MAX_LINKS: usize = 50;

/// The links in an entry's HTML to pages on other sites: absolute web
/// addresses, without fragments, each once, in order.
pub fn outbound_links(body_html: &str, entry: &Url) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    for link in html::scan(body_html).links {
        if link.element != "a" {
            continue;
        }
        let Ok(mut url) = entry.join(&link.href) else {
            continue;
        };
        url.set_fragment(None);
        if matches!(url.scheme(), "http" | "https")
            && url.origin() != entry.origin()
            && !out.contains(&url)
        {
            out.push(url);
        }
        if out.len() == MAX_LINKS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

    fn fetched(content_type: &str, body: &str) -> Fetched {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        Fetched {
            url: Url::parse("https://their.example/notes/1").unwrap(),
            status: StatusCode::OK,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn target() -> Url {
        Url::parse("https://hearth.example/b/news/walk").unwrap()
    }

    #[test]
    fn a_like_with_its_author() {
        let page = fetched(
            "text/html; charset=utf-8",
            r#"<div class="h-entry"><a class="p-author h-card" href="/">Jo</a> liked
               <a class="u-like-of" href="HTTPS://Hearth.example:443/b/news/walk#top">this</a></div>"#,
        );
        let found = find_link(&page, &target()).unwrap();
        assert_eq!(found.kind, ReactionKind::Like);
        assert_eq!(found.author, "Jo");
        assert_eq!(found.title, "their.example");
    }

    #[test]
    fn a_link_only_in_the_head_or_elsewhere_does_not_count() {
        let head = fetched(
            "text/html",
            r#"<link rel="canonical" href="https://hearth.example/b/news/walk"><a href="https://hearth.example/b/news/other">x</a>"#,
        );
        assert_eq!(find_link(&head, &target()), None);
    }

    #[test]
    fn relative_links_and_plain_text_count() {
        let relative = Fetched {
            url: Url::parse("https://hearth.example/elsewhere").unwrap(),
            ..fetched("text/html", r#"<p><a href="/b/news/walk">walk</a></p>"#)
        };
        assert!(find_link(&relative, &target()).is_some());
        let text = fetched(
            "text/plain",
            "see https://hearth.example/b/news/walk for more",
        );
        assert_eq!(
            find_link(&text, &target()).unwrap().kind,
            ReactionKind::Mention
        );
    }

    #[test]
    fn outbound_links_are_other_sites_once_each() {
        let entry = target();
        let html = r##"<p><a href="https://a.example/x#frag">a</a> <a href="https://a.example/x">again</a>
            <a href="/b/news/other">ours</a> <a href="#comments">here</a>
            <a href="mailto:x@y.example">mail</a> <img src="https://img.example/p.png">
            <a href="http://b.example/">b</a></p>"##;
        let links: Vec<String> = outbound_links(html, &entry)
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(links, ["https://a.example/x", "http://b.example/"]);
    }
}
