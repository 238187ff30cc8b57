//! Email. Mail is sent only from the job queue (jobs of kind `mail`), never
//! inside a request: a slow or absent mail server delays mail, never a page,
//! and mail waits in the queue until the server takes it. A mail job names
//! a letter and an account; the letter is rendered, and the address unsealed,
//! only when it is sent, so no address ever waits in the queue in the clear.
//!
//! To add a kind of message: a variant of `Mail` (in `letters.rs`), its
//! two templates in `templates/mail/` (plain text and HTML), and its arm in
//! `Mail::compose`; extra headers (such as RFC 8058's `List-Unsubscribe`)
//! go on with `Letter::header`.

mod letters;
mod smtp;

use askama::Template;
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

pub use letters::Mail;
pub use smtp::{Mailer, SmtpConfig, TlsMode};

use crate::App;
use crate::jobs::{Handler, HandlerFuture, JobError};
use crate::services::jobs::JobPayload;
use hearth_store::jobs::{self as queue, Claimed};

/// The job handler for mail (registered when a mail server is configured).
pub const HANDLER: Handler = Handler {
    kind: Mail::KIND,
    run: start,
};

fn start(app: App, job: Claimed) -> HandlerFuture {
    Box::pin(deliver(app, job))
}

/// Renders and sends one mail job. Safe to run twice: a sent mail is
/// recorded, and a job run again (its worker died before it could report)
/// finds the record and sends nothing.
async fn deliver(app: App, job: Claimed) -> Result<(), JobError> {
    let mailer = app
        .mailer()
        .ok_or_else(|| JobError::Retry("no mail server is configured".into()))?;
    let mail: Mail = serde_json::from_str(&job.payload)
        .map_err(|e| JobError::GiveUp(format!("not a mail this version can send: {e}")))?;
    if queue::mail_was_sent(&mut *app.store().read().await?, job.id).await? {
        return Ok(());
    }
    let Some(letter) = mail.compose(&app).await? else {
        tracing::info!(
            job = job.id,
            "mail no longer needed (link used or expired, or account erased)"
        );
        return Ok(());
    };
    let mailed = letter.mailed.clone();
    mailer.send(letter.into_message(mailer.from())?).await?;
    let now = app.now();
    let mut tx = app.store().write_private().await?;
    queue::record_mail_sent(&mut tx, job.id, now).await?;
    mail.record_sent(&mut tx, &mailed, now).await?;
    hearth_store::commit(tx).await?;
    Ok(())
}

/// A rendered message: a plain-text and an HTML part, and any extra headers.
pub struct Letter {
    to: Mailbox,
    subject: String,
    text: String,
    html: String,
    headers: Vec<HeaderValue>,
    /// Notifications this letter tells of: marked mailed once it is sent.
    mailed: Vec<i64>,
}

impl Letter {
    pub fn render(
        to: Mailbox,
        subject: impl Into<String>,
        text: &impl Template,
        html: &impl Template,
    ) -> Result<Self, JobError> {
        let render = |r: askama::Result<String>| {
            r.map_err(|e| JobError::GiveUp(format!("mail template: {e}")))
        };
        Ok(Self {
            to,
            subject: subject.into(),
            text: render(text.render())?,
            html: render(html.render())?,
            headers: Vec::new(),
            mailed: Vec::new(),
        })
    }

    /// Adds a header (`List-Unsubscribe`, `List-Unsubscribe-Post`, …).
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push(HeaderValue::new(
            HeaderName::new_from_ascii_str(name),
            value.into(),
        ));
        self
    }

    /// Names the notifications the letter tells of.
    pub fn marking(mut self, notifications: Vec<i64>) -> Self {
        self.mailed = notifications;
        self
    }

    fn into_message(self, from: &Mailbox) -> Result<Message, JobError> {
        let domain = from.email.domain().to_owned();
        let mut builder = Message::builder()
            .from(from.clone())
            .to(self.to)
            .subject(self.subject)
            .message_id(Some(format!(
                "<{}@{domain}>",
                hearth_store::seal::random_token()
            )));
        for header in self.headers {
            builder = builder.raw_header(header);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(self.text, self.html))
            .map_err(|e| JobError::GiveUp(format!("the message could not be built: {e}")))
    }
}
