//! The page and feed caches: whatever kind of write a person makes, the next
//! guest or member to read sees it, on this node and on another one.

use hearth_core::model::Role;
use reqwest::StatusCode;

use crate::common::{Browser, TestApp, eventually, id_from, space, spawn_app};

/// The guest pages a write may change, each read twice so that the second
/// read comes from the cache, then read again after `write`.
struct Watched<'a> {
    guest: Browser,
    paths: &'a [String],
}

impl Watched<'_> {
    async fn warm(&self) -> Vec<String> {
        let mut bodies = Vec::new();
        for path in self.paths {
            self.guest.get(path).await;
            let r = self.guest.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            bodies.push(r.body);
        }
        bodies
    }

    /// Checks that `seen` shows on `path` (one of the paths) after `write`.
    async fn after(&self, what: &str, path: &str, seen: &str, write: impl AsyncFnOnce()) {
        let before = self.warm().await;
        let i = self.paths.iter().position(|p| p == path).unwrap();
        assert!(
            !before[i].contains(seen),
            "{what}: {seen} already on {path}"
        );
        write().await;
        let now = self.guest.get(path).await.body;
        assert!(
            now.contains(seen),
            "{what}: {seen} not on {path} at once:\n{now}"
        );
    }
}

async fn topic(b: &Browser, slug: &str, title: &str) -> i64 {
    let r = b
        .form(
            &format!("/s/{slug}/new"),
            &[("title", title), ("body", "The opening words")],
        )
        .await;
    id_from(&r.location)
}

