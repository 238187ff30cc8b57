//! Spam filtering in the manner of Akismet, but local and explainable.
//!
//! Two kinds of evidence are weighed, both in log-odds so they simply add:
//!
//! 1. **The text.** A naive Bayes model ([`SpamModel`]) knows, for each
//!    [feature](features) — a word, a linked domain, a phone
//!    number — in how many ordinary and how many spam posts it was seen. Each
//!    feature of a new post gets a probability (Robinson's smoothing keeps rare
//!    ones near neutral); the fifteen strongest are summed as log-odds, within
//!    a bound so that wordiness never outweighs behaviour. The model starts
//!    from a labelled corpus shipped with Hearth and learns from every
//!    moderator decision ([`SpamModel::learn`]), which is just counting.
//! 2. **Behaviour**, from [`Signals`] and the text's links: many links, link
//!    shorteners, links in a newcomer's first post, a long post submitted
//!    faster than anyone types, the same text posted again and again, and the
//!    hidden honeypot field that only bots fill in.
//!
//! The score is the logistic of the sum of all weights, and every weight is a
//! [`Reason`] with a sentence a moderator can check ("\"casino\" is common in
//! spam (seen in 12 spam and 0 ordinary posts)", "4 links to 3 domains"). No
//! hidden layers, no remote service: a held post can always say why, and a
//! wrong verdict is corrected by the same moderator click that reports it.
//!
//! Being held is cheap for spam and costly for a frightened person asking for
//! help, so the filter leans towards letting posts through: a newcomer's first
//! post is not suspicious by itself, only its links are; and a post is
//! rejected outright only on the honeypot, or when the text and behaviour both
//! say spam strongly.

mod corpus;
mod features;
mod model;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use corpus::{Evaluation, evaluate, split};
pub use features::features;
pub use model::{STARTER_CORPUS, SpamModel};

/// A moderator's (or the corpus's) label for a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Ham,
    Spam,
}

/// What the server knows about how a post was written, beyond its text.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// The account is younger than a day or has no approved posts.
    pub new_account: bool,
    /// This is the author's first post.
    pub first_post: bool,
    /// From form load to submit; `None` when unknown (API clients).
    pub typing_time: Option<Duration>,
    /// The hidden field that bots fill in was filled in.
    pub honeypot_filled: bool,
    /// How many times the same text was posted recently, by anyone.
    pub repeats: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Allow,
    /// Kept for a moderator to approve or reject.
    Hold,
    Reject,
}

/// One piece of evidence. `weight` is in log-odds: positive towards spam,
/// negative towards an ordinary post.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reason {
    /// What kind of evidence: `words`, `domain`, `contact`, `links`,
    /// `new_account`, `typing`, `repeated` or `honeypot`.
    pub signal: &'static str,
    pub detail: String,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    pub action: Action,
    /// Probability of spam, 0..1.
    pub score: f64,
    /// The strongest reasons, those behind the action first; at most
    /// [`MAX_REASONS`].
    pub reasons: Vec<Reason>,
}

/// Held for review from here. Above even odds on purpose: a text the model
/// does not know (a language missing from the corpus, an unusual topic)
/// scores about 0.5 and must not wait for a moderator for that alone; spam is
/// caught by its words (usually far above 0.9) or by its behaviour.
pub const HOLD_SCORE: f64 = 0.8;
/// Rejected without review only when the text alone is at least this sure…
pub const REJECT_TEXT_PROBABILITY: f64 = 0.99;
/// …and behaviour adds at least this much (log-odds: a shortened link in a
/// first post makes 3.5, a long text posted three times 4). Either kind of
/// evidence can be wrong on its own (a corpus gap, a member pasting from a
/// letter), but rarely both at once; and a rejected writer gets an error
/// instead of a moderator's eye, so both must agree.
pub const REJECT_SIGNAL_WEIGHT: f64 = 3.0;
/// A verdict's reasons are cut to this many: enough to explain, short enough
/// to read in a moderation queue.
pub const MAX_REASONS: usize = 6;

/// Filled honeypot: only software sees the field, so this is decisive.
const HONEYPOT_WEIGHT: f64 = 10.0;
/// From this many links a post starts to look like a link list…
const MANY_LINKS: usize = 3;
/// …and each link from there on adds this, up to the cap.
const EACH_EXTRA_LINK_WEIGHT: f64 = 0.6;
const MAX_LINKS_WEIGHT: f64 = 3.0;
/// A shortened link hides where it leads; members link to charities and the
/// NHS by name, spammers shorten to dodge domain lists.
const SHORTENER_WEIGHT: f64 = 2.0;
/// Link shorteners in common use, by host.
const SHORTENERS: [&str; 15] = [
    "bit.ly",
    "buff.ly",
    "cutt.ly",
    "goo.gl",
    "is.gd",
    "ow.ly",
    "rb.gy",
    "rebrand.ly",
    "s.id",
    "shorturl.at",
    "t.co",
    "t.ly",
    "tiny.cc",
    "tinyurl.com",
    "v.gd",
];
/// Links in the first post of a newcomer: the classic spam account. A first
/// post without links carries no weight at all.
const NEWCOMER_LINKS_WEIGHT: f64 = 1.5;
/// Posts shorter than this are quick to type; speed says nothing about them.
const TYPING_MIN_CHARS: usize = 80;
/// Faster than anyone types (a fast typist manages ~8 a second): pasted. Many
/// members paste from a letter or a notes app, so this alone weighs little.
const PASTED_CHARS_PER_SECOND: f64 = 25.0;
const PASTED_WEIGHT: f64 = 1.0;
/// Faster than anyone can even paste, read over and press send: a script.
const SCRIPTED_CHARS_PER_SECOND: f64 = 100.0;
const SCRIPTED_WEIGHT: f64 = 2.5;
/// Short texts ("Thank you!", "Sending hugs x") are legitimately posted again
/// and again; only longer ones count as repeats.
const REPEAT_MIN_CHARS: usize = 40;
/// A first repeat is often a double submit; each further one is a campaign.
const FIRST_REPEAT_WEIGHT: f64 = 1.0;
const FURTHER_REPEAT_WEIGHT: f64 = 1.5;
const MAX_REPEAT_WEIGHT: f64 = 5.0;

