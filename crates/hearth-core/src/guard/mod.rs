//! The checks every post passes through before it is stored, whatever door it
//! came in by: personal details, spam, watched words and crisis phrases. Each
//! is pure and fast; the services decide what a finding means for a post.

pub mod crisis;
pub mod personal;
pub mod spam;
pub mod words;

/// How a check's verdicts compare with labelled examples, shared by the
/// personal-detail guard and the spam filter (their tests and the benchmark).
/// Each check says what it counts as a positive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Evaluation {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub true_negatives: usize,
}

impl Evaluation {
    /// Of what was reported, the share that was right (1.0 when nothing was).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Of what was there, the share that was reported (1.0 when nothing was).
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}
