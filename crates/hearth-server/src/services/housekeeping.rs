//! Periodic clean-up: expired sessions, old throttle counters, jobs done a
//! week ago, and the personal data of accounts unused too long. Each node may run it; the
//! deletes are idempotent.

use std::time::Duration;

use hearth_store::{jobs, sessions, throttle};

use super::DAY_MS;
use crate::App;
use crate::error::ServiceResult;

/// Deletes what has expired; returns how many rows went.
pub async fn sweep(app: &App) -> ServiceResult<u64> {
    let now = app.now();
    let mut tx = app.store().write_private().await?;
    let gone = sessions::delete_expired(&mut tx, now).await?
        + throttle::delete_stale(&mut tx, now - DAY_MS).await?
        + jobs::delete_done(&mut tx, now - 7 * DAY_MS).await?;
    hearth_store::commit(tx).await?;
    Ok(gone)
}

/// Sweeps every hour while the server runs.
pub fn spawn(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        // The first tick is at once: let the server settle for an hour first.
        every.tick().await;
        loop {
            every.tick().await;
            match sweep(&app).await {
                Ok(n) if n > 0 => tracing::info!(
                    rows = n,
                    "housekeeping removed expired sessions, counters and finished jobs"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
            }
            match super::privacy::erase_unused(&app).await {
                Ok(n) if n > 0 => {
                    tracing::info!(accounts = n, "erased the personal data of unused accounts")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "erasing unused accounts failed; will retry"),
            }
        }
    })
}
