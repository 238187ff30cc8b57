//! First run: while no admin exists, a one-time link lets the operator name
//! the organization and create the first admin. There is no default password.

use hearth_core::model::{Alias, Email, Password, Role};
use hearth_store::accounts::{self, NewAccount};
use hearth_store::legal::{self, DocKind};
use hearth_store::settings;
use hearth_store::tokens::{self, Purpose};

use super::accounts::{SignedIn, start_session};
use super::{DAY_MS, passwords};
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};

pub async fn needs_setup(app: &App) -> ServiceResult<bool> {
    let mut conn = app.store().read().await?;
    Ok(accounts::count_with_role(&mut conn, Role::Admin).await? == 0)
}

/// Issues a fresh setup link when the site has no admin yet.
pub async fn setup_link(app: &App) -> ServiceResult<Option<String>> {
    if !needs_setup(app).await? {
        return Ok(None);
    }
    let now = app.now();
    let mut tx = app.store().write().await?;
    let token = tokens::issue(
        &mut tx,
        app.store().sealer(),
        Purpose::Setup,
        None,
        now,
        now + 7 * DAY_MS,
    )
    .await?;
    hearth_store::commit(tx).await?;
    Ok(Some(app.link(&format!("/setup?token={token}"))))
}

pub async fn setup_link_is_live(app: &App, token: &str) -> ServiceResult<bool> {
    let mut conn = app.store().read().await?;
    Ok(tokens::check(&mut conn, Purpose::Setup, token, app.now())
        .await?
        .is_some())
}

pub struct CompleteSetup {
    pub token: String,
    pub organization_name: String,
    pub alias: String,
    pub email: String,
    pub password: String,
}

pub async fn complete(app: &App, cmd: CompleteSetup) -> ServiceResult<SignedIn> {
    let mut problems = Problems::default();
    let name = hearth_core::text::clean_text(cmd.organization_name.trim());
    if name.is_empty() || name.chars().count() > 100 {
        problems.add(
            "organization_name",
            "Enter the organization's name (up to 100 characters).",
        );
    }
    let alias = problems.take("alias", Alias::parse(&cmd.alias));
    let email = problems.take("email", Email::parse(&cmd.email));
    let password = problems.take("password", Password::parse(&cmd.password));
    problems.into_result()?;
    let (Some(alias), Some(email), Some(password)) = (alias, email, password) else {
        unreachable!("problems were reported above")
    };
    let hash = passwords::hash(&password).await?;
    let now = app.now();
    let store = app.store();
    let mut tx = store.write().await?;
    if tokens::redeem(&mut tx, Purpose::Setup, &cmd.token, now)
        .await?
        .is_none()
        || accounts::count_with_role(&mut tx, Role::Admin).await? > 0
    {
        return Err(ServiceError::Forbidden(
            "This setup link has expired or was already used. Restart Hearth to get a new one."
                .into(),
        ));
    }
    let id = accounts::insert(
        &mut tx,
        store.sealer(),
        NewAccount {
            alias: &alias,
            email: &email,
            password_hash: &hash,
            role: Role::Admin,
        },
        now,
    )
    .await?;
    accounts::mark_email_verified(&mut tx, id, now).await?;
    settings::set(&mut tx, settings::ORGANIZATION_NAME, &name).await?;
    publish_starter_documents(&mut tx, &name, now).await?;
    for doc in legal::current_all(&mut tx).await? {
        legal::accept(&mut tx, id, doc.id, now).await?;
    }
    let session_token = start_session(&mut tx, id, now).await?;
    hearth_store::commit(tx).await?;
    app.set_site_name(&name);
    Ok(SignedIn {
        account: id,
        session_token,
    })
}

/// Publishes a first privacy statement and terms, for the admin to adapt,
/// unless some are there already.
pub async fn publish_starter_documents(
    conn: &mut hearth_store::Conn,
    organization: &str,
    now: i64,
) -> ServiceResult<()> {
    for kind in DocKind::ALL {
        if legal::current(conn, kind).await?.is_none() {
            let text = match kind {
                DocKind::Privacy => STARTER_PRIVACY,
                DocKind::Terms => STARTER_TERMS,
            }
            .replace("{organization}", organization);
            legal::publish(conn, kind, &text, None, now).await?;
        }
    }
    Ok(())
}

const STARTER_PRIVACY: &str = "\
{organization} runs this community. This statement says what we keep about you and why.

## What others can see

You appear only by the **alias** you choose. Each space says who can read it: some are for signed-in members only, others can be read by anyone on the internet. Please do not post details that identify you or others: your full name, address, phone number, date of birth or hospital number.

## What we keep

- Your email address, so that you can sign in and reset your password. It is stored encrypted and never shown to other members.
- Your password, stored only as a one-way hash.
- What you post, and when.

## Your rights

You can ask us for a copy of what we hold about you, ask us to correct it, or ask us to delete your account. Contact the moderators to do so.

*An administrator should adapt this text to the organization and to the data-protection law that applies.*
";

const STARTER_TERMS: &str = "\
Welcome to the {organization} community. By joining you agree to these terms.

1. **Use an alias.** Do not post details that identify you or anyone else.
2. **Be kind.** People here may be going through a hard time.
3. **This is not medical advice.** Posts by members share experience. For advice about your own care, talk to your doctor or nurse. In an emergency, call your local emergency number.
4. **Moderators** may edit, hold or remove posts that break these terms, and may suspend accounts.
5. We may update these terms; we will ask you to accept the new version when you next sign in.

*An administrator should adapt this text to the organization.*
";