/// Weighs a post's text and the signals around it.
pub fn judge(model: &SpamModel, text: &str, signals: &Signals) -> Verdict {
    let scan = features::scan(text);
    let (text_weight, mut words) = model.text_evidence(&scan.features);
    let behaviour = behaviour(text, &scan.links, signals);
    let behaviour_weight: f64 = behaviour.iter().map(|reason| reason.weight).sum();
    let score = model::logistic(text_weight + behaviour_weight);

    let action = if signals.honeypot_filled
        || (model::logistic(text_weight) >= REJECT_TEXT_PROBABILITY
            && behaviour_weight >= REJECT_SIGNAL_WEIGHT)
    {
        Action::Reject
    } else if score >= HOLD_SCORE {
        Action::Hold
    } else {
        Action::Allow
    };

    // Strongest first in the direction of the verdict: why it was stopped, or
    // why it was let through.
    let first = |a: f64, b: f64| {
        if action == Action::Allow {
            a.total_cmp(&b)
        } else {
            b.total_cmp(&a)
        }
    };
    words.sort_by(|a, b| first(a.weight, b.weight));
    let mut reasons: Vec<Reason> = words
        .iter()
        .take(MAX_REASONS)
        .map(model::Evidence::reason)
        .collect();
    reasons.extend(behaviour);
    reasons.sort_by(|a, b| first(a.weight, b.weight));
    reasons.truncate(MAX_REASONS);
    Verdict {
        action,
        score,
        reasons,
    }
}

/// The evidence that does not come from the words: links and [`Signals`].
fn behaviour(text: &str, links: &[String], signals: &Signals) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let mut add = |signal, detail, weight| {
        reasons.push(Reason {
            signal,
            detail,
            weight,
        })
    };

    if signals.honeypot_filled {
        add(
            "honeypot",
            "the hidden field only bots see was filled in".to_owned(),
            HONEYPOT_WEIGHT,
        );
    }

    if links.len() >= MANY_LINKS {
        let mut domains: Vec<&str> = links.iter().map(String::as_str).collect();
        domains.sort_unstable();
        domains.dedup();
        let extra = (links.len() - MANY_LINKS + 1) as f64;
        let weight = (extra * EACH_EXTRA_LINK_WEIGHT).min(MAX_LINKS_WEIGHT);
        let detail = format!(
            "{} links to {} {}",
            links.len(),
            domains.len(),
            plural(domains.len(), "domain")
        );
        add("links", detail, weight);
    }
    if let Some(shortener) = links
        .iter()
        .find(|host| SHORTENERS.contains(&host.as_str()))
    {
        add(
            "links",
            format!("a shortened link ({shortener}) hides where it leads"),
            SHORTENER_WEIGHT,
        );
    }
    if !links.is_empty() && (signals.new_account || signals.first_post) {
        let whose = if signals.first_post {
            "a first post"
        } else {
            "a new account's post"
        };
        let detail = format!("{} {} in {whose}", links.len(), plural(links.len(), "link"));
        add("new_account", detail, NEWCOMER_LINKS_WEIGHT);
    }

    let chars = text.chars().count();
    if let Some(typing) = signals.typing_time
        && chars >= TYPING_MIN_CHARS
    {
        let seconds = typing.as_secs_f64().max(0.1);
        let speed = chars as f64 / seconds;
        let weight = if speed >= SCRIPTED_CHARS_PER_SECOND {
            SCRIPTED_WEIGHT
        } else if speed >= PASTED_CHARS_PER_SECOND {
            PASTED_WEIGHT
        } else {
            0.0
        };
        if weight > 0.0 {
            let detail =
                format!("{chars} characters written in {seconds:.1} s ({speed:.0} a second)");
            add("typing", detail, weight);
        }
    }

    if signals.repeats > 0 && chars >= REPEAT_MIN_CHARS {
        let further = f64::from(signals.repeats - 1) * FURTHER_REPEAT_WEIGHT;
        let weight = (FIRST_REPEAT_WEIGHT + further).min(MAX_REPEAT_WEIGHT);
        let detail = format!(
            "the same text was posted {} {} recently",
            signals.repeats,
            plural(signals.repeats as usize, "time")
        );
        add("repeated", detail, weight);
    }
    reasons
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        noun.to_owned()
    } else {
        format!("{noun}s")
    }
}
