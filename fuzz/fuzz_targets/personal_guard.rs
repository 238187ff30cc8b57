//! The personal-detail guard on any text: findings are in order, do not
//! overlap, sit on char boundaries inside the text and quote it exactly;
//! redacting with them removes each one.
#![no_main]

use hearth_core::guard::personal::{find, redact};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let findings = find(text);
    let mut last = 0;
    for f in &findings {
        assert!(
            f.start >= last,
            "findings overlap or are out of order: {findings:?}"
        );
        assert!(f.start < f.end && f.end <= text.len(), "{f:?}");
        assert!(
            text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
            "{f:?}"
        );
        assert_eq!(f.text, text[f.start..f.end]);
        assert!((0.5..=1.0).contains(&f.confidence), "{f:?}");
        last = f.end;
    }
    let redacted = redact(text, &findings);
    let removed: usize = findings.iter().map(|f| f.end - f.start).sum();
    assert_eq!(
        redacted.len(),
        text.len() - removed + findings.len() * "[personal detail removed]".len()
    );
    // A stale list (found in a longer text) must never cut a character.
    let mut half = text.len() / 2;
    while !text.is_char_boundary(half) {
        half -= 1;
    }
    let _ = redact(&text[..half], &findings);
});
