//! A chat room's opening hours as an admin types them, with a time zone
//! name, asked whether the room is open at some instant. Input: the hours,
//! then U+0001 and the zone, then U+0001 and the instant (ms since 1970).
#![no_main]

use hearth_core::hours::{Hours, Openness, Zone};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let mut parts = input.split('\u{1}');
    let text = parts.next().unwrap_or_default();
    let zone = Zone::parse(parts.next().unwrap_or_default()).unwrap_or_default();
    let now_ms = parts
        .next()
        .and_then(|n| n.trim().parse::<i64>().ok())
        .unwrap_or(1_764_000_000_000 + input.len() as i64 * 3_600_000);

    let Ok(hours) = Hours::parse(text) else {
        return;
    };
    // What an admin sees again when editing is what was saved.
    let shown = hours.to_string();
    assert_eq!(Hours::parse(&shown).as_ref(), Ok(&hours), "{shown:?}");

    match hours.at(now_ms, &zone) {
        Openness::Always => assert!(hours.always_open()),
        Openness::Open { now } => {
            assert!(
                now.start_ms <= now_ms && now_ms < now.end_ms,
                "{now:?} at {now_ms}"
            );
            let _ = (now.to_string(), now.ends());
        }
        Openness::Closed { next } => {
            if let Some(next) = next {
                assert!(
                    now_ms < next.start_ms && next.start_ms < next.end_ms,
                    "{next:?}"
                );
                let _ = next.to_string();
            }
        }
    }
});
