//! A member's Markdown, rendered and sanitized: never a panic, never markup
//! that could run script, the same HTML every time; and the helpers that read
//! the same text (excerpts, quotes, mentions).
#![no_main]

use hearth_core::text::{
    clean_text, mentioned_aliases, quote_for_reply, render_markdown, to_plain_excerpt,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|source: &str| {
    // Bodies are cleaned before they are stored or rendered; render both.
    let cleaned = clean_text(source);
    assert!(
        cleaned
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\t'),
        "clean_text left a control character"
    );
    assert_eq!(
        clean_text(&cleaned),
        cleaned,
        "clean_text is not idempotent"
    );
    for text in [source, cleaned.as_str()] {
        let html = render_markdown(text);
        assert_eq!(html, render_markdown(text), "rendering is not stable");
        assert_safe(&html);
    }

    let max_chars = source.len() % 200;
    let excerpt = to_plain_excerpt(&cleaned, max_chars);
    assert!(
        excerpt.chars().count() <= max_chars.max(1),
        "excerpt of {} chars for a limit of {max_chars}",
        excerpt.chars().count()
    );
    assert!(!excerpt.contains('\n'), "excerpt spans lines");

    let quote = quote_for_reply("rose", &cleaned);
    let (body, blank) = quote.split_at(quote.len() - 1);
    assert_eq!(blank, "\n");
    assert!(
        body.lines().all(|l| l.starts_with('>')),
        "a quoted line escaped the quote: {quote:?}"
    );

    for alias in mentioned_aliases(&cleaned) {
        assert!(alias.chars().count() >= 3, "{alias:?}");
        assert!(cleaned.contains(&format!("@{alias}")), "{alias:?}");
    }
});

/// Every tag left is one ammonia allows, no attribute is an event handler or
/// a style, and every address is relative or http(s)/mailto. Text cannot
/// hold a raw `<` (it is escaped), so each `<` starts a tag.
fn assert_safe(html: &str) {
    const FORBIDDEN: [&str; 12] = [
        "script", "style", "iframe", "object", "embed", "form", "input", "svg", "math", "link",
        "meta", "base",
    ];
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let close = rest[open..]
            .find('>')
            .unwrap_or_else(|| panic!("unclosed tag in {html:?}"));
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let tag = tag.strip_prefix('/').unwrap_or(tag).trim_end_matches('/');
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        let name = name.to_ascii_lowercase();
        assert!(
            !FORBIDDEN.contains(&name.as_str()),
            "<{name}> survived in {html:?}"
        );
        while let Some((key, after)) = attrs.trim_start().split_once("=\"") {
            let (value, after) = after
                .split_once('"')
                .unwrap_or_else(|| panic!("unquoted attribute in {html:?}"));
            let key = key.trim().to_ascii_lowercase();
            assert!(
                !key.starts_with("on")
                    && key != "style"
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "attribute {key} survived in {html:?}"
            );
            if matches!(key.as_str(), "href" | "src" | "cite")
                && let Some(scheme) = scheme(value)
            {
                assert!(
                    matches!(scheme.as_str(), "http" | "https" | "mailto"),
                    "{key}={value:?} survived in {html:?}"
                );
            }
            attrs = after;
        }
    }
}

/// The scheme a browser reads in an attribute value, if any: the value is
/// unescaped, leading controls and spaces are skipped and tabs and newlines
/// dropped (WHATWG URL), then a scheme is a letter followed by letters,
/// digits, `+`, `-` or `.`, up to a colon.
fn scheme(value: &str) -> Option<String> {
    let value = value
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    let url: String = value
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, _) = url.split_once(':')?;
    let mut chars = scheme.chars();
    (chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_ascii_lowercase())
}
