use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use hearth_core::model::SpaceKind;
use hearth_core::text::render_markdown;
use serde::Deserialize;

use super::csrf::{CsrfForm, Empty};
use super::page::{Chrome, Errors, form_errors, redirect, render, render_with};
use super::session::{ClientAddr, SESSION_COOKIE, safe_next, set_cookie};
use super::views::Moment;
use super::{Visitor, WebError};
use crate::App;
use crate::error::ServiceError;
use crate::feeds::{FeedOf, Format};
use crate::services::accounts::{self, ClientKey, Register, SESSION_DAYS, SignedIn};
use crate::services::{feeds, forum, legal, notification_mail, spaces};

pub fn router() -> Router<App> {
    Router::new()
        .route("/register", get(register_page).post(register))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/verify-email", get(verify_email))
        .route(
            "/password-reset",
            get(reset_request_page).post(reset_request),
        )
        .route("/password-reset/{token}", get(reset_page).post(reset))
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
        .route("/account/verify-email", post(resend_verification))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
        .route("/account/feed-token", post(create_feed_token))
        .route("/account/feed-token/revoke", post(revoke_feed_token))
        .route("/accept", get(accept_page).post(accept))
        .route("/u/{alias}", get(profile))
        .route("/notifications", get(notifications_page))
        .route("/notifications/read", post(notifications_read))
        .route("/account/notification-mail", post(set_notification_mail))
        .route(
            "/notifications/unsubscribe/{account}/{token}",
            get(notification_mail_off_page).post(notification_mail_off),
        )
}

/// Adds the session cookie to a response, and a fresh form token: a token
/// anyone saw before signing in is worth nothing after.
pub fn signed_in_response(app: &App, signed_in: &SignedIn, mut response: Response) -> Response {
    let secure = app.config().secure_cookies();
    let headers = response.headers_mut();
    set_cookie(
        headers,
        SESSION_COOKIE,
        &signed_in.session_token,
        Some(SESSION_DAYS * 24 * 3600),
        secure,
    );
    set_cookie(
        headers,
        super::csrf::COOKIE,
        &hearth_store::seal::random_token(),
        None,
        secure,
    );
    response
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub lines: Vec<String>,
    pub link: Option<(String, String)>,
}

pub async fn message(
    app: &App,
    visitor: &Visitor,
    title: &str,
    lines: &[&str],
    link: Option<(&str, &str)>,
) -> Result<Response, WebError> {
    let chrome = Chrome::new(app, visitor, title).await?;
    Ok(render(&MessagePage {
        chrome,
        lines: lines.iter().map(|l| l.to_string()).collect(),
        link: link.map(|(h, l)| (h.to_owned(), l.to_owned())),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: Option<String>,
}

// ---- registering

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterForm {
    alias: String,
    email: String,
    password: String,
    accept_terms: Option<String>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    form: RegisterForm,
    errors: Errors,
    has_terms: bool,
    next: String,
}

async fn register_page(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let has_terms = legal::has_documents(&app).await?;
    let chrome = Chrome::new(&app, &visitor, "Join").await?;
    let next = safe_next(q.next.as_deref());
    Ok(render(&RegisterPage {
        chrome,
        form: RegisterForm::default(),
        errors: Errors::default(),
        has_terms,
        next,
    }))
}

async fn register(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(addr): ClientAddr,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<Response, WebError> {
    let cmd = Register {
        alias: form.alias.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        accept_terms: form.accept_terms.is_some(),
    };
    let next = safe_next(form.next.as_deref());
    match form_errors(accounts::register(&app, cmd, &ClientKey(addr)).await)? {
        Ok(signed_in) => Ok(signed_in_response(&app, &signed_in, redirect(&next))),
        Err(errors) => {
            let has_terms = legal::has_documents(&app).await?;
            let chrome = Chrome::new(&app, &visitor, "Join").await?;
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RegisterPage {
                    chrome,
                    form,
                    errors,
                    has_terms,
                    next,
                },
            ))
        }
    }
}

// ---- signing in and out

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    form: LoginForm,
    errors: Errors,
    next: String,
}

async fn login_page(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let chrome = Chrome::new(&app, &visitor, "Sign in").await?;
    Ok(render(&LoginPage {
        chrome,
        form: LoginForm::default(),
        errors: Errors::default(),
        next: safe_next(q.next.as_deref()),
    }))
}

async fn login(
    State(app): State<App>,
    visitor: Visitor,
    ClientAddr(addr): ClientAddr,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref());
    match form_errors(accounts::sign_in(&app, &form.email, &form.password, &ClientKey(addr)).await)?
    {
        Ok(signed_in) => {
            // New versions of the terms are accepted at the next sign-in.
            let target = if legal::awaiting_for(&app, signed_in.account)
                .await?
                .is_empty()
            {
                next
            } else {
                format!("/accept?next={}", urlencode(&next))
            };
            Ok(signed_in_response(&app, &signed_in, redirect(&target)))
        }
        Err(errors) => {
            let chrome = Chrome::new(&app, &visitor, "Sign in").await?;
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &LoginPage {
                    chrome,
                    form,
                    errors,
                    next,
                },
            ))
        }
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e[1..].to_owned())
        .unwrap_or_default()
}

