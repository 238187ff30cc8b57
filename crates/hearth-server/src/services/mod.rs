//! The use cases. Every front door (pages, JSON API, later chat, Mastodon
//! apps, federation) parses its input into a command and calls one function
//! here; these functions alone authorize, validate and write.

pub mod accounts;
pub mod forum;
pub mod housekeeping;
pub mod legal;
pub mod passwords;
pub mod setup;
pub mod spaces;

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
