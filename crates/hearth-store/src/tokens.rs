//! One-time link tokens (setup, email verification, password reset),
//! personal access tokens for the JSON API, and private feed tokens.

use hearth_core::model::{AccountId, Alias};
use sqlx::Row;

use crate::seal::{random_token, token_hash};
use crate::{Conn, Result, Sealer};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Setup,
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Setup => "setup",
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Purpose::Setup, Purpose::VerifyEmail, Purpose::ResetPassword]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// Issues a token; earlier unused tokens of the same purpose and account lapse.
pub async fn issue(
    conn: &mut Conn,
    sealer: &Sealer,
    purpose: Purpose,
    account: Option<AccountId>,
    now: i64,
    expires_at: i64,
) -> Result<String> {
    sqlx::query(
        "UPDATE one_time_tokens SET used_at = $1
         WHERE purpose = $2 AND used_at IS NULL AND (account_id = $3 OR ($3 IS NULL AND account_id IS NULL))",
    )
    .bind(now)
    .bind(purpose.as_str())
    .bind(account.map(|a| a.0))
    .execute(&mut *conn)
    .await?;
    let token = random_token();
    sqlx::query(
        "INSERT INTO one_time_tokens (token_hash, token_sealed, purpose, account_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(sealer.seal(&token))
    .bind(purpose.as_str())
    .bind(account.map(|a| a.0))
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// Whether `token` is a live token for `purpose`; `Some(account)` if so.
pub async fn check(
    conn: &mut Conn,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<Option<Option<AccountId>>> {
    let row = sqlx::query(
        "SELECT account_id FROM one_time_tokens
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash(token))
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => Some(row.try_get::<Option<i64>, _>(0)?.map(AccountId)),
        None => None,
    })
}

/// Uses up a live token; `None` when it was unknown, used or expired. The
/// update itself checks that it is unused, so a link works once even when
/// two requests race.
pub async fn redeem(
    conn: &mut Conn,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<Option<Option<AccountId>>> {
    let row = sqlx::query(
        "UPDATE one_time_tokens SET used_at = $1
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
         RETURNING account_id",
    )
    .bind(now)
    .bind(token_hash(token))
    .bind(purpose.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => Some(row.try_get::<Option<i64>, _>(0)?.map(AccountId)),
        None => None,
    })
}

/// The newest live token of `purpose` for an account and when it expires,
/// read when its mail is sent (the link asked for last is the one that works).
pub async fn newest_live(
    conn: &mut Conn,
    sealer: &Sealer,
    purpose: Purpose,
    account: AccountId,
    now: i64,
) -> Result<Option<(String, i64)>> {
    let row = sqlx::query(
        "SELECT token_sealed, expires_at FROM one_time_tokens
         WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(account.0)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some((
            sealer.open(row.try_get("token_sealed")?)?,
            row.try_get("expires_at")?,
        ))),
        None => Ok(None),
    }
}

/// A link that has not been used yet, listed for admins (in case a mail
/// does not arrive).
#[derive(Clone, Debug)]
pub struct PendingLink {
    pub purpose: Purpose,
    pub alias: Option<Alias>,
    pub token: String,
    pub expires_at: i64,
}

pub async fn pending(conn: &mut Conn, sealer: &Sealer, now: i64) -> Result<Vec<PendingLink>> {
    let rows = sqlx::query(
        "SELECT t.purpose, t.token_sealed, t.expires_at, a.alias
         FROM one_time_tokens t LEFT JOIN accounts a ON a.id = t.account_id
         WHERE t.used_at IS NULL AND t.expires_at > $1 AND t.purpose <> 'setup'
         ORDER BY t.created_at DESC LIMIT 100",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let mut links = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(purpose) = Purpose::parse(row.try_get("purpose")?) else {
            continue;
        };
        links.push(PendingLink {
            purpose,
            alias: row
                .try_get::<Option<String>, _>("alias")?
                .map(Alias::from_trusted),
            token: sealer.open(row.try_get("token_sealed")?)?,
            expires_at: row.try_get("expires_at")?,
        });
    }
    Ok(links)
}

#[derive(Clone, Debug)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Creates a personal access token; the secret is returned once, never stored.
pub async fn create_api_token(
    conn: &mut Conn,
    account: AccountId,
    name: &str,
    now: i64,
) -> Result<(i64, String)> {
    let secret = format!("hearth_{}", random_token());
    let id: i64 = sqlx::query(
        "INSERT INTO api_tokens (account_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(account.0)
    .bind(name)
    .bind(token_hash(&secret))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok((id, secret))
}

pub async fn account_for_api_token(
    conn: &mut Conn,
    secret: &str,
    now: i64,
) -> Result<Option<AccountId>> {
    let row = sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING account_id",
    )
    .bind(now)
    .bind(token_hash(secret))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => Some(AccountId(row.try_get(0)?)),
        None => None,
    })
}

pub async fn list_api_tokens(conn: &mut Conn, account: AccountId) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, last_used_at FROM api_tokens
         WHERE account_id = $1 AND revoked_at IS NULL ORDER BY id",
    )
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ApiToken {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                created_at: row.try_get("created_at")?,
                last_used_at: row.try_get("last_used_at")?,
            })
        })
        .collect()
}

/// Returns whether a token of this account was revoked.
pub async fn revoke_api_token(
    conn: &mut Conn,
    account: AccountId,
    id: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(account.0)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Revokes every token of an account (after a password reset: whoever had
/// the old password may have made one).
pub async fn revoke_all_api_tokens(conn: &mut Conn, account: AccountId, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(account.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Gives the account a new private feed token, replacing any earlier one
/// (whose links stop working); the secret is returned once, never stored.
pub async fn replace_feed_token(conn: &mut Conn, account: AccountId, now: i64) -> Result<String> {
    let secret = random_token();
    sqlx::query(
        "INSERT INTO feed_tokens (account_id, token_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (account_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
    )
    .bind(account.0)
    .bind(token_hash(&secret))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(secret)
}

/// When the account's feed token was made, if it has one.
pub async fn feed_token_created(conn: &mut Conn, account: AccountId) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT created_at FROM feed_tokens WHERE account_id = $1")
        .bind(account.0)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get(0)?),
        None => None,
    })
}

/// The account a feed token belongs to, if it is live.
pub async fn account_for_feed_token(conn: &mut Conn, secret: &str) -> Result<Option<AccountId>> {
    let row = sqlx::query("SELECT account_id FROM feed_tokens WHERE token_hash = $1")
        .bind(token_hash(secret))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => Some(AccountId(row.try_get(0)?)),
        None => None,
    })
}

/// Returns whether the account had a feed token.
pub async fn revoke_feed_token(conn: &mut Conn, account: AccountId) -> Result<bool> {
    let done = sqlx::query("DELETE FROM feed_tokens WHERE account_id = $1")
        .bind(account.0)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
