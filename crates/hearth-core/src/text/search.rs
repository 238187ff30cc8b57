//! Words as search sees them. Posts are indexed as stems (Snowball, in the
//! site's language) computed here, and queries are stemmed the same way, so
//! SQLite and PostgreSQL find exactly the same posts; snippets are cut and
//! highlighted here too, from the original text.

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

use super::escape_html;

/// The language whose word endings search folds ("treatments" finds "treatment").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    English,
    German,
    French,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::English, Language::German, Language::French];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::English => "english",
            Language::German => "german",
            Language::French => "french",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        match input.trim().to_lowercase().as_str() {
            "english" | "en" => Some(Language::English),
            "german" | "de" | "deutsch" => Some(Language::German),
            "french" | "fr" | "français" | "francais" => Some(Language::French),
            _ => None,
        }
    }

    /// Words too common to search by: a query of "what are the side effects
    /// of chemo" looks for "side", "effects" and "chemo".
    fn is_stop_word(self, lower: &str) -> bool {
        let list: &[&str] = match self {
            Language::English => &[
                "a", "an", "and", "are", "as", "at", "be", "but", "by", "do", "for", "from", "has",
                "have", "how", "i", "if", "in", "is", "it", "its", "me", "my", "not", "of", "on",
                "or", "so", "that", "the", "their", "there", "this", "to", "was", "we", "what",
                "when", "which", "who", "with", "you",
            ],
            Language::German => &[
                "aber", "als", "am", "an", "auch", "auf", "aus", "bei", "bin", "bis", "das",
                "dass", "dem", "den", "der", "des", "die", "du", "ein", "eine", "einen", "er",
                "es", "für", "hat", "ich", "im", "in", "ist", "mit", "nach", "nicht", "oder",
                "sie", "sind", "und", "von", "was", "wie", "wir", "zu", "zum", "zur",
            ],
            Language::French => &[
                "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "est",
                "et", "il", "je", "la", "le", "les", "leur", "mais", "me", "mes", "mon", "ne",
                "nous", "on", "ou", "par", "pas", "pour", "qui", "que", "sa", "se", "ses", "son",
                "sur", "un", "une", "vous",
            ],
        };
        list.contains(&lower)
    }

    fn stemmer(self) -> Stemmer {
        Stemmer::create(match self {
            Language::English => Algorithm::English,
            Language::German => Algorithm::German,
            Language::French => Algorithm::French,
        })
    }
}

/// Longest word indexed: longer runs are not words people search for.
const MAX_WORD_CHARS: usize = 40;
/// Words a query may hold; the rest are ignored (a pasted page is not a query).
pub const MAX_QUERY_TERMS: usize = 12;

/// The words of a text with their byte spans: letters and digits of any
/// script; everything else separates.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// A word's stem, or None for words search skips (too long, too common).
fn stem(stemmer: &Stemmer, language: Language, word: &str) -> Option<String> {
    if word.chars().count() > MAX_WORD_CHARS {
        return None;
    }
    let lower = word.to_lowercase();
    if language.is_stop_word(&lower) {
        return None;
    }
    Some(stemmer.stem(&lower).into_owned())
}

/// The text as the index stores it: its stems, separated by spaces. Stems
/// hold only letters and digits, so they are safe in either backend's
/// query syntax.
pub fn index_terms(text: &str, language: Language) -> String {
    let stemmer = language.stemmer();
    let mut out = String::with_capacity(text.len());
    for (_, w) in words(text) {
        if let Some(s) = stem(&stemmer, language, w) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&s);
        }
    }
    out
}

/// What a person typed, as stems that must all be present. Quotes, stray
/// operators and symbols are read as word breaks, so anything typed is a
/// valid query; `None` when nothing searchable is left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub stems: Vec<String>,
}

impl Query {
    pub fn parse(input: &str, language: Language) -> Option<Query> {
        let stemmer = language.stemmer();
        let mut stems: Vec<String> = Vec::new();
        for (_, w) in words(input) {
            if let Some(s) = stem(&stemmer, language, w)
                && !stems.contains(&s)
            {
                stems.push(s);
            }
            if stems.len() == MAX_QUERY_TERMS {
                break;
            }
        }
        (!stems.is_empty()).then_some(Query { stems })
    }
}

