use hearth_core::model::Role;
use reqwest::StatusCode;

use crate::common::{Browser, TestApp, id_from, reply, space, spawn_app};

#[tokio::test]
async fn a_member_starts_a_topic_and_another_replies_with_a_quote() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let compose = rose.get("/s/living/new").await;
    assert!(
        compose
            .body
            .contains("Anyone on the internet can read posts here"),
        "the composer says who will see it"
    );
    let r = rose
        .form(
            "/s/living/new",
            &[
                ("title", "Walking after surgery"),
                ("body", "How soon did you **walk**?"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let topic = id_from(&r.location);
    let page = rose.get(&format!("/t/{topic}")).await;
    assert!(page.body.contains("<h1>Walking after surgery</h1>"));
    assert!(page.body.contains("<strong>walk</strong>"));

    let tom = t.signed_in("tom", Role::Member).await;
    let topic_page = tom.get(&format!("/t/{topic}")).await.body;
    let opening = crate::common::post_ids(&topic_page)[0].clone();
    let quote_page = tom.get(&format!("/t/{topic}/reply?to={opening}")).await;
    assert!(
        quote_page.body.contains("**rose** wrote:"),
        "{}",
        quote_page.body
    );
    let r = tom
        .form(
            &format!("/t/{topic}/reply"),
            &[
                ("body", "> **rose** wrote:\n> How soon?\n\nAfter two days."),
                ("reply_to", &opening),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = t.browser().visit(&format!("/t/{topic}")).await;
    assert!(page.body.contains("After two days."));
    assert!(page.body.contains("<blockquote>"));
    assert!(page.body.contains("In reply to"));
    // Rose watches her topic, so she is told.
    assert!(
        rose.get("/notifications")
            .await
            .body
            .contains("tom replied in “Walking after surgery”")
    );
    t.stop().await;
}

#[tokio::test]
async fn invalid_topic_keeps_the_text_and_explains() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let r = rose
        .form(
            "/s/living/new",
            &[("title", "x"), ("body", "My carefully written message")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("A title needs 3 to 150 characters"));
    assert!(r.body.contains("My carefully written message"));
    let r = rose
        .form(
            "/s/living/new",
            &[("title", "A fine title"), ("body", "   ")],
        )
        .await;
    assert!(r.body.contains("Write a message before posting"));
    assert!(r.body.contains(r#"value="A fine title""#));
    t.stop().await;
}

#[tokio::test]
async fn markdown_is_sanitized_and_links_are_marked() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let body = "<script>alert('x')</script>\n\nSee [this](https://example.org) <img src=x onerror=alert(1)>";
    let r = rose
        .form("/s/living/new", &[("title", "Sanitizing"), ("body", body)])
        .await;
    let page = t
        .browser()
        .get(&format!("/t/{}", id_from(&r.location)))
        .await
        .body;
    assert!(!page.contains("<script>alert"));
    assert!(!page.contains("onerror"));
    assert!(page.contains(r#"rel="nofollow ugc noopener""#));
    t.stop().await;
}

#[tokio::test]
async fn edits_keep_a_visible_history_and_only_authors_or_moderators_edit() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let r = rose
        .form(
            "/s/living/new",
            &[("title", "First title"), ("body", "First words")],
        )
        .await;
    let topic = id_from(&r.location);
    let page = rose.get(&format!("/t/{topic}")).await.body;
    let post = crate::common::post_ids(&page)[0].clone();
    let r = rose
        .form(
            &format!("/p/{post}/edit"),
            &[("title", "Better title"), ("body", "Second words")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = t.browser().visit(&format!("/t/{topic}")).await.body;
    assert!(page.contains("Better title") && page.contains("Second words"));
    assert!(
        page.contains("Edited") && !page.contains("(history)"),
        "others see that it was edited, not what it said"
    );
    assert_eq!(
        t.browser().get(&format!("/p/{post}/history")).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        rose.get(&format!("/t/{topic}"))
            .await
            .body
            .contains("(history)")
    );
    let history = rose.get(&format!("/p/{post}/history")).await.body;
    assert!(history.contains("First words") && history.contains("Second words"));

    let tom = t.signed_in("tom", Role::Member).await;
    assert_eq!(
        tom.form(&format!("/p/{post}/edit"), &[("body", "Hijacked")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let sam = t.signed_in("sam", Role::Moderator).await;
    assert_eq!(
        sam.form(
            &format!("/p/{post}/edit"),
            &[("title", "Better title"), ("body", "Moderated words")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    t.stop().await;
}

#[tokio::test]
async fn deleting_is_soft_and_the_opening_post_takes_the_topic() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let r = rose
        .form(
            "/s/living/new",
            &[("title", "To be deleted"), ("body", "Opening words")],
        )
        .await;
    let topic = id_from(&r.location);
    let tom = t.signed_in("tom", Role::Member).await;
    let r = tom
        .form(
            &format!("/t/{topic}/reply"),
            &[("body", "A regretted reply")],
        )
        .await;
    let reply = id_from(&r.location);
    assert_eq!(
        rose.form(&format!("/p/{reply}/delete"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        tom.get(&format!("/p/{reply}/delete")).await.status,
        StatusCode::OK,
        "a confirmation page"
    );
    assert_eq!(
        tom.form(&format!("/p/{reply}/delete"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let page = t.browser().get(&format!("/t/{topic}")).await.body;
    assert!(page.contains("This post was deleted."));
    assert!(!page.contains("A regretted reply"));
    let sam = t.signed_in("sam", Role::Moderator).await;
    assert!(
        sam.get(&format!("/t/{topic}"))
            .await
            .body
            .contains("A regretted reply"),
        "moderators still see it"
    );
    let opening = crate::common::post_ids(&page)[0].clone();
    rose.form(&format!("/p/{opening}/delete"), &[]).await;
    assert_eq!(
        t.browser().get(&format!("/t/{topic}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !t.browser()
            .get("/s/living")
            .await
            .body
            .contains("To be deleted")
    );
    t.stop().await;
}

#[tokio::test]
async fn likes_count_once_per_member_and_not_for_oneself() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let r = rose
        .form(
            "/s/living/new",
            &[("title", "Likeable"), ("body", "Like me")],
        )
        .await;
    let topic = id_from(&r.location);
    let page = rose.get(&format!("/t/{topic}")).await.body;
    let post = crate::common::post_ids(&page)[0].clone();
    assert_eq!(
        rose.form(&format!("/p/{post}/like?on=1"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let tom = t.signed_in("tom", Role::Member).await;
    tom.form(&format!("/p/{post}/like?on=1"), &[]).await;
    tom.form(&format!("/p/{post}/like?on=1"), &[]).await;
    assert!(
        t.browser()
            .get(&format!("/t/{topic}"))
            .await
            .body
            .contains("1 like")
    );
    tom.form(&format!("/p/{post}/like?on=0"), &[]).await;
    assert!(
        !t.browser()
            .get(&format!("/t/{topic}"))
            .await
            .body
            .contains("1 like")
    );
    t.stop().await;
}

/// Rose (a member) starts a topic in a public space; Anna is a nurse (staff).
async fn rose_asks_anna(t: &TestApp, title: &str, body: &str) -> (Browser, Browser, i64) {
    space(t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let anna = t.signed_in("NurseAnna", Role::Staff).await;
    let r = rose
        .form("/s/living/new", &[("title", title), ("body", body)])
        .await;
    (rose, anna, id_from(&r.location))
}

#[tokio::test]
async fn mentions_and_watched_topics_notify_and_unwatching_stops_it() {
    let t = spawn_app().await;
    let (rose, anna, topic) =
        rose_asks_anna(&t, "Question for a nurse", "Could @nurseanna help?").await;
    let notes = anna.get("/notifications").await.body;
    assert!(
        notes.contains("rose mentioned you in “Question for a nurse”"),
        "{notes}"
    );
    assert!(anna.get("/").await.body.contains("class=\"count\">1"));
    // Rose stops watching; a reply then does not notify her.
    rose.form(&format!("/t/{topic}/watch?on=0"), &[]).await;
    anna.form(&format!("/t/{topic}/reply"), &[("body", "Yes, happy to.")])
        .await;
    assert!(!rose.get("/notifications").await.body.contains("replied"));
    rose.form(&format!("/t/{topic}/watch?on=1"), &[]).await;
    anna.form(&format!("/t/{topic}/reply"), &[("body", "One more thing.")])
        .await;
    assert!(
        rose.get("/notifications")
            .await
            .body
            .contains("NurseAnna replied")
    );
    t.stop().await;
}

/// A watcher is told of new replies once, until they have read them; a
/// reply that answers them, or names them, still tells them each time.
#[tokio::test]
async fn a_watcher_is_told_of_new_replies_once_until_they_read_the_topic() {
    let t = spawn_app().await;
    let (rose, anna, topic) = rose_asks_anna(&t, "Side effects", "What helped you?").await;
    let told = |body: String| body.matches("NurseAnna replied").count();
    for text in ["Ginger tea, for some.", "Small meals, often."] {
        reply(&anna, topic, text).await;
    }
    assert_eq!(told(rose.get("/notifications").await.body), 1);
    // Reading the topic marks it read: the next reply tells her again.
    rose.get(&format!("/t/{topic}")).await;
    reply(&anna, topic, "Rest, too.").await;
    assert_eq!(told(rose.get("/notifications").await.body), 2);
    // A mention is told even with a reply unread.
    reply(&anna, topic, "@rose, how are you today?").await;
    assert!(
        rose.get("/notifications")
            .await
            .body
            .contains("NurseAnna mentioned you")
    );
    t.stop().await;
}

#[tokio::test]
async fn unread_markers_show_new_activity_to_signed_in_members() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let r = rose
        .form(
            "/s/living/new",
            &[("title", "Unread check"), ("body", "Hello")],
        )
        .await;
    let topic = id_from(&r.location);
    assert!(
        !rose.get("/s/living").await.body.contains("badge new"),
        "own topic is read"
    );
    let tom = t.signed_in("tom", Role::Member).await;
    assert!(
        tom.get("/s/living").await.body.contains("badge new"),
        "never opened: new"
    );
    tom.get(&format!("/t/{topic}")).await;
    assert!(
        !tom.get("/s/living").await.body.contains("badge new"),
        "opened: read"
    );
    rose.form(&format!("/t/{topic}/reply"), &[("body", "Another")])
        .await;
    assert!(
        tom.get("/s/living").await.body.contains("badge new"),
        "new reply: unread again"
    );
    assert!(
        !t.browser()
            .get("/s/living")
            .await
            .body
            .contains("badge new"),
        "guests see no markers"
    );
    t.stop().await;
}

#[tokio::test]
async fn moderators_pin_and_close_topics() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let first = id_from(
        &rose
            .form("/s/living/new", &[("title", "Older topic"), ("body", "a")])
            .await
            .location,
    );
    rose.form("/s/living/new", &[("title", "Newer topic"), ("body", "b")])
        .await;
    assert_eq!(
        rose.form(&format!("/t/{first}/pin?on=1"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let sam = t.signed_in("sam", Role::Moderator).await;
    sam.form(&format!("/t/{first}/pin?on=1"), &[]).await;
    let list = t.browser().get("/s/living").await.body;
    assert!(
        list.find("Older topic").unwrap() < list.find("Newer topic").unwrap(),
        "pinned first"
    );
    sam.form(&format!("/t/{first}/lock?on=1"), &[]).await;
    let page = rose.get(&format!("/t/{first}")).await.body;
    assert!(page.contains("Replies are closed"));
    assert_eq!(
        rose.form(&format!("/t/{first}/reply"), &[("body", "late")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    t.stop().await;
}

/// A reply is checked before its write turn. A moderator who locks the
/// topic in between wins: the reply's writes are undone, its checks run
/// again in its transaction, and it is refused as if it came after the lock.
#[tokio::test]
async fn a_topic_locked_between_a_replys_checks_and_its_writes_refuses_it() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = id_from(
        &rose
            .form("/s/living/new", &[("title", "Open for now"), ("body", "a")])
            .await
            .location,
    );
    // The moderator's transaction holds SQLite's write turn, or on
    // PostgreSQL the topic's row, which the reply's insert (its foreign
    // key) waits for.
    let mut moderator = t.app().store().write().await.unwrap();
    if t.app().store().backend() == hearth_store::Backend::Postgres {
        sqlx::query("SELECT id FROM topics WHERE id = $1 FOR UPDATE")
            .bind(topic)
            .execute(&mut *moderator)
            .await
            .unwrap();
    }
    let reply = {
        let rose = rose.clone();
        tokio::spawn(async move {
            rose.form(&format!("/t/{topic}/reply"), &[("body", "just in time?")])
                .await
        })
    };
    // Time for the reply's checks, which see the topic open. (Were they
    // slower, they would see it locked: the outcome is the same.)
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    hearth_store::topics::set_locked(&mut moderator, hearth_core::model::TopicId(topic), true)
        .await
        .unwrap();
    hearth_store::commit(moderator).await.unwrap();
    let reply = reply.await.unwrap();
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM posts WHERE topic_id = {topic}"
        ))
        .await,
        1,
        "only the opening post"
    );
    t.stop().await;
}

#[tokio::test]
async fn guests_post_in_open_spaces_only_after_approval() {
    let t = spawn_app().await;
    space(&t, "open-door", "open").await;
    let guest = t.browser();
    let r = guest
        .form(
            "/s/open-door/new",
            &[
                ("guest_name", "visitor_1"),
                ("title", "A guest asks"),
                ("body", "Is this the right place?"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("waiting for a moderator"),
        "the guest is told"
    );
    let sam = t.signed_in("sam", Role::Moderator).await;
    let listed = sam.get("/s/open-door").await.body;
    assert!(
        listed.contains("Awaiting approval"),
        "moderators see held topics listed"
    );
    let topic: i64 = listed
        .split("href=\"/t/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        t.browser().get(&format!("/t/{topic}")).await.status,
        StatusCode::NOT_FOUND,
        "held: not visible"
    );
    assert!(
        !t.browser()
            .get("/s/open-door")
            .await
            .body
            .contains("A guest asks")
    );
    let page = sam.get(&format!("/t/{topic}")).await.body;
    assert!(page.contains("Awaiting approval"));
    let post = crate::common::post_ids(&page)[0].clone();
    sam.form(&format!("/p/{post}/approve"), &[]).await;
    let page = t.browser().get(&format!("/t/{topic}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("visitor_1") && page.body.contains("Guest"));
    // A guest cannot sign as a member.
    t.account("rose", Role::Member).await;
    let r = t
        .browser()
        .form(
            "/s/open-door/new",
            &[
                ("guest_name", "ROSE"),
                ("title", "Pretending"),
                ("body", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}

#[tokio::test]
async fn long_topics_page_by_keyset() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = id_from(
        &rose
            .form(
                "/s/living/new",
                &[("title", "Long thread"), ("body", "post number 0")],
            )
            .await
            .location,
    );
    for i in 1..=55 {
        rose.form(
            &format!("/t/{topic}/reply"),
            &[("body", &format!("post number {i}"))],
        )
        .await;
    }
    let first = t.browser().get(&format!("/t/{topic}")).await.body;
    assert!(first.contains("post number 49") && !first.contains("post number 50<"));
    let next = first
        .split("?after=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let second = t
        .browser()
        .get(&format!("/t/{topic}?after={next}"))
        .await
        .body;
    assert!(
        second.contains("post number 50")
            && second.contains("post number 55")
            && !second.contains("post number 49<")
    );
    t.stop().await;
}

#[tokio::test]
async fn guests_never_see_a_stale_page_after_a_write() {
    let t = spawn_app().await;
    space(&t, "open-door", "open").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = id_from(
        &rose
            .form(
                "/s/open-door/new",
                &[("title", "Fresh pages"), ("body", "first")],
            )
            .await
            .location,
    );
    let guest = t.browser();
    assert!(
        !guest
            .get(&format!("/t/{topic}"))
            .await
            .body
            .contains("second words")
    );
    rose.form(&format!("/t/{topic}/reply"), &[("body", "second words")])
        .await;
    assert!(
        guest
            .get(&format!("/t/{topic}"))
            .await
            .body
            .contains("second words"),
        "the reply shows at once"
    );
    rose.form(&format!("/t/{topic}/reply"), &[("body", "third words")])
        .await;
    assert!(guest.get("/s/open-door").await.body.contains("2 replies"));
    // Each guest's page carries that guest's own form token, so their form works.
    let other = t.browser();
    let page = other.get(&format!("/t/{topic}")).await.body;
    assert!(
        !page.contains("name=\"csrf\" value=\"ph"),
        "no placeholder left"
    );
    let r = other
        .form(
            &format!("/t/{topic}/reply"),
            &[("guest_name", "passerby"), ("body", "a guest reply")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("waiting for a moderator"));
    t.stop().await;
}
