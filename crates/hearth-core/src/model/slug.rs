use std::fmt;

/// The URL name of a space: lower-case letters, digits and hyphens.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slug(String);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("A web address name needs 2 to 60 characters: lower-case letters, digits and hyphens.")]
    Invalid,
}

impl Slug {
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let s = input.trim();
        let ok = (2..=60).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(SlugError::Invalid)
        }
    }

    /// Suggests a slug from a name: "Living with Cancer" → "living-with-cancer".
    pub fn suggest(name: &str) -> Option<Self> {
        let mut out = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let trimmed: String = out.trim_end_matches('-').chars().take(60).collect();
        Self::parse(trimmed.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_from_names() {
        assert_eq!(
            Slug::suggest("Living with Cancer!").unwrap().as_str(),
            "living-with-cancer"
        );
        assert_eq!(
            Slug::suggest("  Ask a Nurse  ").unwrap().as_str(),
            "ask-a-nurse"
        );
        assert!(Slug::suggest("!!").is_none());
    }

    #[test]
    fn refuses_bad_slugs() {
        for bad in ["A", "Upper", "with space", "-lead", "trail-", "ü"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
