//! RSS and Atom: read by a real feed reader library (Python's feedparser),
//! never leaking what guests may not read, private feed tokens,
//! conditional GET and autodiscovery.

use std::io::Write;
use std::process::{Command, Stdio};

use hearth_core::model::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::Api;
use crate::common::{Browser, TestApp, id_from, post_ids, space, spawn_app};

/// A feed as feedparser reads it. Fails (never skips) when Python or
/// feedparser is missing: CI installs them from `.ci/requirements.txt`.
fn feedparser(xml: &str) -> Value {
    const SCRIPT: &str = r#"
import json, sys, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({
    "bozo": int(d.bozo),
    "error": str(d.get("bozo_exception", "")),
    "version": d.version,
    "title": d.feed.get("title"),
    "link": d.feed.get("link"),
    "entries": [{
        "title": e.get("title"),
        "link": e.get("link"),
        "id": e.get("id"),
        "author": e.get("author"),
        "published": e.get("published"),
        "content": (e.get("content") or [{"value": e.get("summary", "")}])[0]["value"],
    } for e in d.entries],
}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "feedparser failed (is it installed? pip install -r .ci/requirements.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Fetches a feed, checks its content type and has feedparser read it
/// without complaint.
async fn read_feed(b: &Browser, path: &str) -> Value {
    let r = b.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    let (mime, version) = if path.split('?').next().unwrap().ends_with("/rss") {
        ("application/rss+xml; charset=utf-8", "rss20")
    } else {
        ("application/atom+xml; charset=utf-8", "atom10")
    };
    assert_eq!(r.headers["content-type"], mime, "{path}");
    let feed = feedparser(&r.body);
    assert_eq!(feed["bozo"], 0, "{path}: {}\n{}", feed["error"], r.body);
    assert_eq!(feed["version"], version, "{path}");
    feed
}

fn titles(feed: &Value) -> Vec<String> {
    feed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn start_topic(b: &Browser, space: &str, title: &str, body: &str) -> i64 {
    let r = b
        .form(
            &format!("/s/{space}/new"),
            &[("title", title), ("body", body)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    id_from(&r.location)
}

async fn reply(b: &Browser, topic: i64, body: &str) -> i64 {
    let r = b
        .form(&format!("/t/{topic}/reply"), &[("body", body)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.visit(&format!("/t/{topic}")).await.body;
    post_ids(&page).last().unwrap().parse().unwrap()
}

async fn setting(t: &TestApp, key: &str, value: &str) {
    let mut tx = t.app().store().write().await.unwrap();
    hearth_store::settings::set(&mut tx, key, value)
        .await
        .unwrap();
    hearth_store::settings::set(&mut tx, "safety.version", &format!("{key}={value}"))
        .await
        .unwrap();
    hearth_store::commit(tx).await.unwrap();
}

/// The private feed links shown once on the account page after making them.
fn private_links(account_page: &str) -> Vec<String> {
    account_page
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|href| href.contains("?token="))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn every_feed_reads_cleanly_in_a_real_feed_reader() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let tom = t.signed_in("tom", Role::Member).await;
    let topic = start_topic(
        &rose,
        "living",
        "Walking after surgery",
        "How soon did you **walk**?",
    )
    .await;
    reply(&tom, topic, "After two days, thanks to @rose & the nurses.").await;
    start_topic(&tom, "living", "Eating well", "Small meals <often>.").await;

    let guest = t.browser();
    for format in ["rss", "atom"] {
        let site = read_feed(&guest, &format!("/feeds/{format}")).await;
        assert_eq!(site["link"], format!("{}/", t.base));
        assert_eq!(
            titles(&site),
            ["Eating well", "Walking after surgery"],
            "{format}: newest first"
        );
        let entry = &site["entries"][1];
        assert_eq!(entry["link"], format!("{}/t/{topic}", t.base));
        assert_eq!(entry["author"], "rose");
        assert!(entry["published"].as_str().is_some());
        assert!(
            entry["content"]
                .as_str()
                .unwrap()
                .contains("<strong>walk</strong>"),
            "{format}: the post's HTML: {entry}"
        );

        let space_feed = read_feed(&guest, &format!("/feeds/s/living/{format}")).await;
        assert_eq!(space_feed["link"], format!("{}/s/living", t.base));
        assert_eq!(titles(&space_feed).len(), 2);

        let topic_feed = read_feed(&guest, &format!("/feeds/t/{topic}/{format}")).await;
        assert_eq!(topic_feed["link"], format!("{}/t/{topic}", t.base));
        assert_eq!(
            titles(&topic_feed),
            ["Re: Walking after surgery", "Walking after surgery"]
        );
        let newest = &topic_feed["entries"][0];
        assert_eq!(newest["author"], "tom");
        let html = newest["content"].as_str().unwrap();
        assert!(html.contains("After two days"), "{html}");
        assert!(
            html.contains(&format!("href=\"{}/u/rose\"", t.base)),
            "{format}: links in posts work outside the site: {html}"
        );
        let id = newest["link"].as_str().unwrap().to_owned();
        assert!(id.starts_with(&format!("{}/p/", t.base)), "{id}");
        assert_eq!(
            guest.visit(id.trim_start_matches(&t.base)).await.status,
            StatusCode::OK,
            "an item's link leads to the post"
        );
    }
    t.stop().await;
}

#[tokio::test]
async fn a_feed_has_at_most_fifty_items() {
    let t = spawn_app().await;
    space(&t, "busy", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = start_topic(&rose, "busy", "A long conversation", "Post number 0").await;
    for i in 1..=54 {
        let r = rose
            .form(
                &format!("/t/{topic}/reply"),
                &[("body", &format!("Post number {i}"))],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let feed = read_feed(&t.browser(), &format!("/feeds/t/{topic}/atom")).await;
    let entries = feed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 50);
    assert!(
        entries[0]["content"]
            .as_str()
            .unwrap()
            .contains("Post number 54")
    );
    assert!(
        entries[49]["content"]
            .as_str()
            .unwrap()
            .contains("Post number 5")
    );
    t.stop().await;
}

#[tokio::test]
async fn public_feeds_never_show_members_only_held_hidden_or_deleted_posts() {
    let t = spawn_app().await;
    space(&t, "open-door", "open").await;
    space(&t, "inner", "members_only").await;
    setting(&t, "safety.flags_to_hide", "1").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let tom = t.signed_in("tom", Role::Member).await;
    let sam = t.signed_in("sam", Role::Moderator).await;
    let guest = t.browser();

    let topic = start_topic(
        &rose,
        "open-door",
        "Visiting hours",
        "When can family visit?",
    )
    .await;
    reply(&tom, topic, "Afternoons, in my experience.").await;
    // Held: a guest's reply and a guest's topic wait for a moderator.
    let r = guest
        .form(
            &format!("/t/{topic}/reply"),
            &[
                ("guest_name", "visitor_1"),
                ("body", "A held-walrus reply from a guest."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = guest
        .form(
            "/s/open-door/new",
            &[
                ("guest_name", "visitor_2"),
                ("title", "A guest's heldtopic-walrus"),
                ("body", "Waiting for approval, heldtopic-walrus."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Hidden: a reply, and the opening post of another topic, flagged.
    let hidden = reply(&tom, topic, "A hidden-walrus remark.").await;
    assert_eq!(
        rose.form(&format!("/p/{hidden}/flag"), &[("reason", "spam")])
            .await
            .status,
        StatusCode::OK
    );
    let flagged_topic = start_topic(
        &tom,
        "open-door",
        "Flagged opening",
        "An opening with hiddenopening-walrus text.",
    )
    .await;
    let opening = post_ids(&tom.visit(&format!("/t/{flagged_topic}")).await.body)[0].clone();
    assert_eq!(
        rose.form(&format!("/p/{opening}/flag"), &[("reason", "spam")])
            .await
            .status,
        StatusCode::OK
    );
    // Deleted: a reply taken back by its author.
    let deleted = reply(&tom, topic, "A deleted-walrus thought.").await;
    assert_eq!(
        tom.form(&format!("/p/{deleted}/delete"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    // Members only: a whole space.
    let inner = start_topic(
        &rose,
        "inner",
        "Members-walrus topic",
        "Only for members-walrus eyes.",
    )
    .await;

    // Each kind is really there, in the state it should be.
    for (sql, n) in [
        (
            "SELECT COUNT(*) FROM posts WHERE body_md LIKE '%walrus%' AND held = 1",
            2,
        ),
        (
            "SELECT COUNT(*) FROM posts WHERE body_md LIKE '%walrus%' AND hidden_at IS NOT NULL",
            2,
        ),
        (
            "SELECT COUNT(*) FROM posts WHERE body_md LIKE '%walrus%' AND deleted_at IS NOT NULL",
            1,
        ),
        (
            "SELECT COUNT(*) FROM posts WHERE body_md LIKE '%walrus%'",
            6,
        ),
    ] {
        assert_eq!(t.count(sql).await, n, "{sql}");
    }
    let public = [
        "/feeds".to_owned(),
        "/feeds/s/open-door".to_owned(),
        format!("/feeds/t/{topic}"),
    ];
    for feed in &public {
        for format in ["rss", "atom"] {
            let path = format!("{feed}/{format}");
            let body = guest.get(&path).await.body;
            assert!(!body.contains("walrus"), "{path} leaks:\n{body}");
            read_feed(&guest, &path).await;
        }
    }
    let topic_feed = read_feed(&guest, &format!("/feeds/t/{topic}/rss")).await;
    assert_eq!(
        titles(&topic_feed),
        ["Re: Visiting hours", "Visiting hours"],
        "only the published posts"
    );
    let site = read_feed(&guest, "/feeds/rss").await;
    assert_eq!(titles(&site), ["Visiting hours"]);
    // Even staff who may see all of it do not get it in a feed: a feed is for reading.
    let sams = sam.form("/account/feed-token", &[]).await.body;
    let sams_site = private_links(&sams)[0].clone();
    let body = guest.get(sams_site.trim_start_matches(&t.base)).await.body;
    assert!(body.contains("Members-walrus topic"), "{body}");
    for secret in ["heldtopic-walrus", "hiddenopening-walrus"] {
        assert!(!body.contains(secret), "{secret} in a moderator's feed");
    }
    let path = format!("/feeds/t/{topic}/atom?token=");
    let token = sams_site.split("?token=").nth(1).unwrap();
    let body = guest.get(&format!("{path}{token}")).await.body;
    for secret in ["held-walrus", "hidden-walrus", "deleted-walrus"] {
        assert!(!body.contains(secret), "{secret} in a moderator's feed");
    }
    // Members-only feeds do not exist for guests.
    for path in [
        "/feeds/s/inner/rss".to_owned(),
        "/feeds/s/inner/atom".to_owned(),
        format!("/feeds/t/{inner}/rss"),
        format!("/feeds/t/{inner}/atom"),
    ] {
        assert_eq!(
            guest.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            rose.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}: a session is not a feed token"
        );
    }
    t.stop().await;
}

#[tokio::test]
async fn a_private_feed_token_shows_members_only_spaces_until_revoked() {
    let t = spawn_app().await;
    space(&t, "inner", "members_only").await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let inner = start_topic(&rose, "inner", "Between members", "Just for us.").await;
    start_topic(&rose, "living", "For everyone", "Hello world.").await;
    let guest = t.browser();

    let account = rose.get("/account").await.body;
    assert!(account.contains("Make private feed links"));
    let made = rose.form("/account/feed-token", &[]).await;
    assert_eq!(made.status, StatusCode::OK);
    let links = private_links(&made.body);
    let token = links[0].split("?token=").nth(1).unwrap().to_owned();
    assert_eq!(
        links.len(),
        6,
        "the site and both spaces, RSS and Atom: {links:?}"
    );
    assert!(
        !rose.get("/account").await.body.contains(&token),
        "shown once"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM feed_tokens").await,
        1,
        "one token per member"
    );

    for link in &links {
        read_feed(&guest, link.trim_start_matches(&t.base)).await;
    }
    let site = read_feed(&guest, &format!("/feeds/atom?token={token}")).await;
    assert_eq!(titles(&site), ["For everyone", "Between members"]);
    let space_feed = read_feed(&guest, &format!("/feeds/s/inner/rss?token={token}")).await;
    assert_eq!(titles(&space_feed), ["Between members"]);
    let topic = read_feed(&guest, &format!("/feeds/t/{inner}/rss?token={token}")).await;
    assert_eq!(titles(&topic), ["Between members"]);
    let r = guest.get(&format!("/feeds/rss?token={token}")).await;
    assert_eq!(r.headers["cache-control"], "private, max-age=60");
    assert!(
        r.body.contains(&format!("/feeds/rss?token={token}")),
        "the self link keeps the token"
    );

    let export = rose.get("/account/export").await.body;
    assert!(
        export.contains("private feed links made"),
        "the data download says so"
    );
    assert!(!export.contains(&token), "the token itself is not kept");
    // A new token replaces the old one.
    let again = rose.form("/account/feed-token", &[]).await.body;
    let new_token = private_links(&again)[0]
        .split("?token=")
        .nth(1)
        .unwrap()
        .to_owned();
    assert_ne!(new_token, token);
    assert_eq!(
        guest.get(&format!("/feeds/rss?token={token}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        guest
            .get(&format!("/feeds/s/inner/rss?token={new_token}"))
            .await
            .status,
        StatusCode::OK
    );
    // Revoked: every feed with it is gone, public ones too (the reader should notice).
    let r = rose.form("/account/feed-token/revoke", &[]).await;
    assert!(r.body.contains("revoked"));
    assert!(r.body.contains("Make private feed links"));
    for path in ["/feeds/rss", "/feeds/s/inner/rss", "/feeds/s/living/atom"] {
        assert_eq!(
            guest.get(&format!("{path}?token={new_token}")).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        t.count("SELECT COUNT(*) FROM feed_tokens").await,
        0,
        "nothing kept"
    );
    assert!(
        rose.get("/account/export")
            .await
            .body
            .contains("no private feed links")
    );
    t.stop().await;
}

#[tokio::test]
async fn only_a_hash_of_the_feed_token_is_stored() {
    let t = spawn_app().await;
    let api = Api::member(&t, "rose", Role::Member).await;
    let (_, made) = api.post("/api/feed-token", json!({})).await;
    let token = made["token"].as_str().unwrap();
    let url = &t.app().config().database_url;
    let stored: Vec<u8> = if url.starts_with("postgres") {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar("SELECT token_hash FROM feed_tokens")
            .fetch_one(&mut c)
            .await
            .unwrap()
    } else {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar("SELECT token_hash FROM feed_tokens")
            .fetch_one(&mut c)
            .await
            .unwrap()
    };
    assert_eq!(stored.len(), 32);
    assert!(
        !stored
            .windows(8)
            .any(|w| token.as_bytes().windows(8).any(|v| v == w))
    );
    t.stop().await;
}

#[tokio::test]
async fn suspended_and_erased_members_feed_tokens_stop_working() {
    let t = spawn_app().await;
    space(&t, "inner", "members_only").await;
    let rose = Api::member(&t, "rose", Role::Member).await;
    let tom = Api::member(&t, "tom", Role::Member).await;
    let sam = Api::member(&t, "sam", Role::Moderator).await;
    let admin = Api::member(&t, "ada", Role::Admin).await;
    let guest = t.browser();
    let mut feeds = Vec::new();
    for who in [&rose, &tom] {
        let (status, made) = who.post("/api/feed-token", json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
        let rss = made["rss"]
            .as_str()
            .unwrap()
            .trim_start_matches(&t.base)
            .to_owned();
        assert_eq!(guest.get(&rss).await.status, StatusCode::OK);
        feeds.push(rss);
    }
    let (status, _) = sam
        .post(
            "/api/members/rose/actions",
            json!({"kind": "suspend", "reason": "Repeated abuse.", "days": 7}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(guest.get(&feeds[0]).await.status, StatusCode::NOT_FOUND);
    let (status, _) = admin
        .post(
            "/api/members/tom/erase",
            json!({"posts": "keep", "reason": "Asked by email."}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(guest.get(&feeds[1]).await.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn the_feed_token_works_through_the_json_api() {
    let t = spawn_app().await;
    space(&t, "inner", "members_only").await;
    let rose = t.signed_in("rose", Role::Member).await;
    start_topic(&rose, "inner", "Between members", "Just for us.").await;
    let api = Api::member(&t, "tom", Role::Member).await;
    let guest_api = Api::guest(&t);
    let guest = t.browser();

    assert_eq!(
        guest_api.get("/api/feed-token").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        guest_api.post("/api/feed-token", json!({})).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api.get("/api/feed-token").await.0, StatusCode::NOT_FOUND);
    let (status, made) = api.post("/api/feed-token", json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let token = made["token"].as_str().unwrap();
    assert_eq!(
        made["rss"].as_str().unwrap(),
        format!("{}/feeds/rss?token={token}", t.base)
    );
    assert!(made["created_at"].as_str().unwrap().ends_with('Z'));
    let feed = read_feed(
        &guest,
        made["atom"].as_str().unwrap().trim_start_matches(&t.base),
    )
    .await;
    assert_eq!(titles(&feed), ["Between members"]);

    let (status, shown) = api.get("/api/feed-token").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["created_at"], made["created_at"]);
    assert!(shown.get("token").is_none(), "shown once: {shown}");

    let (status, _, _) = api
        .send(reqwest::Method::DELETE, "/api/feed-token", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        guest.get(&format!("/feeds/rss?token={token}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get("/api/feed-token").await.0, StatusCode::NOT_FOUND);
    let (status, problem, _) = api
        .send(reqwest::Method::DELETE, "/api/feed-token", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(problem["title"].is_string(), "{problem}");

    let (_, doc) = guest_api.get("/api/openapi.json").await;
    assert!(doc["paths"]["/api/feed-token"]["post"].is_object());
    t.stop().await;
}

#[tokio::test]
async fn unchanged_feeds_answer_304_to_conditional_requests() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = start_topic(&rose, "living", "Walking after surgery", "How soon?").await;
    let client = reqwest::Client::new();
    for path in [
        "/feeds/rss".to_owned(),
        "/feeds/s/living/atom".to_owned(),
        format!("/feeds/t/{topic}/rss"),
    ] {
        let url = format!("{}{path}", t.base);
        let first = client.get(&url).send().await.unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        let headers = first.headers().clone();
        assert_eq!(headers["cache-control"], "public, max-age=60", "{path}");
        assert!(
            headers.get("set-cookie").is_none(),
            "{path}: shared caches may keep it, so it carries no cookie"
        );
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let modified = headers["last-modified"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

        let again = |name: &'static str, value: String| client.get(&url).header(name, value).send();
        let r = again("if-none-match", etag.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(r.headers()["etag"], etag.as_str());
        assert!(r.text().await.unwrap().is_empty());
        let r = again("if-none-match", format!("\"other\", W/{etag}"))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{path}: a list, weak");
        let r = again("if-modified-since", modified.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{path}");
        let r = again("if-none-match", "\"stale\"".into()).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let r = again("if-modified-since", "Sat, 01 Jan 2000 00:00:00 GMT".into())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let r = client
            .get(&url)
            .header("if-none-match", "\"stale\"")
            .header("if-modified-since", modified.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "{path}: If-None-Match decides when both come"
        );
    }
    // A change gives a new validator at once.
    let url = format!("{}/feeds/t/{topic}/rss", t.base);
    let etag = client.get(&url).send().await.unwrap().headers()["etag"].clone();
    reply(&rose, topic, "Two days, in the end.").await;
    let r = client
        .get(&url)
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(r.headers()["etag"], etag);
    assert!(r.text().await.unwrap().contains("Two days, in the end."));
    t.stop().await;
}

#[tokio::test]
async fn unknown_feeds_are_not_found() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = start_topic(&rose, "living", "Walking after surgery", "How soon?").await;
    let guest = t.browser();
    for path in [
        "/feeds/json".to_owned(),
        "/feeds/s/nowhere/rss".to_owned(),
        "/feeds/s/living/xml".to_owned(),
        "/feeds/t/999999/atom".to_owned(),
        "/feeds/t/abc/rss".to_owned(),
        "/feeds/t/99999999999999999999999/rss".to_owned(),
        format!("/feeds/t/{topic}/rss?token=not-a-token"),
        "/feeds/rss?token=".to_owned(),
    ] {
        assert_eq!(
            guest.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // A deleted topic's feed goes with it.
    let opening = post_ids(&rose.visit(&format!("/t/{topic}")).await.body)[0].clone();
    rose.form(&format!("/p/{opening}/delete"), &[]).await;
    assert_eq!(
        guest.get(&format!("/feeds/t/{topic}/rss")).await.status,
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}

#[tokio::test]
async fn pages_point_feed_readers_to_their_public_feeds() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    space(&t, "inner", "members_only").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = start_topic(&rose, "living", "Walking after surgery", "How soon?").await;
    let inner = start_topic(&rose, "inner", "Between members", "Just for us.").await;
    rose.form("/account/feed-token", &[]).await;
    let head = |html: &str| html.split("</head>").next().unwrap().to_owned();
    let guest = t.browser();
    for (who, b) in [("guest", &guest), ("member", &rose)] {
        for (page, feed) in [
            ("/".to_owned(), "/feeds".to_owned()),
            ("/s/living".to_owned(), "/feeds/s/living".to_owned()),
            (format!("/t/{topic}"), format!("/feeds/t/{topic}")),
        ] {
            let html = b.get(&page).await.body;
            let head = head(&html);
            for (format, mime) in [
                ("rss", "application/rss+xml"),
                ("atom", "application/atom+xml"),
            ] {
                assert!(
                    head.contains(&format!(
                        "<link rel=\"alternate\" type=\"{mime}\" href=\"{feed}/{format}\""
                    )),
                    "{who} {page}: {head}"
                );
                assert!(
                    html.contains(&format!("<a href=\"{feed}/{format}\" type=\"{mime}\">")),
                    "{who} {page}: a visible link"
                );
            }
            assert!(
                !html.contains("token="),
                "{who} {page}: never a private token"
            );
        }
    }
    // A members-only page has no public feed to point to.
    for page in ["/s/inner".to_owned(), format!("/t/{inner}")] {
        let html = rose.get(&page).await.body;
        assert!(!html.contains("rel=\"alternate\""), "{page}");
        assert!(!html.contains("/feeds/"), "{page}");
    }
    t.stop().await;
}

#[tokio::test]
async fn blog_drafts_and_scheduled_entries_are_in_no_feed() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    let nurse = t.signed_in("NurseNia", Role::Staff).await;
    let r = admin
        .form(
            "/admin/spaces/new",
            &[
                ("kind", "blog"),
                ("name", "News"),
                ("slug", "news"),
                ("tier", "public_read"),
                ("moderation", "post"),
                ("detail_policy", "warn"),
                ("writers", "NurseNia"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for (title, when) in [
        ("A draft-walrus entry", &[("publish", "draft")][..]),
        (
            "A scheduled-walrus entry",
            &[("publish", "at"), ("publish_at", "2099-03-01T09:00")][..],
        ),
    ] {
        let mut fields = vec![("title", title), ("body", "Not out yet: walrus.")];
        fields.extend_from_slice(when);
        let r = nurse.multipart("/b/news/new", &fields, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let unpublished = t
        .count("SELECT COUNT(*) FROM topics WHERE publish_at IS NULL OR publish_at > 4000000000000")
        .await;
    assert_eq!(unpublished, 2);
    let first = t.count("SELECT MIN(id) FROM topics").await;
    let guest = t.browser();
    // The writer's own private feed leaves them out too.
    let made = nurse.form("/account/feed-token", &[]).await.body;
    let token = private_links(&made)[0]
        .split("?token=")
        .nth(1)
        .unwrap()
        .to_owned();
    for id in [first, first + 1] {
        for query in [String::new(), format!("?token={token}")] {
            let path = format!("/feeds/t/{id}/rss{query}");
            assert_eq!(
                guest.get(&path).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
    }
    for path in [
        "/feeds/rss".to_owned(),
        format!("/feeds/atom?token={token}"),
    ] {
        let body = guest.get(&path).await.body;
        assert!(!body.contains("walrus"), "{path}: {body}");
        read_feed(&guest, &path).await;
    }
    t.stop().await;
}

/// Makes a blog through the admin form and publishes entries in it.
async fn blog_with(admin: &Browser, slug: &str, tier: &str, entries: &[(&str, &str)]) {
    let r = admin
        .form(
            "/admin/spaces/new",
            &[
                ("kind", "blog"),
                ("name", &format!("Blog {slug}")),
                ("slug", slug),
                ("tier", tier),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for (title, publish) in entries {
        let r = admin
            .multipart(
                &format!("/b/{slug}/new"),
                &[
                    ("title", title),
                    ("body", &format!("The text of {title}.")),
                    ("tags", "Winter"),
                    ("publish", publish),
                ],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

#[tokio::test]
async fn blogs_tags_and_entry_comments_have_feeds_without_drafts_or_members_only_entries() {
    let t = spawn_app().await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    blog_with(
        &admin,
        "news",
        "public_read",
        &[("Open day", "now"), ("Secret plan", "draft")],
    )
    .await;
    blog_with(
        &admin,
        "inside",
        "members_only",
        &[("Members evening", "now")],
    )
    .await;
    let rose = t.signed_in("Rose", Role::Member).await;
    let r = rose
        .form(
            "/b/news/open-day/comments",
            &[("body", "See you there, Rose.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let guest = t.browser();
    for format in ["rss", "atom"] {
        let feed = read_feed(&guest, &format!("/feeds/b/news/{format}")).await;
        assert_eq!(titles(&feed), vec!["Open day"]);
        assert_eq!(
            feed["entries"][0]["link"],
            format!("{}/b/news/open-day", t.base)
        );
        assert!(
            feed["entries"][0]["content"]
                .as_str()
                .unwrap()
                .contains("The text of Open day.")
        );
        let tag = read_feed(&guest, &format!("/feeds/tags/winter/{format}")).await;
        assert_eq!(titles(&tag), vec!["Open day"]);
    }
    // The entry's own feed: its text and its comments.
    let page = guest.get("/b/news/open-day").await;
    let comments_feed = page
        .body
        .split("<link rel=\"alternate\" type=\"application/rss+xml\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the entry page names its feed")
        .to_owned();
    let feed = read_feed(&guest, &comments_feed).await;
    assert!(feed["entries"].to_string().contains("See you there, Rose."));
    assert!(
        guest
            .get("/b/news")
            .await
            .body
            .contains("href=\"/feeds/b/news/atom\"")
    );
    // Members-only blogs have no public feed and no autodiscovery.
    assert_eq!(
        guest.get("/feeds/b/inside/rss").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !admin
            .get("/b/inside")
            .await
            .body
            .contains("/feeds/b/inside")
    );
    let tag = read_feed(&guest, "/feeds/tags/winter/rss").await;
    assert!(!tag.to_string().contains("Members evening"));
    assert_eq!(
        guest.get("/feeds/tags/no-such-tag/rss").await.status,
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}
