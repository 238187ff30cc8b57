//! The permission matrix: every tier × every role × every door built so far
//! (pages; the JSON API in api.rs), reading and posting.

use hearth_core::model::Role;
use reqwest::StatusCode;

use crate::common::{Browser, Reply, id_from, space, spawn_app};

#[derive(Debug, PartialEq, Clone, Copy)]
enum Outcome {
    Allowed,
    /// Accepted, but waiting for a moderator.
    Held,
    /// Sent to sign in first.
    SignIn,
    /// As if it did not exist.
    Hidden,
}

fn outcome_of(r: &Reply) -> Outcome {
    match (r.status, r.location.as_deref()) {
        (StatusCode::NOT_FOUND, _) => Outcome::Hidden,
        // A form sent without being signed in: the text comes back with a sign-in link.
        (StatusCode::UNAUTHORIZED, _) => Outcome::SignIn,
        (s, Some(loc)) if s.is_redirection() && loc.starts_with("/login") => Outcome::SignIn,
        (StatusCode::OK, _) => Outcome::Allowed,
        (s, Some(_)) if s.is_redirection() => Outcome::Allowed,
        other => panic!("unexpected answer {other:?}: {}", r.body),
    }
}

#[tokio::test]
async fn every_tier_and_role_reads_and_posts_exactly_as_designed() {
    let t = spawn_app().await;
    let tiers = ["members_only", "public_read", "open"];
    let mut topics = Vec::new();
    let author = t.signed_in("author", Role::Member).await;
    for tier in tiers {
        let slug = tier.replace('_', "-");
        space(&t, &slug, tier).await;
        let r = author
            .form(
                &format!("/s/{slug}/new"),
                &[("title", &format!("A topic in {tier}")), ("body", "Hello")],
            )
            .await;
        topics.push((tier, slug, id_from(&r.location)));
    }
    let roles: [(&str, Option<Role>); 6] = [
        ("guest", None),
        ("member", Some(Role::Member)),
        ("volunteer", Some(Role::Volunteer)),
        ("staff", Some(Role::Staff)),
        ("moderator", Some(Role::Moderator)),
        ("admin", Some(Role::Admin)),
    ];
    for (who, role) in roles {
        let b: Browser = match role {
            Some(role) => t.signed_in(&format!("p_{who}"), role).await,
            None => t.browser(),
        };
        for (tier, slug, topic) in &topics {
            let (read, post) = match (role, *tier) {
                (None, "members_only") => (Outcome::Hidden, Outcome::Hidden),
                (None, "public_read") => (Outcome::Allowed, Outcome::SignIn),
                (None, _) => (Outcome::Allowed, Outcome::Held),
                (Some(_), _) => (Outcome::Allowed, Outcome::Allowed),
            };
            let ctx = format!("{who} in {tier}");
            assert_eq!(
                outcome_of(&b.get(&format!("/s/{slug}")).await),
                read,
                "read space: {ctx}"
            );
            assert_eq!(
                outcome_of(&b.get(&format!("/t/{topic}")).await),
                read,
                "read topic: {ctx}"
            );
            let home = b.get("/").await.body;
            assert_eq!(
                home.contains(&format!("/s/{slug}\"")),
                read == Outcome::Allowed,
                "listed on home: {ctx}"
            );

            let guest_name = format!("g{who}{}", slug.replace('-', ""));
            let start = b
                .form(
                    &format!("/s/{slug}/new"),
                    &[
                        ("title", &format!("By {who}")),
                        ("body", "x"),
                        ("guest_name", &guest_name),
                    ],
                )
                .await;
            let reply = b
                .form(
                    &format!("/t/{topic}/reply"),
                    &[
                        ("body", &format!("reply by {who}")),
                        ("guest_name", &guest_name),
                    ],
                )
                .await;
            for (what, r) in [("start topic", &start), ("reply", &reply)] {
                let got = outcome_of(r);
                let got = if got == Outcome::Allowed && post == Outcome::Held {
                    // Held posts are accepted but not shown to others.
                    let visible = t
                        .browser()
                        .get(&format!("/t/{topic}"))
                        .await
                        .body
                        .contains(&format!("reply by {who}"))
                        || t.browser()
                            .get(&format!("/s/{slug}"))
                            .await
                            .body
                            .contains(&format!("By {who}<"));
                    if visible {
                        Outcome::Allowed
                    } else {
                        Outcome::Held
                    }
                } else {
                    got
                };
                assert_eq!(got, post, "{what}: {ctx}");
            }
        }
    }
    t.stop().await;
}

#[tokio::test]
async fn admins_create_and_edit_spaces_through_the_pages() {
    let t = spawn_app().await;
    let member = t.signed_in("plain", Role::Member).await;
    assert_eq!(
        member.get("/admin/spaces/new").await.status,
        StatusCode::FORBIDDEN
    );
    let admin = t.signed_in("boss", Role::Admin).await;
    let bad = admin
        .form(
            "/admin/spaces/new",
            &[
                ("name", "Ask a Nurse"),
                ("slug", "Not A Slug"),
                ("position", "ten"),
                ("tier", "secret"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("lower-case letters")
            && bad.body.contains("whole number")
            && bad.body.contains("Choose who can read")
    );
    assert!(
        bad.body.contains(r#"value="Ask a Nurse""#),
        "what was typed comes back"
    );
    let ok = admin
        .form(
            "/admin/spaces/new",
            &[
                ("name", "Ask a Nurse"),
                ("slug", ""),
                ("position", "5"),
                ("tier", "members_only"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(
        t.browser().get("/s/ask-a-nurse").await.status,
        StatusCode::NOT_FOUND,
        "members only, so hidden from guests"
    );
    let page = member.get("/s/ask-a-nurse").await.body;
    assert!(page.contains("Only signed-in members of this community can see posts here"));
    let edit = admin
        .form(
            "/admin/spaces/ask-a-nurse",
            &[
                ("name", "Ask a Nurse"),
                ("slug", "ask-a-nurse"),
                ("position", "5"),
                ("tier", "public_read"),
            ],
        )
        .await;
    assert_eq!(edit.status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.browser().get("/s/ask-a-nurse").await.status,
        StatusCode::OK,
        "now public"
    );
    let clash = admin
        .form(
            "/admin/spaces/new",
            &[
                ("name", "Ask a nurse again"),
                ("slug", "ask-a-nurse"),
                ("tier", "open"),
            ],
        )
        .await;
    assert!(clash.body.contains("Another space already uses"));
    t.stop().await;
}
