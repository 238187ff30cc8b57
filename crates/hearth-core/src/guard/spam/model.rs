//! The text model: for every feature, in how many ordinary (ham) and how many
//! spam documents it was seen, and how many documents of each kind there were.
//! Nothing else is stored, so the whole model is a table a moderator could
//! read, and learning is adding one to a few counters.

use std::collections::HashMap;

use super::corpus::documents;
use super::features::{DOMAIN_PREFIX, EMAIL_FEATURE, PHONE_FEATURE, features};
use super::{Label, Reason};

/// The labelled starter corpus, compiled in so a fresh server filters from its
/// first post.
pub const STARTER_CORPUS: &str = include_str!("../../../corpus/spam/corpus.tsv");

/// Robinson's "strength" of the neutral prior: how many documents' worth of
/// belief that an unfamiliar feature says nothing. At 1, a word seen in one
/// spam and nothing else counts a little (0.75); seen in ten, a lot (0.95).
const PRIOR_STRENGTH: f64 = 1.0;
/// No single feature may be surer than this, so one word never decides alone.
const MAX_FEATURE_PROBABILITY: f64 = 0.99;
/// Features whose evidence is weaker than this (in log-odds; 0.4 ≈ 60 / 40)
/// are left out: they are noise, and they would crowd the explanation.
const MIN_FEATURE_WEIGHT: f64 = 0.4;
/// Only the strongest features count (Graham's "most interesting"): a long
/// post cannot win by sheer length, and the explanation stays short.
const MAX_FEATURES_USED: usize = 15;
/// Bound on the text's total evidence in log-odds (±6 ≈ 0.25 % / 99.75 %).
/// Naive Bayes treats correlated words ("cheap", "pills", "viagra") as
/// independent and grows overconfident; the bound keeps room for the
/// behaviour signals to move a verdict either way.
const MAX_TEXT_WEIGHT: f64 = 6.0;
/// From this many documents on one side, a reason says "common".
const COMMON_DOCUMENTS: u32 = 5;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub ham: u32,
    pub spam: u32,
}

/// Per-feature ham/spam document counts and the ham/spam document totals.
#[derive(Debug, Clone, Default)]
pub struct SpamModel {
    pub(super) counts: HashMap<String, Counts>,
    ham_documents: u32,
    spam_documents: u32,
}

impl SpamModel {
    /// The model trained on the whole starter corpus shipped with Hearth.
    pub fn starter() -> SpamModel {
        SpamModel::train(STARTER_CORPUS)
    }

    /// A model trained on corpus-format text: one document a line,
    /// `ham<TAB>text` or `spam<TAB>text`; blank lines, `#` comments and lines
    /// without a known label are skipped.
    pub fn train(labelled: &str) -> SpamModel {
        let mut model = SpamModel::default();
        for (label, text) in documents(labelled) {
            model.learn(&features(text), label);
        }
        model
    }

    /// Learns one moderated document from its [`features`]. The server stores
    /// the same deltas: +1 per feature on the label's side, +1 document.
    pub fn learn(&mut self, features: &[String], label: Label) {
        let (ham, spam) = match label {
            Label::Ham => (1, 0),
            Label::Spam => (0, 1),
        };
        for feature in features {
            self.add_counts(feature, ham, spam);
        }
        self.add_documents(ham, spam);
    }

    /// Adds persisted per-feature counts (e.g. what moderators taught).
    pub fn add_counts(&mut self, feature: &str, ham: u32, spam: u32) {
        let counts = match self.counts.get_mut(feature) {
            Some(counts) => counts,
            None => self.counts.entry(feature.to_owned()).or_default(),
        };
        counts.ham = counts.ham.saturating_add(ham);
        counts.spam = counts.spam.saturating_add(spam);
    }

    /// Adds persisted document totals.
    pub fn add_documents(&mut self, ham: u32, spam: u32) {
        self.ham_documents = self.ham_documents.saturating_add(ham);
        self.spam_documents = self.spam_documents.saturating_add(spam);
    }

    /// (ham, spam) documents the model has learned from.
    pub fn documents(&self) -> (u32, u32) {
        (self.ham_documents, self.spam_documents)
    }

