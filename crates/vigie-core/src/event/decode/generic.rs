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

use super::json::{self, Obj};
use super::{DecodeError, count_within_limit};
use crate::event::{Event, EventAction, Severity};
use jiff::Timestamp;
use serde_json::Value;

/// Decodes a body holding one event object or an array of them.
pub fn decode(body: &[u8], now: Timestamp) -> Result<Vec<Event>, DecodeError> {
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
