//! Personal details a member is about to make public under their alias:
//! email addresses, phone numbers, postal addresses and postcodes, dates of
//! birth, health and identity numbers (checksum-validated where the number
//! has a checksum), hospital or record numbers, links to personal
//! social-media profiles, and full names given in a self-introduction. Cues
//! are understood in English, German and French.
//!
//! The guard only warns; the member decides. Members of a cancer forum write
//! about doses, counts, dates, wards and cycles all day, and a warning on
//! every blood result would teach them to click past it. So the detectors
//! err toward missing a detail in ordinary health talk rather than crying
//! wolf: bare numbers need a shape that only a phone number or a checksummed
//! identifier has, or a context word such as "hospital number" or "born on";
//! a year, an appointment date or a ward number alone is never reported.

mod address;
mod birth;
mod contact;
mod evaluate;
mod ids;
mod names;
#[cfg(test)]
mod tests;

use regex::Regex;
use serde::Serialize;

pub use evaluate::{Evaluation, evaluate};

/// What kind of personal detail a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DetailKind {
    Email,
    Phone,
    PostalAddress,
    DateOfBirth,
    NationalId,
    RecordNumber,
    SocialProfile,
    FullName,
}

impl DetailKind {
    const ALL: [DetailKind; 8] = [
        DetailKind::Email,
        DetailKind::Phone,
        DetailKind::PostalAddress,
        DetailKind::DateOfBirth,
        DetailKind::NationalId,
        DetailKind::RecordNumber,
        DetailKind::SocialProfile,
        DetailKind::FullName,
    ];

    /// The stable name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            DetailKind::Email => "email",
            DetailKind::Phone => "phone",
            DetailKind::PostalAddress => "postal_address",
            DetailKind::DateOfBirth => "date_of_birth",
            DetailKind::NationalId => "national_id",
            DetailKind::RecordNumber => "record_number",
            DetailKind::SocialProfile => "social_profile",
            DetailKind::FullName => "full_name",
        }
    }

    /// A short noun phrase for the warning.
    pub fn label(self) -> &'static str {
        match self {
            DetailKind::Email => "email address",
            DetailKind::Phone => "phone number",
            DetailKind::PostalAddress => "postal address",
            DetailKind::DateOfBirth => "date of birth",
            DetailKind::NationalId => "health or identity number",
            DetailKind::RecordNumber => "hospital or record number",
            DetailKind::SocialProfile => "social-media profile",
            DetailKind::FullName => "full name",
        }
    }

    /// One sentence in plain words, for a member who may be anxious and not
    /// at home with computers.
    pub fn explain(self) -> &'static str {
        match self {
            DetailKind::Email => {
                "This looks like an email address. Anyone who can read this space could write to you, and it may show your real name."
            }
            DetailKind::Phone => {
                "This looks like a phone number. Anyone who can read this space could use it to contact you."
            }
            DetailKind::PostalAddress => {
                "This looks like a home address or postcode. It could let people find where you live."
            }
            DetailKind::DateOfBirth => {
                "This looks like a date of birth. Together with other details it can be used to identify you or pretend to be you."
            }
            DetailKind::NationalId => {
                "This looks like a health or identity number. It belongs only on forms for your doctor or insurer, never in a public post."
            }
            DetailKind::RecordNumber => {
                "This looks like a hospital or patient number. It links this post to your medical records."
            }
            DetailKind::SocialProfile => {
                "This looks like a link to a personal social-media page. It could show people who you are behind your forum name."
            }
            DetailKind::FullName => {
                "This looks like your full name. Your forum name keeps you private; your real name would not."
            }
        }
    }

    fn parse(name: &str) -> Option<DetailKind> {
        DetailKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One personal detail found in a post.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: DetailKind,
    /// Byte offset of the first byte, on a char boundary.
    pub start: usize,
    /// Byte offset just past the last byte, on a char boundary.
    pub end: usize,
    /// How sure the detector is, 0.0–1.0; only 0.5 and above are returned.
    pub confidence: f32,
    pub text: String,
}

/// Below this a candidate is not worth interrupting a member for.
const REPORT_THRESHOLD: f32 = 0.5;

/// A candidate span before overlaps are settled.
#[derive(Debug, Clone, Copy)]
struct Hit {
    kind: DetailKind,
    start: usize,
    end: usize,
    confidence: f32,
}

/// Every personal detail in `text`, sorted by start and never overlapping.
/// Where two detectors claim overlapping text, the more confident (then the
/// longer) claim wins.
pub fn find(text: &str) -> Vec<Finding> {
    let mut hits = Vec::new();
    contact::find_emails(text, &mut hits);
    contact::find_phones(text, &mut hits);
    contact::find_social_profiles(text, &mut hits);
    address::find_addresses(text, &mut hits);
    birth::find_dates_of_birth(text, &mut hits);
    ids::find_national_ids(text, &mut hits);
    ids::find_record_numbers(text, &mut hits);
    names::find_full_names(text, &mut hits);

    hits.retain(|h| h.confidence >= REPORT_THRESHOLD && h.start < h.end);
    hits.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits {
        if kept
            .iter()
            .all(|k| hit.end <= k.start || k.end <= hit.start)
        {
            kept.push(hit);
        }
    }
    kept.sort_by_key(|h| h.start);
    kept.into_iter()
        .map(|h| Finding {
            kind: h.kind,
            start: h.start,
            end: h.end,
            confidence: h.confidence,
            text: text[h.start..h.end].to_owned(),
        })
        .collect()
}

/// `text` with every finding's span replaced by a plain placeholder. Findings
/// that overlap an earlier one or do not fit `text` are skipped, so a stale
/// list cannot cut a character in half.
pub fn redact(text: &str, findings: &[Finding]) -> String {
    const PLACEHOLDER: &str = "[personal detail removed]";
    let mut spans: Vec<(usize, usize)> = findings.iter().map(|f| (f.start, f.end)).collect();
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in spans {
        if start < last
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            continue;
        }
        out.push_str(&text[last..start]);
        out.push_str(PLACEHOLDER);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The lower-cased text just before `start` and just after `end` (about
/// `reach` bytes each way), for checking context words.
fn context(text: &str, start: usize, end: usize, reach: usize) -> (String, String) {
    let from = floor_boundary(text, start.saturating_sub(reach));
    let to = ceil_boundary(text, end.saturating_add(reach));
    (
        text[from..start].to_lowercase(),
        text[end..to].to_lowercase(),
    )
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The character just before byte `i`, if any.
fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

/// The character at byte `i`, if any.
fn char_at(text: &str, i: usize) -> Option<char> {
    text[i..].chars().next()
}

/// Compiles one of the module's fixed patterns, with `\b` and `\d` made
/// ASCII. A Unicode word boundary sends the regex engine down its slow path
/// on any post with a "€" or an "é" in it (ten times slower here), and every
/// boundary in these patterns sits next to an ASCII letter or digit anyway;
/// ASCII digits are the only ones the checksums can read.
fn pattern(source: &str) -> Regex {
    let source = source.replace(r"\b", r"(?-u:\b)").replace(r"\d", "[0-9]");
    Regex::new(&source).expect("personal-detail patterns are compile-time constants")
}
