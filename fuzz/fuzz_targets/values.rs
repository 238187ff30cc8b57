//! The value types that parse what people type at the edge: aliases, email
//! addresses, web address names (slugs) and passwords. Whatever one accepts,
//! it accepts again as it keeps it.
#![no_main]

use hearth_core::model::{Alias, Email, Password, Slug};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(alias) = Alias::parse(input) {
        assert_eq!(Alias::parse(alias.as_str()).as_ref(), Ok(&alias));
        let _ = alias.folded();
    }
    if let Ok(email) = Email::parse(input) {
        assert!(Email::parse(email.as_str()).is_ok_and(|again| again == email));
        let _ = email.folded();
    }
    if let Ok(slug) = Slug::parse(input) {
        assert_eq!(Slug::parse(slug.as_str()).as_ref(), Ok(&slug));
    }
    if let Some(slug) = Slug::suggest(input) {
        assert_eq!(Slug::parse(slug.as_str()).as_ref(), Ok(&slug));
    }
    let _ = Password::parse(input);
});
