//! Ways to reach a member: email addresses, phone numbers and social-media
//! profiles.

use std::ops::RangeInclusive;
use std::sync::LazyLock;

use regex::Regex;

use super::{DetailKind, Hit, char_at, char_before, context, pattern};

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)[\w%+\-][\w.%+\-]*@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,24}\b",
    )
});

pub(super) fn find_emails(text: &str, hits: &mut Vec<Hit>) {
    for m in EMAIL.find_iter(text) {
        // `@jo@example.social` is a fediverse handle, reported as a profile.
        if char_before(text, m.start()) == Some('@') {
            continue;
        }
        hits.push(Hit {
            kind: DetailKind::Email,
            start: m.start(),
            end: m.end(),
            confidence: 0.95,
        });
    }
}

/// A run of digits with the separators people put in phone numbers: single
/// spaces, dots, dashes, one slash, brackets round a group, a leading `+`.
static PHONE_CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"(?:\+[ \u{a0}]?)?\(?\d(?:[\d()]|[ \u{a0}]?[./\-][ \u{a0}]?[\d(]|[ \u{a0}][\d(])*")
});

/// Words that say "what follows is how to reach me".
static REACH_ME: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?x)\b(?:call|ring|phone|mobile|mob|cell|tel|telephone|landline|text|dial|whatsapp|signal|number|reach|contact
          |nummer|handy|telefon|festnetz|anrufen|ruf|erreich\w*|mobil
          |appel\w*|portable|fixe|numéro|joindre|tél|téléphone)\b",
    )
});

/// Words that say "this number is a reference, not a line": a lot or trial
/// number is not the member's phone even if it has the right length, and an
/// NHS or insurance number is reported as what it is.
static NOT_A_LINE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?x)\b(?:lot|batch|ref|reference|order|invoice|trial|isbn|serial|page|code|tracking|version
          |charge|chargennummer|bestellnummer|aktenzeichen|seite|référence|commande|facture
          |nhs|chi|ssn|mrn|versicherten\w*|kvnr|sécu|nir)\b\W*(?:\w+\W+){0,5}$",
    )
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Adjacent,
    Space,
    Dot,
    Dash,
    Slash,
}

#[derive(Debug)]
struct Group<'a> {
    digits: &'a str,
    bracketed: bool,
    sep_before: Sep,
    /// Byte offset in the whole text just past this group (and its `)`).
    end: usize,
}

pub(super) fn find_phones(text: &str, hits: &mut Vec<Hit>) {
    for m in PHONE_CANDIDATE.find_iter(text) {
        // No phone number anywhere has fewer than eight digits; most numbers
        // in a post are doses and counts, so this check does most of the work.
        let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
        if digits < 8 || !clear_on_the_left(text, m.start()) {
            continue;
        }
        let (plus, groups) = split_groups(m.as_str(), m.start());
        // The candidate may have swallowed a count or a year after the
        // number ("ring 07911 123456 2 times"); try shorter readings.
        let shortest = groups.len().saturating_sub(2).max(1);
        for n in (shortest..=groups.len()).rev() {
            let groups = &groups[..n];
            let Some(last) = groups.last() else { break };
            if !clear_on_the_right(text, last.end) {
                continue;
            }
            let Some(base) = judge(plus, groups) else {
                continue;
            };
            let start = m.start();
            let end = last.end;
            let (before, _) = context(text, start, end, 40);
            let mut confidence = base;
            if REACH_ME.is_match(&before) {
                confidence += 0.1;
            }
            if NOT_A_LINE.is_match(&before) {
                confidence -= 0.3;
            }
            hits.push(Hit {
                kind: DetailKind::Phone,
                start,
                end,
                confidence: confidence.min(0.95),
            });
            break;
        }
    }
}

/// A phone number does not continue a word, a decimal or a price.
fn clear_on_the_left(text: &str, start: usize) -> bool {
    let before = text[..start].trim_end_matches([' ', '\u{a0}']);
    match before.chars().next_back() {
        None => true,
        Some(c) if c.is_alphanumeric() && before.len() == start => false,
        Some('£' | '€' | '$' | '¥' | '#') => false,
        Some('.' | ',' | '-' | '/' | ':' | '^') if before.len() == start => !before
            [..before.len() - 1]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_digit()),
        _ => true,
    }
}

