//! Bad input gets a clear 4xx, never a 500; forged forms are refused.

use hearth_core::model::Role;
use reqwest::StatusCode;

use crate::common::{Reply, space, spawn_app};

#[tokio::test]
async fn unknown_or_malformed_ids_are_404() {
    let t = spawn_app().await;
    let b = t.browser();
    for path in [
        "/t/999999",
        "/t/abc",
        "/p/999999",
        "/p/xyz/edit",
        "/s/no-such-space",
        "/u/nobody",
        "/no/such/page",
        "/terms/v/99",
        "/t/1?after=zzz",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body.contains("We could not find that page"), "{path}");
    }
    t.stop().await;
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let r = rose
        .form_without_token("/s/living/new", &[("title", "Forged"), ("body", "x")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("form had expired"));
    assert!(!t.browser().get("/s/living").await.body.contains("Forged"));
    t.stop().await;
}

/// Pages write the form token unescaped, so a token cookie that is not one
/// of ours (here one that would close the attribute) is replaced, not echoed.
#[tokio::test]
async fn a_planted_form_token_is_replaced_not_written_into_pages() {
    let t = spawn_app().await;
    let planted = "x\"><script>alert(1)</script>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    let r = reqwest::Client::new()
        .get(format!("{}/login", t.base))
        .header("Cookie", format!("hearth_csrf={planted}"))
        .send()
        .await
        .unwrap();
    let fresh = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("hearth_csrf="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
        .expect("a new token cookie");
    let body = r.text().await.unwrap();
    assert!(!body.contains("<script>alert(1)"), "{body}");
    assert!(body.contains(&format!("value=\"{fresh}\"")), "{body}");
    t.stop().await;
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let huge = "x".repeat(1024 * 1024);
    let r = rose
        .form("/s/living/new", &[("title", "Huge"), ("body", &huge)])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    t.stop().await;
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let t = spawn_app().await;
    let r = t.browser().get("/").await;
    let csp = r
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(r.headers.get("referrer-policy").unwrap(), "same-origin");
    assert_eq!(r.headers.get("x-content-type-options").unwrap(), "nosniff");
    t.stop().await;
}

#[tokio::test]
async fn garbage_form_values_are_handled() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let r = rose
        .form(
            "/s/living/new",
            &[("title", "\u{0}\u{202e}weird"), ("body", "\u{1F600} ok")],
        )
        .await;
    assert!(
        r.status == StatusCode::SEE_OTHER || r.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        r.status
    );
    let r = rose.form("/t/abc/reply", &[("body", "x")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = rose
        .form("/t/1/reply", &[("body", "x"), ("reply_to", "not-a-number")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn the_longest_post_in_any_script_fits_in_a_form() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let long = "がん".repeat(25_000);
    let r = rose
        .form("/s/living/new", &[("title", "長い投稿"), ("body", &long)])
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "50,000 characters are allowed"
    );
    t.stop().await;
}

/// Found by schemathesis: a `Path` extractor refused an address whose
/// escapes are not UTF-8 with a bare line of text, on pages and the API alike.
#[tokio::test]
async fn addresses_that_are_not_utf8_get_a_page_or_a_problem() {
    let t = spawn_app().await;
    let b = t.browser();
    for path in ["/t/%FF", "/s/%FF%FE", "/b/news/%C3"] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body.contains("We could not find that page"), "{path}");
    }
    for path in ["/api/topics/%FF", "/api/spaces/%FF/topics"] {
        assert_problem(&b.get(path).await, StatusCode::NOT_FOUND, path);
    }
    t.stop().await;
}

/// Found by schemathesis: a query string that did not fit (a number too
/// large) was refused in plain text instead of a problem.
#[tokio::test]
async fn api_query_strings_that_do_not_fit_get_a_problem() {
    let t = spawn_app().await;
    let b = t.browser();
    for path in [
        "/api/search?q=chemo&page=99999999999999999999",
        "/api/audit?before=9223372036854775808",
    ] {
        let r = b.get(path).await;
        assert_problem(&r, StatusCode::BAD_REQUEST, path);
        assert!(r.body.contains("query string"), "{path}: {}", r.body);
    }
    t.stop().await;
}

fn assert_problem(r: &Reply, status: StatusCode, path: &str) {
    assert_eq!(r.status, status, "{path}");
    assert_eq!(
        r.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/problem+json"[..]),
        "{path}"
    );
}
