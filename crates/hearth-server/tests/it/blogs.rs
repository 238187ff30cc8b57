//! Blogs: writers' entries (drafts, scheduling, tags, covers), threaded
//! comments that close, sharing, and what never leaks from a members-only blog.

use base64::Engine;
use hearth_core::model::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api::Api;
use crate::common::{Browser, spawn_app};

/// A 1×1 PNG.
fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .unwrap()
}

/// An admin makes a blog through the admin form, naming `writers`.
pub async fn blog(admin: &Browser, slug: &str, tier: &str, writers: &str, close_days: &str) {
    let r = admin
        .form(
            "/admin/spaces/new",
            &[
                ("kind", "blog"),
                ("name", &format!("Blog {slug}")),
                ("slug", slug),
                ("tier", tier),
                ("moderation", "post"),
                ("detail_policy", "warn"),
                ("writers", writers),
                ("comments_close_days", close_days),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

async fn write(
    writer: &Browser,
    blog: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, Vec<u8>)>,
) -> crate::common::Reply {
    writer
        .multipart(&format!("/b/{blog}/new"), fields, file)
        .await
}

#[tokio::test]
async fn writers_publish_entries_with_drafts_schedules_tags_and_covers() {
    let t = spawn_app().await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    let nurse = t.signed_in("NurseNia", Role::Staff).await;
    let member = t.signed_in("Moira", Role::Member).await;
    let guest = t.browser();

    // Only staff and volunteers can be named writers.
    let r = admin
        .form(
            "/admin/spaces/new",
            &[
                ("kind", "blog"),
                ("name", "Wrong"),
                ("tier", "public_read"),
                ("writers", "Moira"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("give them the volunteer or staff role"));
    blog(&admin, "news", "public_read", "NurseNia", "").await;

    // A member who is not a writer is refused the form.
    let r = member.get("/b/news/new").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A draft with a cover and tags: only writers see it.
    let r = write(
        &nurse,
        "news",
        &[
            ("title", "Our winter open day"),
            ("body", "Come and meet the **nurses** on 5 December."),
            ("tags", "Events, Nurses"),
            ("publish", "draft"),
            ("cover_alt", "Nurses smiling at the open day"),
        ],
        Some(("cover", "open-day.png", png())),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/b/news/our-winter-open-day"));
    assert_eq!(
        guest.get("/b/news/our-winter-open-day").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!guest.get("/b/news").await.body.contains("winter open day"));
    let page = nurse.get("/b/news").await;
    assert!(page.body.contains("Drafts and scheduled entries"));
    assert!(page.body.contains("Our winter open day"));
    let entry = nurse.get("/b/news/our-winter-open-day").await;
    assert!(entry.body.contains("<strong>nurses</strong>"));
    let cover = entry
        .body
        .split("src=\"/uploads/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the cover is shown")
        .to_owned();
    // The draft's cover is not served to guests either.
    assert_eq!(
        guest.get(&format!("/uploads/{cover}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Nor found by search.
    assert!(
        !guest
            .get("/search?q=winter")
            .await
            .body
            .contains("winter open day")
    );

    // Publishing it: everyone sees it, with a preview card and its cover.
    let r = nurse
        .multipart(
            "/b/news/our-winter-open-day/edit",
            &[
                ("title", "Our winter open day"),
                ("body", "Come and meet the **nurses** on 5 December."),
                ("tags", "Events, Nurses"),
                ("publish", "now"),
                (
                    "cover_id",
                    &t.count("SELECT MAX(id) FROM uploads").await.to_string(),
                ),
                ("cover_alt", "Nurses smiling at the open day"),
                ("slug", "our-winter-open-day"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let entry = guest.get("/b/news/our-winter-open-day").await;
    assert_eq!(entry.status, StatusCode::OK);
    assert!(
        entry
            .body
            .contains("<meta property=\"og:title\" content=\"Our winter open day\">")
    );
    assert!(entry.body.contains(&format!(
        "<meta property=\"og:image\" content=\"{}/uploads/{cover}\">",
        t.base
    )));
    assert!(
        entry
            .body
            .contains("twitter:card\" content=\"summary_large_image")
    );
    let image = guest.get(&format!("/uploads/{cover}")).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.headers["content-type"], "image/png");
    let list = guest.get("/b/news").await;
    assert!(list.body.contains("Our winter open day"));
    assert!(list.body.contains("0 comments"));
    let tag = guest.get("/tags/events").await;
    assert!(tag.body.contains("Our winter open day"));
    assert!(
        guest
            .get("/search?q=nurses")
            .await
            .body
            .contains("winter open day")
    );
    // The forum's address for the entry's topic leads to the entry.
    let topic = t.count("SELECT topic_id FROM entries").await;
    assert_eq!(
        guest.get(&format!("/t/{topic}")).await.location.as_deref(),
        Some("/b/news/our-winter-open-day")
    );

    // A scheduled entry waits for its time.
    let r = write(
        &nurse,
        "news",
        &[
            ("title", "Spring fundraiser"),
            ("body", "Details soon."),
            ("publish", "at"),
            ("publish_at", "2099-03-01T09:00"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        guest.get("/b/news/spring-fundraiser").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(nurse.get("/b/news").await.body.contains("Scheduled"));

    // Mistakes come back with what was typed: a file that is not an image,
    // a missing time, a taken address.
    let r = write(
        &nurse,
        "news",
        &[
            ("title", "Kept title"),
            ("body", "Kept body"),
            ("publish", "now"),
        ],
        Some((
            "cover",
            "notes.png",
            b"just some text, not a picture".to_vec(),
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("not a PNG, JPEG, WebP or GIF image"));
    assert!(r.body.contains("Kept title") && r.body.contains("Kept body"));
    let r = write(
        &nurse,
        "news",
        &[("title", "Kept title"), ("body", "x"), ("publish", "at")],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Enter the date and time to publish"));
    let r = write(
        &nurse,
        "news",
        &[
            ("title", "Another"),
            ("body", "x"),
            ("publish", "now"),
            ("slug", "spring-fundraiser"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("already has this web address name"));
    // Preview saves nothing and shows the text.
    let before = t.count("SELECT COUNT(*) FROM entries").await;
    let r = write(
        &nurse,
        "news",
        &[
            ("title", "Previewed"),
            ("body", "*soft*"),
            ("publish", "now"),
            ("action", "preview"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<em>soft</em>"));
    assert_eq!(t.count("SELECT COUNT(*) FROM entries").await, before);
    t.stop().await;
}

#[tokio::test]
async fn comments_thread_and_close_by_hand_or_after_the_blogs_days() {
    let t = spawn_app().await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    let rose = t.signed_in("Rose", Role::Member).await;
    let sam = t.signed_in("Sam", Role::Member).await;
    blog(&admin, "nurses", "public_read", "", "").await;
    let r = write(
        &admin,
        "nurses",
        &[
            ("title", "Ask us about fatigue"),
            ("body", "Tell us what helps."),
            ("publish", "now"),
        ],
        None,
    )
    .await;
    let path = r.location.clone().unwrap();

    let r = rose
        .form(
            &format!("{path}/comments"),
            &[("body", "Short walks help me.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let first = crate::common::id_from(&r.location.as_deref().map(|l| l.replace("#post-", "/")));
    let r = sam
        .form(
            &format!("{path}/comments"),
            &[
                ("body", "Me too, in the morning."),
                ("reply_to", &first.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = t.browser().get(&path).await;
    assert!(page.body.contains("2 comments"));
    let rose_at = page.body.find("Short walks help me.").unwrap();
    let sam_at = page.body.find("Me too, in the morning.").unwrap();
    assert!(rose_at < sam_at);
    assert!(page.body.contains("class=\"comment depth-1"));
    assert!(
        t.browser()
            .get("/b/nurses")
            .await
            .body
            .contains("2 comments")
    );
    // Rose hears of the reply.
    assert!(rose.get("/notifications").await.body.contains("Sam"));

    // Closed by a writer: the page says so and comments are refused.
    let r = admin
        .form(&format!("{path}/comments-closed?on=1"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        t.browser()
            .get(&path)
            .await
            .body
            .contains("Comments on this entry are closed")
    );
    let r = rose
        .form(&format!("{path}/comments"), &[("body", "One more thing")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Comments on this entry are closed"));
    // A member who is not a writer cannot reopen them.
    assert_eq!(
        rose.form(&format!("{path}/comments-closed?on=0"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    admin
        .form(&format!("{path}/comments-closed?on=0"), &[])
        .await;
    assert_eq!(
        rose.form(&format!("{path}/comments"), &[("body", "One more thing")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    // Closed by time: the blog closes comments 14 days after publication.
    blog(&admin, "old-news", "public_read", "", "14").await;
    let r = write(
        &admin,
        "old-news",
        &[
            ("title", "Last year's fair"),
            ("body", "It was lovely."),
            ("publish", "now"),
        ],
        None,
    )
    .await;
    let old = r.location.unwrap();
    assert_eq!(
        rose.form(&format!("{old}/comments"), &[("body", "It was!")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let month_ago = hearth_server::app::now_ms() - 30 * 24 * 3600 * 1000;
    t.exec(&format!(
        "UPDATE topics SET publish_at = {month_ago} WHERE title = 'Last year''s fair'"
    ))
    .await;
    assert!(
        t.browser()
            .get(&old)
            .await
            .body
            .contains("Comments on this entry are closed")
    );
    let r = rose
        .form(&format!("{old}/comments"), &[("body", "Still lovely")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    t.stop().await;
}

#[tokio::test]
async fn guests_comment_only_where_the_blog_is_open_and_always_wait() {
    let t = spawn_app().await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    blog(&admin, "open-blog", "open", "", "").await;
    blog(&admin, "public-blog", "public_read", "", "").await;
    let open = write(
        &admin,
        "open-blog",
        &[
            ("title", "Say hello"),
            ("body", "Anyone may comment."),
            ("publish", "now"),
        ],
        None,
    )
    .await
    .location
    .unwrap();
    let public = write(
        &admin,
        "public-blog",
        &[
            ("title", "Members comment"),
            ("body", "Sign in to comment."),
            ("publish", "now"),
        ],
        None,
    )
    .await
    .location
    .unwrap();
    let guest = t.browser();
    assert!(guest.get(&public).await.body.contains("Sign in to comment"));
    let r = guest
        .form(
            &format!("{public}/comments"),
            &[("body", "hi"), ("guest_name", "Visitor")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Sign in"));

    let r = guest
        .form(
            &format!("{open}/comments"),
            &[
                ("body", "Hello from a visitor, lovely blog."),
                ("guest_name", "Visitor"),
                ("started", "0"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("waiting for a moderator"));
    assert!(
        !t.browser()
            .get(&open)
            .await
            .body
            .contains("Hello from a visitor")
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM queue_items").await, 1);
    t.stop().await;
}

#[tokio::test]
async fn a_members_only_blog_leaks_through_no_door() {
    let t = spawn_app().await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    blog(&admin, "inside", "members_only", "", "").await;
    let path = write(
        &admin,
        "inside",
        &[
            ("title", "Private support evening"),
            (
                "body",
                "Only for members: the evening session on lymphoedema.",
            ),
            ("tags", "Evenings"),
            ("publish", "now"),
            ("cover_alt", "The meeting room"),
        ],
        Some(("cover", "room.png", png())),
    )
    .await
    .location
    .unwrap();
    let member = t.signed_in("Moira", Role::Member).await;
    assert!(member.get(&path).await.body.contains("lymphoedema"));
    let cover = member
        .get(&path)
        .await
        .body
        .split("src=\"/uploads/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();

    let guest = t.browser();
    for door in [
        "/b/inside".to_owned(),
        path.clone(),
        format!("/uploads/{cover}"),
        format!("/t/{}", t.count("SELECT topic_id FROM entries").await),
    ] {
        assert_eq!(
            guest.get(&door).await.status,
            StatusCode::NOT_FOUND,
            "{door}"
        );
    }
    assert!(!guest.get("/blogs").await.body.contains("inside"));
    assert!(
        !guest
            .get("/tags/evenings")
            .await
            .body
            .contains("Private support")
    );
    assert!(
        !guest
            .get("/search?q=lymphoedema")
            .await
            .body
            .contains("Private support")
    );
    let api = Api::guest(&t);
    let (status, _, _) = api
        .send(
            Method::GET,
            "/api/blogs/inside/entries/private-support-evening",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, blogs, _) = api.send(Method::GET, "/api/blogs", None).await;
    assert_eq!(blogs, json!([]));
    // No preview card for other sites, and no title in the share links.
    let page = member.get(&path).await;
    assert!(!page.body.contains("og:title"));
    assert!(
        page.body
            .contains("Only signed-in members can open this link.")
    );
    assert!(!page.body.contains("Share on Bluesky"));
    t.stop().await;
}

#[tokio::test]
async fn blogs_work_through_the_json_api() {
    let t = spawn_app().await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    let nia = Api::member(&t, "Nia", Role::Volunteer).await;
    blog(&admin, "news", "public_read", "Nia", "").await;

    let (status, upload) = nia.send_bytes("/api/uploads", png()).await;
    assert_eq!(status, StatusCode::CREATED, "{upload}");
    assert_eq!(upload["width"], 1);
    let (status, problem) = nia
        .send_bytes("/api/uploads", b"GIF89a broken".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let (status, saved, _) = nia
        .send(
            Method::POST,
            "/api/blogs/news/entries",
            Some(json!({"title": "Volunteers' week", "body": "Thank you all.", "tags": ["Volunteers"],
                "publish": "now", "cover_id": upload["id"], "cover_alt": "A thank-you card"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["url"], "/b/news/volunteers-week");
    let (status, problem, _) = nia
        .send(
            Method::POST,
            "/api/blogs/news/entries",
            Some(json!({"title": "When?", "body": "x", "publish": "at", "publish_at": "soon"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem.to_string().contains("RFC 3339"));

    let rose = Api::member(&t, "Rose", Role::Member).await;
    let (status, c1, _) = rose
        .send(
            Method::POST,
            "/api/blogs/news/entries/volunteers-week/comments",
            Some(json!({"body": "Proud to help."})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c1}");
    let (status, _, _) = nia
        .send(
            Method::POST,
            "/api/blogs/news/entries/volunteers-week/comments",
            Some(json!({"body": "Thank you, Rose!", "reply_to": c1["post_id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, detail, _) = Api::guest(&t)
        .send(Method::GET, "/api/blogs/news/entries/volunteers-week", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["entry"]["tags"], json!(["Volunteers"]));
    assert_eq!(detail["comments"][0]["depth"], 0);
    assert_eq!(detail["comments"][1]["depth"], 1);
    assert_eq!(detail["commenting"], "sign_in");

    let (status, _, _) = rose
        .send(
            Method::PUT,
            "/api/blogs/news/entries/volunteers-week/comments-closed",
            Some(json!({"closed": true})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = nia
        .send(
            Method::PUT,
            "/api/blogs/news/entries/volunteers-week/comments-closed",
            Some(json!({"closed": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem, _) = rose
        .send(
            Method::POST,
            "/api/blogs/news/entries/volunteers-week/comments",
            Some(json!({"body": "Late"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        problem
            .to_string()
            .contains("Comments on this entry are closed")
    );

    let (_, list, _) = Api::guest(&t)
        .send(Method::GET, "/api/tags/volunteers/entries", None)
        .await;
    assert_eq!(list["entries"][0]["comment_count"], 2);
    t.stop().await;
}

#[tokio::test]
async fn sharing_offers_plain_links_and_a_fediverse_server() {
    let t = spawn_app().await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    blog(&admin, "news", "public_read", "", "").await;
    let path = write(
        &admin,
        "news",
        &[
            ("title", "Open day"),
            ("body", "Come along."),
            ("publish", "now"),
        ],
        None,
    )
    .await
    .location
    .unwrap();
    let guest = t.browser();
    let page = guest.get(&path).await;
    assert!(page.body.contains(&format!("value=\"{}{path}\"", t.base)));
    assert!(page.body.contains("mailto:?subject=Open%20day"));
    assert!(
        page.body
            .contains("https://bsky.app/intent/compose?text=Open%20day")
    );
    // No script or tracker from elsewhere.
    assert!(!page.body.contains("<script src=\"http"));

    let r = guest
        .get(&format!(
            "/share/fediverse?server=%40me%40Mastodon.Social&path={path}&title=Open%20day"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body
            .contains("https://mastodon.social/share?text=Open%20day%20http")
    );
    let r = guest
        .get(&format!(
            "/share/fediverse?server=not%20a%20server&path={path}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("mastodon.social"));
    let r = guest
        .get("/share/fediverse?server=mastodon.social&path=//evil.example/")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}

#[tokio::test]
async fn a_scheduled_entry_is_announced_when_its_time_comes() {
    let t = spawn_app().await;
    let admin = t.signed_in("Ada", Role::Admin).await;
    blog(&admin, "news", "public_read", "", "").await;
    let _rose = t.signed_in("Rose", Role::Member).await;
    let ada = Api::member(&t, "Adele", Role::Admin).await;
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let soon = soon
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (status, saved, _) = ada
        .send(
            Method::POST,
            "/api/blogs/news/entries",
            Some(
                json!({"title": "Coffee morning", "body": "With thanks to @Rose for baking.",
                "publish": "at", "publish_at": soon}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["published"], false);
    assert_eq!(
        t.count("SELECT topic_count FROM spaces WHERE slug = 'news'")
            .await,
        0
    );
    // The job runs at the publication time: counters move and Rose is told.
    let mut announced = false;
    for _ in 0..100 {
        if t.count("SELECT topic_count FROM spaces WHERE slug = 'news'")
            .await
            == 1
        {
            announced = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(announced, "the scheduled entry was never announced");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.alias = 'Rose'").await,
        1
    );
    assert!(
        t.browser()
            .get("/b/news")
            .await
            .body
            .contains("Coffee morning")
    );
    t.stop().await;
}
