//! Webmentions and pingbacks, both ways: mentions checked against their
//! source, held for moderators and shown below the entry; the refusals, each
//! with its reason; entries telling the pages they link to; and two Hearth
//! sites mentioning each other. Another site is played by a small server on
//! loopback, which only works because the tests allow private addresses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use hearth_core::model::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api::Api;
use crate::blogs::blog;
use crate::common::{TestApp, eventually, spawn_app};

/// A request the other site received.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    body: String,
}

/// A page's extra headers and its HTML.
type Page = (Vec<(String, String)>, String);

#[derive(Clone, Default)]
struct SiteState {
    /// By path.
    pages: Arc<Mutex<HashMap<String, Page>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Another website on loopback: pages set by the test, and endpoints that
/// take every webmention (202) and pingback (success).
struct OtherSite {
    base: String,
    state: SiteState,
}

impl OtherSite {
    async fn start() -> Self {
        let state = SiteState::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, state }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn page(&self, path: &str, headers: &[(&str, &str)], html: &str) {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.state
            .pages
            .lock()
            .unwrap()
            .insert(path.into(), (headers, html.into()));
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn posts_to(&self, path: &str) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == Method::POST && s.path == path)
            .map(|s| s.body)
            .collect()
    }
}

async fn answer(State(state): State<SiteState>, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    state.seen.lock().unwrap().push(Seen {
        method: method.clone(),
        path: path.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if method == Method::POST {
        return if path == "/xmlrpc" {
            (
                [("content-type", "text/xml")],
                "<?xml version=\"1.0\"?><methodResponse><params><param><value><string>Thanks</string></value></param></params></methodResponse>",
            )
                .into_response()
        } else {
            (axum::http::StatusCode::ACCEPTED, "Accepted").into_response()
        };
    }
    let page = state.pages.lock().unwrap().get(&path).cloned();
    match page {
        Some((headers, html)) => {
            let mut map = HeaderMap::new();
            map.insert("content-type", "text/html; charset=utf-8".parse().unwrap());
            for (k, v) in headers {
                map.append(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            (map, html).into_response()
        }
        None => (axum::http::StatusCode::NOT_FOUND, "no such page").into_response(),
    }
}

/// Lets requests to other sites reach loopback (the admins' setting).
async fn allow_private_addresses(admin: &Api) {
    let (status, mut settings) = admin.get("/api/admin/safety").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["private_addresses"], false, "off by default");
    settings["private_addresses"] = json!(true);
    // The tests' rate limits are beyond what the form accepts.
    settings["posts_per_minute"] = json!(120);
    settings["new_member_posts_per_minute"] = json!(120);
    let (status, _, _) = admin
        .send(Method::PUT, "/api/admin/safety", Some(settings))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

/// A public blog `news` with one published entry; its absolute address.
async fn public_entry(t: &TestApp, admin: &Api, slug: &str, body: &str) -> String {
    let (status, v) = admin
        .post(
            "/api/blogs/news/entries",
            json!({"title": format!("Entry {slug}"), "slug": slug, "body": body, "publish": "now"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    format!("{}{}", t.base, v["url"].as_str().unwrap())
}

/// Sends a webmention as another site's software would (no cookies, no form token).
async fn send_webmention(
    t: &TestApp,
    source: &str,
    target: &str,
    html: bool,
) -> (StatusCode, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/webmention", t.base))
        .form(&[("source", source), ("target", target)]);
    if html {
        req = req.header("accept", "text/html");
    }
    let r = req.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn send_pingback(t: &TestApp, xml: &str) -> String {
    reqwest::Client::new()
        .post(format!("{}/xmlrpc", t.base))
        .header("content-type", "text/xml")
        .body(xml.to_owned())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn ping(source: &str, target: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><methodCall><methodName>pingback.ping</methodName><params>\
         <param><value><string>{source}</string></value></param>\
         <param><value><string>{target}</string></value></param></params></methodCall>"
    )
}

/// Sets up an app with an admin, a public blog and private addresses allowed.
async fn site() -> (TestApp, Api) {
    let t = spawn_app().await;
    let admin_browser = t.signed_in("Ada", Role::Admin).await;
    blog(&admin_browser, "news", "public_read", "", "").await;
    let admin = Api::member(&t, "Admin2", Role::Admin).await;
    (t, admin)
}

#[tokio::test]
async fn a_mention_is_checked_held_for_moderators_and_then_shown() {
    let (t, admin) = site().await;
    allow_private_addresses(&admin).await;
    let target = public_entry(&t, &admin, "walk", "We walked ten miles.").await;
    let other = OtherSite::start().await;
    other.page(
        "/notes/1",
        &[],
        &format!(
            r#"<html><head><title>Jo's notes</title></head><body><div class="h-entry">
               <a class="p-author h-card" href="/">Jo Walker</a> liked
               <a class="u-like-of" href="{target}">the walk</a></div></body></html>"#
        ),
    );
    other.page(
        "/notes/2",
        &[],
        &format!(
            r#"<article class="h-entry"><h1 class="p-name">Our own walk</h1>
               <div class="e-content">Inspired by <a href="{target}">this walk</a>, we walked too.</div></article>"#
        ),
    );

    // The entry page names its doors, in the head and in the headers (also
    // when a guest gets it from the page cache, the second time).
    let guest = t.browser();
    for _ in 0..2 {
        let r = reqwest::get(&target).await.unwrap();
        let link = r.headers()["link"].to_str().unwrap().to_owned();
        assert!(
            link.contains(r#"</webmention>; rel="webmention""#),
            "{link}"
        );
        assert_eq!(r.headers()["x-pingback"], "/xmlrpc");
        let html = r.text().await.unwrap();
        assert!(html.contains(r#"<link rel="webmention" href="/webmention">"#));
    }

    let (status, body) = send_webmention(&t, &other.url("/notes/1"), &target, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "held");
    let (status, _) = send_webmention(&t, &other.url("/notes/2"), &target, false).await;
    assert_eq!(status, StatusCode::OK);

    // Held: not on the page, listed for moderators with what the source says.
    assert!(!guest.get("/b/news/walk").await.body.contains("Jo Walker"));
    let (status, _) = Api::member(&t, "Moira", Role::Member)
        .await
        .get("/api/moderation/mentions")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let moderator = Api::member(&t, "Modo", Role::Moderator).await;
    let (_, held) = moderator.get("/api/moderation/mentions").await;
    let held = held.as_array().unwrap().clone();
    assert_eq!(held.len(), 2, "{held:?}");
    assert_eq!(held[0]["kind"], "like");
    assert_eq!(held[0]["author"], "Jo Walker");
    assert_eq!(held[0]["title"], "Jo's notes");
    assert_eq!(held[0]["entry_url"], "/b/news/walk");
    assert_eq!(held[1]["kind"], "mention");
    assert_eq!(held[1]["title"], "Our own walk");
    assert!(
        held[1]["excerpt"]
            .as_str()
            .unwrap()
            .contains("we walked too")
    );

    // The moderators' page lists them; approving one from it shows it.
    let mod_browser = t.signed_in("Mona", Role::Moderator).await;
    let queue = mod_browser.get("/mod/queue").await.body;
    assert!(
        queue.contains("2 mentions from other websites wait"),
        "{queue}"
    );
    let page = mod_browser.get("/mod/mentions").await.body;
    assert!(page.contains("Jo Walker") && page.contains("Our own walk"));
    let first = held[0]["id"].as_i64().unwrap();
    let r = mod_browser
        .form(
            &format!("/mod/mentions/{first}"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let second = held[1]["id"].as_i64().unwrap();
    let (status, v) = moderator
        .post(
            &format!("/api/moderation/mentions/{second}"),
            json!({"decision": "reject"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["status"], "rejected");
    let (status, _) = moderator
        .post(
            &format!("/api/moderation/mentions/{second}"),
            json!({"decision": "maybe"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let html = guest.get("/b/news/walk").await.body;
    assert!(html.contains("Liked by"), "{html}");
    assert!(html.contains(&format!(
        r#"<a href="{}" rel="nofollow ugc noopener">Jo Walker</a>"#,
        other.url("/notes/1")
    )));
    assert!(!html.contains("Our own walk"), "rejected stays away");
    let (_, v) = Api::guest(&t).get("/api/blogs/news/entries/walk").await;
    assert_eq!(v["reactions"].as_array().unwrap().len(), 1);
    assert_eq!(v["reactions"][0]["kind"], "like");

    // Sent again, a rejected mention stays rejected, also after its link
    // was taken away and put back.
    send_webmention(&t, &other.url("/notes/2"), &target, false).await;
    other.page("/notes/2", &[], "<p>gone for a moment</p>");
    let (status, _) = send_webmention(&t, &other.url("/notes/2"), &target, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    other.page(
        "/notes/2",
        &[],
        &format!(r#"<article class="h-entry"><h1 class="p-name">Our own walk</h1><a href="{target}">x</a></article>"#),
    );
    let (status, v) = send_webmention(&t, &other.url("/notes/2"), &target, false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(v.contains("rejected"), "{v}");
    assert!(
        !guest
            .get("/b/news/walk")
            .await
            .body
            .contains("Our own walk")
    );
    let (_, held_now) = moderator.get("/api/moderation/mentions").await;
    assert_eq!(held_now.as_array().unwrap().len(), 0);

    // An approved mention whose page now says something else waits again.
    other.page(
        "/notes/1",
        &[],
        &format!(r#"<div class="h-entry"><a class="p-author h-card" href="/">Jo Walker</a> <a class="u-like-of" href="{target}">liked</a> BUY CHEAP PILLS</div>"#),
    );
    let (status, v) = send_webmention(&t, &other.url("/notes/1"), &target, false).await;
    assert_eq!(status, StatusCode::OK);
    assert!(v.contains("held"), "{v}");
    assert!(!guest.get("/b/news/walk").await.body.contains("Jo Walker"));
    let (_, held_now) = moderator.get("/api/moderation/mentions").await;
    assert_eq!(held_now.as_array().unwrap().len(), 1);

    // The source drops its link: sent again, the mention is taken away.
    other.page("/notes/1", &[], "<p>Changed my mind.</p>");
    let (status, body) = send_webmention(&t, &other.url("/notes/1"), &target, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("does not link to"), "{body}");
    assert!(body.contains("taken away"), "{body}");
    assert!(!guest.get("/b/news/walk").await.body.contains("Jo Walker"));

    // Decisions are in the audit log.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'mention.%'")
            .await,
        2
    );
}

#[tokio::test]
async fn bad_mentions_are_refused_with_the_reason() {
    let (t, admin) = site().await;
    let target = public_entry(&t, &admin, "walk", "text").await;
    let other = OtherSite::start().await;
    other.page("/links", &[], &format!(r#"<a href="{target}">walk</a>"#));

    // Loopback is refused until an admin allows private addresses, and the
    // other site never hears from us.
    let (status, body) = send_webmention(&t, &other.url("/links"), &target, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("private or local network"), "{body}");
    assert!(other.seen().is_empty());
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], 400);
    allow_private_addresses(&admin).await;

    let cases = [
        ("", target.clone(), "Give the source"),
        ("not a url", target.clone(), "must be a web address"),
        (&target[..], target.clone(), "the same page"),
        (
            "https://elsewhere.example/x",
            "https://elsewhere.example/y".to_owned(),
            "not an entry of this site",
        ),
        (
            "https://elsewhere.example/x",
            format!("{}/b/news/nothing", t.base),
            "not an entry of this site",
        ),
        (
            "https://elsewhere.example/x",
            format!("{}/t/1", t.base),
            "not an entry of this site",
        ),
    ];
    for (source, target, reason) in cases {
        let (status, body) = send_webmention(&t, source, &target, false).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{source} → {target}: {body}"
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(
            v["detail"].as_str().unwrap().contains(reason),
            "{source} → {target}: {v}"
        );
    }

    // A source that is not there, or does not link.
    let closed_port = format!("http://127.0.0.1:{}/x", crate::common::free_port());
    let (status, body) = send_webmention(&t, &closed_port, &target, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("could not be read"), "{body}");
    let (status, body) = send_webmention(&t, &other.url("/missing"), &target, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("is gone"), "{body}");
    other.page("/unrelated", &[], "<p>No links here</p>");
    let (status, body) = send_webmention(&t, &other.url("/unrelated"), &target, true).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("<!DOCTYPE html>") || body.contains("<html"),
        "a page for people"
    );
    assert!(body.contains("does not link to"), "{body}");

    // Members-only entries take no mentions, and look like no entry at all.
    let admin_browser = t.signed_in("Ada2", Role::Admin).await;
    blog(&admin_browser, "inside", "members_only", "", "").await;
    let (status, v) = admin
        .post(
            "/api/blogs/inside/entries",
            json!({"title": "Private", "slug": "private", "body": "members only", "publish": "now"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let private = format!("{}/b/inside/private", t.base);
    other.page(
        "/private-link",
        &[],
        &format!(r#"<a href="{private}">x</a>"#),
    );
    let (status, body) = send_webmention(&t, &other.url("/private-link"), &private, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("not an entry of this site"), "{body}");
    assert!(
        !other.seen().iter().any(|s| s.path == "/private-link"),
        "the source of a mention of a private entry is not even fetched"
    );

    // Closed comments close mentions too.
    let (status, _, _) = admin
        .send(
            Method::PUT,
            "/api/blogs/news/entries/walk/comments-closed",
            Some(json!({"closed": true})),
        )
        .await;
    assert!(status.is_success());
    let (status, body) = send_webmention(&t, &other.url("/links"), &target, false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("closed"), "{body}");

    // A form that is not a form.
    let r = reqwest::Client::new()
        .post(format!("{}/webmention", t.base))
        .header("content-type", "application/json")
        .body("{\"source\": 1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(t.count("SELECT COUNT(*) FROM webmentions").await, 0);
}

#[tokio::test]
async fn pingbacks_are_taken_with_the_protocols_faults() {
    let (t, admin) = site().await;
    allow_private_addresses(&admin).await;
    let target = public_entry(&t, &admin, "walk", "text").await;
    let other = OtherSite::start().await;
    other.page(
        "/post",
        &[],
        &format!(r#"<p>See <a href="{target}">this</a>.</p>"#),
    );
    other.page("/nolink", &[], "<p>nothing</p>");

    let answer = send_pingback(&t, &ping(&other.url("/post"), &target)).await;
    assert!(answer.contains("<string>Thank you"), "{answer}");
    let again = send_pingback(&t, &ping(&other.url("/post"), &target)).await;
    assert!(
        again.contains("<int>48</int>"),
        "already registered: {again}"
    );
    let no_link = send_pingback(&t, &ping(&other.url("/nolink"), &target)).await;
    assert!(no_link.contains("<int>17</int>"), "{no_link}");
    let no_target = send_pingback(
        &t,
        &ping(&other.url("/post"), &format!("{}/b/news/none", t.base)),
    )
    .await;
    assert!(no_target.contains("<int>33</int>"), "{no_target}");
    let gone = send_pingback(&t, &ping(&other.url("/missing"), &target)).await;
    assert!(gone.contains("<int>16</int>"), "{gone}");
    let garbage = send_pingback(&t, "<methodCall><oops").await;
    assert!(garbage.contains("<int>0</int>"), "{garbage}");

    let moderator = Api::member(&t, "Modo", Role::Moderator).await;
    let (_, held) = moderator.get("/api/moderation/mentions").await;
    assert_eq!(held.as_array().unwrap().len(), 1);
    assert_eq!(held[0]["protocol"], "pingback");
    assert_eq!(held[0]["kind"], "mention");
}

#[tokio::test]
async fn published_entries_tell_the_pages_they_link_to() {
    let (t, admin) = site().await;
    allow_private_addresses(&admin).await;
    let other = OtherSite::start().await;
    other.page(
        "/a",
        &[("link", "</wm>; rel=\"webmention\"")],
        "<p>Page A</p>",
    );
    other.page(
        "/b",
        &[("x-pingback", &other.url("/xmlrpc"))],
        "<p>Page B</p>",
    );
    other.page("/c", &[], "<p>Page C takes nothing</p>");
    let body = format!(
        "Read [A]({}), [B]({}) and [C]({}); also [our forum](/s/x) and [A again]({}#top).",
        other.url("/a"),
        other.url("/b"),
        other.url("/c"),
        other.url("/a")
    );
    let source = public_entry(&t, &admin, "links", &body).await;

    eventually("a webmention to A and a pingback to B", || async {
        !other.posts_to("/wm").is_empty() && !other.posts_to("/xmlrpc").is_empty()
    })
    .await;
    let wm = &other.posts_to("/wm")[0];
    let form: HashMap<String, String> = serde_urlencoded::from_str(wm).unwrap();
    assert_eq!(form["source"], source);
    assert_eq!(form["target"], other.url("/a"));
    let pb = &other.posts_to("/xmlrpc")[0];
    assert!(pb.contains("pingback.ping") && pb.contains(&source) && pb.contains(&other.url("/b")));
    eventually("all three links recorded", || async {
        t.count("SELECT COUNT(*) FROM webmention_sends").await == 3
    })
    .await;
    assert_eq!(
        t.count("SELECT COUNT(*) FROM webmention_sends WHERE delivered = 1")
            .await,
        2
    );
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM webmention_sends WHERE outcome LIKE '%takes no webmentions%'"
        )
        .await,
        1
    );
    // The writers see what happened on the entry's edit page.
    let admin_browser = t.signed_in("Ada2", Role::Admin).await;
    let edit = admin_browser.get("/b/news/links/edit").await.body;
    assert!(edit.contains("Websites told about this entry"), "{edit}");
    assert!(edit.contains("Webmention taken (202 Accepted)."), "{edit}");
    assert!(edit.contains("Pingback taken."), "{edit}");
    assert!(
        edit.contains("The page takes no webmentions or pingbacks."),
        "{edit}"
    );

    // Edited without the link to A: A hears once more (to take its mention
    // away), B and C are not told again of the same links... but the text
    // changed, so B (still linked) is told of the new revision.
    let (status, v, _) = admin
        .send(
            Method::PUT,
            "/api/blogs/news/entries/links",
            Some(json!({"title": "Entry links", "body": format!("Only [B]({}) now.", other.url("/b")), "publish": "now"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    eventually("A told of the removal", || async {
        other.posts_to("/wm").len() == 2
    })
    .await;
    eventually("the record of A forgotten", || async {
        t.count("SELECT COUNT(*) FROM webmention_sends").await == 1
    })
    .await;
    assert_eq!(other.posts_to("/xmlrpc").len(), 2);

    // Deleted: the pages it still linked to hear that it is gone.
    let (_, entry) = Api::guest(&t).get("/api/blogs/news/entries/links").await;
    let opening = entry["body"]["id"].as_i64().unwrap();
    let (status, _, _) = admin
        .send(Method::DELETE, &format!("/api/posts/{opening}"), None)
        .await;
    assert!(status.is_success(), "{status}");
    eventually("B told that the entry is gone", || async {
        other.posts_to("/xmlrpc").len() == 3
    })
    .await;

    // A members-only entry tells no one, though it links out.
    blog(&admin_browser, "inside", "members_only", "", "").await;
    other.page("/d", &[("link", "</wm-d>; rel=\"webmention\"")], "<p>D</p>");
    let (status, _) = admin
        .post(
            "/api/blogs/inside/entries",
            json!({"title": "Private", "body": format!("[D]({})", other.url("/d")), "publish": "now"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    eventually("the members-only entry's job done", || async {
        t.count("SELECT COUNT(*) FROM jobs WHERE kind = 'webmention.send' AND state = 'done'")
            .await
            >= 3
    })
    .await;
    assert!(
        !other
            .seen()
            .iter()
            .any(|s| s.path == "/d" || s.path == "/wm-d"),
        "{:?}",
        other.seen()
    );
}

#[tokio::test]
async fn two_hearth_sites_mention_each_other() {
    let (b, b_admin) = site().await;
    allow_private_addresses(&b_admin).await;
    let target = public_entry(&b, &b_admin, "open-day", "Come to our open day.").await;

    let (a, a_admin) = site().await;
    allow_private_addresses(&a_admin).await;
    let source = public_entry(
        &a,
        &a_admin,
        "we-went",
        &format!("We went to [their open day]({target}) and loved it."),
    )
    .await;

    let moderator = Api::member(&b, "Modo", Role::Moderator).await;
    eventually("site B holds site A's mention", || async {
        b.count("SELECT COUNT(*) FROM webmentions").await == 1
    })
    .await;
    let (_, held) = moderator.get("/api/moderation/mentions").await;
    assert_eq!(held[0]["source"], source);
    assert_eq!(held[0]["title"], "Entry we-went");
    assert_eq!(held[0]["kind"], "mention");
    assert!(
        held[0]["excerpt"].as_str().unwrap().contains("loved it"),
        "{held}"
    );
    eventually("site A records the delivery", || async {
        a.count("SELECT COUNT(*) FROM webmention_sends WHERE delivered = 1")
            .await
            == 1
    })
    .await;
}
