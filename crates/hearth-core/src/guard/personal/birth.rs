//! Dates of birth. A full date is everyday talk on a cancer forum (scans,
//! appointments, cycles), so only a date with a year that sits right after a
//! birth cue ("born on", "DOB", "geboren am", "née le") or right before
//! "geboren" is reported. A birth year alone is not.

use std::sync::LazyLock;

use regex::Regex;

use super::{DetailKind, Hit, context, pattern};

const MONTHS: &str = "january|february|march|april|may|june|july|august|september|october|november|december\
    |jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec\
    |januar|jänner|februar|märz|maerz|mai|juni|juli|oktober|dezember\
    |janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre";

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"(?ix)
        \b\d{{1,2}}[./\-]\d{{1,2}}[./\-](?:\d{{4}}|\d{{2}})\b
        | \b\d{{4}}-\d{{2}}-\d{{2}}\b
        | \b(?:1er|\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?:of\s+)?(?:{MONTHS})\.?,?\s+\d{{4}}\b
        | \b(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
    ))
});

/// A birth cue ending just before the date (matched on lower-cased text).
static CUE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?x)
        (?: \bborn(?:\s+on)?
          | \bd\.?o\.?b\.?
          | \bdate\s+of\s+birth(?:\s+is)?
          | \bbirth\s?date(?:\s+is)?
          | \bbirthday\s+is
          | \bgeboren(?:\s+am)?
          | \bgeb\.(?:-?datum)?
          | \bgeburtsdatum(?:\s+ist)?
          | \bgeburtstag\s+ist(?:\s+am)?
          | \bnée?(?:\(e\))?(?:\s+le)?
          | \bdate\s+de\s+naissance(?:\s+est)?(?:\s+le)?
          | \bddn )
        \s*[:(\-–,]?\s*(?:the\s+)?$",
    )
});

/// German puts the verb last: "am 17. Juni 1965 geboren".
static CUE_AFTER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"^\s*(?:geboren|zur\s+welt\s+gekommen)\b"));

pub(super) fn find_dates_of_birth(text: &str, hits: &mut Vec<Hit>) {
    for m in DATE.find_iter(text) {
        let (before, after) = context(text, m.start(), m.end(), 40);
        let confidence = if CUE_BEFORE.is_match(&before) {
            0.9
        } else if CUE_AFTER.is_match(&after) {
            0.85
        } else {
            continue;
        };
        hits.push(Hit {
            kind: DetailKind::DateOfBirth,
            start: m.start(),
            end: m.end(),
            confidence,
        });
    }
}
