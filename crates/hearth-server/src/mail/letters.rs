//! The messages Hearth sends, as queued (an account and a kind of letter)
//! and as rendered when they go out.

use askama::Template;
use hearth_core::model::AccountId;
use hearth_store::tokens::Purpose;
use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};

use super::Letter;
use crate::App;
use crate::jobs::JobError;
use crate::services::accounts;
use crate::services::jobs::JobPayload;

/// A mail job's payload. It names an account, never an address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "letter", rename_all = "snake_case")]
pub enum Mail {
    /// The newest live link that confirms the account's address.
    VerifyEmail { account: AccountId },
    /// The newest live password-reset link of the account.
    ResetPassword { account: AccountId },
}

impl JobPayload for Mail {
    const KIND: &'static str = "mail";

    /// One waiting mail per account and letter: asking again before it went
    /// out sends one mail, carrying the newest link.
    fn dedupe_key(&self) -> Option<String> {
        Some(match self {
            Mail::VerifyEmail { account } => format!("mail:verify_email:{account}"),
            Mail::ResetPassword { account } => format!("mail:reset_password:{account}"),
        })
    }
}

/// What a letter with a link shows.
struct LinkFacts {
    site: String,
    home: String,
    alias: String,
    url: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "mail/verify_email.txt")]
struct VerifyText<'a> {
    m: &'a LinkFacts,
}

#[derive(Template)]
#[template(path = "mail/verify_email.html")]
struct VerifyHtml<'a> {
    m: &'a LinkFacts,
}

#[derive(Template)]
#[template(path = "mail/reset_password.txt")]
struct ResetText<'a> {
    m: &'a LinkFacts,
}

#[derive(Template)]
#[template(path = "mail/reset_password.html")]
struct ResetHtml<'a> {
    m: &'a LinkFacts,
}

impl Mail {
    /// The letter as it should go out now; `None` when there is nothing to
    /// send any more (the link was used or expired, the account erased).
    pub async fn compose(&self, app: &App) -> Result<Option<Letter>, JobError> {
        match self {
            Mail::VerifyEmail { account } => {
                let Some((to, m)) = link(app, *account, Purpose::VerifyEmail).await? else {
                    return Ok(None);
                };
                let subject = format!("Confirm your email address for {}", m.site);
                Letter::render(to, subject, &VerifyText { m: &m }, &VerifyHtml { m: &m }).map(Some)
            }
            Mail::ResetPassword { account } => {
                let Some((to, m)) = link(app, *account, Purpose::ResetPassword).await? else {
                    return Ok(None);
                };
                let subject = format!("Reset your password for {}", m.site);
                Letter::render(to, subject, &ResetText { m: &m }, &ResetHtml { m: &m }).map(Some)
            }
        }
    }
}

async fn link(
    app: &App,
    account: AccountId,
    purpose: Purpose,
) -> Result<Option<(Mailbox, LinkFacts)>, JobError> {
    let Some(link) = accounts::link_to_mail(app, account, purpose).await? else {
        return Ok(None);
    };
    let address = link.email.as_str().parse().map_err(|e| {
        JobError::GiveUp(format!("the account's email address cannot be mailed: {e}"))
    })?;
    let facts = LinkFacts {
        site: app.site_name(),
        home: app.link("/"),
        alias: link.alias.to_string(),
        url: link.url,
        expires: crate::services::human_time(link.expires_at),
    };
    Ok(Some((
        Mailbox::new(Some(facts.alias.clone()), address),
        facts,
    )))
}
