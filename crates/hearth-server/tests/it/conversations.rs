//! Private conversations between a member and staff: who may start one and
//! with whom, who sees one (its people; the team's staff; moderators only
//! once reported, audited), unread counts, and every other door kept shut.

use hearth_core::model::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::chat::live;
use crate::common::{Browser, Reply, TestApp, spawn_app};

/// Starts a conversation and returns its address (`/messages/c_…`).
async fn start(b: &Browser, with: &str, subject: &str) -> String {
    let r = b
        .form("/messages", &[("with", with), ("subject", subject)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location.expect("a redirect");
    location.trim_end_matches("#composer").to_owned()
}

async fn say(b: &Browser, path: &str, body: &str) -> Reply {
    b.form(path, &[("body", body)]).await
}

fn message_id(r: &Reply) -> i64 {
    let location = r.location.as_deref().expect("a redirect");
    location.rsplit("#m-").next().unwrap().parse().unwrap()
}

struct People {
    t: TestApp,
    rose: Browser,
    sam: Browser,
    nina: Browser,
    omar: Browser,
    mona: Browser,
    ada: Browser,
}

async fn people() -> People {
    let t = spawn_app().await;
    People {
        rose: t.signed_in("rose", Role::Member).await,
        sam: t.signed_in("sam_k", Role::Member).await,
        nina: t.signed_in("nurse_nina", Role::Staff).await,
        omar: t.signed_in("nurse_omar", Role::Staff).await,
        mona: t.signed_in("mona", Role::Moderator).await,
        ada: t.signed_in("Ada", Role::Admin).await,
        t,
    }
}

#[tokio::test]
async fn a_member_talks_with_the_staff_team_and_nobody_else_sees_it() {
    let p = people().await;
    let form = p.rose.get("/messages").await.body;
    assert!(form.contains("The staff team"), "{form}");
    assert!(form.contains(r#"<option value="nurse_nina">"#), "{form}");
    assert!(!form.contains(r#"<option value="sam_k">"#), "members only");

    let path = start(&p.rose, "team", "About my scan").await;
    assert!(path.starts_with("/messages/c_"), "{path}");
    let r = say(&p.rose, &path, "I am worried about my scan results").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location.as_deref().unwrap().starts_with(&path));
    let page = p.rose.get(&path).await.body;
    assert!(page.contains("I am worried about my scan results"));
    assert!(page.contains("you and the staff team"), "who sees it");

    // Every staff member sees it, with its news counted.
    for nurse in [&p.nina, &p.omar] {
        let list = nurse.get("/messages").await.body;
        assert!(list.contains("About my scan"), "{list}");
        assert!(list.contains("rose and the staff team"), "{list}");
        assert!(list.contains(r#"Messages <span class="count">1"#), "{list}");
    }
    let page = p.nina.get(&path).await.body;
    assert!(page.contains("I am worried about my scan results"));
    assert!(
        !p.nina
            .get("/messages")
            .await
            .body
            .contains(r#"Messages <span class="count">"#),
        "read once seen"
    );
    let r = say(
        &p.nina,
        &path,
        "Thank you for writing. What did they tell you?",
    )
    .await;
    let answer = message_id(&r);
    let list = p.rose.get("/messages").await.body;
    assert!(list.contains(r#"Messages <span class="count">1"#), "{list}");
    let page = p.rose.get(&path).await.body;
    assert!(page.contains("What did they tell you?"));
    assert!(page.contains("(staff)") || page.contains("Staff"), "{page}");

    // Nobody else: not another member, not a moderator, not an admin, not a guest.
    let guest = p.t.browser();
    for outsider in [&p.sam, &p.mona, &p.ada, &guest] {
        assert_eq!(outsider.get(&path).await.status, StatusCode::NOT_FOUND);
        let room_door = path.replace("/messages/", "/r/");
        assert_eq!(outsider.get(&room_door).await.status, StatusCode::NOT_FOUND);
        assert!(
            !outsider
                .get("/messages")
                .await
                .body
                .contains("About my scan")
        );
        let r = say(outsider, &path, "let me in").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = outsider
            .form(&format!("/chat/messages/{answer}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        p.t.count("SELECT COUNT(*) FROM chat_messages WHERE body_md = 'let me in'")
            .await,
        0
    );
    // No list, search, feed or API shows it.
    let slug = path.trim_start_matches("/messages/");
    for door in [
        "/".to_owned(),
        "/chat".to_owned(),
        "/admin/spaces".to_owned(),
        format!("/admin/spaces/{slug}/edit"),
        "/search?q=scan".to_owned(),
        "/api/spaces".to_owned(),
        format!("/api/spaces/{slug}"),
    ] {
        let r = p.ada.get(&door).await;
        assert!(!r.body.contains("About my scan"), "{door}: {}", r.body);
        assert!(!r.body.contains("worried"), "{door}");
    }
    assert_eq!(
        p.t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'conversation.read'")
            .await,
        0
    );
}

#[tokio::test]
async fn moderators_read_a_conversation_only_once_reported_and_each_reading_is_audited() {
    let p = people().await;
    let path = start(&p.rose, "nurse_nina", "").await;
    say(&p.nina, &path, "Hello rose, how can I help?").await;
    let rude = message_id(&say(&p.rose, &path, "You are useless").await);
    assert_eq!(
        p.omar.get(&path).await.status,
        StatusCode::NOT_FOUND,
        "one to one"
    );
    assert!(
        p.rose
            .get("/messages")
            .await
            .body
            .contains("Conversation with nurse_nina"),
        "a subject is made when none is typed"
    );

    // Reporting needs a reason, and only its people can.
    let r = p
        .nina
        .form(&format!("{path}/report"), &[("reason", " ")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Tell the moderators what is wrong"),
        "{}",
        r.body
    );
    let r = p
        .sam
        .form(&format!("{path}/report"), &[("reason", "spam")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = p
        .nina
        .form(
            &format!("{path}/report"),
            &[("reason", "Abusive towards staff")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    assert_eq!(
        p.nina.get("/mod/conversations").await.status,
        StatusCode::FORBIDDEN,
        "staff are not moderators"
    );
    let list = p.mona.get("/mod/conversations").await.body;
    assert!(list.contains("Abusive towards staff"), "{list}");
    assert!(list.contains(&path), "{list}");

    let page = p.mona.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("You are useless"));
    assert!(
        page.body.contains("Reported by nurse_nina"),
        "{}",
        page.body
    );
    assert!(page.body.contains("this reading is recorded"));
    p.ada.get(&path).await;
    assert_eq!(
        p.t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'conversation.read'")
            .await,
        2,
        "each reading is recorded"
    );
    // A moderator deletes, but does not write, in someone's conversation.
    let r = say(&p.mona, &path, "Moderator here").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = p
        .mona
        .form(&format!("/chat/messages/{rude}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        p.rose
            .get(&path)
            .await
            .body
            .contains("This message was deleted.")
    );

    // Closed: private again.
    let r = p.mona.form(&format!("{path}/close-report"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(p.mona.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(!p.mona.get("/mod/conversations").await.body.contains(&path));
    assert_eq!(
        p.t.count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('conversation.report', 'conversation.close_report', 'chat.delete')"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn who_may_start_a_conversation_with_whom() {
    let p = people().await;
    let refused = |r: &Reply, words: &str| {
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(words), "{words}: {}", r.body);
    };
    let r = p.rose.form("/messages", &[("with", "sam_k")]).await;
    refused(&r, "Private conversations are with our staff");
    let r = p.rose.form("/messages", &[("with", "nobody_here")]).await;
    refused(&r, "There is no one called “nobody_here” here");
    let r = p.rose.form("/messages", &[("with", "")]).await;
    refused(&r, "Choose who you would like to talk with.");
    let long = "x".repeat(101);
    let r = p
        .rose
        .form("/messages", &[("with", "team"), ("subject", &long)])
        .await;
    refused(&r, "Keep the subject under 100 characters.");
    assert!(r.body.contains(&long), "what was typed stays");
    let r = p.nina.form("/messages", &[("with", "team")]).await;
    refused(&r, "Choose the member you would like to talk with.");
    let r = p.mona.form("/messages", &[("with", "rose")]).await;
    refused(&r, "between members and our staff");
    let r = p.t.browser().form("/messages", &[("with", "team")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "guests sign in first");

    // Staff start with a member; the member sees it, other staff do not.
    let path = start(&p.nina, "rose", "Following up on your call").await;
    assert!(
        p.rose
            .get("/messages")
            .await
            .body
            .contains("Following up on your call")
    );
    assert_eq!(p.omar.get(&path).await.status, StatusCode::NOT_FOUND);
    // Admins cannot make a conversation through the space form either.
    let r = p
        .ada
        .form(
            "/admin/spaces/new",
            &[
                ("kind", "conversation"),
                ("name", "Sneaky"),
                ("slug", "sneaky"),
                ("tier", "members_only"),
                ("moderation", "post"),
                ("detail_policy", "warn"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        p.t.count("SELECT COUNT(*) FROM spaces WHERE kind = 'conversation'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_conversation_is_live_for_its_people_only() {
    let p = people().await;
    let path = start(&p.rose, "team", "Live question").await;
    let slug = path.trim_start_matches("/messages/").to_owned();
    let mut rose = live::join(&p.t, Some(&p.rose), &slug, None).await;
    let mut nina = live::join(&p.t, Some(&p.nina), &slug, None).await;
    rose.send(json!({"type": "send", "body": "Is anyone there?"}))
        .await;
    let got = nina.next_of("message").await;
    assert_eq!(got["message"]["html"], "<p>Is anyone there?</p>\n");
    for outsider in [&p.sam, &p.mona] {
        assert!(
            live::open(&p.t, Some(outsider), &slug, None, &p.t.base)
                .await
                .is_err(),
            "the socket is refused"
        );
    }
}

#[tokio::test]
async fn a_members_conversations_are_in_their_export_and_go_with_their_account() {
    let p = people().await;
    let path = start(&p.rose, "team", "My worries").await;
    say(&p.rose, &path, "A private worry of mine").await;
    say(&p.nina, &path, "We are here for you").await;
    let export = p.rose.get("/account/export").await.body;
    assert!(export.contains("Your chat messages (1)"), "{export}");
    assert!(export.contains("A private worry of mine"));
    assert!(export.contains("My worries (private conversation)"));
    assert!(!export.contains("We are here for you"), "only one's own");

    let r = p
        .rose
        .form(
            "/account/delete",
            &[("posts", "delete"), ("password", "rose-password-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(p.nina.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(!p.nina.get("/messages").await.body.contains("My worries"));
    assert_eq!(
        p.t.count("SELECT COUNT(*) FROM chat_messages WHERE body_md LIKE '%worry%'")
            .await,
        0
    );
}
