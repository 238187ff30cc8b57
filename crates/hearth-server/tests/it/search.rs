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
