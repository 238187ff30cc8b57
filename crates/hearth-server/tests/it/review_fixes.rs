//! Defects found in review, each kept from coming back.

use hearth_core::model::Role;
use reqwest::StatusCode;

use crate::common::{id_from, space, spawn_app};

#[tokio::test]
async fn sign_in_never_redirects_off_site_nor_fails_on_odd_input() {
    let t = spawn_app().await;
    let password = t.account("walker", Role::Member).await;
    for next in [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
    ] {
        let r = t
            .browser()
            .form(
                "/login",
                &[
                    ("email", "walker@example.org"),
                    ("password", &password),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(r.location.as_deref(), Some("/"), "{next:?}");
    }
    let r = t.browser().get("/s/a%0Ab/new").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn older_topics_stay_reachable_from_the_front_page_with_a_pinned_topic() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let first = id_from(
        &rose
            .form(
                "/s/living/new",
                &[("title", "The very first topic"), ("body", "x")],
            )
            .await
            .location,
    );
    for i in 0..31 {
        rose.form(
            "/s/living/new",
            &[("title", &format!("Topic number {i}")), ("body", "x")],
        )
        .await;
    }
    let sam = t.signed_in("sam", Role::Moderator).await;
    let pinned = id_from(
        &rose
            .form("/s/living/new", &[("title", "Pinned now"), ("body", "x")])
            .await
            .location,
    );
    sam.form(&format!("/t/{pinned}/pin?on=1"), &[]).await;
    let home = t.browser().get("/").await.body;
    let next = home
        .split("/?after=")
        .nth(1)
        .expect("an older-topics link")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let older = t.browser().get(&format!("/?after={next}")).await.body;
    assert!(
        older.contains(&format!("/t/{first}\"")),
        "the oldest topic is on the next page"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_password_reset_revokes_access_tokens() {
    let t = spawn_app().await;
    let b = t.signed_in("resetter", Role::Member).await;
    let page = b.form("/account/tokens", &[("name", "script")]).await.body;
    let secret = page
        .split("hearth_")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    let secret = format!("hearth_{secret}");
    let me = || {
        reqwest::Client::new()
            .get(format!("{}/api/me", t.base))
            .bearer_auth(&secret)
            .send()
    };
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);
    let link = hearth_server::services::accounts::reset_link_by_operator(t.app(), "resetter")
        .await
        .unwrap();
    let path = link.trim_start_matches(&t.base).to_owned();
    t.browser()
        .form(&path, &[("password", "a completely new one")])
        .await;
    assert_eq!(me().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn profiles_count_only_posts_the_viewer_can_see() {
    let t = spawn_app().await;
    space(&t, "lounge", "members_only").await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    rose.form(
        "/s/lounge/new",
        &[("title", "Private matter"), ("body", "x")],
    )
    .await;
    rose.form(
        "/s/lounge/new",
        &[("title", "Another private one"), ("body", "x")],
    )
    .await;
    rose.form(
        "/s/living/new",
        &[("title", "Public matter"), ("body", "x")],
    )
    .await;
    assert!(
        t.browser().get("/u/rose").await.body.contains("1 post<"),
        "a guest counts the public post only"
    );
    assert!(rose.get("/u/rose").await.body.contains("3 posts"));
    t.stop().await;
}

#[tokio::test]
async fn deleted_topics_leave_notifications_and_counters() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let tom = t.signed_in("tom", Role::Member).await;
    let topic = id_from(
        &rose
            .form(
                "/s/living/new",
                &[("title", "Jane Smith from Leeds"), ("body", "oops")],
            )
            .await
            .location,
    );
    tom.form(&format!("/t/{topic}/reply"), &[("body", "Hello @rose")])
        .await;
    assert!(
        rose.get("/notifications")
            .await
            .body
            .contains("Jane Smith from Leeds")
    );
    assert!(t.browser().get("/").await.body.contains("2 posts"));
    let sam = t.signed_in("sam", Role::Moderator).await;
    let page = sam.get(&format!("/t/{topic}")).await.body;
    let opening = crate::common::post_ids(&page)[0].clone();
    assert_eq!(
        sam.form(&format!("/p/{opening}/delete"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let notes = rose.get("/notifications").await.body;
    assert!(
        !notes.contains("Jane Smith"),
        "a deleted topic's title leaves the notifications"
    );
    assert!(
        !rose.get("/").await.body.contains("class=\"count\""),
        "nor counts as unread"
    );
    let home = t.browser().get("/").await.body;
    assert!(
        home.contains("0 topics") && home.contains("0 posts"),
        "the space's counters forget it"
    );
    t.stop().await;
}

#[tokio::test]
async fn deleted_held_posts_cannot_be_approved() {
    let t = spawn_app().await;
    space(&t, "open-door", "open").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = id_from(
        &rose
            .form(
                "/s/open-door/new",
                &[("title", "Open question"), ("body", "x")],
            )
            .await
            .location,
    );
    t.browser()
        .form(
            &format!("/t/{topic}/reply"),
            &[("guest_name", "spammer"), ("body", "buy pills")],
        )
        .await;
    let sam = t.signed_in("sam", Role::Moderator).await;
    let page = sam.get(&format!("/t/{topic}")).await.body;
    let held = crate::common::post_ids(&page)[1].clone();
    sam.form(&format!("/p/{held}/delete"), &[]).await;
    assert_eq!(
        sam.form(&format!("/p/{held}/approve"), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        t.browser()
            .get("/s/open-door")
            .await
            .body
            .contains("0 replies")
    );
    t.stop().await;
}

#[tokio::test]
async fn text_is_given_back_when_the_session_ended_meanwhile() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = id_from(
        &rose
            .form("/s/living/new", &[("title", "A long story"), ("body", "x")])
            .await
            .location,
    );
    // Elsewhere, rose changes her password: every other session ends.
    let elsewhere = crate::common::Browser::new(&t.base);
    elsewhere
        .form(
            "/login",
            &[
                ("email", "rose@example.org"),
                ("password", "rose-password-1"),
            ],
        )
        .await;
    let r = elsewhere
        .form(
            "/account/password",
            &[
                ("current_password", "rose-password-1"),
                ("new_password", "a whole new password"),
            ],
        )
        .await;
    assert!(r.body.contains("Your password is changed"), "{}", r.body);
    let r = rose
        .form(
            &format!("/t/{topic}/reply"),
            &[("body", "Three paragraphs I wrote with care")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.body.contains("Please sign in again")
            && r.body.contains("Three paragraphs I wrote with care")
    );
    let r = rose
        .form_without_token(
            &format!("/t/{topic}/reply"),
            &[("body", "Words kept again")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("This form had expired") && r.body.contains("Words kept again"));
    t.stop().await;
}

#[tokio::test]
async fn members_accept_new_terms_before_writing_through_any_door() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let topic = id_from(
        &rose
            .form(
                "/s/living/new",
                &[("title", "Before new terms"), ("body", "x")],
            )
            .await
            .location,
    );
    let admin = t.signed_in("boss", Role::Admin).await;
    let r = admin
        .form(
            "/admin/legal/terms",
            &[("body", "New terms: be kind, use an alias, no advertising.")],
        )
        .await;
    assert!(r.body.contains("is published"), "{}", r.body);
    let r = rose
        .form(
            &format!("/t/{topic}/reply"),
            &[("body", "My reply after the change")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body.contains("accept the updated terms") && r.body.contains("My reply after the change")
    );
    assert!(r.body.contains("href=\"/accept\""));
    let page = rose.get("/accept").await.body;
    let doc = page
        .split("name=\"doc\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    rose.form("/accept", &[("doc", &doc), ("next", "/")]).await;
    let r = rose
        .form(
            &format!("/t/{topic}/reply"),
            &[("body", "My reply after the change")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    t.stop().await;
}
