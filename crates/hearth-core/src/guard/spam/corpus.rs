//! The labelled corpus format and the honest measure of the filter on it.
//!
//! One document a line: `ham<TAB>text` or `spam<TAB>text`. Blank lines and
//! lines starting with `#` are comments; a line without a known label is
//! skipped, so a corpus edited by hand never stops a server from starting.

use super::{Action, Label, Signals, SpamModel, judge};

/// Every `n`th document goes to the held-out part; the rest trains.
const HELD_OUT_EVERY: usize = 5;

/// Each document's label and text, in order.
pub(super) fn documents(labelled: &str) -> impl Iterator<Item = (Label, &str)> {
    document_lines(labelled).map(|(_, label, text)| (label, text))
}

fn document_lines(labelled: &str) -> impl Iterator<Item = (&str, Label, &str)> {
    labelled.lines().filter_map(|line| {
        let line = line.trim_end_matches('\r');
        if line.trim_start().starts_with('#') {
            return None;
        }
        let (label, text) = line.split_once('\t')?;
        let label = match label.trim() {
            "ham" => Label::Ham,
            "spam" => Label::Spam,
            _ => return None,
        };
        (!text.trim().is_empty()).then_some((line, label, text))
    })
}

/// Splits a corpus into a training part (four documents in five) and a
/// held-out part (every fifth document), both in corpus format. Deterministic;
/// since every stretch of the corpus gives up its fifth, each label and each
/// language is held out in proportion.
pub fn split(labelled: &str) -> (String, String) {
    let mut training = String::new();
    let mut held_out = String::new();
    for (index, (line, ..)) in document_lines(labelled).enumerate() {
        let part = if index % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 {
            &mut held_out
        } else {
            &mut training
        };
        part.push_str(line);
        part.push('\n');
    }
    (training, held_out)
}

/// How a model's verdicts compare with a corpus's labels. "Positive" means the
/// filter would not let the post straight through: [`judge`] with default
/// [`Signals`] (the text alone, links included, no behaviour known) says hold
/// or reject. That is what a moderator experiences, so it is what we measure.
pub use crate::guard::Evaluation;

/// Judges every document of a corpus with `model` and counts the outcomes.
pub fn evaluate(model: &SpamModel, labelled: &str) -> Evaluation {
    let signals = Signals::default();
    let mut evaluation = Evaluation::default();
    for (label, text) in documents(labelled) {
        let stopped = judge(model, text, &signals).action != Action::Allow;
        let count = match (label, stopped) {
            (Label::Spam, true) => &mut evaluation.true_positives,
            (Label::Ham, true) => &mut evaluation.false_positives,
            (Label::Spam, false) => &mut evaluation.false_negatives,
            (Label::Ham, false) => &mut evaluation.true_negatives,
        };
        *count += 1;
    }
    evaluation
}
