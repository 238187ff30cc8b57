//! The audit log: every moderator and admin action is recorded in the same
//! transaction as the action itself, so neither exists without the other.

use hearth_core::model::{AccountId, PostId, SpaceId, TopicId};
use hearth_store::Conn;
use hearth_store::audit::{self, Entry, Filter, Record};

use super::Actor;
use crate::App;
use crate::error::{ServiceError, ServiceResult};

/// What an action was done to.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    Post(PostId),
    Topic(TopicId),
    Account(AccountId),
    Space(SpaceId),
    /// Site-wide settings, word lists, legal texts.
    Site,
}

impl Target {
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Target::Post(id) => ("post", Some(id.0)),
            Target::Topic(id) => ("topic", Some(id.0)),
            Target::Account(id) => ("account", Some(id.0)),
            Target::Space(id) => ("space", Some(id.0)),
            Target::Site => ("site", None),
        }
    }
}

pub async fn record(
    conn: &mut Conn,
    actor: &Actor,
    action: &str,
    target: Target,
    reason: &str,
    detail: &str,
    now: i64,
) -> ServiceResult<()> {
    let (target_kind, target_id) = target.parts();
    audit::record(
        conn,
        Entry {
            actor: actor.viewer().account(),
            action,
            target_kind,
            target_id,
            reason,
            detail,
        },
        now,
    )
    .await?;
    Ok(())
}

pub const PAGE: i64 = 100;

/// Admins read the log, newest first, filtered.
pub async fn list(app: &App, actor: &Actor, filter: &Filter) -> ServiceResult<Vec<Record>> {
    if !actor.viewer().administers() {
        return Err(if actor.signed_in().is_none() {
            ServiceError::SignInRequired
        } else {
            ServiceError::Forbidden("Only admins can read the audit log.".into())
        });
    }
    Ok(audit::list(&mut *app.store().read().await?, filter, PAGE).await?)
}
