//! Another site's page, as a webmention or pingback brings it in: its links
//! and microformats read, the link to our entry looked for, its endpoint
//! discovered; and the links our own entries send mentions for. Input: an
//! HTTP `Link` header value, then U+0001, then the page (the whole input is
//! the page when there is no U+0001).
#![no_main]

use hearth_server::outbound::Fetched;
use hearth_server::webmention::{MAX_LINKS, discover, find_link, html, outbound_links};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|input: &str| {
    let (link, page) = input.split_once('\u{1}').unwrap_or(("", input));
    let source = Url::parse("https://source.example/notes/1").expect("a fixed URL");
    let entry = Url::parse("https://hearth.example/b/news/open-day").expect("a fixed URL");

    let scanned = html::scan(page);
    for l in &scanned.links {
        assert!(!l.element.is_empty(), "{l:?}");
    }
    let _ = scanned.base_url(&source);

    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    if let Ok(value) = HeaderValue::from_str(link) {
        headers.insert(header::LINK, value);
    }
    let fetched = Fetched {
        url: source,
        status: StatusCode::OK,
        headers,
        body: page.as_bytes().to_vec(),
    };
    if let Some(found) = find_link(&fetched, &entry) {
        assert!(found.excerpt.chars().count() <= 301, "{found:?}");
    }
    let _ = discover::endpoint(&fetched);
    let _ = discover::link_header(link);

    let links = outbound_links(page, &entry);
    assert!(links.len() <= MAX_LINKS);
    for url in &links {
        assert!(
            matches!(url.scheme(), "http" | "https") && url.fragment().is_none(),
            "{url}"
        );
        assert_ne!(url.origin(), entry.origin(), "{url}");
    }
});
