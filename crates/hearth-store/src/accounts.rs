//! Accounts. The alias is public; the email address is sealed and found
//! through its blind index.

use hearth_core::model::{AccountId, Alias, Email, Role, Tier};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Batch, Conn, Result, Sealer, StoreError};

#[derive(Clone, Debug)]
pub struct Account {
    pub id: AccountId,
    pub alias: Alias,
    pub role: Role,
    pub email_verified: bool,
    pub created_at: i64,
    pub password_hash: String,
    /// Posts a moderator approved or that went out unmoderated: a measure of trust.
    pub approved_posts: i64,
    pub last_seen_at: Option<i64>,
    /// May read but not post until then (kept in step with member_actions).
    pub silenced_until: Option<i64>,
    pub suspended_until: Option<i64>,
}

impl Account {
    pub fn silenced(&self, now: i64) -> bool {
        self.silenced_until.is_some_and(|until| until > now)
    }

    pub fn suspended(&self, now: i64) -> bool {
        self.suspended_until.is_some_and(|until| until > now)
    }
}

/// `silenced_until`/`suspended_until` for a period without end.
pub const FOR_GOOD: i64 = i64::MAX;

const COLUMNS: &str =
    "id, alias, role, email_verified_at, created_at, password_hash, approved_posts,
    last_seen_at, silenced_until, suspended_until";

fn from_row(row: &AnyRow) -> Result<Account> {
    let role: String = row.try_get("role")?;
    Ok(Account {
        id: AccountId(row.try_get("id")?),
        alias: Alias::from_trusted(row.try_get("alias")?),
        role: Role::parse(&role).unwrap_or(Role::Member),
        email_verified: row
            .try_get::<Option<i64>, _>("email_verified_at")?
            .is_some(),
        created_at: row.try_get("created_at")?,
        password_hash: row.try_get("password_hash")?,
        approved_posts: row.try_get("approved_posts")?,
        last_seen_at: row.try_get("last_seen_at")?,
        silenced_until: row.try_get("silenced_until")?,
        suspended_until: row.try_get("suspended_until")?,
    })
}

pub struct NewAccount<'a> {
    pub alias: &'a Alias,
    pub email: &'a Email,
    pub password_hash: &'a str,
    pub role: Role,
}

/// Fails with `Conflict` when the alias (in any case) or the email is taken.
pub async fn insert(
    conn: &mut Conn,
    sealer: &Sealer,
    new: NewAccount<'_>,
    now: i64,
) -> Result<AccountId> {
    let id: i64 = sqlx::query(
        "INSERT INTO accounts (alias, alias_folded, email_sealed, email_index, password_hash, role, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.alias.as_str())
    .bind(new.alias.folded())
    .bind(sealer.seal(new.email.as_str()))
    .bind(sealer.blind_index(&new.email.folded()))
    .bind(new.password_hash)
    .bind(new.role.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(AccountId(id))
}

pub async fn by_id(conn: &mut Conn, id: AccountId) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The account behind a live session (one query, on every signed-in request).
/// A suspended account has no live session.
pub async fn by_session(conn: &mut Conn, session_token: &str, now: i64) -> Result<Option<Account>> {
    let row = sqlx::query(
        "SELECT a.id, a.alias, a.role, a.email_verified_at, a.created_at, a.password_hash,
                a.approved_posts, a.last_seen_at, a.silenced_until, a.suspended_until
         FROM sessions s JOIN accounts a ON a.id = s.account_id
         WHERE s.token_hash = $1 AND s.expires_at > $2
           AND (a.suspended_until IS NULL OR a.suspended_until <= $2)",
    )
    .bind(crate::seal::token_hash(session_token))
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_email(conn: &mut Conn, sealer: &Sealer, email: &Email) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE email_index = $1");
    let row = sqlx::query(&sql)
        .bind(sealer.blind_index(&email.folded()))
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_alias(conn: &mut Conn, alias: &str) -> Result<Option<Account>> {
    // An erased account is no one's: it cannot be looked up by any name.
    let sql =
        format!("SELECT {COLUMNS} FROM accounts WHERE alias_folded = $1 AND erased_at IS NULL");
    let row = sqlx::query(&sql)
        .bind(alias.trim().to_lowercase())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn alias_taken(conn: &mut Conn, alias: &Alias) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM accounts WHERE alias_folded = $1")
        .bind(alias.folded())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

pub async fn email_taken(conn: &mut Conn, sealer: &Sealer, email: &Email) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM accounts WHERE email_index = $1")
        .bind(sealer.blind_index(&email.folded()))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

pub async fn email_of(conn: &mut Conn, sealer: &Sealer, id: AccountId) -> Result<Email> {
    let sealed: Vec<u8> = sqlx::query("SELECT email_sealed FROM accounts WHERE id = $1")
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(Email::from_trusted(sealer.open(&sealed)?))
}

pub async fn set_role(conn: &mut Conn, id: AccountId, role: Role) -> Result<()> {
    let done = sqlx::query("UPDATE accounts SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

pub async fn set_password_hash(conn: &mut Conn, id: AccountId, hash: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn mark_email_verified(conn: &mut Conn, id: AccountId, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE accounts SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL",
    )
    .bind(now)
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Notes that the member was here (for erasing accounts left unused).
pub async fn touch(conn: &mut Conn, id: AccountId, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET last_seen_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One more post of this member reached readers.
pub fn count_approved_post(batch: &mut Batch, id: AccountId) {
    batch.push(
        "UPDATE accounts SET approved_posts = approved_posts + 1 WHERE id = $1",
        vec![id.0.into()],
    );
}

pub async fn set_restrictions(
    conn: &mut Conn,
    id: AccountId,
    silenced_until: Option<i64>,
    suspended_until: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE accounts SET silenced_until = $1, suspended_until = $2 WHERE id = $3")
        .bind(silenced_until)
        .bind(suspended_until)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn count_with_role(conn: &mut Conn, role: Role) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) FROM accounts WHERE role = $1")
        .bind(role.as_str())
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?)
}

/// The accounts among `aliases` (matched regardless of case).
pub async fn find_aliases(conn: &mut Conn, aliases: &[String]) -> Result<Vec<Account>> {
    let mut found = Vec::new();
    for alias in aliases.iter().take(20) {
        if let Some(account) = by_alias(conn, alias).await? {
            found.push(account);
        }
    }
    Ok(found)
}

/// All accounts by alias, a page at a time, for the admin list.
pub async fn list(conn: &mut Conn, after_alias: Option<&str>, limit: i64) -> Result<Vec<Account>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM accounts WHERE alias_folded > $1 ORDER BY alias_folded LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(after_alias.unwrap_or("").to_lowercase())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// How many of an account's posts a viewer who reads `tiers` can see.
pub async fn post_count(conn: &mut Conn, id: AccountId, tiers: &[Tier]) -> Result<i64> {
    if tiers.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "SELECT COUNT(*) FROM posts p JOIN topics t ON t.id = p.topic_id JOIN spaces s ON s.id = t.space_id
         WHERE p.author_id = $1 AND p.held = 0 AND p.deleted_at IS NULL
           AND t.held = 0 AND t.deleted_at IS NULL AND s.tier IN ({})",
        crate::tier_list(tiers)
    );
    Ok(sqlx::query(&sql)
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?)
}
