//! Vigie's own JSON event format, for scripts and tools without a dedicated
//! integration: one object, or an array of them.
//!
//! ```json
//! {
//!   "source": "backup-script",
//!   "resource": "srv-erp-01.example.org",
//!   "check": "nightly-backup",
//!   "severity": "error",
//!   "summary": "Nightly backup failed: target volume full",
//!   "details": {"job": "erp-db", "exit_code": 2},
//!   "labels": {"env": "production"},
//!   "time": "2024-05-14T02:10:00Z",
//!   "dedup_key": "erp-db-backup",
//!   "action": "trigger"
//! }
//! ```
//!
//! `source` and `resource` are required; `severity` too, unless the action
//! is `acknowledge` or `resolve` (they then default to `info`). `check` is
//! empty when missing; `action` defaults to `trigger`; `time` to `now`.

use super::borrowed::{self, Strings, Text, object_of_members};
use super::json::{self, Obj};
use super::{DecodeError, count_within_limit};
use crate::event::{Details, Event, EventAction, Severity, limits};
use jiff::Timestamp;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Decodes a body holding one event object or an array of them.
///
/// The body is read the quick way first ([`super::borrowed`]); a body it
/// cannot vouch for is walked as a JSON value, which names the offending
/// field.
pub fn decode(body: &[u8], now: Timestamp) -> Result<Vec<Event>, DecodeError> {
    match quick(body, now) {
        Some(events) => Ok(events),
        None => walk(body, now),
    }
}

/// Decodes a body by walking it as a JSON value: slower, but every refusal
/// names its field.
pub(crate) fn walk(body: &[u8], now: Timestamp) -> Result<Vec<Event>, DecodeError> {
    let value = json::parse(body)?;
    match &value {
        Value::Array(items) => {
            count_within_limit(items.len())?;
            items
                .iter()
                .enumerate()
                .map(|(i, item)| event(&Obj::of(item, json::index_path("", i))?, now))
                .collect()
        }
        Value::Object(_) => Ok(vec![event(&Obj::of(&value, String::new())?, now)?]),
        _ => Err(json::error(
            "",
            "must be an event object or an array of them",
        )),
    }
}

fn event(obj: &Obj<'_>, now: Timestamp) -> Result<Event, DecodeError> {
    let action = match obj.str("action")? {
        None => EventAction::Trigger,
        Some(name) => name.trim().parse().map_err(|_| {
            json::error(
                &obj.path("action"),
                "must be trigger, acknowledge or resolve",
            )
        })?,
    };
    let severity = match obj.str("severity")? {
        Some(name) => Severity::from_synonym(name).ok_or_else(|| {
            json::error(
                &obj.path("severity"),
                "must be critical, error, warning or info",
            )
        })?,
        None if action == EventAction::Trigger => {
            return Err(json::error(&obj.path("severity"), "is required"));
        }
        None => Severity::Info,
    };
    let (occurred_at, clamped) = json::when(obj.time("time")?, now);
    Ok(Event {
        source: obj.required_name("source")?,
        resource: obj.required_name("resource")?,
        check: obj.name("check")?.unwrap_or_default(),
        severity,
        action,
        summary: json::summary(obj.str("summary")?.unwrap_or_default()),
        details: obj.details("details")?,
        labels: obj.labels("labels")?,
        occurred_at,
        dedup_key: obj.name("dedup_key")?,
        clamped,
    })
}

/// The quick way: the body read straight into each event's fields. `None`
/// whenever the walk might answer otherwise: the caller then walks it.
pub(crate) fn quick(body: &[u8], now: Timestamp) -> Option<Vec<Event>> {
    if body.len() > limits::MAX_BODY_BYTES {
        return None;
    }
    let fields = serde_json::from_slice::<OneOrMany<'_>>(body).ok()?.0;
    count_within_limit(fields.len()).ok()?;
    fields.iter().map(|f| quick_event(f, now)).collect()
}

/// One event the quick way, with the walk's rules ([`event`]).
fn quick_event(f: &Fields<'_>, now: Timestamp) -> Option<Event> {
    let action = match f.action.as_ref().map(Text::as_str) {
        None => EventAction::Trigger,
        Some(name) => name.trim().parse().ok()?,
    };
    let severity = match f.severity.as_ref().map(Text::as_str) {
        Some(name) => Severity::from_synonym(name)?,
        None if action == EventAction::Trigger => return None,
        None => Severity::Info,
    };
    let (occurred_at, clamped) = json::when(borrowed::time(f.time.as_ref())?, now);
    let details = match &f.details {
        None => Details::default(),
        Some(v) => json::details(v, "").ok()?,
    };
    Some(Event {
        source: borrowed::name(f.source.as_ref())??,
        resource: borrowed::name(f.resource.as_ref())??,
        check: borrowed::name(f.check.as_ref())?.unwrap_or_default(),
        severity,
        action,
        summary: json::summary(f.summary.as_ref().map(Text::as_str).unwrap_or_default()),
        details,
        labels: borrowed::labels(f.labels.as_ref())?,
        occurred_at,
        dedup_key: borrowed::name(f.dedup_key.as_ref())?,
        clamped,
    })
}

/// A body: one event object or an array of them, as a list.
#[derive(Debug)]
struct OneOrMany<'a>(Vec<Fields<'a>>);

/// The members of an event object, `None` when missing or `null`; the
/// others are parsed and dropped. A repeated member keeps its last value,
/// as in the walk (a first one of another type makes the quick way give
/// up).
#[derive(Debug, Default)]
struct Fields<'a> {
    source: Option<Text<'a>>,
    resource: Option<Text<'a>>,
    check: Option<Text<'a>>,
    severity: Option<Text<'a>>,
    action: Option<Text<'a>>,
    summary: Option<Text<'a>>,
    time: Option<Text<'a>>,
    dedup_key: Option<Text<'a>>,
    labels: Option<Strings<'a>>,
    details: Option<Value>,
}

object_of_members!(Fields, "an event object", fields {
    "source" => source,
    "resource" => resource,
    "check" => check,
    "severity" => severity,
    "action" => action,
    "summary" => summary,
    "time" => time,
    "dedup_key" => dedup_key,
    "labels" => labels,
    "details" => details,
});

impl<'de: 'a, 'a> Deserialize<'de> for OneOrMany<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OneOrMany<'a>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event object or an array of them")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<OneOrMany<'de>, A::Error> {
                Ok(OneOrMany(vec![fields(map)?]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany<'de>, A::Error> {
                let mut many = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(one) = seq.next_element::<Fields<'de>>()? {
                    many.push(one);
                }
                Ok(OneOrMany(many))
            }
        }
        d.deserialize_any(V)
    }
}
