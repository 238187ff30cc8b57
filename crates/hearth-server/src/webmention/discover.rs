//! Where a page takes mentions: its webmention endpoint (W3C Webmention §3.1.2:
//! an HTTP `Link` header first, then the first `<link>` or `<a>` in the page
//! with `rel="webmention"`), else its pingback server (`X-Pingback`, then
//! `<link rel="pingback">`).

use url::Url;

use super::html;
use crate::outbound::Fetched;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Webmention(Url),
    Pingback(Url),
}

/// The endpoint a fetched page names, if any. Relative addresses are read
/// from the page's own address (after redirects).
pub fn endpoint(page: &Fetched) -> Option<Endpoint> {
    let base = &page.url;
    let header_values = |name: &str| {
        page.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let from_header = header_values("link")
        .iter()
        .flat_map(|v| link_header(v))
        .find(|(_, rels)| rels.iter().any(|r| r == "webmention"))
        .and_then(|(href, _)| base.join(&href).ok());
    if let Some(url) = from_header {
        return Some(Endpoint::Webmention(url));
    }
    let is_html = page.content_type().is_empty() || page.content_type().contains("html");
    let scanned = is_html.then(|| html::scan(&page.text()));
    let in_page = |rel: &str, elements: &[&str]| {
        scanned.as_ref().and_then(|p| {
            p.links
                .iter()
                .find(|l| elements.contains(&l.element.as_str()) && l.rels.iter().any(|r| r == rel))
                .and_then(|l| p.base_url(base).join(&l.href).ok())
        })
    };
    if let Some(url) = in_page("webmention", &["link", "a"]) {
        return Some(Endpoint::Webmention(url));
    }
    let pingback = header_values("x-pingback")
        .first()
        .and_then(|v| base.join(v.trim()).ok())
        .or_else(|| in_page("pingback", &["link"]));
    pingback.map(Endpoint::Pingback)
}

/// The links of one `Link` header value (RFC 8288): each address with its
/// relation types, lowercased.
pub fn link_header(value: &str) -> Vec<(String, Vec<String>)> {
    let mut links = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let href = rest[open + 1..open + close].trim().to_owned();
        rest = &rest[open + close + 1..];
        // The parameters run to the next link (an address cannot hold `<`).
        let params_end = rest.find('<').unwrap_or(rest.len());
        let rels = rest[..params_end]
            .split(';')
            .filter_map(|p| {
                let (key, value) = p.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("rel")
                    .then(|| value.trim().trim_end_matches(',').trim().trim_matches('"'))
            })
            .flat_map(|v| v.split_ascii_whitespace().map(|r| r.to_ascii_lowercase()))
            .collect();
        links.push((href, rels));
        rest = &rest[params_end..];
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn page(headers: &[(&'static str, &str)], body: &str) -> Fetched {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        Fetched {
            url: Url::parse("https://site.example/blog/post?x=1").unwrap(),
            status: StatusCode::OK,
            headers: map,
            body: body.as_bytes().to_vec(),
        }
    }

    fn webmention(s: &str) -> Option<Endpoint> {
        Some(Endpoint::Webmention(Url::parse(s).unwrap()))
    }

    #[test]
    fn link_headers_are_read_with_several_links_and_rels() {
        assert_eq!(
            link_header(r#"<https://a.example/x,y>; rel="other webmention", </p>; rel=pingback"#),
            vec![
                (
                    "https://a.example/x,y".to_owned(),
                    vec!["other".into(), "webmention".into()]
                ),
                ("/p".to_owned(), vec!["pingback".into()]),
            ]
        );
        assert_eq!(link_header("nonsense"), vec![]);
    }

    #[test]
    fn the_header_wins_over_the_page_and_relative_addresses_resolve() {
        let p = page(
            &[("link", r#"</wm?a=1>; rel="WebMention""#)],
            r#"<link rel="webmention" href="https://else.example/">"#,
        );
        assert_eq!(endpoint(&p), webmention("https://site.example/wm?a=1"));
    }

    #[test]
    fn the_first_link_or_a_in_the_page_counts_and_empty_means_the_page_itself() {
        let p = page(
            &[("content-type", "text/html")],
            r#"<!-- <link rel="webmention" href="/commented"> -->
               <a rel="webmention" href="">here</a><link rel="webmention" href="/later">"#,
        );
        assert_eq!(
            endpoint(&p),
            webmention("https://site.example/blog/post?x=1")
        );
    }

    #[test]
    fn pingback_is_the_fallback() {
        let p = page(
            &[("x-pingback", "https://site.example/xmlrpc.php")],
            "<p>hi</p>",
        );
        assert_eq!(
            endpoint(&p),
            Some(Endpoint::Pingback(
                Url::parse("https://site.example/xmlrpc.php").unwrap()
            ))
        );
        let p = page(&[], r#"<link rel="pingback" href="/xmlrpc">"#);
        assert_eq!(
            endpoint(&p),
            Some(Endpoint::Pingback(
                Url::parse("https://site.example/xmlrpc").unwrap()
            ))
        );
        assert_eq!(endpoint(&page(&[], "<p>nothing</p>")), None);
    }
}
