//! Whatever a person types into search: parsed into stems, and a result's
//! snippet cut and highlighted around them. Input: the query, then U+0001,
//! then the text of a post (the query itself when there is none).
#![no_main]

use hearth_core::text::search::{Language, MAX_QUERY_TERMS, Query, index_terms, snippet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let (typed, text) = input.split_once('\u{1}').unwrap_or((input, input));
    let language = Language::ALL[typed.len() % Language::ALL.len()];
    assert_eq!(Language::parse(language.as_str()), Some(language));
    let _ = Language::parse(typed);

    let terms = index_terms(text, language);
    assert!(
        terms.chars().all(|c| c.is_alphanumeric() || c == ' '),
        "index terms must be safe in both backends' query syntax: {terms:?}"
    );

    let Some(query) = Query::parse(typed, language) else {
        return;
    };
    assert!(!query.stems.is_empty() && query.stems.len() <= MAX_QUERY_TERMS);
    for stem in &query.stems {
        assert!(
            !stem.is_empty() && stem.chars().all(char::is_alphanumeric),
            "{stem:?}"
        );
    }
    let max_chars = text.len() % 300;
    let html = snippet(text, &query, language, max_chars);
    let plain = html.replace("<mark>", "").replace("</mark>", "");
    assert!(
        !plain.contains('<') && !plain.contains('>'),
        "unescaped snippet {html:?}"
    );
});
