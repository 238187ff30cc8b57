//! The use cases. Every front door (pages, JSON API, later chat, Mastodon
//! apps, federation) parses its input into a command and calls one function
//! here; these functions alone authorize, validate and write.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod blogs;
pub mod chat;
pub mod conversations;
pub mod feeds;
pub mod forum;
pub mod housekeeping;
pub mod jobs;
pub mod legal;
pub mod members;
pub mod moderation;
pub mod notification_mail;
pub mod passwords;
pub mod privacy;
pub mod reading;
pub mod safety;
pub mod search;
pub mod setup;
pub mod site;
pub mod spaces;
pub mod uploads;
pub mod webmentions;

use hearth_core::access::Viewer;
use hearth_store::accounts::Account;

/// The person behind a request: a guest, or a signed-in account.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub account: Option<Account>,
}

impl Actor {
    pub fn guest() -> Self {
        Self { account: None }
    }

    pub fn member(account: Account) -> Self {
        Self {
            account: Some(account),
        }
    }

    pub fn viewer(&self) -> Viewer {
        match &self.account {
            None => Viewer::Guest,
            Some(a) => Viewer::Member {
                id: a.id,
                role: a.role,
            },
        }
    }

    pub fn signed_in(&self) -> Option<&Account> {
        self.account.as_ref()
    }

    /// Goes on for people whose role `allowed` accepts; a guest is asked to
    /// sign in, anyone else is told `refusal`.
    pub fn require(
        &self,
        allowed: fn(Viewer) -> bool,
        refusal: &str,
    ) -> crate::error::ServiceResult<()> {
        use crate::error::ServiceError;
        if allowed(self.viewer()) {
            Ok(())
        } else if self.account.is_none() {
            Err(ServiceError::SignInRequired)
        } else {
            Err(ServiceError::Forbidden(refusal.into()))
        }
    }
}

/// The tiers whose spaces this person may read (the access decision, as a list).
pub fn readable_tiers(actor: &Actor) -> Vec<hearth_core::model::Tier> {
    use hearth_core::access::{Action, decide};
    hearth_core::model::Tier::ALL
        .into_iter()
        .filter(|t| decide(actor.viewer(), *t, Action::Read).allowed())
        .collect()
}

/// Milliseconds in a day, for expiry times.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A moment in words people read: "3 Mar 2027 at 14:05 UTC".
pub fn human_time(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(time::macros::format_description!(
            "[day padding:none] [month repr:short] [year] at [hour]:[minute] UTC"
        ))
        .unwrap_or_default()
}

/// A moment as RFC 3339 (UTC), for data exports and the API.
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
