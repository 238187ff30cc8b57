//! Excess load is shed cleanly: 503 with Retry-After, a page or a problem,
//! never a 500; cheap answers (health, static files, cached guest pages) go on.

use std::time::Duration;

use hearth_core::model::Role;
use hearth_server::overload::{Class, Limits};
use reqwest::StatusCode;

use crate::common::{Browser, Options, TestApp, id_from, space, spawn_app_with};

/// One place for reads and one for writes, and a short wait for a place:
/// the test takes the only place itself, as a request in progress would.
async fn tiny_server() -> TestApp {
    spawn_app_with(Options {
        overload: Some(Limits {
            reads: 1,
            writes: 1,
            queue_timeout: Duration::from_millis(50),
        }),
        ..Options::default()
    })
    .await
}

/// A public space, a member signed in, and a topic she started: her browser
/// and the topic's id.
async fn rose_with_a_topic(t: &TestApp, title: &str) -> (Browser, i64) {
    space(t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let r = rose
        .form(
            "/s/living/new",
            &[("title", title), ("body", "First words.")],
        )
        .await;
    (rose, id_from(&r.location))
}

#[tokio::test]
async fn reads_beyond_the_limit_get_503_with_retry_after_while_cheap_answers_go_on() {
    let t = tiny_server().await;
    let (rose, id) = rose_with_a_topic(&t, "Under load").await;
    let topic = format!("/t/{id}");
    let guest = t.browser();
    assert_eq!(guest.get(&topic).await.status, StatusCode::OK);

    let place = t.app().gate().enter(Class::Read).await.expect("a place");
    let r = rose.get(&topic).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.headers.get("retry-after").unwrap(), "5");
    assert!(r.body.contains("very busy"), "{}", r.body);
    let r = reqwest::get(format!("{}/api/spaces", t.base))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "5");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["status"], 503);

    // The guest's cached copy, health checks and static files never wait.
    // (The guest page cache runs on a single node, SQLite, for now.)
    if t.app().store().backend() == hearth_store::Backend::Sqlite {
        let r = guest.get(&topic).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("First words."));
    }
    assert_eq!(guest.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(guest.get("/static/hearth.css").await.status, StatusCode::OK);
    // Writes pass their own gate.
    let r = rose
        .form(
            &format!("{topic}/reply"),
            &[("body", "Posted while reads wait.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    drop(place);
    let r = rose.get(&topic).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Posted while reads wait."));
    t.stop().await;
}

#[tokio::test]
async fn writes_beyond_the_limit_get_503_and_the_text_typed_back() {
    let t = tiny_server().await;
    let (rose, id) = rose_with_a_topic(&t, "Busy evening").await;
    let topic = format!("/t/{id}");

    let place = t.app().gate().enter(Class::Write).await.expect("a place");
    let r = rose
        .form(
            &format!("{topic}/reply"),
            &[("body", "A reply typed with care")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.headers.get("retry-after").unwrap(), "5");
    assert!(
        r.body.contains("A reply typed with care"),
        "nothing typed is lost: {}",
        r.body
    );
    let r = reqwest::Client::new()
        .post(format!("{}/api/topics/{id}/posts", t.base))
        .json(&serde_json::json!({"body": "From an app"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "5");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // Reads go on meanwhile.
    assert_eq!(rose.get(&topic).await.status, StatusCode::OK);

    drop(place);
    let r = rose
        .form(
            &format!("{topic}/reply"),
            &[("body", "A reply typed with care")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        rose.get(&topic)
            .await
            .body
            .contains("A reply typed with care")
    );
    t.stop().await;
}

#[tokio::test]
async fn a_burst_beyond_the_limits_gets_only_successes_and_503s() {
    let t = spawn_app_with(Options {
        overload: Some(Limits {
            reads: 2,
            writes: 1,
            queue_timeout: Duration::from_millis(1),
        }),
        ..Options::default()
    })
    .await;
    let (_, topic) = rose_with_a_topic(&t, "A crowd").await;
    let client = reqwest::Client::new();
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..200 {
        let client = client.clone();
        let url = match i % 3 {
            0 => format!("{}/api/topics/{topic}", t.base),
            1 => format!("{}/search?q=crowd{i}", t.base),
            _ => format!("{}/s/living?x={i}", t.base),
        };
        requests.spawn(async move { client.get(url).send().await.map(|r| r.status()) });
    }
    let statuses = requests.join_all().await;
    let mut ok = 0;
    for status in statuses {
        let status = status.expect("an answer, not a dropped connection");
        assert!(
            status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}"
        );
        ok += usize::from(status == StatusCode::OK);
    }
    assert!(ok > 0, "some were served");
    t.stop().await;
}
