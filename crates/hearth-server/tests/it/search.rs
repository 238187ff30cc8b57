//! Search: stems, snippets, filters, odd input, and nothing unreadable ever
//! found or counted, through the page and the JSON API.

use hearth_core::model::Role;
use reqwest::StatusCode;

use crate::api::Api;
use crate::common::{id_from, space, spawn_app};

#[tokio::test]
async fn search_finds_word_forms_with_highlighted_snippets_and_filters() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    space(&t, "carers", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let tom = t.signed_in("tom", Role::Member).await;
    let r = rose
        .form(
            "/s/living/new",
            &[
                ("title", "Mouth ulcers"),
                (
                    "body",
                    "Salt water rinses helped my mouth during treatment.",
                ),
            ],
        )
        .await;
    let topic = id_from(&r.location);
    tom.form(
        &format!("/t/{topic}/reply"),
        &[("body", "My treatments gave me <ulcers> too.")],
    )
    .await;
    tom.form(
        "/s/carers/new",
        &[
            ("title", "Respite"),
            ("body", "Treatment of carers matters."),
        ],
    )
    .await;

    let page = t.browser().get("/search?q=treatments").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("3 results"), "{}", page.body);
    assert!(page.body.contains("<mark>treatment</mark>"));
    assert!(page.body.contains("<mark>treatments</mark>"));
    assert!(page.body.contains("&lt;ulcers&gt;"), "snippets are escaped");
    // Titles are searched too, and every word must be present.
    assert!(
        t.browser()
            .get("/search?q=ulcer")
            .await
            .body
            .contains("2 results")
    );
    assert!(
        t.browser()
            .get("/search?q=mouth+carers")
            .await
            .body
            .contains("Nothing found")
    );
    // Filters.
    assert!(
        t.browser()
            .get("/search?q=treatment&space=carers")
            .await
            .body
            .contains("1 result")
    );
    assert!(
        t.browser()
            .get("/search?q=treatment&author=tom")
            .await
            .body
            .contains("2 results")
    );
    assert!(
        t.browser()
            .get("/search?q=treatment&from=2999-01-01")
            .await
            .body
            .contains("Nothing found")
    );
    let r = t
        .browser()
        .get("/search?q=treatment&from=yesterday&space=nowhere")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("year-month-day") && r.body.contains("no such space"));

    // An edit is searchable at once; the old words are gone.
    let post = t.count("SELECT MIN(id) FROM posts").await;
    rose.form(
        &format!("/p/{post}/edit"),
        &[
            ("title", "Mouth ulcers"),
            ("body", "Honey and sage worked best."),
        ],
    )
    .await;
    assert!(
        t.browser()
            .get("/search?q=sage")
            .await
            .body
            .contains("1 result")
    );
    assert!(
        t.browser()
            .get("/search?q=salt")
            .await
            .body
            .contains("Nothing found")
    );

    let (status, json) = Api::guest(&t)
        .get("/api/search?q=treatment&author=tom")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["total"], 2);
    assert!(
        json["hits"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>")
    );
    t.stop().await;
}

#[tokio::test]
async fn what_a_searcher_may_not_read_is_never_found_counted_or_highlighted() {
    let t = spawn_app().await;
    space(&t, "public", "public_read").await;
    space(&t, "private", "members_only").await;
    crate::common::space_with(&t, "careful", "public_read", "pre", "warn").await;
    let rose = t.signed_in("rose", Role::Member).await;
    rose.form(
        "/s/public/new",
        &[
            ("title", "Open words"),
            ("body", "Lymphoedema sleeves in public."),
        ],
    )
    .await;
    rose.form(
        "/s/private/new",
        &[
            ("title", "Closed words"),
            ("body", "Lymphoedema sleeves, members only."),
        ],
    )
    .await;
    rose.form(
        "/s/careful/new",
        &[
            ("title", "Held words"),
            ("body", "Lymphoedema sleeves, still held."),
        ],
    )
    .await;
    let r = rose
        .form(
            "/s/public/new",
            &[
                ("title", "Gone words"),
                ("body", "Lymphoedema sleeves, deleted."),
            ],
        )
        .await;
    let deleted = t.count("SELECT MAX(id) FROM posts").await;
    rose.form(&format!("/p/{deleted}/delete"), &[]).await;
    let _ = r;

    let guest = t.browser().get("/search?q=lymphoedema").await.body;
    assert!(guest.contains("1 result"), "{guest}");
    assert!(!guest.contains("members only") && !guest.contains("Closed words"));
    assert!(!guest.contains("still held") && !guest.contains("deleted."));
    let (_, json) = Api::guest(&t).get("/api/search?q=lymphoedema").await;
    assert_eq!(json["total"], 1);
    // A members-only space in the filter is as unknown as a missing one.
    let r = t.browser().get("/search?q=lymphoedema&space=private").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.body.contains("Closed words"));

    let tom = t.signed_in("tom", Role::Member).await;
    let member = tom.get("/search?q=lymphoedema").await.body;
    assert!(member.contains("2 results"), "{member}");
    assert!(member.contains("Closed words"));
    assert!(!member.contains("still held"));
    t.stop().await;
}

