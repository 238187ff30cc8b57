//! Email news alerts: anyone subscribes (double opt-in), staff write an
//! alert and send it; the sending is queued, never done in the request.
//!
//! Fan-out: sending queues one `alert_fanout` job, which queues one mail job
//! per confirmed subscriber. One mail per job (not batches) so that a refused
//! address fails alone, retries resend only what failed, several workers and
//! nodes share the sending, and the counts (sent / waiting / failed) are
//! exact. Payloads name the alert and subscriber, never the address.

use hearth_core::access::Viewer;
use hearth_core::model::Email;
use hearth_store::alerts::{self, Alert, Subscribed};
use serde::{Deserialize, Serialize};

use super::Actor;
use super::jobs::{JobPayload, enqueue};
use crate::App;
use crate::error::{Problems, ServiceError, ServiceResult};
use crate::jobs::{Handler, JobError};
use crate::mail::Mail;

const SUBJECT_MAX: usize = 200;
const BODY_MAX: usize = 50_000;

/// How long before an unconfirmed address may be sent another confirmation.
const ASK_AGAIN_AFTER_MS: i64 = 3_600_000;

/// Subscribes an address; a new (or still unconfirmed) one gets a mail with
/// a confirmation link, at most one an hour. The answer is the same whether
/// or not the address was known, so the form tells no one who subscribes.
pub async fn subscribe(app: &App, email: &str) -> ServiceResult<()> {
    let email = Email::parse(email).map_err(|e| ServiceError::field("email", e.to_string()))?;
    let store = app.store();
    let now = app.now();
    let mut tx = store.write_private().await?;
    let subscribed = alerts::subscribe(
        &mut tx,
        store.sealer(),
        &email,
        now - ASK_AGAIN_AFTER_MS,
        now,
    )
    .await?;
    if let Subscribed::AskToConfirm(subscriber) = subscribed {
        enqueue(app, &mut tx, &Mail::ConfirmAlerts { subscriber }).await?;
    }
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Confirms a subscription from the link in the confirmation mail.
pub async fn confirm(app: &App, token: &str) -> ServiceResult<()> {
    let mut tx = app.store().write().await?;
    if !alerts::confirm(&mut tx, token, app.now()).await? {
        return Err(ServiceError::NotFound);
    }
    hearth_store::commit(tx).await?;
    Ok(())
}

/// Whether an unsubscribe link is live (its page shows a button; following
/// the link alone changes nothing, as mail scanners follow links).
pub async fn unsubscribe_link_is_live(app: &App, token: &str) -> ServiceResult<()> {
    if alerts::token_is_known(&mut *app.store().read().await?, token).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Unsubscribes (and forgets the address): from the page's button, or a
/// mail reader's one-click POST (RFC 8058), which carries no cookie.
pub async fn unsubscribe(app: &App, token: &str) -> ServiceResult<()> {
    // A shared write: the cached unsubscribe page must not outlive the row.
    let mut tx = app.store().write().await?;
    if !alerts::unsubscribe(&mut tx, token).await? {
        return Err(ServiceError::NotFound);
    }
    hearth_store::commit(tx).await?;
    Ok(())
}

/// An alert to send.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewAlert {
    pub subject: String,
    /// Markdown.
    pub body: String,
}

fn staff_only(actor: &Actor) -> ServiceResult<()> {
    actor.require(Viewer::reviews, "Only staff can write news alerts.")
}

/// Saves the alert and queues its sending to every confirmed subscriber.
pub async fn send(app: &App, actor: &Actor, alert: &NewAlert) -> ServiceResult<Alert> {
    staff_only(actor)?;
    let author = actor.signed_in().ok_or(ServiceError::SignInRequired)?.id;
    let (subject, body) = (alert.subject.trim(), alert.body.trim());
    let mut problems = Problems::default();
    if subject.is_empty() {
        problems.add("subject", "Give the alert a subject.");
    } else if subject.chars().count() > SUBJECT_MAX || subject.contains(['\r', '\n']) {
        problems.add(
            "subject",
            format!("Keep the subject to one line of at most {SUBJECT_MAX} characters."),
        );
    }
    if body.is_empty() {
        problems.add("body", "Write what the alert says.");
    } else if body.chars().count() > BODY_MAX {
        problems.add(
            "body",
            format!("An alert can have at most {BODY_MAX} characters."),
        );
    }
    problems.into_result()?;
    let mut tx = app.store().write_private().await?;
    let id = alerts::create(&mut tx, subject, body, author, app.now()).await?;
    enqueue(app, &mut tx, &FanOut { alert: id }).await?;
    let alert = alerts::by_id(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    hearth_store::commit(tx).await?;
    Ok(alert)
}

/// What staff see: the alerts with their counts, and how many subscribe.
pub struct AlertsView {
    pub subscribers: i64,
    pub alerts: Vec<Alert>,
}

pub async fn list(app: &App, actor: &Actor) -> ServiceResult<AlertsView> {
    staff_only(actor)?;
    let mut conn = app.store().read().await?;
    Ok(AlertsView {
        subscribers: alerts::confirmed_count(&mut conn).await?,
        alerts: alerts::list(&mut conn, 100).await?,
    })
}

/// The job that queues an alert's mails.
#[derive(Serialize, Deserialize)]
pub struct FanOut {
    pub alert: i64,
}

impl JobPayload for FanOut {
    const KIND: &'static str = "alert_fanout";
}

/// How many subscribers are read at a time while fanning out.
const PAGE: i64 = 1000;

/// Queues one mail per confirmed subscriber, in one transaction: run again
/// (its worker died), it finds the deliveries recorded and queues nothing twice.
pub async fn fan_out(app: &App, fan_out: &FanOut) -> ServiceResult<()> {
    let alert = fan_out.alert;
    let mut tx = app.store().write_private().await?;
    let mut after = 0;
    loop {
        let ids = alerts::confirmed_ids(&mut tx, after, PAGE).await?;
        let Some(&last) = ids.last() else { break };
        for subscriber in ids {
            if alerts::add_delivery(&mut tx, alert, subscriber).await? {
                let mail = Mail::Alert { alert, subscriber };
                if let Some(job) = enqueue(app, &mut tx, &mail).await? {
                    alerts::set_delivery_job(&mut tx, alert, subscriber, job).await?;
                }
            }
        }
        after = last;
    }
    alerts::mark_queued(&mut tx, alert, app.now()).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// The job handler that fans an alert out (runs with or without a mail
/// server: the mails it queues wait for one).
pub const FAN_OUT: Handler = Handler {
    kind: FanOut::KIND,
    run: |app, job| {
        Box::pin(async move {
            let payload: FanOut = serde_json::from_str(&job.payload)
                .map_err(|e| JobError::GiveUp(format!("not an alert fan-out: {e}")))?;
            Ok(fan_out(&app, &payload).await?)
        })
    },
};
