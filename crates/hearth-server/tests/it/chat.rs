//! Chat rooms without JavaScript: sending and answering, history paged back,
//! deleting, the guards and limits, held messages, and a moderator's lock
//! and slow mode.

use hearth_core::model::Role;
use reqwest::StatusCode;

use crate::common::{Browser, TestApp, spawn_app};

/// An admin makes a chat room through the admin form.
pub async fn room(admin: &Browser, slug: &str, tier: &str, moderation: &str) {
    let r = admin
        .form(
            "/admin/spaces/new",
            &[
                ("kind", "room"),
                ("name", &format!("Room {slug}")),
                ("slug", slug),
                ("tier", tier),
                ("moderation", moderation),
                ("detail_policy", "warn"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

pub async fn say(b: &Browser, slug: &str, fields: &[(&str, &str)]) -> crate::common::Reply {
    b.form(&format!("/r/{slug}"), fields).await
}

/// The id in a redirect to `/r/<room>#m-<id>`.
pub fn message_id(r: &crate::common::Reply) -> i64 {
    let location = r.location.as_deref().expect("a redirect");
    location.rsplit("#m-").next().unwrap().parse().unwrap()
}

async fn setup() -> (TestApp, Browser) {
    let t = spawn_app().await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    (t, admin)
}

#[tokio::test]
async fn members_chat_answer_and_delete_in_a_room_without_javascript() {
    let (t, admin) = setup().await;
    room(&admin, "lounge", "public_read", "post").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let sam = t.signed_in("sam_k", Role::Member).await;
    let moderator = t.signed_in("mona", Role::Moderator).await;
    let guest = t.browser();

    let list = guest.get("/chat").await.body;
    assert!(
        list.contains(r#"<a href="/r/lounge">Room lounge</a>"#),
        "{list}"
    );
    let page = guest.get("/r/lounge").await.body;
    assert!(page.contains("No messages yet."));
    assert!(page.contains("Sign in to chat"));

    let r = say(
        &rose,
        "lounge",
        &[("body", "Hello everyone, first time here")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let hello = message_id(&r);
    let r = say(
        &sam,
        "lounge",
        &[
            ("body", "Welcome **rose**!"),
            ("reply_to", &hello.to_string()),
        ],
    )
    .await;
    let welcome = message_id(&r);

    let page = guest.get("/r/lounge").await.body;
    assert!(page.contains("Hello everyone, first time here"));
    assert!(page.contains("Welcome <strong>rose</strong>!"), "Markdown");
    assert!(page.contains(&format!(r##"In reply to <a href="#m-{hello}">rose</a>"##)));
    assert!(
        page.find("Hello everyone").unwrap() < page.find("Welcome").unwrap(),
        "oldest first"
    );

    // Only the author or a moderator deletes; others then see that it was.
    let r = rose
        .form(&format!("/chat/messages/{welcome}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = sam
        .form(&format!("/chat/messages/{welcome}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = guest.get("/r/lounge").await.body;
    assert!(page.contains("This message was deleted."));
    assert!(!page.contains("Welcome <strong>"));
    assert!(
        moderator
            .get("/r/lounge")
            .await
            .body
            .contains("Welcome <strong>rose</strong>!"),
        "moderators still read it"
    );
    let r = moderator
        .form(&format!("/chat/messages/{hello}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'chat.delete'")
            .await,
        1,
        "a moderator's delete is audited, an author's own is not"
    );

    // Answering a message that is gone is refused, with the text kept.
    let r = say(
        &rose,
        "lounge",
        &[("body", "Thanks!"), ("reply_to", &welcome.to_string())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("is gone"), "{}", r.body);
    assert!(r.body.contains("Thanks!"));
}

#[tokio::test]
async fn history_pages_back_fifty_at_a_time_without_gaps_or_repeats() {
    let (t, admin) = setup().await;
    room(&admin, "lounge", "public_read", "post").await;
    let rose = t.signed_in("rose", Role::Member).await;
    say(&rose, "lounge", &[("body", "message 0")]).await;
    // The rest written straight into the database: the rate limit would
    // rightly stop one member sending 120 messages in a second.
    t.exec(
        "INSERT INTO chat_messages (room_id, author_id, body_md, body_html, held, created_at)
         SELECT room_id, author_id, body_md, body_html, held, created_at FROM chat_messages",
    )
    .await;
    let mut n = 2;
    while n < 120 {
        t.exec(
            "INSERT INTO chat_messages (room_id, author_id, body_md, body_html, held, created_at)
             SELECT room_id, author_id, body_md, body_html, held, created_at FROM chat_messages",
        )
        .await;
        n *= 2;
    }
    let total = t.count("SELECT COUNT(*) FROM chat_messages").await;
    assert_eq!(total, 128);

    let guest = t.browser();
    let mut seen: Vec<i64> = Vec::new();
    let mut path = "/r/lounge".to_owned();
    let mut pages = 0;
    loop {
        let page = guest.get(&path).await.body;
        let ids: Vec<i64> = page
            .split("<li id=\"m-")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().parse().unwrap())
            .collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "oldest first on a page"
        );
        seen.splice(0..0, ids);
        pages += 1;
        match page.split("?before=").nth(1) {
            Some(rest) => path = format!("/r/lounge?before={}", rest.split('"').next().unwrap()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 128);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "no gaps or repeats");
}

#[tokio::test]
async fn the_guards_limits_lock_and_slow_mode_apply() {
    let (t, admin) = setup().await;
    room(&admin, "lounge", "public_read", "post").await;
    room(&admin, "inside", "members_only", "post").await;
    room(&admin, "checked", "public_read", "pre").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let nurse = t.signed_in("nurse_nia", Role::Staff).await;
    let moderator = t.signed_in("mona", Role::Moderator).await;
    let guest = t.browser();

    // Guests never chat; members-only rooms do not exist for them.
    let r = guest.form("/r/lounge", &[("body", "hi")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(guest.get("/r/inside").await.status, StatusCode::NOT_FOUND);
    assert!(!guest.get("/chat").await.body.contains("Room inside"));
    assert_eq!(
        rose.get("/r/inside").await.status,
        StatusCode::OK,
        "members read members-only rooms"
    );

    // Empty and overlong messages, each with its reason.
    let r = say(&rose, "lounge", &[("body", "   ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Write a message first."));
    let long = "word ".repeat(500);
    let r = say(&rose, "lounge", &[("body", &long)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("under 2000 characters"));

    // The personal-detail guard asks first, keeping the text.
    let r = say(&rose, "lounge", &[("body", "Ring me on 07700 900123")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("phone number"), "{}", r.body);
    assert!(r.body.contains("07700 900123"));
    let r = say(
        &rose,
        "lounge",
        &[("body", "Ring me on 07700 900123"), ("acknowledge", "1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // In a checked room a member's message waits for a moderator.
    let r = say(&rose, "checked", &[("body", "Is anyone here?")]).await;
    let waiting = message_id(&r);
    assert!(
        !guest
            .get("/r/checked")
            .await
            .body
            .contains("Is anyone here?")
    );
    assert!(
        rose.get("/r/checked")
            .await
            .body
            .contains("Waiting for a moderator")
    );
    let r = rose
        .form(&format!("/chat/messages/{waiting}/approve"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = moderator
        .form(&format!("/chat/messages/{waiting}/approve"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        guest
            .get("/r/checked")
            .await
            .body
            .contains("Is anyone here?")
    );

    // A moderator locks the room: members read, staff still write.
    let r = rose
        .form(
            "/r/lounge/settings",
            &[("locked", "on"), ("slow_mode_secs", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = moderator
        .form(
            "/r/lounge/settings",
            &[("locked", "on"), ("slow_mode_secs", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = say(&rose, "lounge", &[("body", "Still there?")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("This room is locked"), "{}", r.body);
    let r = say(
        &nurse,
        "lounge",
        &[("body", "The nurses are here until six.")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Slow mode: a member waits between messages; staff do not.
    let r = moderator
        .form("/r/lounge/settings", &[("slow_mode_secs", "60")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let lily = t.signed_in("lily", Role::Member).await;
    let page = lily.get("/r/lounge").await.body;
    assert!(page.contains("one message every 60 seconds"));
    assert_eq!(
        say(&lily, "lounge", &[("body", "one")]).await.status,
        StatusCode::SEE_OTHER
    );
    let r = say(&lily, "lounge", &[("body", "two")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(
        say(&nurse, "lounge", &[("body", "a")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        say(&nurse, "lounge", &[("body", "b")]).await.status,
        StatusCode::SEE_OTHER
    );
    let r = moderator
        .form("/r/lounge/settings", &[("slow_mode_secs", "99999")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'room.settings'")
            .await,
        2
    );

    // A flood: a new member's eleventh message in a minute is refused.
    let newcomer = t.signed_in_new("newbie", Role::Member).await;
    for i in 0..10 {
        let r = say(&newcomer, "inside", &[("body", &format!("message {i}"))]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "message {i}: {}", r.body);
    }
    let r = say(&newcomer, "inside", &[("body", "one too many")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

// ---- live, over WebSocket

pub(crate) mod live {
    use std::time::Duration;

    use futures_util::{SinkExt, StreamExt};
    use hearth_core::model::Role;
    use serde_json::{Value, json};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    use super::{room, setup};
    use crate::common::{Browser, TestApp};

    type Stream = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    /// A live connection as a browser on the site opens it.
    pub(crate) struct Live(pub(crate) Stream);

    pub(crate) async fn open(
        t: &TestApp,
        who: Option<&Browser>,
        room: &str,
        after: Option<i64>,
        origin: &str,
    ) -> Result<Live, tokio_tungstenite::tungstenite::Error> {
        let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
        let url = format!(
            "{}/r/{room}/live{query}",
            t.base.replace("http://", "ws://")
        );
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        if let Some(b) = who.and_then(|b| b.cookie("hearth_session")) {
            request
                .headers_mut()
                .insert("cookie", format!("hearth_session={b}").parse().unwrap());
        }
        let (stream, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Live(stream))
    }

    pub(crate) async fn join(
        t: &TestApp,
        who: Option<&Browser>,
        room: &str,
        after: Option<i64>,
    ) -> Live {
        let mut live = open(t, who, room, after, &t.base).await.expect("connect");
        assert_eq!(live.next_of("hello").await["room"], room);
        live
    }

    impl Live {
        pub(crate) async fn send(&mut self, v: Value) {
            self.0.send(Message::text(v.to_string())).await.unwrap();
        }

        async fn send_raw(&mut self, text: String) {
            self.0.send(Message::text(text)).await.unwrap();
        }

        /// The next JSON frame (pings aside), within five seconds.
        pub(super) async fn next(&mut self) -> Value {
            // One deadline for all: pings alone must not keep a test waiting.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            loop {
                let frame = tokio::time::timeout_at(deadline, self.0.next())
                    .await
                    .expect("a frame within 5 s")
                    .expect("the socket open")
                    .expect("a good frame");
                if let Message::Text(text) = frame {
                    return serde_json::from_str(text.as_str()).unwrap();
                }
            }
        }

        /// The next frame of this type, passing over others.
        pub(crate) async fn next_of(&mut self, kind: &str) -> Value {
            loop {
                let v = self.next().await;
                if v["type"] == kind {
                    return v;
                }
            }
        }

        /// Frames of this type that arrive within `wait`.
        pub(crate) async fn drain(&mut self, kind: &str, wait: Duration) -> Vec<Value> {
            let mut out = Vec::new();
            while let Ok(Some(Ok(frame))) = tokio::time::timeout(wait, self.0.next()).await {
                if let Message::Text(text) = frame {
                    let v: Value = serde_json::from_str(text.as_str()).unwrap();
                    if v["type"] == kind {
                        out.push(v);
                    }
                }
            }
            out
        }
    }

    #[tokio::test]
    async fn two_members_chat_live_with_presence_typing_and_refusals() {
        let (t, admin) = setup().await;
        room(&admin, "lounge", "public_read", "post").await;
        let rose = t.signed_in("rose", Role::Member).await;
        let sam = t.signed_in("sam_k", Role::Member).await;

        let mut sam_live = join(&t, Some(&sam), "lounge", None).await;
        let mut rose_live = join(&t, Some(&rose), "lounge", None).await;
        let mut guest_live = join(&t, None, "lounge", None).await;
        // Presence: sam sees rose arrive.
        loop {
            let p = sam_live.next_of("presence").await;
            if p["here"] == json!(["rose", "sam_k"]) {
                break;
            }
        }

        rose_live.send(json!({"type": "typing"})).await;
        assert_eq!(sam_live.next_of("typing").await["alias"], "rose");

        rose_live
            .send(json!({"type": "send", "body": "Hello **sam**"}))
            .await;
        let sent = rose_live.next_of("sent").await;
        let id = sent["id"].as_i64().unwrap();
        for live in [&mut sam_live, &mut guest_live, &mut rose_live] {
            let m = live.next_of("message").await;
            assert_eq!(m["message"]["id"], id);
            assert_eq!(m["message"]["author"], "rose");
            assert!(
                m["message"]["html"]
                    .as_str()
                    .unwrap()
                    .contains("<strong>sam</strong>")
            );
        }
        // The same message is on the page without JavaScript.
        assert!(
            sam.get("/r/lounge")
                .await
                .body
                .contains("Hello <strong>sam</strong>")
        );

        // Refusals come back as error frames; the connection stays up.
        guest_live
            .send(json!({"type": "send", "body": "I am a guest"}))
            .await;
        assert!(
            guest_live.next_of("error").await["reason"]
                .as_str()
                .unwrap()
                .contains("sign in")
        );
        rose_live.send_raw("{not json".into()).await;
        assert!(
            rose_live.next_of("error").await["reason"]
                .as_str()
                .unwrap()
                .contains("not one this chat knows")
        );
        rose_live.send_raw("x".repeat(20 * 1024)).await;
        assert!(
            rose_live.next_of("error").await["reason"]
                .as_str()
                .unwrap()
                .contains("too large")
        );
        rose_live
            .send(json!({"type": "send", "body": "Call me on 07700 900123"}))
            .await;
        let check = rose_live.next_of("error").await;
        assert!(
            check["check"]["personal_details"].as_array().is_some(),
            "{check}"
        );
        rose_live
            .send(json!({"type": "send", "body": "", "reply_to": id}))
            .await;
        assert!(
            rose_live.next_of("error").await["reason"]
                .as_str()
                .unwrap()
                .contains("Write a message first")
        );
        rose_live
            .send(json!({"type": "send", "body": "Still here", "reply_to": id}))
            .await;
        let still = sam_live.next_of("message").await;
        assert_eq!(still["message"]["reply_to"], id);
        assert_eq!(still["message"]["reply_to_name"], "rose");

        // A delete reaches the room: words gone for all but moderators.
        let deleted = still["message"]["id"].as_i64().unwrap();
        let r = rose
            .form(&format!("/chat/messages/{deleted}/delete"), &[])
            .await;
        assert_eq!(r.status, reqwest::StatusCode::SEE_OTHER);
        let gone = sam_live.next_of("message").await;
        assert_eq!(gone["message"]["id"], deleted);
        assert_eq!(gone["message"]["deleted"], true);
        assert_eq!(gone["message"]["html"], "");

        // Leaving is seen too.
        drop(rose_live);
        loop {
            let p = sam_live.next_of("presence").await;
            if p["here"] == json!(["sam_k"]) {
                break;
            }
        }
    }

    #[tokio::test]
    async fn a_reconnect_resumes_from_its_cursor_without_loss_or_repeats() {
        let (t, admin) = setup().await;
        room(&admin, "lounge", "public_read", "post").await;
        let rose = t.signed_in("rose", Role::Member).await;
        let sam = t.signed_in("sam_k", Role::Member).await;
        let mut rose_live = join(&t, Some(&rose), "lounge", None).await;

        let mut sam_live = join(&t, Some(&sam), "lounge", None).await;
        rose_live.send(json!({"type": "send", "body": "one"})).await;
        rose_live.next_of("sent").await;
        let last = sam_live.next_of("message").await["message"]["id"]
            .as_i64()
            .unwrap();
        drop(sam_live);

        let mut missed = Vec::new();
        for body in ["two", "three", "four"] {
            rose_live.send(json!({"type": "send", "body": body})).await;
            missed.push(rose_live.next_of("sent").await["id"].as_i64().unwrap());
        }

        let mut sam_live = join(&t, Some(&sam), "lounge", Some(last)).await;
        rose_live
            .send(json!({"type": "send", "body": "five"}))
            .await;
        let five = rose_live.next_of("sent").await["id"].as_i64().unwrap();
        let got: Vec<i64> = sam_live
            .drain("message", Duration::from_millis(700))
            .await
            .iter()
            .map(|m| m["message"]["id"].as_i64().unwrap())
            .collect();
        missed.push(five);
        assert_eq!(
            got, missed,
            "each missed message once, in order, then the new one"
        );
    }

    #[tokio::test]
    async fn a_message_sent_through_one_node_reaches_a_client_of_another() {
        let (a, admin) = setup().await;
        let Some(b) = a.second_node().await else {
            return; // one node on SQLite, by design
        };
        room(&admin, "lounge", "public_read", "post").await;
        let sam_on_b = b.signed_in("sam_k", Role::Member).await;
        let rose_on_a = a.signed_in("rose", Role::Member).await;
        let mut sam_live = join(&b, Some(&sam_on_b), "lounge", None).await;
        let mut rose_live = join(&a, Some(&rose_on_a), "lounge", None).await;

        // Sent by form through node A, and over node A's socket.
        let r = rose_on_a
            .form("/r/lounge", &[("body", "from node A")])
            .await;
        assert_eq!(r.status, reqwest::StatusCode::SEE_OTHER, "{}", r.body);
        let m = sam_live.next_of("message").await;
        assert_eq!(m["message"]["html"], "<p>from node A</p>\n");
        rose_live
            .send(json!({"type": "send", "body": "and over the socket"}))
            .await;
        let m = sam_live.next_of("message").await;
        assert!(
            m["message"]["html"]
                .as_str()
                .unwrap()
                .contains("over the socket")
        );
        // Typing crosses too.
        rose_live.send(json!({"type": "typing"})).await;
        assert_eq!(sam_live.next_of("typing").await["alias"], "rose");
    }

    #[tokio::test]
    async fn sockets_open_only_from_this_site_and_only_where_one_may_read() {
        let (t, admin) = setup().await;
        room(&admin, "lounge", "public_read", "post").await;
        room(&admin, "inside", "members_only", "post").await;
        let rose = t.signed_in("rose", Role::Member).await;
        let refused = open(&t, Some(&rose), "lounge", None, "http://evil.example").await;
        assert!(refused.is_err(), "another site's page cannot open a socket");
        assert!(open(&t, None, "inside", None, &t.base).await.is_err());
        assert!(open(&t, None, "nowhere", None, &t.base).await.is_err());
        join(&t, Some(&rose), "inside", None).await;
    }
}

// ---- staffed sessions: opening hours, questions, staff marks

mod hours {
    use std::time::Duration;

    use hearth_core::model::Role;
    use reqwest::StatusCode;
    use serde_json::json;

    use super::live::{join, open};
    use super::{message_id, room, say, setup};
    use crate::common::{Browser, TestApp};

    /// Milliseconds at a UTC date and time.
    fn at(t: time::PrimitiveDateTime) -> i64 {
        (t.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// Sunday 22 November 2026, noon in London (GMT).
    fn sunday_noon() -> i64 {
        at(time::macros::datetime!(2026-11-22 12:00))
    }

    /// Half way through Tuesday's session.
    fn tuesday_in_session() -> i64 {
        at(time::macros::datetime!(2026-11-24 18:30))
    }

    const NEXT: &str = "next session Tuesday 24 November, 18:00–19:00 (Europe/London)";

    /// An admin sets the organization's time zone and a room open on
    /// Tuesdays 18:00–19:00; the clock reads Sunday noon.
    async fn staffed_room(t: &TestApp, admin: &Browser) {
        t.app().clock().set(sunday_noon());
        let r = admin
            .form("/admin/site", &[("time_zone", "europe/london")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        room(admin, "ask", "public_read", "post").await;
        let r = admin
            .form(
                "/r/ask/settings",
                &[("slow_mode_secs", "0"), ("hours", "tuesdays 18:00-19:00")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }

    #[tokio::test]
    async fn a_closed_room_refuses_members_with_the_next_session_and_staff_still_write() {
        let (t, admin) = setup().await;
        staffed_room(&t, &admin).await;
        let rose = t.signed_in("rose", Role::Member).await;
        let nurse = t.signed_in("nurse_nia", Role::Staff).await;

        let page = rose.get("/r/ask").await.body;
        assert!(
            page.contains(&format!("This room is closed — {NEXT}.")),
            "{page}"
        );
        assert!(page.contains("Opening hours (Europe/London): Tuesday 18:00–19:00."));
        assert!(page.contains("Leave a question for the next session"));
        assert!(page.contains(r#"name="question" value="1""#));
        assert!(
            t.browser().get("/r/ask").await.body.contains(NEXT),
            "guests see when it opens too"
        );

        // A plain message is refused, with when the room opens; the text is kept.
        let r = say(&rose, "ask", &[("body", "Is anyone there?")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains(NEXT), "{}", r.body);
        assert!(r.body.contains("Is anyone there?"), "nothing typed is lost");

        // Staff write while the room is closed, marked as staff.
        let nurse_page = nurse.get("/r/ask").await.body;
        assert!(nurse_page.contains("as staff you can still write"));
        assert!(!nurse_page.contains(r#"name="question" value="1""#));
        let r = say(&nurse, "ask", &[("body", "Back on Tuesday at six.")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = t.browser().get("/r/ask").await.body;
        let item = page
            .split("<li id=\"m-")
            .find(|li| li.contains("Back on Tuesday at six."))
            .expect("the nurse's message in the room");
        assert!(
            item.contains(r#"<span class="badge role">Staff</span>"#),
            "{item}"
        );

        // Settings: checked, with the typed text kept; moderators only; audited.
        let r = admin
            .form("/r/ask/settings", &[("hours", "Tuesday 19:00-18:00")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("Line 1: a session must end after it starts (19:00–18:00)"),
            "{}",
            r.body
        );
        assert!(r.body.contains(">Tuesday 19:00-18:00</textarea>"));
        let r = rose
            .form("/r/ask/settings", &[("hours", "Monday 09:00-17:00")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'room.hours'")
                .await,
            1
        );
        assert!(rose.get("/r/ask").await.body.contains(NEXT), "unchanged");

        // The time zone: an unknown one is refused with a reason, on the
        // page and over the API; the one set reads back properly spelt.
        let r = admin
            .form("/admin/site", &[("time_zone", "Europe/Lundon")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("“Europe/Lundon” is not a time zone we know")
        );
        let api = crate::api::Api::member(&t, "root", Role::Admin).await;
        assert_eq!(
            api.get("/api/admin/site").await,
            (StatusCode::OK, json!({"time_zone": "Europe/London"}))
        );
        let (status, problem, _) = api
            .send(
                reqwest::Method::PUT,
                "/api/admin/site",
                Some(json!({"time_zone": "Nowhere/Special"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(rose.get("/admin/site").await.status, StatusCode::FORBIDDEN);
        assert_eq!(
            t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'settings.site'")
                .await,
            1
        );
    }

    #[tokio::test]
    async fn questions_wait_for_staff_who_pick_them_up_for_everyone_live() {
        let (t, admin) = setup().await;
        staffed_room(&t, &admin).await;
        let rose = t.signed_in("rose", Role::Member).await;
        let sam = t.signed_in("sam_k", Role::Member).await;
        let nurse = t.signed_in("nurse_nia", Role::Staff).await;
        let guest = t.browser();

        // Left by form while the room is closed: its author and staff see it.
        let r = say(
            &rose,
            "ask",
            &[("body", "Can I swim during chemo?"), ("question", "1")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let swim = message_id(&r);
        let mine = rose.get("/r/ask").await.body;
        assert!(mine.contains("Your questions for the next session"));
        assert!(mine.contains("Can I swim during chemo?"));
        for other in [&sam, &guest] {
            assert!(!other.get("/r/ask").await.body.contains("Can I swim"));
        }
        let staff_page = nurse.get("/r/ask").await.body;
        assert!(staff_page.contains("Questions waiting for the session"));
        assert!(staff_page.contains("Can I swim during chemo?"));
        assert!(staff_page.contains(&format!("/chat/messages/{swim}/pick-up")));
        // Nor can anyone else reach it by its id.
        let r = sam
            .form(&format!("/chat/messages/{swim}/pick-up"), &[])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Questions pass the same guards as messages.
        let r = say(
            &rose,
            "ask",
            &[("body", "Ring me on 07700 900123"), ("question", "1")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("phone number"), "{}", r.body);

        // Live: the socket says the room is closed and when it opens.
        let mut hello_socket = open(&t, Some(&sam), "ask", None, &t.base).await.unwrap();
        let hello = hello_socket.next_of("hello").await;
        assert_eq!(hello["open"], false, "{hello}");
        assert_eq!(
            hello["session"]["text"],
            "Tuesday 24 November, 18:00–19:00 (Europe/London)"
        );
        assert_eq!(hello["session"]["starts"], "2026-11-24T18:00:00Z");
        drop(hello_socket);
        let mut sam_live = join(&t, Some(&sam), "ask", None).await;
        let mut nurse_live = join(&t, Some(&nurse), "ask", None).await;
        let mut rose_live = join(&t, Some(&rose), "ask", None).await;

        // A send that is not a question is refused with the reason.
        rose_live
            .send(json!({"type": "send", "body": "Hello?"}))
            .await;
        let refused = rose_live.next_of("error").await;
        assert!(
            refused["reason"].as_str().unwrap().contains(NEXT),
            "{refused}"
        );
        assert_eq!(refused["open"], false);
        assert_eq!(refused["session"]["starts"], "2026-11-24T18:00:00Z");

        // A question over the socket reaches staff, not other members.
        rose_live
            .send(json!({"type": "send", "body": "Should I travel?", "question": true}))
            .await;
        let sent = rose_live.next_of("sent").await;
        assert_eq!(sent["waiting"], true, "{sent}");
        let travel = sent["id"].as_i64().unwrap();
        let seen = nurse_live.next_of("message").await;
        assert_eq!(seen["message"]["id"], travel);
        assert_eq!(seen["message"]["question"], true);
        assert_eq!(seen["message"]["can_pick_up"], true);
        let own = rose_live.next_of("message").await;
        assert_eq!(own["message"]["id"], travel);
        assert_eq!(own["message"]["can_pick_up"], false);
        assert!(
            sam_live
                .drain("message", Duration::from_millis(500))
                .await
                .is_empty(),
            "other members never get a waiting question"
        );

        // Tuesday, 18:30 in London: the session is on.
        t.app().clock().set(tuesday_in_session());
        let page = sam.get("/r/ask").await.body;
        assert!(
            page.contains("Open now: this session ends at 19:00 (Europe/London)."),
            "{page}"
        );
        assert!(!page.contains(r#"name="question" value="1""#));

        // The nurse picks a question up: it joins the room for everyone,
        // marked as asked before the session, live and on the page.
        let r = nurse
            .form(&format!("/chat/messages/{swim}/pick-up"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let picked = message_id(&r);
        assert!(picked > travel, "it moves to the end of the room");
        for live in [&mut sam_live, &mut rose_live] {
            let m = live.next_of("message").await;
            assert_eq!(m["message"]["id"], picked, "{m}");
            assert_eq!(m["message"]["replaces"], swim);
            assert_eq!(m["message"]["question"], false);
            assert_eq!(m["message"]["author"], "rose");
            assert!(m["message"]["asked_text"].as_str().is_some());
            assert!(
                m["message"]["html"]
                    .as_str()
                    .unwrap()
                    .contains("Can I swim during chemo?")
            );
        }
        let page = guest.get("/r/ask").await.body;
        assert!(page.contains("Can I swim during chemo?"));
        assert!(page.contains("Asked before the session"));
        let mine = rose.get("/r/ask").await.body;
        assert!(
            !mine.contains(&format!("id=\"m-{swim}\"")),
            "no longer waiting"
        );
        // Picking it up again (a second click) lands on the same message.
        let again = nurse
            .form(&format!("/chat/messages/{swim}/pick-up"), &[])
            .await;
        assert_eq!(message_id(&again), picked);
        assert_eq!(
            t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'chat.pick_up'")
                .await,
            1
        );

        // The nurse answers it; her message is marked as staff, live.
        nurse_live
            .send(json!({"type": "send", "body": "Yes, with care.", "reply_to": picked}))
            .await;
        loop {
            let m = sam_live.next_of("message").await;
            if m["message"]["html"].as_str().unwrap().contains("with care") {
                assert_eq!(m["message"]["badge"], "Staff");
                assert_eq!(m["message"]["reply_to"], picked);
                break;
            }
        }
        // And members write as usual while the room is open.
        sam_live
            .send(json!({"type": "send", "body": "Thank you!"}))
            .await;
        assert_eq!(sam_live.next_of("sent").await["waiting"], false);
    }

    #[tokio::test]
    async fn the_room_opens_and_closes_with_the_clock() {
        let (t, admin) = setup().await;
        staffed_room(&t, &admin).await;
        let rose = t.signed_in("rose", Role::Member).await;
        let clock = |h: u8, m: u8| {
            at(time::PrimitiveDateTime::new(
                time::macros::date!(2026 - 11 - 24),
                time::Time::from_hms(h, m, 0).unwrap(),
            ))
        };

        t.app().clock().set(clock(17, 59));
        let r = say(&rose, "ask", &[("body", "Early")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        t.app().clock().set(clock(18, 0));
        let r = say(&rose, "ask", &[("body", "On time")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut live = open(&t, Some(&rose), "ask", None, &t.base).await.unwrap();
        let hello = live.next_of("hello").await;
        assert_eq!(hello["open"], true);
        assert_eq!(hello["session"]["ends"], "2026-11-24T19:00:00Z");

        t.app().clock().set(clock(19, 0));
        let r = say(&rose, "ask", &[("body", "Late")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            r.body
                .contains("next session Tuesday 1 December, 18:00–19:00 (Europe/London)"),
            "{}",
            r.body
        );

        // Without hours a room is always open.
        let r = admin.form("/r/ask/settings", &[("hours", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = say(&rose, "ask", &[("body", "Late, but open")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

// ---- message actions: edit, reactions, mutes; presence across nodes; the
// ---- end of a session

mod actions {
    use std::time::Duration;

    use futures_util::StreamExt;
    use hearth_core::model::{Role, SpaceId};
    use hearth_store::events::Event;
    use reqwest::StatusCode;
    use serde_json::{Value, json};
    use tokio_tungstenite::tungstenite::Message;

    use super::live::join;
    use super::{message_id, room, say, setup};

    async fn edit(b: &crate::common::Browser, id: i64, fields: &[(&str, &str)]) -> StatusCode {
        b.form(&format!("/chat/messages/{id}/edit"), fields)
            .await
            .status
    }

    #[tokio::test]
    async fn an_author_edits_their_message_and_moderators_keep_the_earlier_text() {
        let (t, admin) = setup().await;
        room(&admin, "lounge", "public_read", "post").await;
        room(&admin, "checked", "public_read", "pre").await;
        let rose = t.signed_in("rose", Role::Member).await;
        let sam = t.signed_in("sam_k", Role::Member).await;
        let moderator = t.signed_in("mona", Role::Moderator).await;
        let guest = t.browser();
        let id = message_id(&say(&rose, "lounge", &[("body", "I start chemo on Monday")]).await);

        // Only the author edits: not another member, not a guest, not a moderator.
        assert_eq!(
            edit(&sam, id, &[("body", "hijacked")]).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            edit(&moderator, id, &[("body", "reworded")]).await,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            edit(&guest, id, &[("body", "hi")]).await,
            StatusCode::UNAUTHORIZED
        );
        let form = rose.get(&format!("/chat/messages/{id}/edit")).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("I start chemo on Monday"));

        // The checks of a new message: length, and the personal-detail guard
        // asks first, keeping the text.
        let r = rose
            .form(&format!("/chat/messages/{id}/edit"), &[("body", "  ")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Write a message first."));
        let r = rose
            .form(
                &format!("/chat/messages/{id}/edit"),
                &[("body", "I start chemo on Monday, ring 07700 900123")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("phone number"), "{}", r.body);
        assert!(r.body.contains("ring 07700 900123"));
        assert_eq!(
            edit(
                &rose,
                id,
                &[
                    ("body", "I start chemo on Monday, ring 07700 900123"),
                    ("acknowledge", "1")
                ]
            )
            .await,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            edit(&rose, id, &[("body", "I start **treatment** on Monday")]).await,
            StatusCode::SEE_OTHER
        );

        // Everyone sees the new text, marked edited; the earlier ones are
        // for the author and the moderators.
        let page = sam.get("/r/lounge").await.body;
        assert!(page.contains("I start <strong>treatment</strong> on Monday"));
        assert!(page.contains(r#"<span class="edited">edited"#), "{page}");
        assert!(!page.contains("chemo"));
        assert!(!page.contains("Earlier versions"));
        let history = format!("/chat/messages/{id}/history");
        assert_eq!(sam.get(&history).await.status, StatusCode::FORBIDDEN);
        let r = guest.get(&history).await;
        assert!(
            r.location.is_some_and(|l| l.starts_with("/login")),
            "guests are asked to sign in"
        );
        for who in [&moderator, &rose] {
            let page = who.get(&history).await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.body.contains("I start chemo on Monday"));
            assert!(page.body.contains("07700 900123"));
            assert!(page.body.contains("<strong>treatment</strong>"));
        }
        assert!(
            moderator
                .get("/r/lounge")
                .await
                .body
                .contains("Earlier versions")
        );
        assert_eq!(t.count("SELECT COUNT(*) FROM chat_message_edits").await, 2);
        assert_eq!(
            t.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'chat.%'")
                .await,
            0,
            "an author's own edit is not audited"
        );

        // In a checked room the new text of an approved message waits again.
        let waiting = message_id(&say(&rose, "checked", &[("body", "Anyone around?")]).await);
        moderator
            .form(&format!("/chat/messages/{waiting}/approve"), &[])
            .await;
        assert!(
            guest
                .get("/r/checked")
                .await
                .body
                .contains("Anyone around?")
        );
        assert_eq!(
            edit(&rose, waiting, &[("body", "Anyone around tonight?")]).await,
            StatusCode::SEE_OTHER
        );
        let page = guest.get("/r/checked").await.body;
        assert!(!page.contains("Anyone around"), "{page}");
        assert!(
            rose.get("/r/checked")
                .await
                .body
                .contains("Waiting for a moderator")
        );

        // A deleted message stays as it was.
        rose.form(&format!("/chat/messages/{id}/delete"), &[]).await;
        assert_eq!(
            edit(&rose, id, &[("body", "back again")]).await,
            StatusCode::FORBIDDEN
        );
    }

    #[tokio::test]
    async fn members_react_and_take_it_back_and_guests_only_see_the_counts() {
        let (t, admin) = setup().await;
        room(&admin, "lounge", "public_read", "post").await;
        let rose = t.signed_in("rose", Role::Member).await;
        let sam = t.signed_in("sam_k", Role::Member).await;
        let moderator = t.signed_in("mona", Role::Moderator).await;
        let guest = t.browser();
        let id = message_id(&say(&rose, "lounge", &[("body", "Scan was clear!")]).await);
        let react = format!("/chat/messages/{id}/react");

        let r = sam.form(&react, &[("reaction", "heart")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(
            sam.get("/r/lounge")
                .await
                .body
                .contains(r#"aria-pressed="true" aria-label="You reacted with heart""#)
        );
        rose.form(&react, &[("reaction", "heart")]).await;
        rose.form(&react, &[("reaction", "thanks")]).await;
        let page = sam.get("/r/lounge").await.body;
        assert!(
            page.contains(r#"aria-label="2 people reacted with heart; you did""#),
            "{page}"
        );
        assert!(page.contains(r#"aria-label="1 person reacted with thanks""#));
        assert!(page.contains(r#"aria-label="React with hug""#));

        // Guests see what was chosen, with words, but get no buttons.
        let page = guest.get("/r/lounge").await.body;
        assert!(page.contains(r#"role="img" aria-label="2 people reacted with heart""#));
        assert!(!page.contains("React with hug"));
        assert!(!page.contains("/react"));
        assert_eq!(
            guest.form(&react, &[("reaction", "heart")]).await.status,
            StatusCode::UNAUTHORIZED
        );
        let r = sam.form(&react, &[("reaction", "laugh")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Pressing again takes it back.
        sam.form(&react, &[("reaction", "heart")]).await;
        assert!(
            sam.get("/r/lounge")
                .await
                .body
                .contains(r#"aria-pressed="false" aria-label="1 person reacted with heart""#)
        );
        assert_eq!(t.count("SELECT COUNT(*) FROM chat_reactions").await, 2);

        // While a room is locked, only those who may write in it react.
        moderator
            .form("/r/lounge/settings", &[("locked", "on")])
            .await;
        let r = sam.form(&react, &[("reaction", "hug")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("locked"));
        assert!(!sam.get("/r/lounge").await.body.contains("/react"));
        assert_eq!(
            moderator.form(&react, &[("reaction", "hug")]).await.status,
            StatusCode::SEE_OTHER
        );
    }

    #[tokio::test]
    async fn edits_reactions_and_deletes_travel_over_the_socket_with_reasons_for_refusals() {
        let (t, admin) = setup().await;
        room(&admin, "lounge", "public_read", "post").await;
        let rose = t.signed_in("rose", Role::Member).await;
        let sam = t.signed_in("sam_k", Role::Member).await;
        let mut rose_live = join(&t, Some(&rose), "lounge", None).await;
        let mut sam_live = join(&t, Some(&sam), "lounge", None).await;
        let mut guest_live = join(&t, None, "lounge", None).await;

        rose_live
            .send(json!({"type": "send", "body": "Hello all"}))
            .await;
        let id = rose_live.next_of("sent").await["id"].as_i64().unwrap();
        let first = sam_live.next_of("message").await["message"].clone();
        assert_eq!(first["edited"], false);
        assert_eq!(
            first["markdown"],
            Value::Null,
            "only its author gets the text to edit"
        );
        assert_eq!(first["reactions"].as_array().unwrap().len(), 4);
        guest_live.next_of("message").await;

        // An edit reaches everyone in place, marked edited.
        rose_live
            .send(json!({"type": "edit", "id": id, "body": "Hello *everyone*"}))
            .await;
        assert_eq!(rose_live.next_of("edited").await["id"], id);
        let m = sam_live.next_of("message").await["message"].clone();
        assert_eq!(m["id"], id);
        assert_eq!(m["edited"], true);
        assert_eq!(m["html"], "<p>Hello <em>everyone</em></p>\n");
        assert_eq!(m["history"], false);
        let mine = rose_live.next_of("message").await["message"].clone();
        assert_eq!(mine["markdown"], "Hello *everyone*");
        assert_eq!(mine["history"], true);

        // Someone else's edit, a guest's reaction, an unknown reaction: each
        // an error frame naming what it answers, and the socket stays up.
        sam_live
            .send(json!({"type": "edit", "id": id, "body": "mine now"}))
            .await;
        let e = sam_live.next_of("error").await;
        assert_eq!(e["action"], "edit");
        assert_eq!(e["id"], id);
        assert!(e["reason"].as_str().unwrap().contains("Only its author"));
        guest_live
            .send(json!({"type": "react", "id": id, "reaction": "heart"}))
            .await;
        let e = guest_live.next_of("error").await;
        assert_eq!(e["action"], "react");
        assert!(e["reason"].as_str().unwrap().contains("sign in"), "{e}");
        sam_live
            .send(json!({"type": "react", "id": id, "reaction": "laugh"}))
            .await;
        assert!(
            sam_live.next_of("error").await["reason"]
                .as_str()
                .unwrap()
                .contains("heart")
        );
        rose_live
            .send(json!({"type": "edit", "id": id, "body": "Ring me: 07700 900123"}))
            .await;
        let check = rose_live.next_of("error").await;
        assert!(check["check"]["personal_details"].is_array(), "{check}");

        // A reaction: counted for all, "mine" for the one who chose it.
        sam_live
            .send(json!({"type": "react", "id": id, "reaction": "heart"}))
            .await;
        let reacted = sam_live.next_of("reacted").await;
        assert_eq!(reacted["on"], true);
        let heart = |m: &Value| m["message"]["reactions"][1].clone();
        let seen = sam_live.next_of("message").await;
        assert_eq!(heart(&seen)["count"], 1);
        assert_eq!(heart(&seen)["mine"], true);
        assert_eq!(heart(&seen)["label"], "You reacted with heart");
        let seen = guest_live.next_of("message").await;
        assert_eq!(heart(&seen)["count"], 1);
        assert_eq!(heart(&seen)["mine"], false);
        assert_eq!(heart(&seen)["label"], "1 person reacted with heart");
        sam_live
            .send(json!({"type": "react", "id": id, "reaction": "heart", "on": false}))
            .await;
        assert_eq!(sam_live.next_of("reacted").await["on"], false);
        assert_eq!(heart(&guest_live.next_of("message").await)["count"], 0);

        // A delete: refused to others, done for the author.
        sam_live.send(json!({"type": "delete", "id": id})).await;
        let e = sam_live.next_of("error").await;
        assert_eq!(e["action"], "delete");
        rose_live.send(json!({"type": "delete", "id": id})).await;
        assert_eq!(rose_live.next_of("deleted").await["id"], id);
        let gone = guest_live.next_of("message").await;
        assert_eq!(gone["message"]["deleted"], true);
        assert_eq!(gone["message"]["html"], "");
    }

    #[tokio::test]
    async fn a_muted_member_reads_but_cannot_write_in_that_room_until_it_is_lifted() {
        let (t, admin) = setup().await;
        room(&admin, "lounge", "public_read", "post").await;
        room(&admin, "other", "public_read", "post").await;
        let rose = t.signed_in("rose", Role::Member).await;
        let sam = t.signed_in("sam_k", Role::Member).await;
        let moderator = t.signed_in("mona", Role::Moderator).await;
        t.account("max_mod", Role::Moderator).await;
        let id = message_id(&say(&sam, "lounge", &[("body", "Hi")]).await);

        // Only moderators mute, and only those below them.
        let mute = |alias: &'static str, minutes: &'static str| {
            [
                ("alias", alias),
                ("minutes", minutes),
                ("reason", "Please take a break and read the guidelines"),
            ]
        };
        let r = sam.form("/r/lounge/mutes", &mute("rose", "60")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = moderator
            .form("/r/lounge/mutes", &mute("max_mod", "60"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = moderator
            .form("/r/lounge/mutes", &mute("nobody_here", "60"))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("No member is called"), "{}", r.body);
        assert!(
            r.body.contains("Please take a break"),
            "the form keeps its text"
        );
        let r = moderator.form("/r/lounge/mutes", &mute("rose", "60")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'room.mute'")
                .await,
            1
        );

        // Refused on the page, with the reason and until when …
        let r = say(&rose, "lounge", &[("body", "Why?")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            r.body.contains("muted you in this room until"),
            "{}",
            r.body
        );
        assert!(r.body.contains("UTC"));
        assert!(r.body.contains("Please take a break"));
        let page = rose.get("/r/lounge").await.body;
        assert!(page.contains("muted you in this room"));
        assert!(
            !page.contains(r#"class="composer""#),
            "no composer while muted"
        );
        assert!(page.contains("Hi"), "still reads");
        let r = rose
            .form(
                &format!("/chat/messages/{id}/react"),
                &[("reaction", "heart")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // … and on the socket, which stays up.
        let mut rose_live = join(&t, Some(&rose), "lounge", None).await;
        rose_live
            .send(json!({"type": "send", "body": "Why?"}))
            .await;
        let e = rose_live.next_of("error").await;
        assert!(e["reason"].as_str().unwrap().contains("muted"), "{e}");
        assert!(
            e["reason"]
                .as_str()
                .unwrap()
                .contains("Please take a break")
        );
        // Per room: elsewhere she writes.
        assert_eq!(
            say(&rose, "other", &[("body", "Hello")]).await.status,
            StatusCode::SEE_OTHER
        );
        let tools = moderator.get("/r/lounge").await.body;
        assert!(tools.contains("Muted here now"));
        assert!(tools.contains("<strong>rose</strong>, until"));
        assert!(!sam.get("/r/lounge").await.body.contains("Muted here now"));

        // Lifted: she writes again.
        let r = moderator
            .form("/r/lounge/mutes/lift", &[("alias", "rose")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            t.count("SELECT COUNT(*) FROM audit_log WHERE action = 'room.unmute'")
                .await,
            1
        );
        rose_live
            .send(json!({"type": "send", "body": "Thank you"}))
            .await;
        rose_live.next_of("sent").await;

        // A mute until lifted holds; a timed one ends by itself.
        moderator.form("/r/lounge/mutes", &mute("rose", "")).await;
        assert!(
            say(&rose, "lounge", &[("body", "x")])
                .await
                .body
                .contains("until a moderator lifts it")
        );
        moderator.form("/r/lounge/mutes", &mute("rose", "10")).await;
        assert_eq!(
            say(&rose, "lounge", &[("body", "y")]).await.status,
            StatusCode::FORBIDDEN,
            "a new mute replaces the one in force"
        );
        t.exec("UPDATE chat_mutes SET ends_at = 1 WHERE lifted_at IS NULL")
            .await;
        assert_eq!(
            say(&rose, "lounge", &[("body", "Back")]).await.status,
            StatusCode::SEE_OTHER
        );
    }

    /// Reads presence frames until one lists `want` (within ten seconds).
    async fn presence_becomes(live: &mut super::live::Live, want: Value) -> Value {
        let wait = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let p = live.next_of("presence").await;
                if p["here"] == want {
                    return p;
                }
            }
        });
        wait.await
            .unwrap_or_else(|_| panic!("presence never became {want}"))
    }

    #[tokio::test]
    async fn who_is_here_is_the_union_of_every_node() {
        let (a, admin) = setup().await;
        let Some(b) = a.second_node().await else {
            return; // one node on SQLite, by design
        };
        room(&admin, "lounge", "public_read", "post").await;
        let rose_on_a = a.signed_in("rose", Role::Member).await;
        let sam_on_b = b.signed_in("sam_k", Role::Member).await;
        let lily_on_b = b.signed_in("lily", Role::Member).await;
        let mut rose_live = join(&a, Some(&rose_on_a), "lounge", None).await;
        let mut sam_live = join(&b, Some(&sam_on_b), "lounge", None).await;
        presence_becomes(&mut rose_live, json!(["rose", "sam_k"])).await;
        presence_becomes(&mut sam_live, json!(["rose", "sam_k"])).await;
        let lily_live = join(&b, Some(&lily_on_b), "lounge", None).await;
        presence_becomes(&mut rose_live, json!(["lily", "rose", "sam_k"])).await;
        drop(lily_live);
        presence_becomes(&mut rose_live, json!(["rose", "sam_k"])).await;
        drop(sam_live);
        presence_becomes(&mut rose_live, json!(["rose"])).await;
    }

    #[tokio::test]
    async fn a_node_that_falls_silent_is_forgotten_with_the_people_it_had() {
        let (t, admin) = setup().await;
        room(&admin, "lounge", "public_read", "post").await;
        let rose = t.signed_in("rose", Role::Member).await;
        let mut rose_live = join(&t, Some(&rose), "lounge", None).await;
        presence_becomes(&mut rose_live, json!(["rose"])).await;
        let room_id = t.count("SELECT id FROM spaces WHERE slug = 'lounge'").await;
        // A node's last word before it crashed.
        t.app()
            .store()
            .publish(Event::Presence {
                room: SpaceId(room_id),
                node: 0xdead,
                here: vec!["ghost_gus".into()],
                more: 2,
            })
            .await
            .unwrap();
        let p = presence_becomes(&mut rose_live, json!(["ghost_gus", "rose"])).await;
        assert_eq!(p["more"], 2);
        // Not heard from again (the tests' stale time is 1.5 s).
        presence_becomes(&mut rose_live, json!(["rose"])).await;
    }

    #[tokio::test]
    async fn a_socket_whose_session_ends_closes_with_4001_and_a_reason() {
        let (t, admin) = setup().await;
        room(&admin, "lounge", "public_read", "post").await;
        let rose = t.signed_in("rose", Role::Member).await;
        let mut rose_live = join(&t, Some(&rose), "lounge", None).await;
        let r = rose.form("/logout", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let close = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match rose_live.0.next().await {
                    Some(Ok(Message::Close(frame))) => return frame,
                    Some(Ok(_)) => {}
                    other => panic!("the socket ended without a close frame: {other:?}"),
                }
            }
        })
        .await
        .expect("closed within 5 s (the tests check every second)")
        .expect("a close frame with a code");
        assert_eq!(u16::from(close.code), 4001);
        assert!(
            close.reason.contains("session has ended"),
            "{}",
            close.reason
        );
    }
}
