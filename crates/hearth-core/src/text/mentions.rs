/// Finds `@alias` mentions, in order, without duplicates. A mention starts at
/// the beginning or after a character that cannot be part of an address, so
/// `jane@example.org` mentions nobody.
pub fn mentioned_aliases(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (_, name) in mention_spans(text) {
        if !found.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            found.push(name.to_owned());
        }
    }
    found
}

/// Byte offset of each `@` and the alias after it.
pub(crate) fn mention_spans(text: &str) -> Vec<(usize, &str)> {
    let mut spans = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c == '@'
            && !prev.is_some_and(|p| p.is_alphanumeric() || matches!(p, '.' | '_' | '-' | '@'))
        {
            let rest = &text[i + 1..];
            let len: usize = rest
                .char_indices()
                .take_while(|&(_, c)| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .map(|(j, c)| j + c.len_utf8())
                .last()
                .unwrap_or(0);
            let name = rest[..len].trim_end_matches(['.', '-', '_']);
            if name.chars().count() >= 3 && name.chars().next().is_some_and(char::is_alphanumeric) {
                spans.push((i, name));
            }
        }
        prev = Some(c);
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mentions_but_not_addresses() {
        assert_eq!(
            mentioned_aliases(
                "Thanks @NurseAnna and @rose. Mail jane@example.org, @NurseAnna again"
            ),
            vec!["NurseAnna", "rose"]
        );
        assert!(mentioned_aliases("@ab is too short").is_empty());
    }
}
