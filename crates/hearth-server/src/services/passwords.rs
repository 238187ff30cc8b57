//! Password hashing with argon2id, on the blocking pool so that a burst of
//! sign-ins never stalls the async threads serving pages.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use hearth_core::model::Password;

use crate::error::{ServiceError, ServiceResult};

/// Each hash takes about 19 MiB and a core for a moment: at most this many
/// run at once, and the rest wait their turn.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

async fn turn() -> ServiceResult<tokio::sync::SemaphorePermit<'static>> {
    HASHING
        .acquire()
        .await
        .map_err(|e| ServiceError::Internal(format!("hashing queue: {e}")))
}

pub async fn hash(password: &Password) -> ServiceResult<String> {
    let _turn = turn().await?;
    let plain = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(plain.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("password hash: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("hash task: {e}")))?
}

/// Checks `plain` against `stored`. Without a stored hash it still does the
/// work of one check, so that response times do not reveal which emails exist.
pub async fn verify(stored: Option<String>, plain: &str) -> ServiceResult<bool> {
    let _turn = turn().await?;
    let plain = plain.to_owned();
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        Argon2::default()
            .verify_password(plain.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("verify task: {e}")))
}

/// A valid hash of a random password, to verify against for unknown emails.
/// An empty `password_hash` column (accounts made by `hearth demo`) never verifies.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(hearth_store::seal::random_token().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}
