//! Fuzzes the PagerDuty Events v2 decoder
//! (`vigie_core::event::decode::pagerduty`): it must return `Ok` or `Err` for
//! any bytes, never panic, and the event it returns must keep the shared
//! limits (names, summary, labels, details) and the time rule on
//! `payload.timestamp`. Also: the routing key is a non-empty name; the
//! returned dedup key is the event's; it is the one the body gave when it
//! gave one (required to acknowledge or resolve), else derived (64 lowercase
//! hex digits) and the same on a second decoding of the same body; a trigger
//! has a summary and a resource.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_core::event::{EventAction, decode};
use vigie_fuzz::{check_event, check_name, given_time, json, member, nows};

fuzz_target!(|body: &[u8]| {
    for now in nows() {
        let Ok(got) = decode::pagerduty(body, now) else {
            continue;
        };
        let value = json(body);
        let payload = member(&value, "payload");
        check_event(
            &got.event,
            now,
            given_time(payload.and_then(|p| member(p, "timestamp"))),
        );
        check_name("routing key", &got.routing_key);
        assert!(!got.routing_key.is_empty(), "routing_key is required");
        check_name("dedup key", &got.dedup_key);
        assert_eq!(
            got.event.dedup_key.as_deref(),
            Some(got.dedup_key.as_str()),
            "the returned key is the event's"
        );
        let given_key = member(&value, "dedup_key")
            .and_then(|k| k.as_str())
            .map(str::trim)
            .filter(|k| !k.is_empty());
        match given_key {
            Some(key) => assert_eq!(got.dedup_key, key, "the given key is kept"),
            None => {
                assert_eq!(got.event.action, EventAction::Trigger, "key required");
                assert!(
                    got.dedup_key.len() == 64
                        && got
                            .dedup_key
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                    "derived key {:?}",
                    got.dedup_key
                );
                let again = decode::pagerduty(body, now).map(|g| g.dedup_key);
                assert_eq!(again.as_ref(), Ok(&got.dedup_key), "derived key is stable");
            }
        }
        if got.event.action == EventAction::Trigger {
            assert!(!got.event.summary.is_empty(), "a trigger has a summary");
            assert!(!got.event.resource.is_empty(), "a trigger has a source");
        }
    }
});
