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

/// A moment as people read it and as machines read it (`<time datetime>`).
#[derive(Clone, Debug)]
pub struct Moment {
    pub iso: String,
    pub text: String,
}

impl Moment {
    pub fn from_ms(ms: i64) -> Self {
        Self {
            iso: rfc3339(ms),
            text: human_time(ms),
        }
    }
}

/// A moment in words people read: "3 Mar 2027 at 14:05 UTC".
pub fn human_time(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let at = utc(ms);
    let mut text = String::with_capacity(28);
    push_digits(&mut text, at.day().into(), 1);
    text.push(' ');
    text.push_str(MONTHS[usize::from(u8::from(at.month())) - 1]);
    text.push(' ');
    push_digits(&mut text, at.year(), 4);
    text.push_str(" at ");
    push_digits(&mut text, at.hour().into(), 2);
    text.push(':');
    push_digits(&mut text, at.minute().into(), 2);
    text.push_str(" UTC");
    text
}

/// A moment as RFC 3339 (UTC), for data exports, the API and `<time>`:
/// "2027-03-03T14:05:09.25Z", as `time` writes it (milliseconds without
/// their trailing zeros).
pub fn rfc3339(ms: i64) -> String {
    let at = utc(ms);
    let mut text = String::with_capacity(24);
    push_digits(&mut text, at.year(), 4);
    text.push('-');
    push_digits(&mut text, u8::from(at.month()).into(), 2);
    text.push('-');
    push_digits(&mut text, at.day().into(), 2);
    text.push('T');
    push_digits(&mut text, at.hour().into(), 2);
    text.push(':');
    push_digits(&mut text, at.minute().into(), 2);
    text.push(':');
    push_digits(&mut text, at.second().into(), 2);
    let mut milli = at.millisecond();
    if milli > 0 {
        let mut width = 3;
        while milli.is_multiple_of(10) {
            milli /= 10;
            width -= 1;
        }
        text.push('.');
        push_digits(&mut text, milli.into(), width);
    }
    text.push('Z');
    text
}

fn utc(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// Writes `n` with at least `width` digits. By hand, not with `format!`: a
/// topic page writes two moments for each post, and the general formatters
/// were a tenth of its rendering.
fn push_digits(text: &mut String, n: i32, width: usize) {
    if n < 0 {
        text.push('-');
    }
    let mut digits = [b'0'; 10];
    let mut start = digits.len();
    let mut rest = n.unsigned_abs();
    while rest > 0 || digits.len() - start < width.clamp(1, 10) {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    text.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_as_the_time_crate_writes_them() {
        let formats = time::macros::format_description!(
            "[day padding:none] [month repr:short] [year] at [hour]:[minute] UTC"
        );
        for ms in [
            0,
            1,
            250,
            999,
            1_000,
            86_399_999,
            951_782_400_123, // 29 Feb 2000
            1_795_392_798_290,
            4_102_444_799_999, // 31 Dec 2099, the last millisecond
            1_700_000_000_010,
            1_700_000_000_100,
            -86_400_000, // 31 Dec 1969
        ] {
            let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .unwrap();
            let rfc = at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            assert_eq!(rfc3339(ms), rfc, "{ms}");
            assert_eq!(human_time(ms), at.format(formats).unwrap(), "{ms}");
        }
    }
}
