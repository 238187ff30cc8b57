//! Email news alerts through a real SMTP server on loopback: double opt-in,
//! alerts to confirmed subscribers only, RFC 8058 one-click unsubscribe.

use hearth_core::model::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::api::Api;
use crate::common::{Browser, Options, Sent, SmtpSink, eventually, spawn_app, spawn_app_with};

/// The first link in a plain-text mail that leads to `path`.
fn link_in(text: &str, path: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(path))
        .unwrap_or_else(|| panic!("no {path} link in: {text}"))
        .to_owned()
}

fn to(mail: &Sent) -> &str {
    &mail.rcpt_tos[0]
}

#[tokio::test]
async fn alerts_reach_confirmed_subscribers_only_and_one_click_unsubscribes() {
    let sink = SmtpSink::start().await;
    let t = spawn_app_with(Options::mail(&sink)).await;
    // One through the footer's page, one over the API, one never confirms.
    let b = t.browser();
    assert!(b.get("/").await.body.contains("href=\"/alerts\""));
    let r = b
        .form("/alerts", &[("email", "reader.one@example.org")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Check your email"));
    let guest = Api::guest(&t);
    let (status, _) = guest
        .post(
            "/api/alerts/subscribe",
            json!({"email": "Reader.Two@Example.ORG"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    b.form("/alerts", &[("email", "never.confirms@example.org")])
        .await;
    // Asking again within the hour sends no second mail (no inbox flooding).
    let r = b
        .form("/alerts", &[("email", "never.confirms@example.org")])
        .await;
    assert!(r.body.contains("Check your email"));

    let confirmations = sink.wait_for(3).await;
    for mail in &confirmations {
        assert_eq!(mail.subject, "Confirm your news alerts from Hearth");
        let text = mail.text.as_deref().expect("a plain-text part");
        let html = mail.html.as_deref().expect("an HTML part");
        let link = link_in(text, "/alerts/confirm/");
        assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
        if to(mail) != "never.confirms@example.org" {
            let r = b.get(link.trim_start_matches(&t.base)).await;
            assert_eq!(r.status, StatusCode::OK);
            assert!(r.body.contains("News alerts confirmed"), "{}", r.body);
        }
    }
    // Sealed at rest: no address in the table or in any job.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM jobs WHERE payload LIKE '%@%' OR payload LIKE '%xample%'")
            .await,
        0
    );
    let staff = t.signed_in("nurse_kim", Role::Staff).await;
    let page = staff.get("/admin/alerts").await;
    assert!(
        page.body.contains("2 confirmed subscribers"),
        "{}",
        page.body
    );
    let r = staff
        .form(
            "/admin/alerts",
            &[
                ("subject", "The helpline is open on Sunday"),
                ("body", "**Good news**: nurses answer from *10 am* to 4 pm."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("is on its way"));

    let alerts: Vec<Sent> = sink.wait_for(5).await.split_off(3);
    let mut rcpts: Vec<&str> = alerts.iter().map(to).collect();
    rcpts.sort();
    assert_eq!(rcpts, ["Reader.Two@example.org", "reader.one@example.org"]);
    let one = alerts
        .iter()
        .find(|m| to(m) == "reader.one@example.org")
        .unwrap();
    assert_eq!(one.subject, "The helpline is open on Sunday");
    assert_eq!(one.content_type, "multipart/alternative");
    let text = one.text.as_deref().expect("a plain-text part");
    let html = one.html.as_deref().expect("an HTML part");
    assert!(
        text.contains("**Good news**: nurses answer from *10 am* to 4 pm."),
        "{text}"
    );
    assert!(html.contains("<strong>Good news</strong>"), "{html}");
    assert!(html.contains("<em>10 am</em>"), "{html}");
    let unsubscribe = one.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        unsubscribe.starts_with(&format!("<{}/alerts/unsubscribe/", t.base))
            && unsubscribe.ends_with('>'),
        "{unsubscribe}"
    );
    assert_eq!(
        one.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let url = unsubscribe.trim_start_matches('<').trim_end_matches('>');
    assert!(
        text.contains(url) && html.contains(url),
        "the link is in both parts too"
    );
    let path = url.trim_start_matches(&t.base).to_owned();

    // Following the link (as mail scanners do) only shows a button.
    let r = Browser::new(&t.base).get(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body
            .contains("<button type=\"submit\">Unsubscribe</button>"),
        "{}",
        r.body
    );
    let staff_api = Api::member(&t, "nurse_lee", Role::Staff).await;
    eventually("both alert mails are counted as sent", || async {
        let (_, list) = staff_api.get("/api/alerts").await;
        list["subscribers"] == 2
            && list["alerts"][0]["sent"] == 2
            && list["alerts"][0]["waiting"] == 0
    })
    .await;
    let page = staff.get("/admin/alerts").await.body;
    assert!(
        page.contains("<td>2</td><td>0</td><td>0</td>"),
        "sent, waiting, failed: {page}"
    );

    // RFC 8058: a POST with no cookie and no form token unsubscribes.
    let r = Browser::new(&t.base)
        .form_without_token(&path, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Unsubscribed"));
    assert_eq!(
        Browser::new(&t.base).get(&path).await.status,
        StatusCode::NOT_FOUND
    );

    let (status, sent) = staff_api
        .post(
            "/api/alerts",
            json!({"subject": "A second alert", "body": "Only one reader is left."}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let all = sink.wait_for(6).await;
    assert_eq!(to(&all[5]), "Reader.Two@example.org");
    assert_eq!(all[5].subject, "A second alert");
    eventually("the second alert is sent", || async {
        let (_, list) = staff_api.get("/api/alerts").await;
        list["alerts"][0]["sent"] == 1
    })
    .await;
    assert_eq!(sink.messages().len(), 6, "nothing more went out");
    t.stop().await;
}

#[tokio::test]
async fn unknown_or_forged_alert_tokens_are_not_found() {
    let t = spawn_app().await;
    let b = t.browser();
    for path in [
        "/alerts/confirm/forged-token",
        "/alerts/unsubscribe/forged-token",
    ] {
        assert_eq!(b.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = Browser::new(&t.base)
        .form_without_token(
            "/alerts/unsubscribe/forged-token",
            &[("List-Unsubscribe", "One-Click")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn a_bad_address_is_refused_with_the_typed_text_back() {
    let t = spawn_app().await;
    let r = t
        .browser()
        .form("/alerts", &[("email", "not an address")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"not an address\""), "{}", r.body);
    assert!(
        r.body
            .contains("Enter an email address, like name@example.org.")
    );
    let (status, problem) = Api::guest(&t)
        .post("/api/alerts/subscribe", json!({"email": "nope"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(t.count("SELECT COUNT(*) FROM alert_subscribers").await, 0);
    t.stop().await;
}

#[tokio::test]
async fn only_staff_write_alerts() {
    let t = spawn_app().await;
    let alert = json!({"subject": "Hello", "body": "Hi"});
    let (status, _) = Api::guest(&t).post("/api/alerts", alert.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let member = Api::member(&t, "plain_member", Role::Member).await;
    assert_eq!(
        member.post("/api/alerts", alert.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(member.get("/api/alerts").await.0, StatusCode::FORBIDDEN);
    let staff = Api::member(&t, "nurse_amy", Role::Staff).await;
    let (status, problem) = staff
        .post("/api/alerts", json!({"subject": " ", "body": "Hi"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(t.count("SELECT COUNT(*) FROM alerts").await, 0);
    t.stop().await;
}
