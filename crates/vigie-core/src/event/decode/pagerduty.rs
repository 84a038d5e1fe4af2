//! PagerDuty Events API v2, the `enqueue` call: tools that can page
//! PagerDuty can send to Vigie unchanged, with a Vigie integration key as
//! `routing_key`.
//!
//! Validated as PagerDuty does: `routing_key` and `event_action` are always
//! required; a `trigger` needs `payload.summary`, `payload.source` and
//! `payload.severity` (exactly `critical`, `error`, `warning` or `info`);
//! `acknowledge` and `resolve` need a `dedup_key`. The summary is truncated
//! to 1,024 characters.
//!
//! Mapping: `payload.source` (the affected system) is the resource;
//! `payload.class`, else `payload.component`, is the check; `component`,
//! `group` and `class` are also labels; `custom_details`, `links`, `images`,
//! `client` and `client_url` go to the details. The event's source is
//! `pagerduty` until the shell, having authenticated `routing_key`, sets the
//! integration's own name (before fingerprinting).
//!
//! A trigger without `dedup_key` gets one derived from the routing key and
//! the payload's identity and summary, so that a retried request lands on
//! the same alert; it is returned for the answer
//! `{"status":"success","message":"Event processed","dedup_key":…}`.

use super::DecodeError;
use super::json::{self, Obj};
use crate::event::fingerprint::digest;
use crate::event::{Details, Event, EventAction, Severity};
use jiff::Timestamp;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The source events decoded here carry until the shell names the
/// integration.
pub const DEFAULT_SOURCE: &str = "pagerduty";

/// One decoded `enqueue` request.
#[derive(Clone, Debug, PartialEq)]
pub struct Enqueue {
    /// The integration key the sender used; the shell authenticates it.
    pub routing_key: String,
    /// The dedup key given or derived, to return to the sender.
    pub dedup_key: String,
    /// The event (whose `dedup_key` is the same).
    pub event: Event,
}

/// Decodes an `enqueue` body.
pub fn decode(body: &[u8], now: Timestamp) -> Result<Enqueue, DecodeError> {
    let value = json::parse(body)?;
    let root = Obj::of(&value, String::new())?;
    let routing_key = root.required_name("routing_key")?;
    let action = match root.str("event_action")? {
        Some("trigger") => EventAction::Trigger,
        Some("acknowledge") => EventAction::Acknowledge,
        Some("resolve") => EventAction::Resolve,
        Some(_) => {
            return Err(json::error(
                "event_action",
                "must be trigger, acknowledge or resolve",
            ));
        }
        None => return Err(json::error("event_action", "is required")),
    };
    let given_key = root.name("dedup_key")?;
    if action != EventAction::Trigger && given_key.is_none() {
        return Err(json::error(
            "dedup_key",
            "is required to acknowledge or resolve",
        ));
    }
    let payload = root.object("payload")?;
    let payload = match (&payload, action) {
        (None, EventAction::Trigger) => return Err(json::error("payload", "is required")),
        _ => payload,
    };
    let mut event = match &payload {
        Some(p) => from_payload(p, action, now)?,
        None => Event {
            action,
            ..Event::new(DEFAULT_SOURCE, "", "", Severity::Info, now)
        },
    };
    event.details = details(&root, payload.as_ref())?;
    let dedup_key = match given_key {
        Some(key) => key,
        None => digest(&[
            "pagerduty",
            &routing_key,
            &event.resource,
            event.labels.get("component").map_or("", String::as_str),
            event.labels.get("group").map_or("", String::as_str),
            event.labels.get("class").map_or("", String::as_str),
            &event.summary,
        ]),
    };
    event.dedup_key = Some(dedup_key.clone());
    Ok(Enqueue {
        routing_key,
        dedup_key,
        event,
    })
}

fn from_payload(p: &Obj<'_>, action: EventAction, now: Timestamp) -> Result<Event, DecodeError> {
    let trigger = action == EventAction::Trigger;
    let summary = match p.str("summary")? {
        Some(s) if !s.trim().is_empty() => json::summary(s),
        _ if trigger => return Err(json::error(&p.path("summary"), "is required")),
        _ => String::new(),
    };
    let resource = match p.name("source")? {
        Some(s) => s,
        None if trigger => return Err(json::error(&p.path("source"), "is required")),
        None => String::new(),
    };
    let severity = match p.str("severity")? {
        Some("critical") => Severity::Critical,
        Some("error") => Severity::Error,
        Some("warning") => Severity::Warning,
        Some("info") => Severity::Info,
        Some(_) => {
            return Err(json::error(
                &p.path("severity"),
                "must be critical, error, warning or info",
            ));
        }
        None if trigger => return Err(json::error(&p.path("severity"), "is required")),
        None => Severity::Info,
    };
    let mut labels = BTreeMap::new();
    for key in ["component", "group", "class"] {
        if let Some(value) = p.name(key)? {
            labels.insert(key.to_owned(), value);
        }
    }
    let check = labels
        .get("class")
        .or_else(|| labels.get("component"))
        .cloned()
        .unwrap_or_default();
    let (occurred_at, clamped) = json::when(p.time("timestamp")?, now);
    Ok(Event {
        source: DEFAULT_SOURCE.to_owned(),
        resource,
        check,
        severity,
        action,
        summary,
        details: Details::default(),
        labels,
        occurred_at,
        dedup_key: None,
        clamped,
    })
}

fn details(root: &Obj<'_>, payload: Option<&Obj<'_>>) -> Result<Details, DecodeError> {
    let mut details = Map::new();
    if let Some(p) = payload
        && let Some(custom) = p.value("custom_details")
    {
        json::details(custom, &|| p.path("custom_details"))?;
        details.insert("custom_details".into(), custom.clone());
    }
    for key in ["links", "images"] {
        if let Some(items) = root.array(key)? {
            for (i, item) in items.iter().enumerate() {
                Obj::of(item, json::index_path(&root.path(key), i))?;
            }
            details.insert(key.into(), Value::Array(items.to_vec()));
        }
    }
    for key in ["client", "client_url"] {
        if let Some(text) = root.str(key)? {
            details.insert(key.into(), Value::String(text.to_owned()));
        }
    }
    if details.is_empty() {
        return Ok(Details::default());
    }
    json::details(&Value::Object(details), "$")
}
