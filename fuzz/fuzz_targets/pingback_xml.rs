//! XML-RPC as other servers send it: a pingback call to us, or the answer to
//! ours. A call we accept reads back the same once we write it out again.
#![no_main]

use hearth_server::webmention::pingback::{call, parse_call, parse_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|xml: &str| {
    if let Ok(ping) = parse_call(xml) {
        let again = parse_call(&call(&ping.source, &ping.target));
        assert!(
            again
                .as_ref()
                .is_ok_and(|p| p.source == ping.source.trim() && p.target == ping.target.trim()),
            "{ping:?} came back as {again:?}"
        );
    }
    let _ = parse_response(xml);
});
