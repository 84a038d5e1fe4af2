//! What every decoder promises about the events it returns, checked by the
//! fuzz targets on each body a decoder accepts (a panic is a failure).
//!
//! The rules come from the decoders' documentation (`vigie_core::event::
//! decode` and `vigie_core::event::limits`):
//!
//! - names (source, resource, check, dedup key) are trimmed, hold no control
//!   character and have at most 255 characters;
//! - a summary has at most 1,024 characters and starts with no space;
//! - at most 64 labels; a label name is trimmed, not blank, at most 128
//!   characters; a label value at most 1,024 characters;
//! - details are at most 64 KiB of compact JSON;
//! - at most 10,000 events per body;
//! - the time: none given means `now`; a time more than five minutes ahead
//!   of `now` becomes `now` with `clamped` set; any other given time is kept
//!   as is, `clamped` unset. The time the body gave is read again here, from
//!   the JSON, independently of the decoder.
//!
//! Each body is decoded at several `now`s, the ends of time among them, so
//! that saturating arithmetic near them is exercised too.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use vigie_core::event::{Event, limits};

/// The source the targets pass to decoders that take one from the caller.
pub const SOURCE: &str = "fuzz-integration";

/// The instants each body is decoded at: the fixtures' own `now`, and the
/// first and last instants jiff can represent.
pub fn nows() -> [Timestamp; 3] {
    [
        Timestamp::from_second(1_715_674_200).unwrap_or(Timestamp::UNIX_EPOCH),
        Timestamp::MIN,
        Timestamp::MAX,
    ]
}

/// The body as JSON, for the checks that read it again. Only called on a
/// body a decoder accepted, which must therefore be JSON.
pub fn json(body: &[u8]) -> Value {
    match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => panic!("a decoder accepted a body that is not JSON: {e}"),
    }
}

/// The member `key` of `value`, if it is an object holding it.
pub fn member<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value.as_object().and_then(|m| m.get(key))
}

/// A name as the decoders keep it: trimmed, no control character, within
/// the length limit.
pub fn check_name(what: &str, name: &str) {
    assert_eq!(name, name.trim(), "{what} is not trimmed: {name:?}");
    assert!(
        name.chars().count() <= limits::MAX_NAME_CHARS,
        "{what} has {} characters",
        name.chars().count()
    );
    assert!(
        !name.chars().any(char::is_control),
        "{what} holds a control character: {name:?}"
    );
}

/// The checks every event passes, whatever its format. `given` is the time
/// the body gave for this event (read from the JSON by the target), `None`
/// when it gave none.
pub fn check_event(event: &Event, now: Timestamp, given: Option<Timestamp>) {
    check_name("source", &event.source);
    check_name("resource", &event.resource);
    check_name("check", &event.check);
    if let Some(key) = &event.dedup_key {
        check_name("dedup key", key);
        assert!(!key.is_empty(), "an empty dedup key is not `None`");
    }

    let chars = event.summary.chars().count();
    assert!(
        chars <= limits::MAX_SUMMARY_CHARS,
        "summary has {chars} characters"
    );
    assert_eq!(
        event.summary.trim_start(),
        event.summary,
        "summary starts with a space"
    );

    assert!(
        event.labels.len() <= limits::MAX_LABELS,
        "{} labels",
        event.labels.len()
    );
    for (name, value) in &event.labels {
        assert!(!name.is_empty(), "blank label name");
        assert_eq!(name, name.trim(), "label name is not trimmed: {name:?}");
        assert!(
            name.chars().count() <= limits::MAX_LABEL_NAME_CHARS,
            "label name has {} characters",
            name.chars().count()
        );
        assert!(
            value.chars().count() <= limits::MAX_LABEL_VALUE_CHARS,
            "label {name:?} has a value of {} characters",
            value.chars().count()
        );
    }

    let details = serde_json::to_vec(&event.details).map_or(usize::MAX, |v| v.len());
    assert!(
        details <= limits::MAX_DETAILS_BYTES,
        "details take {details} bytes"
    );

    check_time(event, now, given);
}

/// The latest time kept as given: `now` plus the five minutes the
/// documentation allows, or the end of time when that overflows.
fn latest_kept(now: Timestamp) -> Timestamp {
    now.checked_add(SignedDuration::from_mins(5))
        .unwrap_or(Timestamp::MAX)
}

fn check_time(event: &Event, now: Timestamp, given: Option<Timestamp>) {
    let latest = latest_kept(now);
    assert!(
        event.occurred_at <= latest,
        "occurred_at {} is after now {now} plus the skew",
        event.occurred_at
    );
    if event.clamped {
        assert_eq!(event.occurred_at, now, "a clamped event is not at now");
    }
    let expected = match given {
        None => (now, false),
        Some(t) if t > latest => (now, true),
        Some(t) => (t, false),
    };
    assert_eq!(
        (event.occurred_at, event.clamped),
        expected,
        "time given {given:?}, now {now}"
    );
}

/// A time field as the decoders read it: a string, blank meaning none, else
/// RFC 3339. Only called for bodies a decoder accepted, so a string that does
/// not parse is a disagreement with the decoder.
pub fn given_time(value: Option<&Value>) -> Option<Timestamp> {
    let text = value?.as_str()?.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<Timestamp>() {
        Ok(t) => Some(t),
        Err(e) => panic!("accepted a time that is not RFC 3339: {text:?}: {e}"),
    }
}

/// At most the per-body number of events.
pub fn check_count(count: usize) {
    assert!(
        count <= limits::MAX_EVENTS_PER_BODY,
        "{count} events in one body"
    );
}
