use std::fmt;

/// The public name a member is known by. Members appear only by alias, so an
/// alias must never be, or smuggle in, an email address or a phone number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Alias(String);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AliasError {
    #[error("An alias needs at least {min} characters.", min = Alias::MIN_CHARS)]
    TooShort,
    #[error("An alias can have at most {max} characters.", max = Alias::MAX_CHARS)]
    TooLong,
    #[error(
        "An alias may use letters, digits, and . _ - only, and must start with a letter or digit."
    )]
    BadCharacters,
    #[error("An alias must not be an email address: choose a nickname that does not identify you.")]
    LooksLikeEmail,
    #[error("An alias must not be a phone number: choose a nickname that does not identify you.")]
    LooksLikePhone,
}

impl Alias {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 30;

    pub fn parse(input: &str) -> Result<Self, AliasError> {
        let alias = input.trim();
        if alias.contains('@') {
            return Err(AliasError::LooksLikeEmail);
        }
        if longest_digit_run(alias) >= 7 {
            return Err(AliasError::LooksLikePhone);
        }
        let chars = alias.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(AliasError::TooShort);
        }
        if chars > Self::MAX_CHARS {
            return Err(AliasError::TooLong);
        }
        let mut it = alias.chars();
        let first_ok = it.next().is_some_and(char::is_alphanumeric);
        let rest_ok = alias
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !first_ok || !rest_ok {
            return Err(AliasError::BadCharacters);
        }
        Ok(Self(alias.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness: "Rose" and "rose" are the same alias.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }

    /// Rebuilds an alias that was parsed before it was stored.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

/// The most digits in a row, where separators people put in phone numbers
/// (`.`, `-`, `_`, spaces, brackets, `+`) do not break the row but letters do.
fn longest_digit_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        if c.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else if !matches!(c, '.' | '-' | '_' | ' ' | '(' | ')' | '+') {
            run = 0;
        }
    }
    longest
}

impl fmt::Display for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_nicknames_in_any_script() {
        for ok in ["Rose", "hope_2024", "j.k-l", "Zoë", "Łucja", "ナース"] {
            assert!(Alias::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_identifying_or_malformed_aliases() {
        assert_eq!(
            Alias::parse("jane@example.org"),
            Err(AliasError::LooksLikeEmail)
        );
        assert_eq!(Alias::parse("07700900123"), Err(AliasError::LooksLikePhone));
        assert_eq!(
            Alias::parse("call-0770-090-0123"),
            Err(AliasError::LooksLikePhone)
        );
        assert_eq!(Alias::parse("ab"), Err(AliasError::TooShort));
        assert_eq!(Alias::parse(&"a".repeat(31)), Err(AliasError::TooLong));
        assert_eq!(Alias::parse("_hidden"), Err(AliasError::BadCharacters));
        assert_eq!(Alias::parse("two words"), Err(AliasError::BadCharacters));
        assert_eq!(Alias::parse("<b>x</b>"), Err(AliasError::BadCharacters));
    }

    #[test]
    fn folding_ignores_case() {
        assert_eq!(
            Alias::parse("Rose").unwrap().folded(),
            Alias::parse("rOSE").unwrap().folded()
        );
    }
}