/// Nor does it run on into a unit ("20mg"), a percentage, a time or a
/// decimal.
fn clear_on_the_right(text: &str, end: usize) -> bool {
    match char_at(text, end) {
        None => true,
        Some(c) if c.is_alphanumeric() || c == '%' || c == '€' => false,
        Some(':' | ',' | '.' | '^' | '/' | '-') => !text[end + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit()),
        _ => {
            // "1.200 €" or "12 mg": a number followed by a unit is a measure.
            let rest = text[end..].trim_start_matches([' ', '\u{a0}']);
            !UNIT_AFTER.is_match(rest)
        }
    }
}

static UNIT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"^(?i:€|%|mg\b|mcg\b|µg\b|g\b|kg\b|ml\b|l\b|mmol\b|gy\b|units?\b|iu\b|cm\b|mm\b|uhr\b|h\b|x\b)",
    )
});

/// Splits a candidate into its digit groups. `offset` is where the candidate
/// starts in the whole text.
fn split_groups(candidate: &str, offset: usize) -> (bool, Vec<Group<'_>>) {
    let mut groups = Vec::new();
    let mut plus = false;
    let mut sep = Sep::Adjacent;
    let mut bracketed = false;
    let mut digits_from: Option<usize> = None;
    let bytes = candidate.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            digits_from.get_or_insert(i);
            i += 1;
            continue;
        }
        if let Some(from) = digits_from.take() {
            let closes = b == b')' && bracketed;
            let end = if closes { i + 1 } else { i };
            groups.push(Group {
                digits: &candidate[from..i],
                bracketed: closes,
                sep_before: sep,
                end: offset + end,
            });
            sep = Sep::Adjacent;
            if closes {
                bracketed = false;
                i += 1;
                continue;
            }
        }
        match b {
            b'+' if groups.is_empty() => plus = true,
            b'(' => bracketed = true,
            b'.' => sep = Sep::Dot,
            b'-' => sep = Sep::Dash,
            b'/' => sep = Sep::Slash,
            b' ' if sep == Sep::Adjacent && !groups.is_empty() => sep = Sep::Space,
            _ => {} // a stray `)`, or the no-break space's second byte
        }
        if b == 0xc2 && bytes.get(i + 1) == Some(&0xa0) && sep == Sep::Adjacent {
            sep = Sep::Space;
        }
        i += 1;
    }
    if let Some(from) = digits_from {
        groups.push(Group {
            digits: &candidate[from..],
            bracketed: false,
            sep_before: sep,
            end: offset + candidate.len(),
        });
    }
    (plus, groups)
}