async fn logout(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    if let Some(token) = &visitor.session_token {
        accounts::sign_out(&app, token).await?;
    }
    let mut response = redirect("/");
    set_cookie(
        response.headers_mut(),
        SESSION_COOKIE,
        "",
        Some(0),
        app.config().secure_cookies(),
    );
    Ok(response)
}

// ---- email verification and password reset

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn verify_email(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    accounts::verify_email(&app, &q.token.unwrap_or_default()).await?;
    message(
        &app,
        &visitor,
        "Email address confirmed",
        &["Thank you: your email address is confirmed."],
        Some(("/", "Go to the home page")),
    )
    .await
}

async fn resend_verification(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    accounts::resend_verification(&app, &visitor.actor).await?;
    message(
        &app,
        &visitor,
        "Link sent",
        &["We have sent a new confirmation link to your email address."],
        Some(("/account", "Back to your account")),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    email: String,
}

#[derive(Template)]
#[template(path = "reset_request.html")]
struct ResetRequestPage {
    chrome: Chrome,
    form: EmailForm,
    errors: Errors,
}

async fn reset_request_page(
    State(app): State<App>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    let chrome = Chrome::new(&app, &visitor, "Reset your password").await?;
    Ok(render(&ResetRequestPage {
        chrome,
        form: EmailForm::default(),
        errors: Errors::default(),
    }))
}

async fn reset_request(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<Response, WebError> {
    match form_errors(accounts::request_password_reset(&app, &form.email).await)? {
        Ok(()) => {
            message(
                &app,
                &visitor,
                "Check your email",
                &["If that address belongs to an account, a link to choose a new password is on its way. The link works for one hour."],
                None,
            )
            .await
        }
        Err(errors) => {
            let chrome = Chrome::new(&app, &visitor, "Reset your password").await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &ResetRequestPage { chrome, form, errors }))
        }
    }
}

#[derive(Template)]
#[template(path = "reset_form.html")]
struct ResetPage {
    chrome: Chrome,
    token: String,
    errors: Errors,
}

fn reset_expired() -> WebError {
    ServiceError::Forbidden(
        "This reset link has expired or was already used. Please ask for a new one.".into(),
    )
    .into()
}

async fn reset_page(
    State(app): State<App>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if !accounts::reset_link_is_live(&app, &token).await? {
        return Err(reset_expired());
    }
    let chrome = Chrome::new(&app, &visitor, "Choose a new password").await?;
    Ok(render(&ResetPage {
        chrome,
        token,
        errors: Errors::default(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    password: String,
}

async fn reset(
    State(app): State<App>,
    visitor: Visitor,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    match form_errors(accounts::reset_password(&app, &token, &form.password).await)? {
        Ok(()) => {
            message(
                &app,
                &visitor,
                "Password changed",
                &["Your new password is saved. Please sign in with it."],
                Some(("/login", "Sign in")),
            )
            .await
        }
        Err(errors) => {
            let chrome = Chrome::new(&app, &visitor, "Choose a new password").await?;
            Ok(render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ResetPage {
                    chrome,
                    token,
                    errors,
                },
            ))
        }
    }
}

// ---- the account page

struct TokenRow {
    href: String,
    name: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    alias: String,
    role_label: Option<&'static str>,
    verified: bool,
    errors: Errors,
    notice: Option<String>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    token_name: String,
    /// When the private feed token was made, if there is one.
    feed_token_since: Option<Moment>,
    /// Right after a feed token was made: it and the private feeds, shown once.
    new_feed_token: Option<String>,
    private_feeds: Vec<PrivateFeed>,
    /// How notifications reach the member by email.
    mail_choice: &'static str,
    mail_choices: Vec<(&'static str, &'static str, &'static str)>,
}

fn mail_choices() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "immediately",
            "At once",
            "One email for each notification, as it happens.",
        ),
        (
            "daily",
            "Daily digest",
            "One email a day (around 06:00 UTC) gathering what you have not read.",
        ),
        (
            "weekly",
            "Weekly digest",
            "One email on Mondays gathering what you have not read.",
        ),
        ("off", "Off", "No email; notifications show only here."),
    ]
}

/// A feed with the member's token in it.
struct PrivateFeed {
    name: String,
    rss: String,
    atom: String,
}

async fn account_view(
    app: &App,
    visitor: &Visitor,
    errors: Errors,
    notice: Option<String>,
    new_token: Option<String>,
    token_name: String,
) -> Result<AccountPage, WebError> {
    let account = visitor
        .actor
        .signed_in()
        .ok_or(ServiceError::SignInRequired)?;
    let tokens = accounts::api_tokens(app, &visitor.actor)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            href: format!("/account/tokens/{}", t.id),
            name: t.name,
            created: Moment::from_ms(t.created_at).text,
            last_used: t
                .last_used_at
                .map(|at| Moment::from_ms(at).text)
                .unwrap_or_else(|| "Never".into()),
        })
        .collect();
    let feed_token_since = feeds::token_created(app, &visitor.actor)
        .await?
        .map(Moment::from_ms);
    Ok(AccountPage {
        chrome: Chrome::new(app, visitor, "Your account").await?,
        alias: account.alias.to_string(),
        role_label: account.role.label(),
        verified: account.email_verified,
        errors,
        notice,
        tokens,
        new_token,
        token_name,
        feed_token_since,
        new_feed_token: None,
        private_feeds: Vec::new(),
        mail_choice: notification_mail::choice(app, &visitor.actor)
            .await?
            .as_str(),
        mail_choices: mail_choices(),
    })
}

