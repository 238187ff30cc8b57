use hearth_core::model::Role;
use hearth_server::services::setup;
use reqwest::StatusCode;

use crate::common::{Browser, spawn_app};

async fn register(b: &Browser, alias: &str, email: &str, password: &str) -> crate::common::Reply {
    b.form(
        "/register",
        &[
            ("alias", alias),
            ("email", email),
            ("password", password),
            ("accept_terms", "yes"),
        ],
    )
    .await
}

#[tokio::test]
async fn health_check_answers_once_serving() {
    let t = spawn_app().await;
    let r = t.browser().get("/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    t.stop().await;
}

#[tokio::test]
async fn first_run_setup_link_creates_the_admin_once() {
    let t = spawn_app().await;
    let link = setup::setup_link(t.app())
        .await
        .unwrap()
        .expect("a setup link on an empty site");
    let path = link.trim_start_matches(&t.base).to_owned();
    let token = path.split("token=").nth(1).unwrap().to_owned();
    let b = t.browser();
    assert_eq!(b.get(&path).await.status, StatusCode::OK);
    let fields = [
        ("token", token.as_str()),
        ("organization_name", "Lakeside Cancer Support"),
        ("alias", "founder"),
        ("email", "founder@example.org"),
        ("password", "a long enough password"),
    ];
    let r = b.form("/setup", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let admin = b.visit("/admin").await;
    assert!(admin.body.contains("Administration"));
    assert!(admin.body.contains("Lakeside Cancer Support"));
    // The link works once, and no new one is issued now that an admin exists.
    let again = t.browser().form("/setup", &fields).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert!(setup::setup_link(t.app()).await.unwrap().is_none());
    // Setup published a privacy statement and terms to adapt.
    assert!(t.browser().get("/privacy").await.body.contains("Version 1"));
    t.stop().await;
}

#[tokio::test]
async fn registration_signs_in_and_shows_only_the_alias() {
    let t = spawn_app().await;
    let b = t.browser();
    let r = register(
        &b,
        "Daisy_May",
        "daisy@example.org",
        "correct horse battery",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = b.get("/").await;
    assert!(home.body.contains("Daisy_May"));
    assert!(!home.body.contains("daisy@example.org"));
    let profile = t.browser().get("/u/daisy_may").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(!profile.body.contains("daisy@example.org"));
    t.stop().await;
}

#[tokio::test]
async fn invalid_registration_keeps_what_was_typed_and_says_why() {
    let t = spawn_app().await;
    let b = t.browser();
    let r = register(&b, "jane@example.org", "not-an-email", "short").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("must not be an email address"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Enter an email address"));
    assert!(r.body.contains("at least 10 characters"));
    assert!(
        r.body.contains(r#"value="not-an-email""#),
        "the typed email comes back"
    );
    assert!(
        r.body.contains(r#"value="jane@example.org""#),
        "the typed alias comes back"
    );
    assert!(r.body.contains(r#"aria-invalid="true""#));
    t.stop().await;
}

#[tokio::test]
async fn aliases_are_unique_regardless_of_case_and_phone_numbers_are_refused() {
    let t = spawn_app().await;
    assert_eq!(
        register(
            &t.browser(),
            "Rose",
            "rose1@example.org",
            "correct horse battery"
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let r = register(
        &t.browser(),
        "rOSE",
        "rose2@example.org",
        "correct horse battery",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("That alias is taken"));
    let r = register(
        &t.browser(),
        "07700900123",
        "rose3@example.org",
        "correct horse battery",
    )
    .await;
    assert!(r.body.contains("must not be a phone number"));
    let r = register(
        &t.browser(),
        "Another",
        "ROSE1@example.org",
        "correct horse battery",
    )
    .await;
    assert!(
        r.body.contains("already uses this email"),
        "emails match regardless of case"
    );
    t.stop().await;
}

#[tokio::test]
async fn email_is_sealed_at_rest() {
    let t = spawn_app().await;
    register(
        &t.browser(),
        "sealed",
        "Very.Private@Example.org",
        "correct horse battery",
    )
    .await;
    let plain = t
        .count("SELECT COUNT(*) FROM accounts WHERE email_sealed IS NOT NULL")
        .await;
    assert_eq!(plain, 1);
    let leaked = if t.app().config().database_url.starts_with("postgres") {
        t.count("SELECT COUNT(*) FROM accounts WHERE position('Private' in encode(email_sealed, 'escape')) > 0 OR position('Private' in encode(email_index, 'escape')) > 0").await
    } else {
        t.count("SELECT COUNT(*) FROM accounts WHERE instr(email_sealed, 'Private') > 0 OR instr(email_index, 'Private') > 0").await
    };
    assert_eq!(leaked, 0, "the address must not be stored in the clear");
    // Yet the account is found by its address to sign in.
    let r = t
        .browser()
        .form(
            "/login",
            &[
                ("email", "very.private@example.org"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    t.stop().await;
}

#[tokio::test]
async fn sign_in_gives_a_new_session_and_sign_out_ends_it() {
    let t = spawn_app().await;
    let password = t.account("walker", Role::Member).await;
    let b = t.browser();
    let r = b
        .form(
            "/login",
            &[("email", "walker@example.org"), ("password", &password)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("hearth_session="))
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(b.get("/account").await.body.contains("walker"));
    b.form("/logout", &[]).await;
    assert_eq!(
        b.get("/account").await.status,
        StatusCode::SEE_OTHER,
        "signed out: the account page asks to sign in"
    );
    t.stop().await;
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled() {
    let t = spawn_app().await;
    let password = t.account("guarded", Role::Member).await;
    let b = t.browser();
    for _ in 0..5 {
        let r = b
            .form(
                "/login",
                &[
                    ("email", "guarded@example.org"),
                    ("password", "wrong password!"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("do not match"));
        assert!(
            r.body.contains(r#"value="guarded@example.org""#),
            "the typed email comes back"
        );
    }
    let r = b
        .form(
            "/login",
            &[("email", "guarded@example.org"), ("password", &password)],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
    t.stop().await;
}

#[tokio::test]
async fn password_reset_link_sets_a_new_password_once() {
    let t = spawn_app().await;
    t.account("forgetful", Role::Member).await;
    let r = t
        .browser()
        .form("/password-reset", &[("email", "forgetful@example.org")])
        .await;
    assert!(r.body.contains("If that address belongs to an account"));
    // The same answer for an unknown address: nothing is revealed.
    let unknown = t
        .browser()
        .form("/password-reset", &[("email", "nobody@example.org")])
        .await;
    assert_eq!(
        unknown.body,
        r.body
            .replace("forgetful@example.org", "nobody@example.org")
    );
    // Without a mail server, admins see the pending link.
    let admin = t.signed_in("boss", Role::Admin).await;
    let links = admin.get("/admin/links").await.body;
    let start = links
        .find("/password-reset/")
        .expect("a pending reset link");
    let path: String = links[start..].chars().take_while(|c| *c != '<').collect();
    let b = t.browser();
    assert_eq!(b.get(&path).await.status, StatusCode::OK);
    let r = b
        .form(&path, &[("password", "my brand new password")])
        .await;
    assert!(r.body.contains("Password changed"), "{}", r.body);
    assert_eq!(
        b.form(&path, &[("password", "another new password")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = b
        .form(
            "/login",
            &[
                ("email", "forgetful@example.org"),
                ("password", "my brand new password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    t.stop().await;
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let t = spawn_app().await;
    let b = t.signed_in("careful", Role::Member).await;
    let r = b
        .form(
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "a fresh new password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("not your current password"));
    let r = b
        .form(
            "/account/password",
            &[
                ("current_password", "careful-password-1"),
                ("new_password", "a fresh new password"),
            ],
        )
        .await;
    assert!(r.body.contains("Your password is changed"));
    let r = t
        .browser()
        .form(
            "/login",
            &[
                ("email", "careful@example.org"),
                ("password", "a fresh new password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    t.stop().await;
}

#[tokio::test]
async fn email_verification_link_confirms_the_address() {
    let t = spawn_app().await;
    let b = t.browser();
    register(
        &b,
        "verifier",
        "verifier@example.org",
        "correct horse battery",
    )
    .await;
    assert!(b.get("/account").await.body.contains("not confirmed yet"));
    let admin = t.signed_in("boss", Role::Admin).await;
    let links = admin.get("/admin/links").await.body;
    let start = links
        .find("/verify-email?token=")
        .expect("a pending verification link");
    let path: String = links[start..].chars().take_while(|c| *c != '<').collect();
    let r = b.get(&path).await;
    assert!(r.body.contains("confirmed"), "{}", r.body);
    assert!(
        b.get("/account")
            .await
            .body
            .contains("Your email address is confirmed")
    );
    t.stop().await;
}

#[tokio::test]
async fn housekeeping_removes_expired_sessions_only() {
    let t = spawn_app().await;
    let b = t.signed_in("stayer", Role::Member).await;
    let app = t.app();
    let account =
        hearth_store::accounts::by_alias(&mut app.store().read().await.unwrap(), "stayer")
            .await
            .unwrap()
            .unwrap();
    let mut tx = app.store().write().await.unwrap();
    hearth_store::sessions::create(&mut tx, "expired-session-token", account.id, 0, 1)
        .await
        .unwrap();
    hearth_store::commit(tx).await.unwrap();
    assert_eq!(t.count("SELECT COUNT(*) FROM sessions").await, 2);
    hearth_server::services::housekeeping::sweep(app)
        .await
        .unwrap();
    assert_eq!(t.count("SELECT COUNT(*) FROM sessions").await, 1);
    assert!(
        b.get("/account").await.body.contains("stayer"),
        "the live session still works"
    );
    t.stop().await;
}
