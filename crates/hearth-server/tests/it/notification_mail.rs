//! Notifications by email through a real SMTP server on loopback: at once
//! or in a digest, as each member chooses; only what they may still read;
//! never twice; one-click unsubscribe.

use hearth_core::model::Role;
use reqwest::StatusCode;

use crate::common::{
    Browser, Options, SmtpSink, TestApp, eventually, id_from, reply, space, spawn_app_with,
};

/// A topic by `author` in a new space, and the topic's id.
async fn topic(t: &TestApp, author: &Browser, tier: &str) -> i64 {
    space(t, "talk", tier).await;
    let r = author
        .form(
            "/s/talk/new",
            &[
                ("title", "Walking after treatment"),
                ("body", "Who walks most days?"),
            ],
        )
        .await;
    id_from(&r.location)
}

async fn choose(b: &Browser, choice: &str) {
    let r = b
        .form(
            "/account/notification-mail",
            &[("notification_mail", choice)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains(&format!("value=\"{choice}\" checked")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_reply_is_mailed_at_once_to_a_member_who_chose_it_and_one_click_turns_mail_off() {
    let sink = SmtpSink::start().await;
    let t = spawn_app_with(Options::mail(&sink)).await;
    let rose = t.signed_in("rose", Role::Member).await;
    assert!(
        rose.get("/account")
            .await
            .body
            .contains("value=\"daily\" checked"),
        "daily is the default"
    );
    choose(&rose, "immediately").await;
    let topic = topic(&t, &rose, "members_only").await;
    let tom = t.signed_in("tom", Role::Member).await;
    let post = reply(&tom, topic, "I walk every morning, twenty minutes.").await;

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.rcpt_tos, ["rose@example.org"]);
    assert_eq!(mail.subject, "tom replied in “Walking after treatment”");
    let text = mail.text.as_deref().expect("a plain-text part");
    let html = mail.html.as_deref().expect("an HTML part");
    let link = format!("{}/p/{post}", t.base);
    assert!(
        text.contains(&link) && html.contains(&format!("href=\"{link}\"")),
        "{text}"
    );
    // The mail points to the post; the post's words stay behind the sign-in.
    assert!(!text.contains("twenty minutes") && !html.contains("twenty minutes"));
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    let path = unsubscribe
        .trim_start_matches(&format!("<{}", t.base))
        .trim_end_matches('>')
        .to_owned();
    assert!(
        path.starts_with("/notifications/unsubscribe/"),
        "{unsubscribe}"
    );
    eventually("the notification is marked mailed", || async {
        t.count("SELECT COUNT(*) FROM notifications WHERE mailed_at IS NOT NULL")
            .await
            == 1
    })
    .await;

    // A forged token is not found; the real one, with no cookie, turns mail off.
    let last = if path.ends_with('0') { "1" } else { "0" };
    let forged = format!("{}{last}", &path[..path.len() - 1]);
    let guest = Browser::new(&t.base);
    assert_eq!(guest.get(&forged).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        guest
            .form_without_token(&forged, &[("List-Unsubscribe", "One-Click")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        guest
            .get(&path)
            .await
            .body
            .contains(">Unsubscribe</button>")
    );
    let r = guest
        .form_without_token(&path, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        rose.get("/account")
            .await
            .body
            .contains("value=\"off\" checked")
    );
    reply(&tom, topic, "Another reply.").await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(sink.messages().len(), 1, "no mail once it is off");
    t.stop().await;
}

/// Runs the daily digests now instead of at 06:00 UTC.
async fn run_daily_digest(t: &TestApp) {
    t.exec("UPDATE jobs SET run_at = 0 WHERE kind = 'digests' AND state = 'queued' AND payload LIKE '%daily%'")
        .await;
}

#[tokio::test]
async fn a_daily_digest_gathers_what_is_unread_leaves_out_deleted_posts_and_mails_nothing_twice() {
    let sink = SmtpSink::start().await;
    let t = spawn_app_with(Options::mail(&sink)).await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = topic(&t, &rose, "members_only").await;
    let tom = t.signed_in("tom", Role::Member).await;
    let first = reply(&tom, topic, "First reply").await;
    let second = reply(&tom, topic, "Second reply, mentioning @rose").await;
    let regretted = reply(&tom, topic, "A regretted reply, @rose").await;
    let r = tom.form(&format!("/p/{regretted}/delete"), &[]).await;
    assert!(
        r.status.is_redirection() || r.status == StatusCode::OK,
        "{}",
        r.body
    );
    // Someone who chose no mail gets no digest.
    let sam = t.signed_in("sam", Role::Member).await;
    choose(&sam, "off").await;
    sam.form(&format!("/t/{topic}/watch?on=1"), &[]).await;
    // Rose, with a reply unread, is not told of this one again.
    reply(&tom, topic, "For the watchers").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(sink.messages().is_empty(), "digests wait for their time");

    run_daily_digest(&t).await;
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.rcpt_tos, ["rose@example.org"]);
    assert_eq!(
        mail.subject,
        "Your daily digest from Hearth: 2 notifications"
    );
    let text = mail.text.as_deref().expect("a plain-text part");
    let html = mail.html.as_deref().expect("an HTML part");
    for post in [first, second] {
        let link = format!("{}/p/{post}", t.base);
        assert!(text.split_whitespace().any(|w| w == link), "{text}");
        assert!(html.contains(&format!("/p/{post}\"")), "{html}");
    }
    assert!(
        text.contains("tom mentioned you in “Walking after treatment”"),
        "{text}"
    );
    assert!(
        !text
            .split_whitespace()
            .any(|w| w.ends_with(&format!("/p/{regretted}"))),
        "a deleted post is left out: {text}"
    );
    assert!(mail.header("List-Unsubscribe").is_some());
    eventually("the digest's notifications are marked mailed", || async {
        t.count("SELECT COUNT(*) FROM notifications WHERE mailed_at IS NOT NULL")
            .await
            == 2
    })
    .await;
    // The next day's run finds nothing new for Rose, and Sam stays unmailed.
    eventually("the next daily run is queued", || async {
        t.count("SELECT COUNT(*) FROM jobs WHERE kind = 'digests' AND state = 'queued' AND payload LIKE '%daily%'").await == 1
    })
    .await;
    run_daily_digest(&t).await;
    eventually("the second run is done", || async {
        t.count("SELECT COUNT(*) FROM jobs WHERE kind = 'digests' AND state = 'done'")
            .await
            == 2
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 1, "nothing mailed twice");
    t.stop().await;
}

#[tokio::test]
async fn the_mail_choice_is_read_and_changed_through_the_api() {
    use serde_json::json;

    let t = crate::common::spawn_app().await;
    let api = crate::api::Api::member(&t, "rose", Role::Member).await;
    let (status, v) = api.get("/api/me/notification-mail").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["notification_mail"], "daily", "the default");
    let (status, v, _) = api
        .send(
            reqwest::Method::PUT,
            "/api/me/notification-mail",
            Some(json!({"notification_mail": "weekly"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["notification_mail"], "weekly");
    let (_, v) = api.get("/api/me/notification-mail").await;
    assert_eq!(v["notification_mail"], "weekly");
    let (status, v, _) = api
        .send(
            reqwest::Method::PUT,
            "/api/me/notification-mail",
            Some(json!({"notification_mail": "hourly"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["field"], "notification_mail");
    let (status, _) = crate::api::Api::guest(&t)
        .get("/api/me/notification-mail")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