async fn account_page(State(app): State<App>, visitor: Visitor) -> Result<Response, WebError> {
    Ok(render(
        &account_view(&app, &visitor, Errors::default(), None, None, String::new()).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangePasswordForm {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<ChangePasswordForm>,
) -> Result<Response, WebError> {
    let result = accounts::change_password(
        &app,
        &visitor.actor,
        &form.current_password,
        &form.new_password,
        visitor.session_token.as_deref(),
    )
    .await;
    match form_errors(result)? {
        Ok(()) => Ok(render(
            &account_view(
                &app,
                &visitor,
                Errors::default(),
                Some("Your password is changed.".into()),
                None,
                String::new(),
            )
            .await?,
        )),
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &account_view(&app, &visitor, errors, None, None, String::new()).await?,
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    name: String,
}

async fn create_token(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<Response, WebError> {
    match form_errors(accounts::create_api_token(&app, &visitor.actor, &form.name).await)? {
        Ok((_, secret)) => Ok(render(
            &account_view(
                &app,
                &visitor,
                Errors::default(),
                None,
                Some(secret),
                String::new(),
            )
            .await?,
        )),
        Err(errors) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &account_view(&app, &visitor, errors, None, None, form.name).await?,
        )),
    }
}

async fn revoke_token(
    State(app): State<App>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| ServiceError::NotFound)?;
    accounts::revoke_api_token(&app, &visitor.actor, id).await?;
    Ok(render(
        &account_view(
            &app,
            &visitor,
            Errors::default(),
            Some("The token is revoked.".into()),
            None,
            String::new(),
        )
        .await?,
    ))
}

async fn create_feed_token(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    let actor = &visitor.actor;
    let token = feeds::create_token(&app, actor).await?;
    let private = |of: FeedOf| {
        let [rss, atom] = [Format::Rss, Format::Atom].map(|f| of.private_url(&app, f, &token));
        (rss, atom)
    };
    let (rss, atom) = private(FeedOf::Site);
    let mut private_feeds = vec![PrivateFeed {
        name: "Latest topics in every space you can read".into(),
        rss,
        atom,
    }];
    for space in spaces::readable(&app, actor, SpaceKind::Forum).await? {
        let (rss, atom) = private(FeedOf::Space(space.slug.to_string()));
        private_feeds.push(PrivateFeed {
            name: space.name,
            rss,
            atom,
        });
    }
    let mut page =
        account_view(&app, &visitor, Errors::default(), None, None, String::new()).await?;
    page.private_feeds = private_feeds;
    page.new_feed_token = Some(token);
    Ok(render(&page))
}

async fn revoke_feed_token(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    feeds::revoke_token(&app, &visitor.actor).await?;
    Ok(render(
        &account_view(
            &app,
            &visitor,
            Errors::default(),
            Some(
                "Your private feed links are revoked: feed readers using them get nothing more."
                    .into(),
            ),
            None,
            String::new(),
        )
        .await?,
    ))
}

// ---- accepting new terms

struct DocView {
    id: i64,
    title: &'static str,
    version: i64,
    html: String,
}

#[derive(Template)]
#[template(path = "accept.html")]
struct AcceptPage {
    chrome: Chrome,
    documents: Vec<DocView>,
    next: String,
}

async fn accept_page(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    visitor
        .actor
        .signed_in()
        .ok_or(ServiceError::SignInRequired)?;
    let next = safe_next(q.next.as_deref());
    let documents: Vec<DocView> = legal::awaiting(&app, &visitor.actor)
        .await?
        .into_iter()
        .map(|d| DocView {
            id: d.id,
            title: d.kind.title(),
            version: d.version,
            html: render_markdown(&d.body_md),
        })
        .collect();
    if documents.is_empty() {
        return Ok(redirect(&next));
    }
    let chrome = Chrome::new(&app, &visitor, "Updated terms").await?;
    Ok(render(&AcceptPage {
        chrome,
        documents,
        next,
    }))
}

async fn accept(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let ids: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "doc")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let next = safe_next(
        form.iter()
            .find(|(k, _)| k == "next")
            .map(|(_, v)| v.as_str()),
    );
    legal::accept(&app, &visitor.actor, &ids).await?;
    Ok(redirect(&next))
}

// ---- profiles and notifications

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    chrome: Chrome,
    alias: String,
    role_label: Option<&'static str>,
    since: Moment,
    post_count: i64,
}

