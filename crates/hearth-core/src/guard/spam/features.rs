//! What the model sees of a text. Each feature is a plain string a moderator
//! can read back:
//!
//! - words: lower-cased runs of Unicode letters and digits, 2 to 24
//!   characters, pure numbers left out (dates and doses say nothing about
//!   spam). Words inside links count too: "buy-viagra" in a path is telling.
//! - links as `domain:example.com`, plus the parent domain of a subdomain, so
//!   `xk3.pills.top` and `q9.pills.top` share their evidence;
//! - `has:phone` and `has:email` for contact details, which scams lean on.
//!
//! Word pairs ("no prescription") were tried and measured: on held-out posts
//! they did no better than single words, at twice the features to count and
//! to store. Features are deduplicated (the model counts documents, not
//! repetitions: a word said fifty times weighs what it weighs once) and
//! sorted, so the same text always gives the same list.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// Only the start of a very long post is read: what it is shows long before
/// this, and the cost of a post stays bounded (a form accepts up to 1 MiB).
const MAX_SCANNED_BYTES: usize = 20_000;
/// Shorter tokens are mostly elisions ("l'", "d'") and stray letters.
const MIN_WORD_CHARS: usize = 2;
/// Longer runs are tracking codes, hashes or keyboard mashing: each is unique,
/// so it could never gather evidence, and it would bloat the learned counts.
const MAX_WORD_CHARS: usize = 24;
/// Scheme pieces say nothing; the domain feature speaks for the link.
const LINK_NOISE: [&str; 3] = ["http", "https", "www"];

pub(super) const DOMAIN_PREFIX: &str = "domain:";
pub(super) const PHONE_FEATURE: &str = "has:phone";
pub(super) const EMAIL_FEATURE: &str = "has:email";

/// Top-level domains accepted for a bare `name.tld` written without
/// `http://` or `www.`, and only when written in lower case: without a scheme,
/// "Dr.Smith", "file.txt" or a missing space ("clinic.Me and") must not count
/// as links, so only endings common in links qualify, and none that is also a
/// short English word. Link shorteners are recognised by name as well.
const BARE_TLDS: [&str; 25] = [
    "app", "biz", "cc", "ch", "club", "co", "com", "de", "eu", "fr", "info", "io", "live", "ly",
    "net", "online", "org", "pw", "ru", "shop", "site", "store", "top", "uk", "xyz",
];

/// A host name, optionally after a scheme and `www.`. Whether a match without
/// either is really a link is decided in code (see [`BARE_TLDS`]). ASCII only
/// (`-u`): that keeps the regex on its fastest engine, and internationalised
/// domains are rare in posts.
static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)(?:https?://)?(?:www\.)?(?:[a-z0-9][a-z0-9-]*\.)+[a-z]{2,18}\b")
        .expect("constant regex")
});

/// A phone number: nine or more digits with the usual separators. Dots are not
/// separators here, so dates and times ("10.05.2024 14.30") do not qualify.
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)\+?\(?[0-9][0-9 \-()]{7,20}[0-9]").expect("constant regex"));
const PHONE_MIN_DIGITS: usize = 9;

/// A text as the filter sees it: its features and the host of every link, in
/// order and with repetitions (the link count is a signal of its own).
/// Features borrow from the text where they can (a word already in lower
/// case), so judging a post allocates little.
pub(super) struct Scan<'a> {
    pub features: Vec<Cow<'a, str>>,
    pub links: Vec<String>,
}

/// The distinct features of a text: lower-cased Unicode words, linked domains
/// as `domain:example.com`, and `has:phone` / `has:email`. Sorted and
/// deduplicated, so deterministic.
pub fn features(text: &str) -> Vec<String> {
    scan(text)
        .features
        .into_iter()
        .map(Cow::into_owned)
        .collect()
}

