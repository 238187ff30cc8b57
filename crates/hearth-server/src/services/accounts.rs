//! Registering, signing in and out, verifying email, resetting and changing
//! passwords, and personal access tokens.

use hearth_core::model::{AccountId, Alias, Email, Password, Role};
use hearth_store::accounts::{self, Account, NewAccount};
use hearth_store::tokens::{self, Purpose};
use hearth_store::{legal, seal, sessions, throttle};

use super::{Actor, DAY_MS, passwords};
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};
use crate::mail::Mail;

/// How long a sign-in lasts.
pub const SESSION_DAYS: i64 = 30;
/// Failed sign-ins allowed per account (and per client) in one window.
const SIGN_IN_LIMIT: i64 = 5;
const CLIENT_SIGN_IN_LIMIT: i64 = 30;
const SIGN_IN_WINDOW_MS: i64 = 15 * 60 * 1000;

pub struct Register {
    pub alias: String,
    pub email: String,
    pub password: String,
    pub accept_terms: bool,
}

/// A new session: the cookie value to hand to the browser.
pub struct SignedIn {
    pub account: AccountId,
    pub session_token: String,
}

/// Registrations allowed per client per hour. Registering tells whether an
/// address is already in use, so this also slows anyone trying addresses.
const REGISTRATIONS_PER_HOUR: i64 = 20;

pub async fn register(app: &App, cmd: Register, client: &ClientKey) -> ServiceResult<SignedIn> {
    let key = app
        .store()
        .sealer()
        .blind_index(&format!("register-client:{}", client.0));
    let mut tx = app.store().write_private().await?;
    let attempts = throttle::hit(&mut tx, &key, app.now(), 3_600_000).await?;
    hearth_store::commit(tx).await?;
    if attempts > REGISTRATIONS_PER_HOUR {
        return Err(ServiceError::Throttled {
            retry_after_secs: 3600,
        });
    }
    let mut problems = Problems::default();
    let alias = problems.take("alias", Alias::parse(&cmd.alias));
    let email = problems.take("email", Email::parse(&cmd.email));
    let password = problems.take("password", Password::parse(&cmd.password));
    let store = app.store();
    let mut conn = store.read().await?;
    let documents = legal::current_all(&mut conn).await?;
    if !documents.is_empty() && !cmd.accept_terms {
        problems.add(
            "accept_terms",
            "Please read and accept the terms and the privacy statement to join.",
        );
    }
    if let Some(alias) = &alias
        && accounts::alias_taken(&mut conn, alias).await?
    {
        problems.add("alias", "That alias is taken. Please choose another.");
    }
    if let Some(email) = &email
        && accounts::email_taken(&mut conn, store.sealer(), email).await?
    {
        problems.add(
            "email",
            "An account already uses this email address. Sign in, or reset your password.",
        );
    }
    drop(conn);
    problems.into_result()?;
    let (Some(alias), Some(email), Some(password)) = (alias, email, password) else {
        unreachable!("problems were reported above")
    };
    let hash = passwords::hash(&password).await?;
    let now = app.now();
    let mut tx = store.write().await?;
    let id = insert_account(&mut tx, app, &alias, &email, &hash, Role::Member, now).await?;
    for doc in documents {
        legal::accept(&mut tx, id, doc.id, now).await?;
    }
    let token = tokens::issue(
        &mut tx,
        store.sealer(),
        Purpose::VerifyEmail,
        Some(id),
        now,
        now + 7 * DAY_MS,
    )
    .await?;
    mail_link(app, &mut tx, Purpose::VerifyEmail, id, &alias, &token).await?;
    let session_token = start_session(&mut tx, id, now).await?;
    hearth_store::commit(tx).await?;
    Ok(SignedIn {
        account: id,
        session_token,
    })
}

/// Queues the mail that carries an account's link, in the caller's
/// transaction. The mail is rendered when it goes out, with the newest live
/// link. Without a mail server the link is also logged; either way admins
/// find it on /admin/links.
async fn mail_link(
    app: &App,
    tx: &mut hearth_store::WriteTx,
    purpose: Purpose,
    account: AccountId,
    alias: &Alias,
    token: &str,
) -> ServiceResult<()> {
    let mail = match purpose {
        Purpose::VerifyEmail => Mail::VerifyEmail { account },
        Purpose::ResetPassword => Mail::ResetPassword { account },
        // Setup links are printed by `hearth serve`: there is no one to mail yet.
        Purpose::Setup => return Ok(()),
    };
    super::jobs::enqueue(app, tx, &mail).await?;
    if app.mailer().is_none() {
        tracing::info!(link = %app.link(&link_path(purpose, token)), alias = %alias, "no mail server is configured: the link waits on /admin/links");
    }
    Ok(())
}

