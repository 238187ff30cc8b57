/// Text as typed, minus what no person means to write: control characters
/// (NUL would also be refused by PostgreSQL) other than newlines and tabs,
/// with Windows line endings made plain.
pub fn clean_text(input: &str) -> String {
    input
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_controls_but_keeps_lines() {
        assert_eq!(clean_text("a\u{0}b\r\nc\td\u{7f}"), "ab\nc\td");
    }
}