pub(super) fn scan(text: &str) -> Scan<'_> {
    let text = scanned_part(text);
    let mut features: Vec<Cow<str>> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| keep_word(word))
        .map(lower_case)
        .collect();

    let links = links(text, &mut features);
    let digits = |s: &str| s.bytes().filter(u8::is_ascii_digit).count();
    if digits(text) >= PHONE_MIN_DIGITS
        && PHONE
            .find_iter(text)
            .any(|m| digits(m.as_str()) >= PHONE_MIN_DIGITS)
    {
        features.push(Cow::Borrowed(PHONE_FEATURE));
    }

    features.sort_unstable();
    features.dedup();
    Scan { features, links }
}

/// Most words are already in lower case and need no copy; ASCII ones are
/// lowered byte by byte, the rest through Unicode's tables.
fn lower_case(word: &str) -> Cow<'_, str> {
    if word.is_ascii() {
        if word.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(word.to_ascii_lowercase())
        } else {
            Cow::Borrowed(word)
        }
    } else if word.chars().any(char::is_uppercase) {
        Cow::Owned(word.to_lowercase())
    } else {
        Cow::Borrowed(word)
    }
}

fn scanned_part(text: &str) -> &str {
    let mut end = text.len().min(MAX_SCANNED_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn keep_word(word: &str) -> bool {
    let chars = word.chars().count();
    (MIN_WORD_CHARS..=MAX_WORD_CHARS).contains(&chars)
        && !word.chars().all(char::is_numeric)
        && !LINK_NOISE
            .iter()
            .any(|noise| word.eq_ignore_ascii_case(noise))
}

/// Finds the links (pushing their domain features) and e-mail addresses.
fn links(text: &str, features: &mut Vec<Cow<str>>) -> Vec<String> {
    let mut hosts = Vec::new();
    if !might_hold_a_host(text) {
        return hosts;
    }
    for found in HOST.find_iter(text) {
        let before = text[..found.start()].chars().next_back();
        if before == Some('@') {
            features.push(Cow::Borrowed(EMAIL_FEATURE));
            continue;
        }
        if text[found.end()..].starts_with('@') || before.is_some_and(char::is_alphanumeric) {
            continue;
        }
        let (host, explicit) = strip_scheme(found.as_str());
        if !explicit && !bare_host_is_link(host) {
            continue;
        }
        let host = host.to_ascii_lowercase();
        features.push(Cow::Owned(format!("{DOMAIN_PREFIX}{host}")));
        if let Some(parent) = parent_domain(&host) {
            features.push(Cow::Owned(format!("{DOMAIN_PREFIX}{parent}")));
        }
        hosts.push(host);
    }
    hosts
}

/// Cheap test before the regex: a dot between a letter or digit and a letter,
/// as in "example.com". Most posts have none and skip the regex entirely.
fn might_hold_a_host(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[1] == b'.' && w[0].is_ascii_alphanumeric() && w[2].is_ascii_alphabetic())
}

/// The host of a matched link, and whether it was written as a link (with a
/// scheme or `www.`) rather than a bare name.
fn strip_scheme(link: &str) -> (&str, bool) {
    let mut rest = link;
    let mut explicit = false;
    for prefix in ["https://", "http://", "www."] {
        if rest.len() >= prefix.len() && rest[..prefix.len()].eq_ignore_ascii_case(prefix) {
            rest = &rest[prefix.len()..];
            explicit = true;
        }
    }
    (rest, explicit)
}

fn bare_host_is_link(host: &str) -> bool {
    let tld = host.rsplit('.').next().unwrap_or_default();
    let lower = host.to_ascii_lowercase();
    (BARE_TLDS.contains(&tld) || super::SHORTENERS.contains(&lower.as_str()))
        && !tld.bytes().any(|b| b.is_ascii_uppercase())
}

/// `q9.pills.top` → `pills.top`; but `macmillan.org.uk` has no parent worth
/// naming, since `org.uk` is shared by every charity in Britain. A two-label
/// parent counts only when its name is longer than such registry labels.
fn parent_domain(host: &str) -> Option<&str> {
    let (_, parent) = host.split_once('.')?;
    let (name, rest) = parent.split_once('.')?;
    (rest.contains('.') || name.len() > 4).then_some(parent)
}
