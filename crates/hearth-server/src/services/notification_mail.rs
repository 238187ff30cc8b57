//! Notifications by email, as each member chooses: `off`, `immediately`
//! (one mail per notification, queued with it), or a `daily` or `weekly`
//! digest (a scheduled job gathers what is unread and not yet mailed).
//! What a mail shows is decided when it is sent, with the one access rule:
//! a post deleted or held since, or a space the member may no longer read,
//! is left out. Mailed notifications are marked, so none goes out twice.

use hearth_core::access::{Action, Viewer, decide};
use hearth_core::model::{AccountId, PostId, TopicId};
use hearth_store::accounts;
use hearth_store::notifications::{
    self, Kind, MailChoice, NewNotification, Notification, Recipients,
};
use hearth_store::{Batch, Conn, Returned, Returns};
use serde::{Deserialize, Serialize};

use super::Actor;
use super::jobs::{Encoded, JobPayload, enqueue, enqueue_quietly};
use crate::App;
use crate::error::{ServiceError, ServiceResult};
use crate::jobs::{Handler, JobError};
use crate::mail::Mail;

/// A notification in words (pages and mails say the same).
pub fn describe(n: &Notification) -> String {
    let who = n.actor_alias.as_deref().unwrap_or("A guest");
    let title = &n.topic_title;
    match n.kind {
        Kind::Reply => format!("{who} replied in “{title}”"),
        Kind::Mention => format!("{who} mentioned you in “{title}”"),
        Kind::Approved => format!("Your post in “{title}” was approved"),
        Kind::Rejected => format!(
            "Your post in “{title}” was not approved. The moderator's reason: {}",
            n.note.as_deref().unwrap_or("none given")
        ),
        Kind::FlagOutcome => format!(
            "About the post you flagged in “{title}”: {}",
            n.note.as_deref().unwrap_or("a moderator has decided.")
        ),
    }
}

/// Writes a notification and, in the same transaction, queues its mail (for
/// a member who wants mail at once) or makes sure the member's next digest
/// run is queued (the runs start with the first notification that needs one).
pub async fn notify(conn: &mut Conn, n: NewNotification<'_>, now: i64) -> ServiceResult<()> {
    notify_all(conn, &[n], now).await
}