async fn profile(
    State(app): State<App>,
    visitor: Visitor,
    Path(alias): Path<String>,
) -> Result<Response, WebError> {
    let (account, post_count) = accounts::profile(&app, &visitor.actor, &alias).await?;
    let chrome = Chrome::new(&app, &visitor, account.alias.to_string()).await?;
    Ok(render(&ProfilePage {
        chrome,
        alias: account.alias.to_string(),
        role_label: account.role.label(),
        since: Moment::from_ms(account.created_at),
        post_count,
    }))
}

struct NotificationView {
    post_id: i64,
    text: String,
    when: Moment,
    read: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    items: Vec<NotificationView>,
    older: Option<i64>,
}

#[derive(Deserialize, Default)]
struct BeforeQuery {
    before: Option<String>,
}

async fn notifications_page(
    State(app): State<App>,
    visitor: Visitor,
    Query(q): Query<BeforeQuery>,
) -> Result<Response, WebError> {
    let before = q.before.as_deref().and_then(|b| b.parse().ok());
    let list = forum::notifications(&app, &visitor.actor, before).await?;
    let full = list.len() as i64 >= forum::NOTIFICATIONS_PER_PAGE;
    let older = list.last().map(|n| n.id).filter(|_| full);
    let items = list
        .iter()
        .map(|n| {
            let text = crate::services::notification_mail::describe(n);
            NotificationView {
                post_id: n.post_id.0,
                text,
                when: Moment::from_ms(n.created_at),
                read: n.read,
            }
        })
        .collect();
    let chrome = Chrome::new(&app, &visitor, "Notifications").await?;
    Ok(render(&NotificationsPage {
        chrome,
        items,
        older,
    }))
}

async fn notifications_read(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    forum::mark_notifications_read(&app, &visitor.actor).await?;
    Ok(redirect("/notifications"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NotificationMailForm {
    notification_mail: String,
}

async fn set_notification_mail(
    State(app): State<App>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<NotificationMailForm>,
) -> Result<Response, WebError> {
    let (errors, notice) = match form_errors(
        notification_mail::set_choice(&app, &visitor.actor, &form.notification_mail).await,
    )? {
        Ok(_) => (
            Errors::default(),
            Some("Your email choice for notifications is saved.".into()),
        ),
        Err(errors) => (errors, None),
    };
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render_with(
        status,
        &account_view(&app, &visitor, errors, notice, None, String::new()).await?,
    ))
}

async fn notification_mail_off_page(
    State(app): State<App>,
    visitor: Visitor,
    Path((account, token)): Path<(String, String)>,
) -> Result<Response, WebError> {
    notification_mail::unsubscribe_link_is_live(&app, &account, &token)?;
    Ok(render(&super::alerts::UnsubscribePage {
        chrome: Chrome::new(&app, &visitor, "Stop notification emails").await?,
        what: "Press the button to get no more emails about your notifications. They still show on the site, and you can turn emails on again on your account page.",
        action: format!("/notifications/unsubscribe/{account}/{token}"),
    }))
}

/// The page's button and mail readers' one-click requests (RFC 8058): no
/// form token, the secret link is the proof.
async fn notification_mail_off(
    State(app): State<App>,
    visitor: Visitor,
    Path((account, token)): Path<(String, String)>,
) -> Result<Response, WebError> {
    notification_mail::unsubscribe(&app, &account, &token).await?;
    message(
        &app,
        &visitor,
        "Unsubscribed",
        &["You will get no more emails about your notifications. You can turn them on again on your account page."],
        Some(("/account", "Your account")),
    )
    .await
}
