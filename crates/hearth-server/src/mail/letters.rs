//! The messages Hearth sends, as queued (an account and a kind of letter)
//! and as rendered when they go out.

use askama::Template;
use hearth_core::model::{AccountId, Email};
use hearth_core::text::render_markdown;
use hearth_store::WriteTx;
use hearth_store::tokens::Purpose;
use hearth_store::{alerts, notifications};
use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};

use super::Letter;
use crate::App;
use crate::jobs::JobError;
use crate::services::jobs::JobPayload;
use crate::services::{accounts as account_links, notification_mail};
use hearth_store::accounts;
use hearth_store::notifications::MailChoice;

/// A mail job's payload. It names an account, never an address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "letter", rename_all = "snake_case")]
pub enum Mail {
    /// The newest live link that confirms the account's address.
    VerifyEmail { account: AccountId },
    /// The newest live password-reset link of the account.
    ResetPassword { account: AccountId },
    /// The link that confirms a news-alert subscription.
    ConfirmAlerts { subscriber: i64 },
    /// A news alert to one subscriber.
    Alert { alert: i64, subscriber: i64 },
    /// One notification, for a member who wants them at once.
    Notification {
        account: AccountId,
        notification: i64,
    },
    /// A member's unread notifications not yet mailed, gathered.
    Digest { account: AccountId },
}

impl JobPayload for Mail {
    const KIND: &'static str = "mail";

    /// One waiting mail per account and letter: asking again before it went
    /// out sends one mail, carrying the newest link.
    fn dedupe_key(&self) -> Option<String> {
        Some(match self {
            Mail::VerifyEmail { account } => format!("mail:verify_email:{account}"),
            Mail::ResetPassword { account } => format!("mail:reset_password:{account}"),
            Mail::ConfirmAlerts { subscriber } => format!("mail:confirm_alerts:{subscriber}"),
            Mail::Alert { alert, subscriber } => format!("mail:alert:{alert}:{subscriber}"),
            Mail::Notification { notification, .. } => {
                format!("mail:notification:{notification}")
            }
            Mail::Digest { account } => format!("mail:digest:{account}"),
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
            Mail::ConfirmAlerts { subscriber } => confirm_alerts(app, *subscriber).await,
            Mail::Alert { alert, subscriber } => news_alert(app, *alert, *subscriber).await,
            Mail::Notification {
                account,
                notification,
            } => notification_mail(app, *account, Some(*notification)).await,
            Mail::Digest { account } => notification_mail(app, *account, None).await,
        }
    }

    /// Records what the sent mail changes (in the transaction that records
    /// it as sent).
    pub async fn record_sent(
        &self,
        tx: &mut WriteTx,
        letter_mailed: &[i64],
        now: i64,
    ) -> Result<(), JobError> {
        if let Mail::Alert { alert, subscriber } = self {
            alerts::delivered(tx, *alert, *subscriber, now).await?;
        }
        notifications::mark_mailed(tx, letter_mailed, now).await?;
        Ok(())
    }
}

fn mailbox(email: &Email) -> Result<Mailbox, JobError> {
    let address = email
        .as_str()
        .parse()
        .map_err(|e| JobError::GiveUp(format!("the address cannot be mailed: {e}")))?;
    Ok(Mailbox::new(None, address))
}

#[derive(Template)]
#[template(path = "mail/alert_confirm.txt")]
struct ConfirmAlertsText<'a> {
    site: &'a str,
    home: &'a str,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/alert_confirm.html")]
struct ConfirmAlertsHtml<'a> {
    site: &'a str,
    home: &'a str,
    url: &'a str,
}

async fn confirm_alerts(app: &App, subscriber: i64) -> Result<Option<Letter>, JobError> {
    let store = app.store();
    let found = alerts::subscriber(&mut *store.read().await?, store.sealer(), subscriber).await?;
    // Gone (unsubscribed) or already confirmed: nothing to ask.
    let Some(s) = found.filter(|s| !s.confirmed) else {
        return Ok(None);
    };
    let (site, home) = (app.site_name(), app.link("/"));
    let url = app.link(&format!("/alerts/confirm/{}", s.token));
    let subject = format!("Confirm your news alerts from {site}");
    let (site, home, url) = (site.as_str(), home.as_str(), url.as_str());
    Letter::render(
        mailbox(&s.email)?,
        subject,
        &ConfirmAlertsText { site, home, url },
        &ConfirmAlertsHtml { site, home, url },
    )
    .map(Some)
}

/// The frame of a mail someone can stop: why they get it, and the link.
struct ListFacts {
    site: String,
    home: String,
    why: String,
    unsubscribe: String,
}

impl ListFacts {
    /// RFC 8058 one-click unsubscribe: mail readers POST
    /// `List-Unsubscribe=One-Click` to the link, with no cookie.
    fn headers(&self, letter: Letter) -> Letter {
        letter
            .header("List-Unsubscribe", format!("<{}>", self.unsubscribe))
            .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    }
}

