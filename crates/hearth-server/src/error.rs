//! What can go wrong in a use case, in words a person can act on. Each front
//! door renders it its own way: an HTML page (`web::error`) or
//! `application/problem+json` (`api::problem`).

use hearth_core::access::Decision;
use hearth_store::StoreError;

/// One message about one form field (`field` is the input's name).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input was wrong; each field says why. Nothing was saved.
    #[error("Please correct the highlighted fields.")]
    Invalid(Vec<FieldError>),
    #[error("Please sign in first.")]
    SignInRequired,
    #[error("{0}")]
    Forbidden(String),
    /// Unknown, or not visible to this person (the two look the same on purpose).
    #[error("We could not find that page.")]
    NotFound,
    /// New versions of the terms or privacy statement wait to be accepted.
    #[error("Please read and accept the updated terms and privacy statement first.")]
    TermsPending,
    /// The post may go ahead, but the author should see this first (personal
    /// details, or words that suggest they need help now).
    #[error("Please look at your post again before it goes out.")]
    CheckFirst(Box<crate::services::safety::Review>),
    #[error("Too many attempts. Please wait {retry_after_secs} seconds and try again.")]
    Throttled { retry_after_secs: u64 },
    /// The site has more to do than it can take on just now (see
    /// `overload`); nothing was done, and the same request will work soon.
    #[error("The site is very busy just now. Please try again in a few seconds.")]
    Busy { retry_after_secs: u64 },
    /// A fault on our side; the cause is logged, never shown.
    #[error("Something went wrong on our side. Nothing you typed was lost; please try again.")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldError {
            field,
            message: message.into(),
        }])
    }

    /// The answer to a request shed under load (or that found the database
    /// too busy): try again after `crate::overload::RETRY_AFTER_SECS`.
    pub fn busy() -> Self {
        ServiceError::Busy {
            retry_after_secs: crate::overload::RETRY_AFTER_SECS,
        }
    }

    /// How long to wait before trying again, for the answers that say so
    /// (`Retry-After`).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ServiceError::Throttled { retry_after_secs }
            | ServiceError::Busy { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// Turns an access decision that says no into the matching error.
    pub fn check(decision: Decision) -> ServiceResult<Decision> {
        match decision {
            Decision::Allow | Decision::AllowHeld => Ok(decision),
            Decision::SignIn => Err(ServiceError::SignInRequired),
            Decision::Forbidden(why) => Err(ServiceError::Forbidden(why.into())),
            Decision::Hidden => Err(ServiceError::NotFound),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::Busy(cause) => {
                tracing::warn!(error = %cause, "database busy: answered 503");
                ServiceError::busy()
            }
            other => {
                tracing::error!(error = %other, "store error");
                ServiceError::Internal(other.to_string())
            }
        }
    }
}

/// Collects field errors while a command is parsed, so that a form shows
/// every problem at once.
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// Keeps the value, or records the error under `field`.
    pub fn take<T, E: std::fmt::Display>(
        &mut self,
        field: &'static str,
        r: Result<T, E>,
    ) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    pub fn into_result(self) -> ServiceResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(self.0))
        }
    }
}
