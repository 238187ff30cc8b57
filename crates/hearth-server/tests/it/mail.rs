//! Mail through a real SMTP server on loopback (aiosmtpd): what arrives, that
//! its links work, and that mail waits, and is not lost, while there is no
//! mail server or it is down.

use hearth_core::model::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::api::Api;
use crate::common::{Browser, Options, SmtpSink, eventually, free_port, spawn_app, spawn_app_with};

async fn register(b: &Browser, alias: &str, email: &str) {
    let r = b
        .form(
            "/register",
            &[
                ("alias", alias),
                ("email", email),
                ("password", "correct horse battery"),
                ("accept_terms", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// The link in a plain-text mail that leads to `path`.
fn link_in(text: &str, path: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(path))
        .unwrap_or_else(|| panic!("no {path} link in: {text}"))
        .to_owned()
}

#[tokio::test]
async fn registration_mails_a_link_that_confirms_the_address() {
    let sink = SmtpSink::start().await;
    let t = spawn_app_with(Options::mail(&sink)).await;
    let b = t.browser();
    register(&b, "Mailed_Member", "Mailed.Member@Example.ORG").await;

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.rcpt_tos, ["Mailed.Member@example.org"]);
    assert_eq!(mail.mail_from, "community@hearth.test");
    assert_eq!(
        mail.subject, "Confirm your email address for Hearth",
        "{mail:?}"
    );
    assert_eq!(mail.content_type, "multipart/alternative");
    assert!(mail.header("Message-ID").is_some());
    let text = mail.text.as_deref().expect("a plain-text part");
    let html = mail.html.as_deref().expect("an HTML part");
    assert!(text.starts_with("Hello Mailed_Member,"), "{text}");
    let link = link_in(text, "/verify-email?token=");
    assert!(link.starts_with(&t.base), "{link}");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(html.contains("Hello Mailed_Member,"));

    assert!(b.get("/account").await.body.contains("not confirmed yet"));
    let r = b.get(link.trim_start_matches(&t.base)).await;
    assert!(r.body.contains("confirmed"), "{}", r.body);
    assert!(
        b.get("/account")
            .await
            .body
            .contains("Your email address is confirmed")
    );
    // The queue named the account, never the address; the job is done,
    // and the mail went out once.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM jobs WHERE payload LIKE '%@%' OR payload LIKE '%Example%'")
            .await,
        0
    );
    eventually("the mail job is done", || async {
        t.count("SELECT COUNT(*) FROM jobs WHERE kind = 'mail' AND state = 'done'")
            .await
            == 1
    })
    .await;
    assert_eq!(sink.messages().len(), 1);
    t.stop().await;
}

#[tokio::test]
async fn password_reset_mail_carries_a_link_that_sets_a_new_password() {
    let sink = SmtpSink::start().await;
    let t = spawn_app_with(Options::mail(&sink)).await;
    t.account("forgetful", Role::Member).await;
    let b = t.browser();
    // An unknown address gets the same answer, and no mail.
    let unknown = b
        .form("/password-reset", &[("email", "nobody@example.org")])
        .await;
    assert!(
        unknown
            .body
            .contains("If that address belongs to an account")
    );
    b.form("/password-reset", &[("email", "forgetful@example.org")])
        .await;

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.rcpt_tos, ["forgetful@example.org"]);
    assert_eq!(mail.subject, "Reset your password for Hearth");
    let text = mail.text.as_deref().expect("a plain-text part");
    let html = mail.html.as_deref().expect("an HTML part");
    let link = link_in(text, "/password-reset/");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(text.contains("works once"), "{text}");

    let path = link.trim_start_matches(&t.base).to_owned();
    let r = b
        .form(&path, &[("password", "my brand new password")])
        .await;
    assert!(r.body.contains("Password changed"), "{}", r.body);
    let r = b
        .form(
            "/login",
            &[
                ("email", "forgetful@example.org"),
                ("password", "my brand new password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(sink.messages().len(), 1, "no mail for the unknown address");
    t.stop().await;
}

/// The jobs in the backlog's `list` (`retrying` or `failed`), over the API.
async fn listed(admin: &Api, list: &str) -> Vec<Value> {
    let (status, backlog) = admin.get("/api/admin/jobs").await;
    assert_eq!(status, StatusCode::OK, "{backlog}");
    backlog[list].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn mail_waits_while_the_mail_server_is_down_and_goes_out_when_it_is_back() {
    let port = free_port();
    let t = spawn_app_with(Options::mail_to_port(port)).await;
    let admin = Api::member(&t, "boss", Role::Admin).await;
    register(&t.browser(), "patient_one", "patient.one@example.org").await;

    // The mail is tried, fails, and waits to be tried again, visibly.
    eventually("the mail job has failed twice", || async {
        listed(&admin, "retrying")
            .await
            .first()
            .is_some_and(|j| j["attempts"].as_i64() >= Some(2))
    })
    .await;
    let job = listed(&admin, "retrying").await.remove(0);
    assert_eq!(job["kind"], "mail");
    assert_eq!(job["payload"]["letter"], "verify_email");
    let error = job["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("mail server"), "{error}");
    let (_, backlog) = admin.get("/api/admin/jobs").await;
    assert_eq!(backlog["mail_configured"], true);
    assert_eq!(backlog["kinds"][0]["kind"], "mail");
    assert_eq!(backlog["failed"].as_array().map(Vec::len), Some(0));
    let page = t.signed_in("pageboss", Role::Admin).await;
    let html = page.get("/admin/jobs").await.body;
    assert!(html.contains("Trying again after an error"));
    assert!(html.contains("did not take the message"), "{html}");

    // The server comes up: the next try delivers it, once.
    let sink = SmtpSink::start_on(port).await;
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.rcpt_tos, ["patient.one@example.org"]);
    assert!(
        mail.text
            .as_deref()
            .unwrap_or_default()
            .contains("/verify-email?token=")
    );
    eventually("the backlog is empty", || async {
        let (_, backlog) = admin.get("/api/admin/jobs").await;
        backlog["kinds"].as_array().is_some_and(Vec::is_empty)
    })
    .await;
    assert_eq!(sink.messages().len(), 1);
    t.stop().await;
}

#[tokio::test]
async fn without_a_mail_server_mail_waits_and_goes_out_once_one_is_configured() {
    let t = spawn_app().await;
    register(&t.browser(), "early_bird", "early.bird@example.org").await;
    let admin = Api::member(&t, "boss", Role::Admin).await;
    let (status, backlog) = admin.get("/api/admin/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(backlog["mail_configured"], false);
    assert_eq!(backlog["kinds"][0]["kind"], "mail");
    assert_eq!(backlog["kinds"][0]["due"], 1);
    let page = t.signed_in("pageboss", Role::Admin).await;
    assert!(
        page.get("/admin/jobs")
            .await
            .body
            .contains("No mail server is set up")
    );
    // Admins still find the link to pass on by hand.
    assert!(
        page.get("/admin/links")
            .await
            .body
            .contains("/verify-email?token=")
    );

    let sink = SmtpSink::start().await;
    let t = t.restart(Options::mail(&sink)).await;
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.rcpt_tos, ["early.bird@example.org"]);
    t.stop().await;
}

#[tokio::test]
async fn a_refused_recipient_fails_at_once_and_the_error_keeps_no_address() {
    let sink = SmtpSink::start().await;
    let t = spawn_app_with(Options::mail(&sink)).await;
    register(&t.browser(), "no_mailbox", "refused.member@example.org").await;
    let admin = Api::member(&t, "boss", Role::Admin).await;
    eventually("the mail job has failed", || async {
        !listed(&admin, "failed").await.is_empty()
    })
    .await;
    let job = listed(&admin, "failed").await.remove(0);
    assert_eq!(job["attempts"], 1, "a permanent refusal is not tried again");
    let error = job["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("550"), "{error}");
    assert!(error.contains("[the recipient]"), "{error}");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM jobs WHERE last_error LIKE '%refused.member%'")
            .await,
        0
    );
    assert!(sink.messages().is_empty());
    t.stop().await;
}