#[tokio::test]
async fn guests_see_every_kind_of_write_at_once() {
    let t = spawn_app().await;
    space(&t, "open", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let tom = t.signed_in("tom", Role::Member).await;
    let mona = t.signed_in("mona", Role::Moderator).await;
    let ada = t.signed_in("Ada", Role::Admin).await;
    let id = topic(&rose, "open", "Cold caps").await;
    let post = t.count("SELECT MAX(id) FROM posts").await;
    let paths = [
        "/".to_owned(),
        "/s/open".to_owned(),
        format!("/t/{id}"),
        format!("/feeds/t/{id}/rss"),
        "/feeds/s/open/rss".to_owned(),
    ];
    let w = Watched {
        guest: t.browser(),
        paths: &paths,
    };
    let topic_path = format!("/t/{id}");

    w.after("new topic", "/", "Wigs and scarves", async || {
        topic(&tom, "open", "Wigs and scarves").await;
    })
    .await;
    w.after("reply", &topic_path, "a reply from tom", async || {
        tom.form(&format!("/t/{id}/reply"), &[("body", "a reply from tom")])
            .await;
    })
    .await;
    w.after(
        "reply in feed",
        &format!("/feeds/t/{id}/rss"),
        "an answer for the feed",
        async || {
            tom.form(
                &format!("/t/{id}/reply"),
                &[("body", "an answer for the feed")],
            )
            .await;
        },
    )
    .await;
    w.after("edit", &topic_path, "edited opening words", async || {
        let r = rose
            .form(
                &format!("/p/{post}/edit"),
                &[("title", "Cold caps"), ("body", "edited opening words")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    })
    .await;
    w.after("like", &topic_path, "1 like", async || {
        tom.form(&format!("/p/{post}/like?on=1"), &[]).await;
    })
    .await;
    w.after(
        "lock",
        &topic_path,
        r#"<span class="badge">Closed</span>"#,
        async || {
            let r = mona.form(&format!("/t/{id}/lock?on=1"), &[]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        },
    )
    .await;
    let last = t.count("SELECT MAX(id) FROM posts").await;
    w.after("delete", &topic_path, "This post was deleted", async || {
        let r = tom.form(&format!("/p/{last}/delete"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    })
    .await;
    w.after(
        "space renamed",
        "/s/open",
        "Hair loss and you",
        async || {
            let r = ada
                .form(
                    "/admin/spaces/open",
                    &[
                        ("name", "Hair loss and you"),
                        ("slug", "open"),
                        ("position", "1"),
                        ("tier", "public_read"),
                        ("moderation", "post"),
                        ("detail_policy", "warn"),
                        ("kind", "forum"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        },
    )
    .await;
    t.stop().await;
}

/// A member's topic page is made from parts kept in memory (the topic's
/// posts, their own reading position, watch and likes, the counts at the top,
/// their session): each read twice so that the second comes from memory,
/// then read after a write that changes it.
#[tokio::test]
async fn members_see_every_change_to_their_pages_at_once() {
    let t = spawn_app().await;
    space(&t, "open", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let tom = t.signed_in("tom", Role::Member).await;
    let sam = t.signed_in("sam", Role::Moderator).await;
    let id = topic(&rose, "open", "Cold caps").await;
    let post = t.count("SELECT MAX(id) FROM posts").await;
    let path = format!("/t/{id}");
    let read_twice = async |b: &Browser| {
        b.get(&path).await;
        b.get(&path).await.body
    };

    assert!(!read_twice(&tom).await.contains("Unlike"));
    tom.form(&format!("/p/{post}/like?on=1"), &[]).await;
    assert!(tom.get(&path).await.body.contains("Unlike"), "own like");
    assert!(
        rose.get(&path).await.body.contains("1 like"),
        "others' like"
    );
    assert!(!rose.get(&path).await.body.contains("Unlike"));

    assert!(!read_twice(&tom).await.contains("Stop watching"));
    tom.form(&format!("/t/{id}/watch?on=1"), &[]).await;
    assert!(tom.get(&path).await.body.contains("Stop watching"));

    // A reply from someone else: counted at the top of tom's pages once the
    // notification is made, on the page and marked new for him.
    read_twice(&tom).await;
    tom.get("/").await;
    assert!(!tom.get("/").await.body.contains("unread</span>"));
    rose.form(&format!("/t/{id}/reply"), &[("body", "a reply from rose")])
        .await;
    eventually("the notification is counted", async || {
        tom.get("/").await.body.contains("unread</span>")
    })
    .await;
    let page = tom.get(&path).await.body;
    assert!(page.contains("a reply from rose"), "{page}");
    assert!(page.contains(r#"<span class="badge new">New</span>"#));
    let page = tom.get(&path).await.body;
    assert!(!page.contains("badge new"), "read once, no longer new");
    assert!(!page.contains("unread</span>"), "and its notification read");

    // A silence shows at once at the top of the member's pages.
    read_twice(&tom).await;
    let r = sam
        .form(
            "/mod/members/tom",
            &[("kind", "silence"), ("reason", "A pause"), ("days", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        tom.get(&path)
            .await
            .body
            .contains("You can read but not post")
    );

    // Signing out ends the session at once, though it was just used.
    let cookie = tom.cookie("hearth_session").unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let with_old_cookie = async || {
        client
            .get(format!("{}/account", t.base))
            .header("cookie", format!("hearth_session={cookie}"))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(with_old_cookie().await, StatusCode::OK);
    assert_eq!(with_old_cookie().await, StatusCode::OK);
    let r = tom.form("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(with_old_cookie().await, StatusCode::SEE_OTHER, "signed out");
    t.stop().await;
}

/// Two nodes on one PostgreSQL: a write through one is seen at once by a
/// guest and a member of the other, though that node had the page in memory.
#[tokio::test]
async fn a_write_through_one_node_is_seen_at_once_on_another() {
    let a = spawn_app().await;
    let Some(b) = a.second_node().await else {
        return; // one node on SQLite, by design
    };
    space(&a, "open", "public_read").await;
    let rose = a.signed_in("rose", Role::Member).await;
    let id = topic(&rose, "open", "Across nodes").await;
    let path = format!("/t/{id}");
    let on_b = |b: &TestApp| b.browser();
    let guest = on_b(&b);
    let password = a.account("tom", Role::Member).await;
    let member = b.sign_in("tom", &password).await;
    for _ in 0..3 {
        assert!(!guest.get(&path).await.body.contains("written on node A"));
        assert!(!member.get(&path).await.body.contains("written on node A"));
    }
    rose.form(&format!("/t/{id}/reply"), &[("body", "written on node A")])
        .await;
    assert!(guest.get(&path).await.body.contains("written on node A"));
    assert!(member.get(&path).await.body.contains("written on node A"));
    assert!(
        guest
            .get(&format!("/feeds/t/{id}/rss"))
            .await
            .body
            .contains("written on node A")
    );
    b.stop().await;
    a.stop().await;
}
