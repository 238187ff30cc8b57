//! Scores the guard against labelled sentences, so the unit tests and the
//! benchmark count hits and misses the same way.
//!
//! The labelled format is one sentence a line, `<kinds>\t<sentence>`, where
//! `<kinds>` is `none` or a comma list of [`DetailKind::as_str`] names; blank
//! lines and lines starting with `#` are skipped.

use super::{DetailKind, find};

/// Counts per sentence and kind: a kind labelled and found is a true
/// positive, found but not labelled a false positive, labelled but not found
/// a false negative; a `none` sentence with no findings is a true negative.
pub use crate::guard::Evaluation;

/// Runs [`find`] on every labelled sentence and counts the outcome. A kind
/// name that is not a [`DetailKind`] counts as labelled and never found, so
/// a typo in a corpus shows up as a miss instead of vanishing.
pub fn evaluate(labelled: &str) -> Evaluation {
    let mut score = Evaluation::default();
    for line in labelled_lines(labelled) {
        let found = found_kinds(line.sentence);
        let mut expected_any = false;
        for label in &line.labels {
            expected_any = true;
            match label {
                Some(kind) if found.contains(kind) => score.true_positives += 1,
                _ => score.false_negatives += 1,
            }
        }
        for kind in &found {
            if !line.labels.contains(&Some(*kind)) {
                score.false_positives += 1;
            }
        }
        if !expected_any && found.is_empty() {
            score.true_negatives += 1;
        }
    }
    score
}

/// One labelled sentence; `None` stands for a kind name not understood.
pub(super) struct LabelledLine<'a> {
    pub(super) labels: Vec<Option<DetailKind>>,
    pub(super) sentence: &'a str,
}

pub(super) fn labelled_lines(labelled: &str) -> impl Iterator<Item = LabelledLine<'_>> {
    labelled
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (kinds, sentence) = line.split_once('\t').unwrap_or(("", line));
            let labels = match kinds.trim() {
                "none" => Vec::new(),
                kinds => kinds
                    .split(',')
                    .map(|k| DetailKind::parse(k.trim()))
                    .collect(),
            };
            LabelledLine { labels, sentence }
        })
}

/// The distinct kinds found in a sentence.
pub(super) fn found_kinds(sentence: &str) -> Vec<DetailKind> {
    let mut kinds: Vec<DetailKind> = find(sentence).into_iter().map(|f| f.kind).collect();
    kinds.sort_by_key(|k| k.as_str());
    kinds.dedup();
    kinds
}
