/// A new password as a person chose it. Only its length is checked: long
/// passphrases beat composition rules (NIST SP 800-63B).
pub struct Password(String);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("A password needs at least {min} characters; a short sentence works well.", min = Password::MIN_CHARS)]
    TooShort,
    #[error("A password can have at most {max} characters.", max = Password::MAX_CHARS)]
    TooLong,
}

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > Self::MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}