/// Where a one-time link leads.
pub fn link_path(purpose: Purpose, token: &str) -> String {
    match purpose {
        Purpose::VerifyEmail => format!("/verify-email?token={token}"),
        Purpose::ResetPassword => format!("/password-reset/{token}"),
        Purpose::Setup => format!("/setup?token={token}"),
    }
}

/// What a mail carrying a link needs, read when it is sent.
pub struct LinkMail {
    pub alias: Alias,
    pub email: Email,
    pub url: String,
    pub expires_at: i64,
}

/// The account's newest live link of `purpose`, with its address: `None`
/// when there is nothing to send any more (the link was used or expired,
/// or the account was erased, which deletes its links).
pub async fn link_to_mail(
    app: &App,
    account: AccountId,
    purpose: Purpose,
) -> ServiceResult<Option<LinkMail>> {
    let store = app.store();
    let mut conn = store.read().await?;
    let Some(found) = accounts::by_id(&mut conn, account).await? else {
        return Ok(None);
    };
    let live = tokens::newest_live(&mut conn, store.sealer(), purpose, account, app.now()).await?;
    let Some((token, expires_at)) = live else {
        return Ok(None);
    };
    Ok(Some(LinkMail {
        alias: found.alias,
        email: accounts::email_of(&mut conn, store.sealer(), account).await?,
        url: app.link(&link_path(purpose, &token)),
        expires_at,
    }))
}

/// A key for the client (derived from its address), for throttling only.
pub struct ClientKey(pub String);

/// Inserts an account; a taken alias or email (a race past the checks) is
/// reported on the form rather than as a fault.
async fn insert_account(
    tx: &mut hearth_store::Conn,
    app: &App,
    alias: &Alias,
    email: &Email,
    password_hash: &str,
    role: Role,
    now: i64,
) -> ServiceResult<AccountId> {
    let new = NewAccount {
        alias,
        email,
        password_hash,
        role,
    };
    accounts::insert(tx, app.store().sealer(), new, now)
        .await
        .map_err(|e| match e {
            hearth_store::StoreError::Conflict => {
                ServiceError::field("alias", "That alias or email is already registered.")
            }
            other => other.into(),
        })
}

/// Opens a new session (a fresh id at every sign-in) and returns its cookie value.
pub async fn start_session(
    conn: &mut hearth_store::Conn,
    account: AccountId,
    now: i64,
) -> ServiceResult<String> {
    let token = seal::random_token();
    sessions::create(conn, &token, account, now, now + SESSION_DAYS * DAY_MS).await?;
    Ok(token)
}

pub async fn sign_in(
    app: &App,
    email: &str,
    password: &str,
    client: &ClientKey,
) -> ServiceResult<SignedIn> {
    let store = app.store();
    let wrong = || {
        ServiceError::field(
            "password",
            "That email and password do not match an account.",
        )
    };
    let email = Email::parse(email).map_err(|e| ServiceError::field("email", e.to_string()))?;
    let now = app.now();
    let account_key = store
        .sealer()
        .blind_index(&format!("sign-in:{}", email.folded()));
    let client_key = store
        .sealer()
        .blind_index(&format!("sign-in-client:{}", client.0));
    // The attempt is counted before the (slow) check, so that parallel
    // guesses cannot all slip under the limit.
    let mut tx = store.write_private().await?;
    let per_account = throttle::hit(&mut tx, &account_key, now, SIGN_IN_WINDOW_MS).await?;
    let per_client = throttle::hit(&mut tx, &client_key, now, SIGN_IN_WINDOW_MS).await?;
    hearth_store::commit(tx).await?;
    if per_account > SIGN_IN_LIMIT || per_client > CLIENT_SIGN_IN_LIMIT {
        return Err(ServiceError::Throttled {
            retry_after_secs: (SIGN_IN_WINDOW_MS / 1000) as u64,
        });
    }
    let account = accounts::by_email(&mut *store.read().await?, store.sealer(), &email).await?;
    let stored = account
        .as_ref()
        .map(|a| a.password_hash.clone())
        .filter(|h| !h.is_empty());
    let ok = passwords::verify(stored, password).await? && account.is_some();
    let Some(account) = account.filter(|_| ok) else {
        return Err(wrong());
    };
    if account.suspended(now) {
        let message =
            super::members::suspension_message(&mut *store.read().await?, &account, now).await?;
        return Err(ServiceError::Forbidden(message));
    }
    // Success: only failures count against the account and the client.
    let mut tx = store.write_private().await?;
    accounts::touch(&mut tx, account.id, now).await?;
    throttle::undo(&mut tx, &client_key).await?;
    throttle::clear(&mut tx, &account_key).await?;
    let session_token = start_session(&mut tx, account.id, now).await?;
    hearth_store::commit(tx).await?;
    Ok(SignedIn {
        account: account.id,
        session_token,
    })
}