/// `notify` for several notifications at once: one statement whatever
/// their number, but one mail job for each reader who wants mail at once.
/// (A new post's readers are notified in its batch: `notify_in`.)
async fn notify_all(conn: &mut Conn, all: &[NewNotification<'_>], now: i64) -> ServiceResult<()> {
    if all.is_empty() {
        return Ok(());
    }
    let made = notifications::insert_many(conn, all, now).await?;
    mail_at_once(conn, &made, now).await?;
    // One run gathers every member's digest.
    for period in [Digests::Daily, Digests::Weekly] {
        if made.iter().any(|(_, _, choice)| *choice == period.choice()) {
            enqueue_quietly(conn, &period, now).await?;
        }
    }
    Ok(())
}

/// `notify_all` for a new post's readers, as statements in the caller's
/// batch: the notifications, and the digests' runs if a reader wants one.
/// Once the batch has run, `Notified::mail` queues the mails due at once.
pub fn notify_in(
    batch: &mut Batch,
    to: &Recipients<'_>,
    topic: TopicId,
    post: PostId,
    actor: Option<AccountId>,
    now: i64,
) -> ServiceResult<Notified> {
    let made = notifications::notify_in(batch, to, topic, post, actor, now);
    for period in [Digests::Daily, Digests::Weekly] {
        let run = Encoded::of(&period, now)?;
        notifications::queue_for_choice_in(batch, to, period.choice(), &run.job(), now);
    }
    Ok(Notified(made))
}

/// Notifications in a batch (`notify_in`), their mails still to queue.
#[derive(Default)]
#[must_use = "readers who want mail at once get it from `mail`"]
pub struct Notified(Option<Returns>);

impl Notified {
    /// Queues a mail for each notification whose reader wants one at once,
    /// from the rows of the batch that wrote them.
    pub async fn mail(self, conn: &mut Conn, returned: &Returned, now: i64) -> ServiceResult<()> {
        match self.0 {
            Some(made) => {
                let made = notifications::made(made.rows(returned))?;
                mail_at_once(conn, &made, now).await
            }
            None => Ok(()),
        }
    }
}

/// Queues a mail for each notification `made` whose reader wants one at once.
async fn mail_at_once(
    conn: &mut Conn,
    made: &[(AccountId, i64, MailChoice)],
    now: i64,
) -> ServiceResult<()> {
    for &(account, notification, choice) in made {
        if choice == MailChoice::Immediately {
            let mail = Mail::Notification {
                account,
                notification,
            };
            enqueue_quietly(conn, &mail, now).await?;
        }
    }
    Ok(())
}

/// The member's choice, for the account page.
pub async fn choice(app: &App, actor: &Actor) -> ServiceResult<MailChoice> {
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    Ok(notifications::mail_choice(&mut *app.store().read().await?, me.id, false).await?)
}

pub async fn set_choice(app: &App, actor: &Actor, choice: &str) -> ServiceResult<MailChoice> {
    let me = actor.signed_in().ok_or(ServiceError::SignInRequired)?;
    let choice = MailChoice::parse(choice)
        .ok_or_else(|| ServiceError::field("notification_mail", "Choose one of the options."))?;
    let mut tx = app.store().write_private().await?;
    notifications::set_mail_choice(&mut tx, me.id, choice).await?;
    // Notifications waiting unmailed go out with the next digest.
    if let Some(period) = Digests::of(choice) {
        enqueue(app, &mut tx, &period).await?;
    }
    hearth_store::commit(tx).await?;
    Ok(choice)
}

/// The secret in a member's one-click "no more notification mail" link: a
/// keyed hash of the account, so nothing needs storing; it can only switch
/// that member's notification mail off.
fn unsubscribe_token(app: &App, account: AccountId) -> String {
    app.store()
        .sealer()
        .blind_index(&format!("notification-mail-off/{account}"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn unsubscribe_link(app: &App, account: AccountId) -> String {
    app.link(&format!(
        "/notifications/unsubscribe/{}/{}",
        account.0,
        unsubscribe_token(app, account)
    ))
}

/// The account a link names, if its token is right.
fn account_of_link(app: &App, account: &str, token: &str) -> ServiceResult<AccountId> {
    let account = AccountId(account.parse().map_err(|_| ServiceError::NotFound)?);
    let expected = unsubscribe_token(app, account);
    // Compared in constant time: the token is the only proof.
    let same = expected.len() == token.len()
        && expected
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(account)
    } else {
        Err(ServiceError::NotFound)
    }
}

pub fn unsubscribe_link_is_live(app: &App, account: &str, token: &str) -> ServiceResult<()> {
    account_of_link(app, account, token).map(|_| ())
}

/// One-click unsubscribe from notification mail (RFC 8058): sets it off.
pub async fn unsubscribe(app: &App, account: &str, token: &str) -> ServiceResult<()> {
    let account = account_of_link(app, account, token)?;
    let mut tx = app.store().write_private().await?;
    notifications::set_mail_choice(&mut tx, account, MailChoice::Off).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Most notifications in one mail; the rest wait for the next.
const PER_MAIL: i64 = 50;

/// The notifications of `account` to mail now (one, or a digest's), each
/// re-checked against what the member may read today.
pub async fn gather(
    app: &App,
    account: AccountId,
    only: Option<i64>,
) -> ServiceResult<Option<(accounts::Account, Vec<Notification>)>> {
    let mut conn = app.store().read().await?;
    let Some(member) = accounts::by_id(&mut conn, account).await? else {
        return Ok(None);
    };
    let viewer = Viewer::Member {
        id: member.id,
        role: member.role,
    };
    let items: Vec<Notification> = notifications::to_mail(&mut conn, account, only, PER_MAIL)
        .await?
        .into_iter()
        .filter(|m| decide(viewer, m.tier, Action::Read).allowed())
        .map(|m| m.notification)
        .collect();
    Ok((!items.is_empty()).then_some((member, items)))
}

/// The scheduled job that queues the digests of one period.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Digests {
    Daily,
    Weekly,
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Digests go out at 06:00 UTC (weekly ones on Mondays; 1 January 1970 was
/// a Thursday, so Mondays are 4 days after the epoch, modulo a week).
const SEND_AT: i64 = 6 * HOUR_MS;
const MONDAY: i64 = 4 * DAY_MS;

impl Digests {
    fn of(choice: MailChoice) -> Option<Self> {
        match choice {
            MailChoice::Daily => Some(Digests::Daily),
            MailChoice::Weekly => Some(Digests::Weekly),
            MailChoice::Off | MailChoice::Immediately => None,
        }
    }

    fn choice(self) -> MailChoice {
        match self {
            Digests::Daily => MailChoice::Daily,
            Digests::Weekly => MailChoice::Weekly,
        }
    }

    /// The first send time after `now`.
    fn next(self, now: i64) -> i64 {
        let (period, offset) = match self {
            Digests::Daily => (DAY_MS, SEND_AT),
            Digests::Weekly => (7 * DAY_MS, MONDAY + SEND_AT),
        };
        (now - offset).div_euclid(period) * period + period + offset
    }
}

impl JobPayload for Digests {
    const KIND: &'static str = "digests";

    /// One next run per period, however many nodes start.
    fn dedupe_key(&self) -> Option<String> {
        Some(format!("digests:{}", self.choice().as_str()))
    }

    fn run_at(&self, now: i64) -> i64 {
        self.next(now)
    }
}

/// Queues one digest mail per member of this period with something to read,
/// and the period's next run (re-queued with its dedupe key: one next run,
/// however many nodes and notifications ask for it).
async fn run_digests(app: &App, period: Digests) -> ServiceResult<()> {
    let mut tx = app.store().write_private().await?;
    for account in notifications::digest_due(&mut tx, period.choice()).await? {
        enqueue(app, &mut tx, &Mail::Digest { account }).await?;
    }
    enqueue(app, &mut tx, &period).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

pub const DIGESTS: Handler = Handler {
    kind: Digests::KIND,
    run: |app, job| {
        Box::pin(async move {
            let period: Digests = serde_json::from_str(&job.payload)
                .map_err(|e| JobError::GiveUp(format!("not a digest run: {e}")))?;
            Ok(run_digests(&app, period).await?)
        })
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_go_out_at_six_utc_and_on_mondays() {
        // 2026-11-22 (a Sunday) 08:00 UTC.
        let sunday_8am = 1_795_334_400_000;
        let daily = Digests::Daily.next(sunday_8am);
        assert_eq!(daily, sunday_8am + 22 * HOUR_MS);
        assert_eq!(Digests::Weekly.next(sunday_8am), daily);
        assert_eq!(Digests::Daily.next(daily), daily + DAY_MS);
        assert_eq!(Digests::Weekly.next(daily), daily + 7 * DAY_MS);
    }
}