/// The base confidence that these groups spell a phone number, or `None`.
fn judge(plus: bool, groups: &[Group<'_>]) -> Option<f32> {
    if !separators_agree(groups) {
        return None;
    }
    // A "(0)" after the country code is the trunk prefix, dialled only at home.
    let kept: Vec<&Group<'_>> = groups
        .iter()
        .enumerate()
        .filter(|(i, g)| !(plus && *i > 0 && g.bracketed && g.digits == "0"))
        .map(|(_, g)| g)
        .collect();
    let digits: String = kept.iter().map(|g| g.digits).collect();
    let separated = kept.len() > 1;
    let first = kept.first()?.digits;

    if plus || digits.starts_with("00") {
        let international = digits.strip_prefix("00").unwrap_or(&digits);
        if !short_groups_ok(&kept, 2) {
            return None;
        }
        return country_fits(international).then_some(if plus { 0.85 } else { 0.75 });
    }
    if digits.starts_with('0') {
        // UK, Ireland, Germany and France all dial at home with a 0 trunk
        // prefix: 9 to 12 digits in all.
        if !(9..=12).contains(&digits.len()) || !short_groups_ok(&kept, 1) {
            return None;
        }
        // "0 800 940 939" (France) sets the trunk 0 apart; otherwise the
        // first group is the area code with its 0.
        if separated && first.len() > 6 {
            return None;
        }
        return Some(if separated { 0.75 } else { 0.6 });
    }
    north_american(&kept)
}

/// One style of separator per number, except that a bracketed area code or a
/// single slash after it may sit beside spaces. A dot beside a space is a
/// list of decimals, never a phone number.
fn separators_agree(groups: &[Group<'_>]) -> bool {
    let seps = || groups.iter().skip(1).map(|g| g.sep_before);
    let has = |s: Sep| seps().any(|x| x == s);
    let punct = [Sep::Dot, Sep::Dash, Sep::Slash]
        .into_iter()
        .filter(|s| has(*s))
        .count();
    punct <= 1
        && seps().filter(|s| *s == Sep::Slash).count() <= 1
        && !(has(Sep::Dot) && has(Sep::Space))
}

/// Single digits are decimals and counts, not parts of a phone number,
/// except in the first `allowed_from` groups ("+33 6 12 34 56 78") and in a
/// German extension after a dash ("0228 72990-0").
fn short_groups_ok(groups: &[&Group<'_>], allowed_from: usize) -> bool {
    let last = groups.len().saturating_sub(1);
    groups
        .iter()
        .enumerate()
        .skip(allowed_from)
        .all(|(i, g)| g.digits.len() >= 2 || (i == last && i > 1 && g.sep_before == Sep::Dash))
}

/// National lengths (after the country code, trunk 0 dropped) for the
/// countries members mostly write from.
const NATIONAL_LENGTHS: [(&str, RangeInclusive<usize>); 5] = [
    ("1", 10..=10),
    ("44", 9..=10),
    ("353", 7..=9),
    ("49", 6..=12),
    ("33", 9..=9),
];

/// Whether an international number (without `+`) has a plausible length for
/// its country code; other codes need only E.164's 8 to 15 digits.
fn country_fits(digits: &str) -> bool {
    if !(8..=15).contains(&digits.len()) {
        return false;
    }
    for (code, lengths) in NATIONAL_LENGTHS {
        let Some(rest) = digits.strip_prefix(code) else {
            continue;
        };
        if code == "1" {
            return lengths.contains(&rest.len()) && !rest.starts_with(['0', '1']);
        }
        // "+44 07700…" is a common slip; the 0 is not dialled.
        let rest = rest.strip_prefix('0').unwrap_or(rest);
        return lengths.contains(&rest.len());
    }
    true
}

/// US and Canadian numbers: 3-3-4, an optional leading 1, an area code not
/// starting with 0 or 1. (Exchanges cannot either, but members copy the
/// "555-123-4567" shape of example numbers when they give their own.)
fn north_american(groups: &[&Group<'_>]) -> Option<f32> {
    let groups = match groups {
        [one, rest @ ..] if one.digits == "1" && rest.len() == 3 => rest,
        _ => groups,
    };
    let [area, exchange, line] = groups else {
        return None;
    };
    let shape_ok = area.digits.len() == 3 && exchange.digits.len() == 3 && line.digits.len() == 4;
    if !shape_ok || area.digits.starts_with(['0', '1']) {
        return None;
    }
    let punctuated = area.bracketed
        || matches!(exchange.sep_before, Sep::Dash | Sep::Dot)
        || matches!(line.sep_before, Sep::Dash | Sep::Dot);
    Some(if punctuated { 0.8 } else { 0.6 })
}

static PROFILE_LINK: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)(?:https?://)?(?:(?:www|m|mobile|[a-z]{2})\.)?(facebook\.com|fb\.com|instagram\.com|twitter\.com|x\.com|tiktok\.com|linkedin\.com|youtube\.com|threads\.net|bsky\.app)/([^\s<>()\[\]{}\x22']+)",
    )
});

/// `@name@server.example`, a fediverse (Mastodon) handle.
static FEDIVERSE_HANDLE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"@[A-Za-z0-9_]{1,30}@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b",
    )
});