#[tokio::test]
async fn anything_typed_into_search_gets_results_or_a_clear_message() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    rose.form(
        "/s/living/new",
        &[
            ("title", "Hair loss"),
            ("body", "Cold caps \"work\" for some."),
        ],
    )
    .await;
    let long = "chemo ".repeat(1000);
    for q in [
        "\"cold caps\"",
        "caps AND OR NOT",
        "\") OR 1=1 --",
        "🙂🙂🙂",
        "the and of",
        "*:^~\\",
        long.as_str(),
    ] {
        let r = t
            .browser()
            .get(&format!(
                "/search?{}",
                serde_urlencoded::to_string([("q", q)]).unwrap()
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{q}");
        let (status, _) = Api::guest(&t)
            .get(&format!(
                "/api/search?{}",
                serde_urlencoded::to_string([("q", q)]).unwrap()
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{q}");
    }
    assert!(
        t.browser()
            .get("/search?q=%22cold+caps%22")
            .await
            .body
            .contains("1 result")
    );
    assert!(
        t.browser()
            .get("/search?q=%F0%9F%99%82")
            .await
            .body
            .contains("Please type a word")
    );
    t.stop().await;
}

#[tokio::test]
async fn changing_the_search_language_rebuilds_the_index() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    rose.form(
        "/s/living/new",
        &[("title", "Hello"), ("body", "Some words here.")],
    )
    .await;
    let mut tx = t.app().store().write().await.unwrap();
    hearth_store::settings::set(&mut tx, "search.language", "french")
        .await
        .unwrap();
    hearth_store::commit(tx).await.unwrap();
    let rebuilt = hearth_server::services::search::ensure_index(t.app())
        .await
        .unwrap();
    assert_eq!(rebuilt, 1);
    assert_eq!(
        hearth_server::services::search::ensure_index(t.app())
            .await
            .unwrap(),
        0
    );
    assert!(
        t.browser()
            .get("/search?q=words")
            .await
            .body
            .contains("1 result")
    );
    t.stop().await;
}

#[tokio::test]
async fn chat_messages_are_found_in_rooms_one_may_read_and_never_in_private_conversations() {
    use crate::chat::{message_id, room, say};
    let t = spawn_app().await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    room(&admin, "lounge", "public_read", "post").await;
    room(&admin, "inner", "members_only", "post").await;
    room(&admin, "careful", "public_read", "pre").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let tom = t.signed_in("tom", Role::Member).await;
    let _nurse = t.signed_in("nurse_nina", Role::Staff).await;

    let open = message_id(&say(&rose, "lounge", &[("body", "Scalp cooling helped my hair")]).await);
    say(&rose, "inner", &[("body", "Scalp cooling, members only")]).await;
    say(
        &rose,
        "careful",
        &[("body", "Scalp cooling, waiting for a moderator")],
    )
    .await;
    let gone = message_id(&say(&tom, "lounge", &[("body", "Scalp cooling, deleted")]).await);
    tom.form(&format!("/chat/messages/{gone}/delete"), &[])
        .await;
    let r = rose
        .form("/messages", &[("with", "team"), ("subject", "Hair")])
        .await;
    let conversation = r.location.unwrap().trim_end_matches("#composer").to_owned();
    let r = rose
        .form(&conversation, &[("body", "Scalp cooling, privately")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let guest = t.browser().get("/search?in=chat&q=scalp+cooling").await;
    assert_eq!(guest.status, StatusCode::OK);
    let body = guest.body;
    assert!(body.contains("1 result"), "{body}");
    assert!(body.contains("Room lounge"));
    assert!(body.contains(&format!("/r/lounge?before={}#m-{open}", open + 1)));
    assert!(body.contains("<mark>Scalp</mark> <mark>cooling</mark> helped"));
    for unseen in ["members only", "waiting for", "deleted", "privately"] {
        assert!(!body.contains(unseen), "{unseen}: {body}");
    }
    let (_, json) = Api::guest(&t).get("/api/search/chat?q=scalp").await;
    assert_eq!(json["total"], 1, "{json}");
    assert_eq!(json["hits"][0]["room"], "lounge");
    assert_eq!(json["hits"][0]["message_id"], open);
    // A members-only room in the filter is as unknown as a missing one.
    let r = t.browser().get("/search?in=chat&q=scalp&space=inner").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Posts are searched apart from chat.
    assert!(
        t.browser()
            .get("/search?q=scalp")
            .await
            .body
            .contains("Nothing found")
    );

    // Members read the members-only room; nobody finds a private conversation,
    // not even its own people, nor a message still waiting for a moderator.
    for member in [&tom, &rose] {
        let body = member.get("/search?in=chat&q=scalp").await.body;
        assert!(body.contains("2 results"), "{body}");
        assert!(body.contains("members only"));
        assert!(!body.contains("privately") && !body.contains("waiting for"));
    }
    assert_eq!(
        rose.get("/search?in=chat&q=scalp&space=inner")
            .await
            .body
            .matches("<mark>Scalp</mark>")
            .count(),
        1
    );

    // An edit is searched by its new words only.
    let r = rose
        .form(
            &format!("/chat/messages/{open}/edit"),
            &[("body", "A cold cap helped my hair")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let guest = t.browser();
    assert!(
        guest
            .get("/search?in=chat&q=scalp")
            .await
            .body
            .contains("Nothing found")
    );
    assert!(
        guest
            .get("/search?in=chat&q=cold+cap")
            .await
            .body
            .contains("1 result")
    );

    // An account erased with its posts leaves no words behind in the index.
    let r = rose
        .form(
            "/account/delete",
            &[("posts", "delete"), ("password", "rose-password-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        tom.get("/search?in=chat&q=hair")
            .await
            .body
            .contains("Nothing found")
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM chat_terms").await, 0);
    t.stop().await;
}

/// A word in a good part of all posts costs what a rare one does: only the
/// newest matches are ranked and counted, and the page says so.
#[tokio::test]
async fn a_very_common_word_ranks_only_the_newest_matches() {
    let t = spawn_app()
        .await
        .offline(async |app| {
            hearth_server::generator::generate(app, 3000, 3)
                .await
                .unwrap()
        })
        .await;
    let ada = t.signed_in("ada", Role::Admin).await;
    let page = ada.get("/search?q=treatment").await;
    assert_eq!(page.status, StatusCode::OK);
    let most = hearth_store::search::MOST_RANKED;
    assert!(
        page.body.contains(&format!("More than {most} results")),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("The newest {most} are shown")));
    let (status, found) = Api::member(&t, "grace", Role::Admin)
        .await
        .get("/api/search?q=treatment")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["total"], most);
    assert_eq!(found["hits"].as_array().unwrap().len(), 20);
    t.stop().await;
}

/// Relevance: more of the words, in a shorter post, comes first (all three
/// posts are of the same moment, so age does not decide).
#[tokio::test]
async fn posts_with_more_of_the_words_rank_first() {
    let t = spawn_app().await;
    space(&t, "living", "public_read").await;
    let rose = t.signed_in("rose", Role::Member).await;
    let r = rose
        .form(
            "/s/living/new",
            &[
                ("title", "Evenings"),
                (
                    "body",
                    "Once, in a long story about gardens, walks, neighbours, letters, \
                     recipes, the weather and the buses, I mentioned fatigue.",
                ),
            ],
        )
        .await;
    let topic = id_from(&r.location);
    let api = Api::member(&t, "tom", Role::Member).await;
    let reply = async |body: &str| {
        let (status, out) = api
            .post(
                &format!("/api/topics/{topic}/posts"),
                serde_json::json!({ "body": body }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
        out["post_id"].as_i64().unwrap()
    };
    let many = reply("Fatigue, fatigue and more fatigue.").await;
    let once_short = reply("Fatigue again.").await;
    let (status, found) = api.get("/api/search?q=fatigue").await;
    assert_eq!(status, StatusCode::OK);
    let order: Vec<i64> = found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["post_id"].as_i64().unwrap())
        .collect();
    assert_eq!(order.len(), 3, "{found}");
    assert_eq!(&order[..2], &[many, once_short], "{found}");
    t.stop().await;
}
