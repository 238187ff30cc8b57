//! Small pieces of requests read by hand: cookies, the `next` address after
//! signing in, list cursors, `Link` headers, and the fediverse server a
//! reader types to share a page.
#![no_main]

use hearth_server::web::home::parse_cursor;
use hearth_server::web::session::{SESSION_COOKIE, cookie, safe_next};
use hearth_server::web::share::fediverse_host;
use hearth_server::webmention::discover::link_header;
use http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(value) = HeaderValue::from_str(input) {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, value);
        if let Some(token) = cookie(&headers, SESSION_COOKIE) {
            assert!(input.contains(&token));
        }
    }

    let next = safe_next(Some(input));
    assert!(next.starts_with('/'), "{next:?}");
    assert!(
        !next[1..].starts_with(['/', '\\']),
        "{next:?} leaves the site"
    );
    assert!(
        !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\'),
        "{next:?}"
    );

    let _ = parse_cursor(Some(input));
    let _ = link_header(input);

    if let Some(host) = fediverse_host(input) {
        let url = url::Url::parse(&format!("https://{host}/share"));
        assert!(
            url.as_ref().is_ok_and(|u| u.host_str().is_some()),
            "{host:?} is not a host: {url:?}"
        );
    }
});