#[derive(Template)]
#[template(path = "mail/alert.txt")]
struct AlertText<'a> {
    m: &'a ListFacts,
    subject: &'a str,
    body: &'a str,
}

#[derive(Template)]
#[template(path = "mail/alert.html")]
struct AlertHtml<'a> {
    m: &'a ListFacts,
    subject: &'a str,
    body_html: &'a str,
}

async fn news_alert(app: &App, alert: i64, subscriber: i64) -> Result<Option<Letter>, JobError> {
    let store = app.store();
    let mut conn = store.read().await?;
    // Unsubscribed since the alert was queued: nothing goes out.
    let Some(s) = alerts::subscriber(&mut conn, store.sealer(), subscriber).await? else {
        return Ok(None);
    };
    let Some((subject, body)) = alerts::words(&mut conn, alert).await? else {
        return Ok(None);
    };
    drop(conn);
    let m = ListFacts {
        site: app.site_name(),
        home: app.link("/"),
        why: "You get this because you subscribed to our news alerts.".into(),
        unsubscribe: app.link(&format!("/alerts/unsubscribe/{}", s.token)),
    };
    let body_html = render_markdown(&body);
    let letter = Letter::render(
        mailbox(&s.email)?,
        subject.clone(),
        &AlertText {
            m: &m,
            subject: &subject,
            body: &body,
        },
        &AlertHtml {
            m: &m,
            subject: &subject,
            body_html: &body_html,
        },
    )?;
    Ok(Some(m.headers(letter)))
}

async fn link(
    app: &App,
    account: AccountId,
    purpose: Purpose,
) -> Result<Option<(Mailbox, LinkFacts)>, JobError> {
    let Some(link) = account_links::link_to_mail(app, account, purpose).await? else {
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

struct NotificationItem {
    text: String,
    url: String,
    when: String,
}

#[derive(Template)]
#[template(path = "mail/notifications.txt")]
struct NotificationsText<'a> {
    m: &'a ListFacts,
    alias: &'a str,
    intro: &'a str,
    items: &'a [NotificationItem],
    all: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notifications.html")]
struct NotificationsHtml<'a> {
    m: &'a ListFacts,
    alias: &'a str,
    intro: &'a str,
    items: &'a [NotificationItem],
    all: &'a str,
}

/// One notification (`only`), or a digest of all that wait. What the member
/// may no longer read is left out; nothing left, nothing sent.
async fn notification_mail(
    app: &App,
    account: AccountId,
    only: Option<i64>,
) -> Result<Option<Letter>, JobError> {
    let store = app.store();
    let choice = notifications::mail_choice(&mut *store.read().await?, account, true).await?;
    // The member may have changed their mind since the mail was queued (a
    // notification then waits for the digest, or for no mail at all).
    let wanted = match only {
        Some(_) => choice == MailChoice::Immediately,
        None => matches!(choice, MailChoice::Daily | MailChoice::Weekly),
    };
    if !wanted {
        return Ok(None);
    }
    let Some((member, items)) = notification_mail::gather(app, account, only).await? else {
        return Ok(None);
    };
    let email = accounts::email_of(&mut *store.read().await?, store.sealer(), account).await?;
    let site = app.site_name();
    let (subject, intro) = match (only, items.first()) {
        (Some(_), Some(first)) => {
            let text = notification_mail::describe(first);
            (text.clone(), format!("{text}."))
        }
        (_, _) => {
            let n = items.len();
            let period = if choice == MailChoice::Weekly {
                "weekly"
            } else {
                "daily"
            };
            let count = if n == 1 {
                "1 notification".to_owned()
            } else {
                format!("{n} notifications")
            };
            (
                format!("Your {period} digest from {site}: {count}"),
                format!("Here is what happened on {site} since your last digest."),
            )
        }
    };
    let m = ListFacts {
        site,
        home: app.link("/"),
        why: "You get this because of your notification settings.".into(),
        unsubscribe: notification_mail::unsubscribe_link(app, account),
    };
    let list: Vec<NotificationItem> = items
        .iter()
        .map(|n| NotificationItem {
            text: notification_mail::describe(n),
            url: app.link(&format!("/p/{}", n.post_id)),
            when: crate::services::human_time(n.created_at),
        })
        .collect();
    let all = app.link("/notifications");
    let alias = member.alias.to_string();
    let letter = Letter::render(
        Mailbox::new(Some(alias.clone()), mailbox(&email)?.email),
        subject,
        &NotificationsText {
            m: &m,
            alias: &alias,
            intro: &intro,
            items: &list,
            all: &all,
        },
        &NotificationsHtml {
            m: &m,
            alias: &alias,
            intro: &intro,
            items: &list,
            all: &all,
        },
    )?;
    Ok(Some(
        m.headers(letter)
            .marking(items.iter().map(|n| n.id).collect()),
    ))
}
