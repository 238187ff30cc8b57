//! Email news alerts: subscribers (sealed addresses, double opt-in), the
//! alerts staff write, and one delivery per alert and subscriber.

use hearth_core::model::{AccountId, Email};
use sqlx::Row;

use crate::seal::{Sealer, random_token, token_hash};
use crate::{Conn, Result};

/// A subscriber as a mail needs it: the address and the link token, opened.
pub struct Subscriber {
    pub id: i64,
    pub email: Email,
    pub token: String,
    pub confirmed: bool,
}

/// What subscribing did.
pub enum Subscribed {
    /// A new subscriber, or one that never confirmed and was last asked
    /// before `ask_again_after`: a confirmation mail is due.
    AskToConfirm(i64),
    /// Already confirmed, or asked recently: nothing to do.
    Nothing,
}

/// Adds the address (or finds it). The address and token are sealed; only
/// their blind index and hash can be searched.
pub async fn subscribe(
    conn: &mut Conn,
    sealer: &Sealer,
    email: &Email,
    ask_again_after: i64,
    now: i64,
) -> Result<Subscribed> {
    let index = sealer.blind_index(&email.folded());
    let found = sqlx::query(
        "SELECT id, confirmed_at, asked_at FROM alert_subscribers WHERE email_index = $1",
    )
    .bind(&index)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = found {
        let id: i64 = row.try_get(0)?;
        let confirmed = row.try_get::<Option<i64>, _>(1)?.is_some();
        let asked_at: i64 = row.try_get(2)?;
        if confirmed || asked_at > ask_again_after {
            return Ok(Subscribed::Nothing);
        }
        sqlx::query("UPDATE alert_subscribers SET asked_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        return Ok(Subscribed::AskToConfirm(id));
    }
    let token = random_token();
    let id: i64 = sqlx::query(
        "INSERT INTO alert_subscribers (email_sealed, email_index, token_sealed, token_hash, asked_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(sealer.seal(email.as_str()))
    .bind(index)
    .bind(sealer.seal(&token))
    .bind(token_hash(&token))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(Subscribed::AskToConfirm(id))
}

/// Confirms the subscriber with this token; `false` for an unknown token.
pub async fn confirm(conn: &mut Conn, token: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE alert_subscribers SET confirmed_at = COALESCE(confirmed_at, $2) WHERE token_hash = $1",
    )
    .bind(token_hash(token))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether a subscriber has this token.
pub async fn token_is_known(conn: &mut Conn, token: &str) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM alert_subscribers WHERE token_hash = $1")
            .bind(token_hash(token))
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

/// Forgets the subscriber with this token; `false` for an unknown token.
pub async fn unsubscribe(conn: &mut Conn, token: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM alert_subscribers WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn subscriber(conn: &mut Conn, sealer: &Sealer, id: i64) -> Result<Option<Subscriber>> {
    let row = sqlx::query(
        "SELECT id, email_sealed, token_sealed, confirmed_at FROM alert_subscribers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Subscriber {
        id: row.try_get(0)?,
        email: Email::from_trusted(sealer.open(row.try_get(1)?)?),
        token: sealer.open(row.try_get(2)?)?,
        confirmed: row.try_get::<Option<i64>, _>(3)?.is_some(),
    }))
}

pub async fn confirmed_count(conn: &mut Conn) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) FROM alert_subscribers WHERE confirmed_at IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?,
    )
}

/// Ids of confirmed subscribers after `after`, in order (keyset).
pub async fn confirmed_ids(conn: &mut Conn, after: i64, limit: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT id FROM alert_subscribers WHERE confirmed_at IS NOT NULL AND id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// An alert with its delivery counts.
#[derive(Clone, Debug)]
pub struct Alert {
    pub id: i64,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    /// When its mails were queued (None: the fan-out has not run yet).
    pub queued_at: Option<i64>,
    pub sent: i64,
    pub waiting: i64,
    pub failed: i64,
}

pub async fn create(
    conn: &mut Conn,
    subject: &str,
    body: &str,
    author: AccountId,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO alerts (subject, body, author_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(subject)
    .bind(body)
    .bind(author.0)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?)
}

const ALERT_COLUMNS: &str = "a.id, a.subject, a.body, a.created_at, a.queued_at,
    (SELECT COUNT(*) FROM alert_deliveries d WHERE d.alert_id = a.id AND d.sent_at IS NOT NULL),
    (SELECT COUNT(*) FROM alert_deliveries d JOIN jobs j ON j.id = d.job_id
       WHERE d.alert_id = a.id AND d.sent_at IS NULL AND j.state IN ('queued', 'running')),
    (SELECT COUNT(*) FROM alert_deliveries d JOIN jobs j ON j.id = d.job_id
       WHERE d.alert_id = a.id AND d.sent_at IS NULL AND j.state = 'failed')";

fn alert(row: &sqlx::any::AnyRow) -> Result<Alert> {
    Ok(Alert {
        id: row.try_get(0)?,
        subject: row.try_get(1)?,
        body: row.try_get(2)?,
        created_at: row.try_get(3)?,
        queued_at: row.try_get(4)?,
        sent: row.try_get(5)?,
        waiting: row.try_get(6)?,
        failed: row.try_get(7)?,
    })
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Alert>> {
    let row = sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(alert).transpose()
}

/// What an alert says, for its mails: `by_id` also counts the deliveries,
/// which reads all of them, too much to do for each of 10,000 mails.
pub async fn words(conn: &mut Conn, id: i64) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT subject, body FROM alerts WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// The newest alerts first.
pub async fn list(conn: &mut Conn, limit: i64) -> Result<Vec<Alert>> {
    let rows = sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts a ORDER BY a.id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(alert).collect()
}

pub async fn mark_queued(conn: &mut Conn, alert: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE alerts SET queued_at = $2 WHERE id = $1")
        .bind(alert)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records a delivery and its job; `false` when it was already recorded
/// (a fan-out run again).
pub async fn add_delivery(conn: &mut Conn, alert: i64, subscriber: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO alert_deliveries (alert_id, subscriber_id) VALUES ($1, $2)
         ON CONFLICT (alert_id, subscriber_id) DO NOTHING",
    )
    .bind(alert)
    .bind(subscriber)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_delivery_job(
    conn: &mut Conn,
    alert: i64,
    subscriber: i64,
    job: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE alert_deliveries SET job_id = $3 WHERE alert_id = $1 AND subscriber_id = $2",
    )
    .bind(alert)
    .bind(subscriber)
    .bind(job)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn delivered(conn: &mut Conn, alert: i64, subscriber: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE alert_deliveries SET sent_at = $3 WHERE alert_id = $1 AND subscriber_id = $2",
    )
    .bind(alert)
    .bind(subscriber)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