    /// How likely the text with these features is spam, and the features that
    /// said so, strongest first (at most fifteen). Each reason's weight is its
    /// share of the text's log-odds, so the probability is the logistic of
    /// their sum.
    pub fn spam_probability(&self, features: &[String]) -> (f64, Vec<Reason>) {
        let (weight, evidence) = self.text_evidence(features);
        (
            logistic(weight),
            evidence.iter().map(Evidence::reason).collect(),
        )
    }

    /// The text's total weight in log-odds (within ±[`MAX_TEXT_WEIGHT`]) and
    /// the evidence that makes it up, strongest first. Reasons are worded only
    /// for the evidence a verdict ends up showing.
    pub(super) fn text_evidence<'a, S: AsRef<str>>(
        &self,
        features: &'a [S],
    ) -> (f64, Vec<Evidence<'a>>) {
        // Rates, not raw counts: the corpus and the moderators' decisions need
        // not hold as much spam as ham for a word to be judged fairly.
        let ham_documents = f64::from(self.ham_documents.max(1));
        let spam_documents = f64::from(self.spam_documents.max(1));
        let mut evidence: Vec<Evidence<'a>> = features
            .iter()
            .filter_map(|feature| {
                let feature = feature.as_ref();
                let counts = *self.counts.get(feature)?;
                let seen = f64::from(counts.ham) + f64::from(counts.spam);
                if seen == 0.0 {
                    return None;
                }
                let spam_rate = f64::from(counts.spam) / spam_documents;
                let ham_rate = f64::from(counts.ham) / ham_documents;
                let raw = spam_rate / (spam_rate + ham_rate);
                let smoothed = (PRIOR_STRENGTH * 0.5 + seen * raw) / (PRIOR_STRENGTH + seen);
                let probability =
                    smoothed.clamp(1.0 - MAX_FEATURE_PROBABILITY, MAX_FEATURE_PROBABILITY);
                let weight = (probability / (1.0 - probability)).ln();
                (weight.abs() >= MIN_FEATURE_WEIGHT).then_some(Evidence {
                    feature,
                    counts,
                    weight,
                })
            })
            .collect();
        evidence.sort_by(|a, b| {
            b.weight
                .abs()
                .total_cmp(&a.weight.abs())
                .then_with(|| a.feature.cmp(b.feature))
        });
        evidence.truncate(MAX_FEATURES_USED);

        let total: f64 = evidence.iter().map(|e| e.weight).sum();
        if total.abs() > MAX_TEXT_WEIGHT {
            let scale = MAX_TEXT_WEIGHT / total.abs();
            for e in &mut evidence {
                e.weight *= scale;
            }
            return (total.signum() * MAX_TEXT_WEIGHT, evidence);
        }
        (total, evidence)
    }
}

/// One feature's part in a text's score, before it is worded as a [`Reason`].
pub(super) struct Evidence<'a> {
    feature: &'a str,
    counts: Counts,
    pub weight: f64,
}

impl Evidence<'_> {
    pub(super) fn reason(&self) -> Reason {
        let (feature, counts, weight) = (self.feature, self.counts, self.weight);
        let (side, on_side) = if weight > 0.0 {
            ("spam", counts.spam)
        } else {
            ("ordinary posts", counts.ham)
        };
        // "Common" only when it is; a rare feature is reported as just "seen".
        let how = if on_side >= COMMON_DOCUMENTS {
            "is common in"
        } else {
            "has been seen in"
        };
        let tally = format!("{} spam, {} ordinary posts", counts.spam, counts.ham);
        let (signal, detail) = if let Some(domain) = feature.strip_prefix(DOMAIN_PREFIX) {
            (
                "domain",
                format!("links to {domain}, which {how} {side} ({tally})"),
            )
        } else if feature == PHONE_FEATURE {
            (
                "contact",
                format!("a phone number, which {how} {side} ({tally})"),
            )
        } else if feature == EMAIL_FEATURE {
            (
                "contact",
                format!("an e-mail address, which {how} {side} ({tally})"),
            )
        } else {
            ("words", format!("\"{feature}\" {how} {side} ({tally})"))
        };
        Reason {
            signal,
            detail,
            weight,
        }
    }
}

pub(super) fn logistic(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp())
}
