//! Fuzzes the Alertmanager v4 webhook decoder
//! (`vigie_core::event::decode::alertmanager`): it must return `Ok` or `Err`
//! for any bytes, never panic, and every event it returns must keep the
//! shared limits (names, summary, labels, details) and the time rule, the
//! time being `endsAt` for a resolved alert and `startsAt` otherwise. Also:
//! one event per alert, each with the caller's source.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_core::event::{EventAction, decode};
use vigie_fuzz::{SOURCE, check_count, check_event, given_time, json, member, nows};

fuzz_target!(|body: &[u8]| {
    for now in nows() {
        let Ok(events) = decode::alertmanager(body, SOURCE, now) else {
            continue;
        };
        check_count(events.len());
        let value = json(body);
        let alerts = member(&value, "alerts")
            .and_then(|a| a.as_array())
            .map_or(&[][..], Vec::as_slice);
        assert_eq!(events.len(), alerts.len(), "one event per alert");
        for (event, alert) in events.iter().zip(alerts) {
            assert_eq!(event.source, SOURCE, "the caller names the source");
            let time_field = match event.action {
                EventAction::Resolve => "endsAt",
                _ => "startsAt",
            };
            check_event(event, now, given_time(member(alert, time_field)));
        }
    }
});
