use hearth_core::model::Role;
use reqwest::StatusCode;

use crate::common::spawn_app;

#[tokio::test]
async fn registration_requires_accepting_the_current_terms() {
    let t = spawn_app().await;
    let admin = t.signed_in("boss", Role::Admin).await;
    let terms = "Be kind. Use an alias. This is not medical advice.";
    assert_eq!(
        admin
            .form("/admin/legal/terms", &[("body", terms)])
            .await
            .status,
        StatusCode::OK
    );
    let b = t.browser();
    let page = b.get("/register").await.body;
    assert!(page.contains("accept_terms"));
    assert!(
        page.contains("Choose an alias"),
        "the registration page reminds people to use an alias"
    );
    let r = b
        .form(
            "/register",
            &[
                ("alias", "newbie"),
                ("email", "newbie@example.org"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("accept the terms"));
    let r = b
        .form(
            "/register",
            &[
                ("alias", "newbie"),
                ("email", "newbie@example.org"),
                ("password", "correct horse battery"),
                ("accept_terms", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(t.count("SELECT COUNT(*) FROM acceptances a JOIN accounts u ON u.id = a.account_id WHERE u.alias = 'newbie'").await, 1);
    t.stop().await;
}

#[tokio::test]
async fn a_new_version_is_accepted_again_at_the_next_sign_in() {
    let t = spawn_app().await;
    let admin = t.signed_in("boss", Role::Admin).await;
    admin
        .form(
            "/admin/legal/privacy",
            &[("body", "We keep your email address sealed. Version one.")],
        )
        .await;
    let b = t.browser();
    b.form(
        "/register",
        &[
            ("alias", "member1"),
            ("email", "member1@example.org"),
            ("password", "correct horse battery"),
            ("accept_terms", "yes"),
        ],
    )
    .await;
    admin
        .form(
            "/admin/legal/privacy",
            &[("body", "We keep your email address sealed. Version two.")],
        )
        .await;
    assert!(t.browser().get("/privacy").await.body.contains("Version 2"));
    let r = t
        .browser()
        .form(
            "/login",
            &[
                ("email", "member1@example.org"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert!(
        r.location.as_deref().unwrap().starts_with("/accept"),
        "{:?}",
        r.location
    );
    let b = crate::common::Browser::new(&t.base);
    b.form(
        "/login",
        &[
            ("email", "member1@example.org"),
            ("password", "correct horse battery"),
        ],
    )
    .await;
    let page = b.get("/accept").await.body;
    assert!(page.contains("Version two"));
    let doc = page
        .split("name=\"doc\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = b.form("/accept", &[("doc", &doc), ("next", "/")]).await;
    assert_eq!(r.location.as_deref(), Some("/"));
    assert_eq!(t.count("SELECT COUNT(*) FROM acceptances a JOIN accounts u ON u.id = a.account_id WHERE u.alias = 'member1'").await, 2);
    let acceptances = admin.get("/admin/acceptances").await.body;
    assert!(acceptances.contains("member1"));
    t.stop().await;
}