pub async fn sign_out(app: &App, session_token: &str) -> ServiceResult<()> {
    let mut tx = app.store().write_private().await?;
    sessions::delete(&mut tx, session_token).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// The account behind a session cookie, if the session is live.
pub async fn from_session(app: &App, session_token: &str) -> ServiceResult<Option<Account>> {
    let now = app.now();
    // Kept while no write at all has been committed: signing out, a new
    // role or a suspension is a write.
    let changes = app.all_changes().await;
    let account = app
        .kept()
        .sessions
        .get_or_make(
            session_token.to_owned(),
            changes,
            |_| 1024,
            async || {
                accounts::by_session(&mut *app.store().read().await?, session_token, now).await
            },
        )
        .await?;
    // Last seen, to the day: unused accounts are erased after a while.
    if let Some(a) = &account
        && a.last_seen_at.is_none_or(|seen| now - seen > DAY_MS)
    {
        let mut tx = app.store().write_private().await?;
        accounts::touch(&mut tx, a.id, now).await?;
        hearth_store::commit(tx).await?;
    }
    Ok(account)
}

/// The account behind a personal access token.
pub async fn from_api_token(app: &App, secret: &str) -> ServiceResult<Option<Account>> {
    let mut tx = app.store().write_private().await?;
    let now = app.now();
    let account = match tokens::account_for_api_token(&mut tx, secret, now).await? {
        Some(id) => accounts::by_id(&mut tx, id)
            .await?
            .filter(|a| !a.suspended(now)),
        None => None,
    };
    if let Some(a) = &account
        && a.last_seen_at.is_none_or(|seen| now - seen > DAY_MS)
    {
        accounts::touch(&mut tx, a.id, now).await?;
    }
    hearth_store::commit(tx).await?;
    Ok(account)
}

pub async fn verify_email(app: &App, token: &str) -> ServiceResult<()> {
    let now = app.now();
    let mut tx = app.store().write().await?;
    let Some(Some(account)) = tokens::redeem(&mut tx, Purpose::VerifyEmail, token, now).await?
    else {
        return Err(ServiceError::Forbidden(
            "This link has expired or was already used. Sign in and ask for a new one from your account page.".into(),
        ));
    };
    accounts::mark_email_verified(&mut tx, account, now).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Issues a new verification link for the signed-in member.
pub async fn resend_verification(app: &App, actor: &Actor) -> ServiceResult<()> {
    let account = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let now = app.now();
    let mut tx = app.store().write_private().await?;
    let token = tokens::issue(
        &mut tx,
        app.store().sealer(),
        Purpose::VerifyEmail,
        Some(account.id),
        now,
        now + 7 * DAY_MS,
    )
    .await?;
    mail_link(
        app,
        &mut tx,
        Purpose::VerifyEmail,
        account.id,
        &account.alias,
        &token,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Starts a password reset. Says nothing about whether the email is known.
pub async fn request_password_reset(app: &App, email: &str) -> ServiceResult<()> {
    let email = Email::parse(email).map_err(|e| ServiceError::field("email", e.to_string()))?;
    let store = app.store();
    let now = app.now();
    let mut tx = store.write_private().await?;
    if let Some(account) = accounts::by_email(&mut tx, store.sealer(), &email).await? {
        let token = tokens::issue(
            &mut tx,
            store.sealer(),
            Purpose::ResetPassword,
            Some(account.id),
            now,
            now + DAY_MS / 24,
        )
        .await?;
        mail_link(
            app,
            &mut tx,
            Purpose::ResetPassword,
            account.id,
            &account.alias,
            &token,
        )
        .await?;
    }
    hearth_store::commit(tx).await?;
    Ok(())
}

pub async fn reset_link_is_live(app: &App, token: &str) -> ServiceResult<bool> {
    let mut conn = app.store().read().await?;
    Ok(
        tokens::check(&mut conn, Purpose::ResetPassword, token, app.now())
            .await?
            .is_some(),
    )
}

/// Sets a new password from a reset link and signs the person out everywhere
/// (sessions, access tokens and private feed links: whoever knew the old
/// password may have made them).
pub async fn reset_password(app: &App, token: &str, new_password: &str) -> ServiceResult<()> {
    let password = Password::parse(new_password)
        .map_err(|e| ServiceError::field("password", e.to_string()))?;
    let hash = passwords::hash(&password).await?;
    let now = app.now();
    let mut tx = app.store().write().await?;
    let Some(Some(account)) = tokens::redeem(&mut tx, Purpose::ResetPassword, token, now).await?
    else {
        return Err(ServiceError::Forbidden(
            "This reset link has expired or was already used. Please ask for a new one.".into(),
        ));
    };
    accounts::set_password_hash(&mut tx, account, &hash).await?;
    sessions::delete_others(&mut tx, account, None).await?;
    tokens::revoke_all_api_tokens(&mut tx, account, now).await?;
    tokens::revoke_feed_token(&mut tx, account).await?;
    // Following the link proves the address too.
    accounts::mark_email_verified(&mut tx, account, now).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

pub async fn change_password(
    app: &App,
    actor: &Actor,
    current: &str,
    new_password: &str,
    keep_session: Option<&str>,
) -> ServiceResult<()> {
    let account = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let mut problems = Problems::default();
    let password = problems.take("new_password", Password::parse(new_password));
    if !passwords::verify(Some(account.password_hash.clone()), current).await? {
        problems.add("current_password", "That is not your current password.");
    }
    problems.into_result()?;
    let Some(password) = password else {
        unreachable!("problems were reported above")
    };
    let hash = passwords::hash(&password).await?;
    let mut tx = app.store().write_private().await?;
    accounts::set_password_hash(&mut tx, account.id, &hash).await?;
    sessions::delete_others(&mut tx, account.id, keep_session).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

pub async fn create_api_token(
    app: &App,
    actor: &Actor,
    name: &str,
) -> ServiceResult<(i64, String)> {
    let account = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let name = hearth_core::text::clean_text(name.trim());
    let name = name.as_str();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(ServiceError::field(
            "name",
            "Give the token a name of 1 to 60 characters, like \"my script\".",
        ));
    }
    let mut tx = app.store().write_private().await?;
    let created = tokens::create_api_token(&mut tx, account.id, name, app.now()).await?;
    hearth_store::commit(tx).await?;
    Ok(created)
}

pub async fn api_tokens(app: &App, actor: &Actor) -> ServiceResult<Vec<tokens::ApiToken>> {
    let account = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    Ok(tokens::list_api_tokens(&mut *app.store().read().await?, account.id).await?)
}

pub async fn revoke_api_token(app: &App, actor: &Actor, id: i64) -> ServiceResult<()> {
    let account = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let mut tx = app.store().write_private().await?;
    let revoked = tokens::revoke_api_token(&mut tx, account.id, id, app.now()).await?;
    hearth_store::commit(tx).await?;
    if revoked {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Public profile: alias, role label, and how many posts the viewer can see.
pub async fn profile(app: &App, actor: &Actor, alias: &str) -> ServiceResult<(Account, i64)> {
    let mut conn = app.store().read().await?;
    let account = accounts::by_alias(&mut conn, alias)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let tiers = super::readable_tiers(actor);
    let posts = accounts::post_count(&mut conn, account.id, &tiers).await?;
    Ok((account, posts))
}

/// An account by alias, for the operator's tools.
pub async fn by_alias(app: &App, alias: &str) -> ServiceResult<Account> {
    accounts::by_alias(&mut *app.store().read().await?, alias)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Admin: change someone's role.
pub async fn set_role(app: &App, actor: &Actor, alias: &str, role: Role) -> ServiceResult<()> {
    if !actor.viewer().administers() {
        return Err(ServiceError::Forbidden(
            "Only admins can change roles.".into(),
        ));
    }
    let mut tx = app.store().write().await?;
    let account = accounts::by_alias(&mut tx, alias)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if account.role == Role::Admin
        && role != Role::Admin
        && accounts::count_with_role(&mut tx, Role::Admin).await? <= 1
    {
        return Err(ServiceError::Forbidden(
            "This is the last admin: make someone else admin first.".into(),
        ));
    }
    accounts::set_role(&mut tx, account.id, role).await?;
    let detail = format!("{} → {}", account.role.as_str(), role.as_str());
    super::audit::record(
        &mut tx,
        actor,
        "member.role",
        super::audit::Target::Account(account.id),
        "",
        &detail,
        app.now(),
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Admin: every account, a page at a time.
pub async fn list(app: &App, actor: &Actor, after: Option<&str>) -> ServiceResult<Vec<Account>> {
    if !actor.viewer().administers() {
        return Err(ServiceError::Forbidden(
            "Only admins can list members.".into(),
        ));
    }
    Ok(accounts::list(&mut *app.store().read().await?, after, 100).await?)
}

/// Admin: verification and reset links not yet used (for when a mail does not arrive).
pub async fn pending_links(app: &App, actor: &Actor) -> ServiceResult<Vec<tokens::PendingLink>> {
    if !actor.viewer().administers() {
        return Err(ServiceError::Forbidden(
            "Only admins can see pending links.".into(),
        ));
    }
    let store = app.store();
    Ok(tokens::pending(&mut *store.read().await?, store.sealer(), app.now()).await?)
}

/// Operator (command line): creates an account. Without a password it cannot
/// sign in until a reset link is used, so there is never a default password.
pub async fn create_by_operator(
    app: &App,
    alias: &str,
    email: &str,
    role: Role,
    password: Option<&str>,
) -> ServiceResult<Account> {
    let mut problems = Problems::default();
    let alias = problems.take("alias", Alias::parse(alias));
    let email = problems.take("email", Email::parse(email));
    let password = match password {
        Some(p) => problems.take("password", Password::parse(p)),
        None => None,
    };
    problems.into_result()?;
    let (Some(alias), Some(email)) = (alias, email) else {
        unreachable!("problems were reported above")
    };
    let hash = match &password {
        Some(p) => passwords::hash(p).await?,
        None => String::new(),
    };
    let store = app.store();
    let now = app.now();
    let mut tx = store.write().await?;
    let id = insert_account(&mut tx, app, &alias, &email, &hash, role, now).await?;
    accounts::mark_email_verified(&mut tx, id, now).await?;
    let account = accounts::by_id(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    hearth_store::commit(tx).await?;
    Ok(account)
}

/// Operator: a password-reset link for an account (printed, not mailed).
pub async fn reset_link_by_operator(app: &App, alias: &str) -> ServiceResult<String> {
    let store = app.store();
    let now = app.now();
    let mut tx = store.write().await?;
    let account = accounts::by_alias(&mut tx, alias)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let token = tokens::issue(
        &mut tx,
        store.sealer(),
        Purpose::ResetPassword,
        Some(account.id),
        now,
        now + DAY_MS,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(app.link(&format!("/password-reset/{token}")))
}

/// Operator: sets a password directly and signs the account out everywhere.
pub async fn set_password_by_operator(app: &App, alias: &str, password: &str) -> ServiceResult<()> {
    let password =
        Password::parse(password).map_err(|e| ServiceError::field("password", e.to_string()))?;
    let hash = passwords::hash(&password).await?;
    let mut tx = app.store().write().await?;
    let account = accounts::by_alias(&mut tx, alias)
        .await?
        .ok_or(ServiceError::NotFound)?;
    accounts::set_password_hash(&mut tx, account.id, &hash).await?;
    sessions::delete_others(&mut tx, account.id, None).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Operator: sets a role, with no signed-in admin needed.
pub async fn set_role_by_operator(app: &App, alias: &str, role: Role) -> ServiceResult<()> {
    let mut tx = app.store().write().await?;
    let account = accounts::by_alias(&mut tx, alias)
        .await?
        .ok_or(ServiceError::NotFound)?;
    accounts::set_role(&mut tx, account.id, role).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}
