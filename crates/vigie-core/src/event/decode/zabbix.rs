//! Zabbix, through the webhook media type shipped in
//! `docs/integrations/zabbix-media-type.json`. Zabbix has no standard
//! outgoing JSON, so this is Vigie's own, version `1`, which the media
//! type's script builds from Zabbix macros:
//!
//! ```json
//! {
//!   "version": "1",
//!   "event_id": "48213",
//!   "event_value": "1",
//!   "event_severity": "High",
//!   "event_name": "Zabbix agent is not available (for 3m)",
//!   "trigger_id": "23761",
//!   "trigger_name": "Zabbix agent is not available (for 3m)",
//!   "item_name": "Zabbix agent availability",
//!   "host": "srv-erp-01",
//!   "host_name": "ERP server 1",
//!   "host_ip": "10.0.1.21",
//!   "time": "2024-05-14T08:02:11+02:00",
//!   "tags": [{"tag": "service", "value": "erp"}],
//!   "event_url": "https://zabbix.example.org/tr_events.php?triggerid=23761&eventid=48213",
//!   "opdata": "Down",
//!   "update": "0",
//!   "acknowledged": "No"
//! }
//! ```
//!
//! Mapping: `event_value` `1` (problem) is a trigger and `0` (recovery) a
//! resolve; an update (`update` = `1`) with `acknowledged` = `Yes` is an
//! acknowledgement. Severity: Not classified and Information → info,
//! Warning → warning, Average and High → error, Disaster → critical (or the
//! numbers 0–5). Resource: `host` (the technical host name), else
//! `host_ip`; check: `trigger_name`, else `event_name`; dedup key: the
//! trigger id, so that a problem and its recovery, and a trigger's later
//! problems, are one alert (the event id stays in the details). Tags become
//! labels (a repeated tag's values are joined by `,`), with `ip` = `host_ip`.
//! Fields may be strings or numbers; a value still holding an unexpanded
//! macro (`{EVENT.RECOVERY.TIME}`) counts as missing.

use super::json::{self, Obj};
use super::{DecodeError, count_within_limit};
use crate::event::{Event, EventAction, Severity};
use jiff::Timestamp;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Decodes one webhook body; `source` names the integration.
pub fn decode(body: &[u8], source: &str, now: Timestamp) -> Result<Vec<Event>, DecodeError> {
    let value = json::parse(body)?;
    let root = Obj::of(&value, String::new())?;
    match text(&root, "version")?.as_deref() {
        Some("1") => {}
        Some(_) => return Err(json::error("version", "expected \"1\"")),
        None => return Err(json::error("version", "is required (\"1\")")),
    }
    count_within_limit(1)?;
    let action = action(&root)?;
    let severity = severity(&root)?;
    let host = name(&root, "host")?;
    let ip = name(&root, "host_ip")?;
    let resource = host
        .clone()
        .or_else(|| ip.clone())
        .ok_or_else(|| json::error("host", "is required (or host_ip)"))?;
    let check = match name(&root, "trigger_name")? {
        Some(n) => n,
        None => name(&root, "event_name")?
            .ok_or_else(|| json::error("event_name", "is required (or trigger_name)"))?,
    };
    let summary = text(&root, "event_name")?.unwrap_or_else(|| check.clone());
    let mut labels = tags(&root)?;
    if let Some(ip) = &ip {
        labels.insert("ip".to_owned(), ip.clone());
        // The `ip` label counts against the limit like the tags do.
        if labels.len() > crate::event::limits::MAX_LABELS {
            return Err(json::error(
                "tags",
                format!(
                    "at most {} labels, the `ip` label from host_ip included",
                    crate::event::limits::MAX_LABELS
                ),
            ));
        }
    }
    let time = match text(&root, "time")? {
        Some(t) => Some(json::rfc3339(&t, "time")?),
        None => None,
    };
    let (occurred_at, clamped) = json::when(time, now);
    let trigger_id = name(&root, "trigger_id")?;
    let event_id = name(&root, "event_id")?;
    let mut details = Map::new();
    for key in [
        "event_id",
        "trigger_id",
        "item_name",
        "host_name",
        "event_url",
        "opdata",
        "event_severity",
    ] {
        if let Some(v) = text(&root, key)? {
            details.insert(key.into(), Value::String(v));
        }
    }
    Ok(vec![Event {
        source: source.to_owned(),
        resource,
        check,
        severity,
        action,
        summary: json::summary(&summary),
        details: json::details(&Value::Object(details), "$")?,
        labels,
        occurred_at,
        dedup_key: trigger_id.or(event_id),
        clamped,
    }])
}

/// A field as text: a string or a number, `None` when missing, blank or an
/// unexpanded macro.
fn text(obj: &Obj<'_>, key: &str) -> Result<Option<String>, DecodeError> {
    let text = match obj.value(key) {
        None => return Ok(None),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(json::error(&obj.path(key), "must be a string or a number")),
    };
    let macro_left = text.starts_with('{') && text.ends_with('}') && !text.contains(' ');
    Ok(Some(text).filter(|t| !t.is_empty() && !macro_left))
}

/// A field as a name, within the name limits.
fn name(obj: &Obj<'_>, key: &str) -> Result<Option<String>, DecodeError> {
    match text(obj, key)? {
        None => Ok(None),
        Some(t) => json::name(&t, &obj.path(key)),
    }
}

fn action(root: &Obj<'_>) -> Result<EventAction, DecodeError> {
    let update = text(root, "update")?.is_some_and(|u| u == "1");
    let acknowledged =
        text(root, "acknowledged")?.is_some_and(|a| a.eq_ignore_ascii_case("yes") || a == "1");
    match text(root, "event_value")?.as_deref() {
        Some("1") if update && acknowledged => Ok(EventAction::Acknowledge),
        Some("1") => Ok(EventAction::Trigger),
        Some("0") => Ok(EventAction::Resolve),
        Some(_) => Err(json::error(
            "event_value",
            "must be 1 (problem) or 0 (recovery)",
        )),
        None => Err(json::error("event_value", "is required")),
    }
}

fn severity(root: &Obj<'_>) -> Result<Severity, DecodeError> {
    let Some(name) = text(root, "event_severity")? else {
        return Ok(Severity::Warning);
    };
    let severity = match name.to_ascii_lowercase().as_str() {
        "not classified" | "information" | "0" | "1" => Severity::Info,
        "warning" | "2" => Severity::Warning,
        "average" | "high" | "3" | "4" => Severity::Error,
        "disaster" | "5" => Severity::Critical,
        _ => {
            return Err(json::error(
                "event_severity",
                "must be one of Not classified, Information, Warning, Average, High, Disaster",
            ));
        }
    };
    Ok(severity)
}

fn tags(root: &Obj<'_>) -> Result<BTreeMap<String, String>, DecodeError> {
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    let Some(items) = root.array("tags")? else {
        return Ok(labels);
    };
    if items.len() > crate::event::limits::MAX_LABELS {
        return Err(json::error(
            "tags",
            format!("at most {} tags", crate::event::limits::MAX_LABELS),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let path = json::index_path("tags", i);
        let tag = Obj::of(item, path.clone())?;
        let Some(key) = text(&tag, "tag")? else {
            return Err(json::error(&tag.path("tag"), "is required"));
        };
        let key = json::label_name(&key, &tag.path("tag"))?;
        let value = text(&tag, "value")?.unwrap_or_default();
        let joined = match labels.get(&key) {
            Some(before) => format!("{before},{value}"),
            None => value,
        };
        labels.insert(key, json::label_value(&joined, &path)?);
    }
    Ok(labels)
}
