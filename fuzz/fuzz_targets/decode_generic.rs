//! Fuzzes the generic JSON decoder (`vigie_core::event::decode::generic`):
//! it must return `Ok` or `Err` for any bytes, never panic, and every event
//! it returns must keep the shared limits (names, summary, labels, details)
//! and the time rule (none means `now`; more than five minutes ahead means
//! `now`, flagged `clamped`). Also: one event per array element, or one for
//! an object, and `source` and `resource` never empty (both are required).

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vigie_core::event::decode;
use vigie_fuzz::{check_count, check_event, given_time, json, member, nows};

fuzz_target!(|body: &[u8]| {
    for now in nows() {
        let Ok(events) = decode::generic(body, now) else {
            continue;
        };
        check_count(events.len());
        let value = json(body);
        let items: Vec<&Value> = match &value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        assert_eq!(events.len(), items.len(), "one event per object");
        for (event, item) in events.iter().zip(items) {
            check_event(event, now, given_time(member(item, "time")));
            assert!(!event.source.is_empty(), "source is required");
            assert!(!event.resource.is_empty(), "resource is required");
        }
    }
});
