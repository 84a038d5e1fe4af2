//! Fuzzes the Zabbix webhook decoder (`vigie_core::event::decode::zabbix`):
//! it must return `Ok` or `Err` for any bytes, never panic, and the event it
//! returns must keep the shared limits (names, summary, labels, details) and
//! the time rule on `time` (an unexpanded macro such as `{EVENT.TIME}`
//! counting as no time). Also: exactly one event, with the caller's source,
//! a resource and a check.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vigie_core::event::decode;
use vigie_fuzz::{SOURCE, check_event, given_time, json, member, nows};

/// The `time` field, with a value still holding a macro read as missing.
fn time_field(root: &Value) -> Option<&Value> {
    let value = member(root, "time")?;
    let text = value.as_str().map(str::trim).unwrap_or_default();
    let macro_left = text.starts_with('{') && text.ends_with('}') && !text.contains(' ');
    (!macro_left).then_some(value)
}

fuzz_target!(|body: &[u8]| {
    for now in nows() {
        let Ok(events) = decode::zabbix(body, SOURCE, now) else {
            continue;
        };
        assert_eq!(events.len(), 1, "one event per webhook call");
        let value = json(body);
        let event = &events[0];
        assert_eq!(event.source, SOURCE, "the caller names the source");
        assert!(!event.resource.is_empty(), "host or host_ip is required");
        assert!(
            !event.check.is_empty(),
            "trigger_name or event_name is required"
        );
        check_event(event, now, given_time(time_field(&value)));
    }
});