/// `https://server.example/@name`, a fediverse profile link.
static FEDIVERSE_LINK: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)https?://[a-z0-9.\-]+\.[a-z]{2,24}/@[A-Za-z0-9_]{1,30}\b"));

/// A bare `@name` is usually a mention of another alias here; only next to
/// the name of a platform is it a handle somewhere else.
static BARE_HANDLE: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"@[A-Za-z0-9_][A-Za-z0-9_.]{1,29}"));

static PLATFORM: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"\b(?:instagram|insta|twitter|tiktok|threads|bluesky|bsky|youtube|mastodon|facebook|snapchat)\b",
    )
});

pub(super) fn find_social_profiles(text: &str, hits: &mut Vec<Hit>) {
    for caps in PROFILE_LINK.captures_iter(text) {
        let (Some(whole), Some(site), Some(path)) = (caps.get(0), caps.get(1), caps.get(2)) else {
            continue;
        };
        if !link_starts_cleanly(text, whole.start())
            || !is_personal_path(site.as_str(), path.as_str())
        {
            continue;
        }
        let end = whole.start() + trim_url_end(whole.as_str()).len();
        hits.push(profile(whole.start(), end, 0.9));
    }
    for m in FEDIVERSE_HANDLE.find_iter(text) {
        if link_starts_cleanly(text, m.start()) {
            hits.push(profile(m.start(), m.end(), 0.9));
        }
    }
    for m in FEDIVERSE_LINK.find_iter(text) {
        hits.push(profile(m.start(), m.end(), 0.8));
    }
    for m in BARE_HANDLE.find_iter(text) {
        if !link_starts_cleanly(text, m.start()) || char_at(text, m.end()) == Some('@') {
            continue;
        }
        let end = m.start() + trim_url_end(m.as_str()).len();
        let (before, after) = context(text, m.start(), end, 30);
        if PLATFORM.is_match(&before) || PLATFORM.is_match(&after) {
            hits.push(profile(m.start(), end, 0.7));
        }
    }
}

fn profile(start: usize, end: usize, confidence: f32) -> Hit {
    Hit {
        kind: DetailKind::SocialProfile,
        start,
        end,
        confidence,
    }
}

/// `fedex.com/…` must not read as `x.com/…`, nor `jo@x.social` as a handle.
fn link_starts_cleanly(text: &str, start: usize) -> bool {
    !char_before(text, start)
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | '/'))
}

fn trim_url_end(url: &str) -> &str {
    url.trim_end_matches(['.', ',', ';', ':', '!', '?', ')'])
}

/// Whether a path on a social site leads to one person's profile (or
/// their posts) rather than a group, a search or a share button.
fn is_personal_path(site: &str, path: &str) -> bool {
    let site = site.to_ascii_lowercase();
    let path = trim_url_end(path);
    let first = path
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .to_lowercase();
    if first.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
        return false;
    }
    match site.as_str() {
        "facebook.com" | "fb.com" => !matches!(
            first.as_str(),
            "groups"
                | "events"
                | "pages"
                | "hashtag"
                | "sharer"
                | "sharer.php"
                | "share"
                | "watch"
                | "help"
                | "policies"
                | "privacy"
                | "login"
                | "marketplace"
                | "gaming"
                | "business"
        ),
        "instagram.com" => !matches!(
            first.as_str(),
            "p" | "reel" | "reels" | "tv" | "explore" | "accounts" | "about" | "legal" | "direct"
        ),
        "twitter.com" | "x.com" => !matches!(
            first.as_str(),
            "i" | "home"
                | "search"
                | "explore"
                | "intent"
                | "hashtag"
                | "settings"
                | "share"
                | "notifications"
                | "messages"
                | "tos"
                | "privacy"
        ),
        "linkedin.com" => {
            (first == "in" || first == "pub")
                && path.split('/').nth(1).is_some_and(|s| s.len() >= 2)
        }
        "bsky.app" => first == "profile",
        // tiktok.com, youtube.com, threads.net: people are `@name`.
        _ => first.starts_with('@'),
    }
}
