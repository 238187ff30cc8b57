//! What every composer (new topic, reply, edit) shares beyond its text: the
//! signals the spam filter reads, and the review an author sees before a post
//! with personal details or words of crisis goes out.

use hearth_core::guard::personal::{DetailKind, Finding};
use hearth_core::model::DetailPolicy;
use hearth_core::text::{escape_html, render_markdown};
use serde::Deserialize;

use super::WebError;
use super::page::Errors;
use crate::App;
use crate::error::ServiceError;
use crate::services::safety::{Review, Submission};

/// Hidden fields of every composer.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct SafetyFields {
    /// When the form was first shown (ms); kept across re-renders.
    pub started: String,
    /// The honeypot: hidden from people, filled by bots.
    pub website: String,
    /// "1" when the author chose "Post anyway" after the review.
    pub acknowledge: String,
}

impl SafetyFields {
    pub fn fresh(app: &App) -> Self {
        Self {
            started: app.now().to_string(),
            ..Default::default()
        }
    }

    /// The form as shown again: same start time, not acknowledged.
    pub fn again(&self, app: &App) -> Self {
        Self {
            started: if self.started.is_empty() {
                app.now().to_string()
            } else {
                self.started.clone()
            },
            ..Default::default()
        }
    }

    pub fn submission(&self, app: &App, client: &str) -> Submission {
        let typing_time = self
            .started
            .parse::<i64>()
            .ok()
            .and_then(|started| app.now().checked_sub(started))
            .and_then(|ms| u64::try_from(ms).ok())
            .map(std::time::Duration::from_millis);
        Submission {
            typing_time,
            honeypot_filled: !self.website.trim().is_empty(),
            acknowledged: self.acknowledge == "1",
            client: client.to_owned(),
            imported: false,
        }
    }
}

/// One kind of personal detail found, explained.
pub struct FoundKind {
    pub label: &'static str,
    pub explain: &'static str,
}

/// The review shown above the composer.
pub struct ReviewView {
    /// The text with each finding in a `<mark>`, escaped, as HTML.
    pub marked_body: String,
    pub kinds: Vec<FoundKind>,
    pub in_title: bool,
    /// What "Post anyway" does in this space.
    pub after: &'static str,
    pub crisis: bool,
    pub helplines_html: String,
}

impl ReviewView {
    pub fn has_details(&self) -> bool {
        !self.kinds.is_empty()
    }
}

fn mark(text: &str, findings: &[Finding]) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for f in findings {
        if f.start < at
            || f.end > text.len()
            || !text.is_char_boundary(f.start)
            || !text.is_char_boundary(f.end)
        {
            continue;
        }
        out.push_str(&escape_html(&text[at..f.start]));
        out.push_str(&format!(
            "<mark title=\"{}\">{}</mark>",
            f.kind.label(),
            escape_html(&text[f.start..f.end])
        ));
        at = f.end;
    }
    out.push_str(&escape_html(&text[at..]));
    out
}

pub fn review_view(review: &Review) -> ReviewView {
    let mut seen: Vec<DetailKind> = Vec::new();
    for f in review.findings.iter().chain(&review.title_findings) {
        if !seen.contains(&f.kind) {
            seen.push(f.kind);
        }
    }
    ReviewView {
        marked_body: mark(&review.body, &review.findings),
        kinds: seen
            .into_iter()
            .map(|k| FoundKind {
                label: k.label(),
                explain: k.explain(),
            })
            .collect(),
        in_title: !review.title_findings.is_empty(),
        after: match review.policy {
            DetailPolicy::Warn => "If you post anyway, it will appear as it is.",
            DetailPolicy::Hold => {
                "If you post anyway, a moderator will check it before others can see it."
            }
            DetailPolicy::Redact => {
                "If you post anyway, the highlighted details will be removed from it."
            }
        },
        crisis: review.crisis,
        helplines_html: render_markdown(&review.helplines_md),
    }
}

/// A composer's result: done, fields to fix, or a review to show.
pub enum Composed<T> {
    Done(T),
    Fix(Errors),
    Review(ReviewView),
}

pub fn composed<T>(result: Result<T, ServiceError>) -> Result<Composed<T>, WebError> {
    match result {
        Ok(v) => Ok(Composed::Done(v)),
        Err(ServiceError::Invalid(fields)) => Ok(Composed::Fix(Errors(fields))),
        Err(ServiceError::CheckFirst(review)) => Ok(Composed::Review(review_view(&review))),
        Err(other) => Err(other.into()),
    }
}
