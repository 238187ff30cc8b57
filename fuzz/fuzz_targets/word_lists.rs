//! Admins' watched-word and crisis-phrase lists, compiled from whatever was
//! typed, then run over a post; and the spam filter's judgement of the post.
//! Input: the post, then the block, approval, flag, replace and crisis lists,
//! separated by U+0001.
#![no_main]

use std::sync::LazyLock;
use std::time::Duration;

use hearth_core::guard::crisis::CrisisPhrases;
use hearth_core::guard::spam::{Signals, SpamModel, judge};
use hearth_core::guard::words::{WatchedWords, WordLists};
use libfuzzer_sys::fuzz_target;

/// Trained once: training is not what is fuzzed here.
static MODEL: LazyLock<SpamModel> = LazyLock::new(SpamModel::starter);

fuzz_target!(|input: &str| {
    let mut parts = input.split('\u{1}');
    let text = parts.next().unwrap_or_default();
    let mut next = || parts.next().unwrap_or_default().to_owned();
    let lists = WordLists {
        block: next(),
        require_approval: next(),
        flag: next(),
        replace: next(),
    };
    let crisis = next();

    if let Ok(words) = WatchedWords::compile(&lists) {
        let check = words.check(text);
        for hit in check
            .blocked
            .iter()
            .chain(&check.require_approval)
            .chain(&check.flagged)
        {
            assert_span(text, hit.start, hit.end, hit);
        }
        if let Some(replaced) = &check.replaced {
            assert_ne!(replaced, text, "a replacement that changed nothing");
        }
    }
    let phrases = CrisisPhrases::compile(&crisis).unwrap_or_else(|_| CrisisPhrases::defaults());
    let mut last = 0;
    for hit in phrases.find(text) {
        assert_span(text, hit.start, hit.end, &hit);
        assert!(hit.start >= last, "crisis hits out of order");
        last = hit.start;
    }

    let signals = Signals {
        new_account: text.len() % 2 == 0,
        first_post: text.len() % 3 == 0,
        typing_time: Some(Duration::from_millis(input.len() as u64 * 7)),
        honeypot_filled: false,
        repeats: (text.len() % 5) as u32,
    };
    let verdict = judge(&MODEL, text, &signals);
    assert!(
        (0.0..=1.0).contains(&verdict.score),
        "score {}",
        verdict.score
    );
});

fn assert_span(text: &str, start: usize, end: usize, hit: &dyn std::fmt::Debug) {
    assert!(start <= end && end <= text.len(), "{hit:?}");
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{hit:?}"
    );
}