/// A short piece of `text` around the first matching word, as HTML: escaped,
/// with every matching word in `<mark>`.
pub fn snippet(text: &str, query: &Query, language: Language, max_chars: usize) -> String {
    let stemmer = language.stemmer();
    let hits: Vec<(usize, usize)> = words(text)
        .filter(|(_, w)| stem(&stemmer, language, w).is_some_and(|s| query.stems.contains(&s)))
        .map(|(at, w)| (at, at + w.len()))
        .collect();
    // A window of about max_chars around the first hit, on char boundaries.
    let first = hits.first().map(|h| h.0).unwrap_or(0);
    let before = max_chars / 4;
    let mut start = text[..first]
        .char_indices()
        .rev()
        .nth(before)
        .map(|(i, _)| i)
        .unwrap_or(0);
    // Start at a word boundary when cutting.
    if start > 0 {
        start = text[start..]
            .char_indices()
            .find(|(_, c)| c.is_whitespace())
            .map(|(i, c)| start + i + c.len_utf8())
            .filter(|s| *s <= first)
            .unwrap_or(start);
    }
    let end = text[start..]
        .char_indices()
        .nth(max_chars)
        .map(|(i, _)| start + i)
        .unwrap_or(text.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(s, e) in hits.iter().filter(|(s, e)| *s >= start && *e <= end) {
        out.push_str(&escape_html(&text[at..s]));
        out.push_str("<mark>");
        out.push_str(&escape_html(&text[s..e]));
        out.push_str("</mark>");
        at = e;
    }
    out.push_str(&escape_html(&text[at..end]));
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: a cut at a space of more than one byte (U+2003).
    #[test]
    fn a_snippet_cuts_after_any_kind_of_space() {
        let q = Query::parse("18:00\u{2013}20`01", Language::English).unwrap();
        let html = snippet("T8:uM\u{2003}19:00", &q, Language::English, 13);
        assert!(html.contains("<mark>00</mark>"), "{html}");
        let q = Query::parse("nausea", Language::English).unwrap();
        let text = format!("{}\u{2003}nausea again", "word\u{2003}".repeat(40));
        assert!(snippet(&text, &q, Language::English, 20).contains("<mark>nausea</mark>"));
    }

    #[test]
    fn endings_fold_in_each_language() {
        let q = Query::parse("treatments", Language::English).unwrap();
        assert!(
            index_terms("My treatment starts Monday", Language::English)
                .split(' ')
                .any(|t| q.stems.contains(&t.to_owned()))
        );
        let q = Query::parse("Behandlungen", Language::German).unwrap();
        assert!(
            index_terms("Die Behandlung beginnt", Language::German)
                .split(' ')
                .any(|t| q.stems.contains(&t.to_owned()))
        );
        let q = Query::parse("traitements", Language::French).unwrap();
        assert!(
            index_terms("Mon traitement commence", Language::French)
                .split(' ')
                .any(|t| q.stems.contains(&t.to_owned()))
        );
    }

    #[test]
    fn anything_typed_is_a_query_or_nothing() {
        assert_eq!(
            Query::parse("\"  AND OR ( ) * : -", Language::English),
            None
        );
        assert_eq!(Query::parse("the", Language::English), None);
        assert_eq!(Query::parse("🙂🙂", Language::English), None);
        let q = Query::parse("\"hair loss\" -wig OR", Language::English).unwrap();
        assert_eq!(q.stems, ["hair", "loss", "wig"]);
        let q = Query::parse("What are the side effects of chemo?", Language::English).unwrap();
        assert_eq!(q.stems, ["side", "effect", "chemo"]);
        let long = "word ".repeat(1000);
        assert_eq!(
            Query::parse(&long, Language::English).unwrap().stems.len(),
            1
        );
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(
            Query::parse(&many, Language::English).unwrap().stems.len(),
            MAX_QUERY_TERMS
        );
    }

    #[test]
    fn snippets_are_escaped_and_mark_every_match() {
        let q = Query::parse("scan", Language::English).unwrap();
        let text = "Before my <b>scan</b> I was scared; after the scans I slept.";
        let s = snippet(text, &q, Language::English, 200);
        assert_eq!(
            s,
            "Before my &lt;b&gt;<mark>scan</mark>&lt;/b&gt; I was scared; after the <mark>scans</mark> I slept."
        );
        let long = format!("{} the scan result {}", "a ".repeat(300), "b ".repeat(300));
        let s = snippet(&long, &q, Language::English, 60);
        assert!(s.starts_with('…') && s.ends_with('…'));
        assert!(s.contains("<mark>scan</mark>"));
        assert!(s.chars().count() < 80);
    }
}
