//! The audit log: every moderator and admin action is recorded in the same
//! transaction as the action itself, so neither exists without the other.

use hearth_core::access::Viewer;
use hearth_core::model::{AccountId, PostId, SpaceId, TopicId};
use hearth_store::audit::{self, Entry, Filter, Record};
use hearth_store::{Conn, accounts};

use super::Actor;
use crate::App;
use crate::error::ServiceResult;

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

/// What an admin filters the log by; empty fields match all.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// Actions starting with this (`member.` matches every action on members).
    pub action: String,
    /// Done by this alias.
    pub actor: String,
    /// Done to this member's account (alias).
    pub member: String,
    /// Records older than this id.
    pub before: Option<i64>,
}

pub struct Found {
    pub records: Vec<Record>,
    /// An alias in the filter names no one (so nothing matched).
    pub unknown_alias: bool,
}

/// Matches no account: an alias that does not exist filters out everything.
const NO_ONE: AccountId = AccountId(-1);

/// Admins read the log, newest first, filtered.
pub async fn list(app: &App, actor: &Actor, search: &Search) -> ServiceResult<Found> {
    actor.require(Viewer::administers, "Only admins can read the audit log.")?;
    let mut conn = app.store().read().await?;
    let mut by_alias = async |alias: &str| -> ServiceResult<Option<AccountId>> {
        if alias.trim().is_empty() {
            return Ok(None);
        }
        let found = accounts::by_alias(&mut conn, alias).await?;
        Ok(Some(found.map(|a| a.id).unwrap_or(NO_ONE)))
    };
    let filter = Filter {
        action: search.action.trim().to_owned(),
        actor: by_alias(&search.actor).await?,
        account: by_alias(&search.member).await?,
        before: search.before,
    };
    let unknown_alias = filter.actor == Some(NO_ONE) || filter.account == Some(NO_ONE);
    Ok(Found {
        records: audit::list(&mut conn, &filter, PAGE).await?,
        unknown_alias,
    })
}
