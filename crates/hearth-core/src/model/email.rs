use std::fmt;

/// An email address, kept in a normalised form (trimmed, domain lower-cased)
/// so that the blind index finds the same account however it is typed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter an email address, like name@example.org.")]
    Malformed,
    #[error("That email address is too long.")]
    TooLong,
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let email = input.trim();
        if email.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = email.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@');
        if !domain_ok || !local_ok {
            return Err(EmailError::Malformed);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for look-up: addresses differing only in case are one.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }

    /// Rebuilds an address that was parsed before it was sealed.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

/// Addresses are personal details: keep them out of logs by accident.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_domain_case_and_whitespace() {
        let e = Email::parse("  Jane.Doe@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "Jane.Doe@example.org");
        assert_eq!(e.folded(), "jane.doe@example.org");
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "jane",
            "@example.org",
            "jane@",
            "jane@example",
            "ja ne@example.org",
            "jane@ex..org",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Malformed), "{bad}");
        }
    }

    #[test]
    fn debug_output_hides_the_address() {
        let e = Email::parse("jane@example.org").unwrap();
        assert!(!format!("{e:?}").contains("jane"));
    }
}
