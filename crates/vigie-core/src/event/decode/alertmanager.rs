//! Prometheus Alertmanager's webhook payload, version `4`.
//!
//! One notification carries a group of alerts; each alert becomes one
//! event:
//!
//! - resource: label `instance`, else `host`, else `hostname`, else `job`;
//! - check: label `alertname`;
//! - severity: label `severity` through [`Severity::from_synonym`]; a
//!   missing or unknown one is `warning` (an alert is a problem by nature,
//!   but nobody said it was urgent);
//! - summary: annotation `summary`, else `description`, else the alert name;
//! - action: `resolve` for a `resolved` alert, `trigger` for a firing one;
//! - time: `startsAt` when firing, `endsAt` when resolved;
//! - dedup key: the alert's `fingerprint`, when present;
//! - labels: the alert's labels; details: its annotations, URLs and times,
//!   and the group's key, receiver and external URL;
//! - source: the integration's name, given by the caller.

use super::json::{self, Obj};
use super::{DecodeError, count_within_limit};
use crate::event::{Event, EventAction, Severity};
use jiff::Timestamp;
use serde_json::{Map, Value};

/// Decodes a webhook body; `source` names the integration it came through.
pub fn decode(body: &[u8], source: &str, now: Timestamp) -> Result<Vec<Event>, DecodeError> {
    let value = json::parse(body)?;
    let root = Obj::of(&value, String::new())?;
    match root.str("version")? {
        Some("4") => {}
        Some(other) => {
            return Err(json::error(
                "version",
                format!(
                    "version `{}` is not supported; expected \"4\"",
                    other.chars().take(16).collect::<String>()
                ),
            ));
        }
        None => return Err(json::error("version", "is required (\"4\")")),
    }
    let group = Group {
        key: root.str("groupKey")?,
        receiver: root.str("receiver")?,
        external_url: root.str("externalURL")?,
    };
    root.object("groupLabels")?;
    root.labels("commonLabels")?;
    root.labels("commonAnnotations")?;
    let alerts = root
        .array("alerts")?
        .ok_or_else(|| json::error("alerts", "is required"))?;
    count_within_limit(alerts.len())?;
    alerts
        .iter()
        .enumerate()
        .map(|(i, alert)| {
            let obj = Obj::of(alert, json::index_path("alerts", i))?;
            event(&obj, &group, source, now)
        })
        .collect()
}

/// What the notification says about its group, copied into each event's
/// details.
struct Group<'v> {
    key: Option<&'v str>,
    receiver: Option<&'v str>,
    external_url: Option<&'v str>,
}

fn event(
    alert: &Obj<'_>,
    group: &Group<'_>,
    source: &str,
    now: Timestamp,
) -> Result<Event, DecodeError> {
    let action = match alert.str("status")? {
        Some("firing") => EventAction::Trigger,
        Some("resolved") => EventAction::Resolve,
        Some(_) => {
            return Err(json::error(
                &alert.path("status"),
                "must be firing or resolved",
            ));
        }
        None => return Err(json::error(&alert.path("status"), "is required")),
    };
    let labels = alert.labels("labels")?;
    let annotations = alert.labels("annotations")?;
    let starts_at = alert.time("startsAt")?;
    let ends_at = alert.time("endsAt")?;
    let label = |name: &str| labels.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let resource = ["instance", "host", "hostname", "job"]
        .iter()
        .find_map(|name| label(name))
        .unwrap_or_default();
    let check = label("alertname").unwrap_or_default();
    let labels_path = || alert.path("labels");
    let resource = json::name(resource, &labels_path)?.unwrap_or_default();
    let check =
        json::name(check, &|| json::key_path(&labels_path(), "alertname"))?.unwrap_or_default();
    let severity = label("severity")
        .and_then(Severity::from_synonym)
        .unwrap_or(Severity::Warning);
    let summary = ["summary", "description"]
        .iter()
        .find_map(|name| annotations.get(*name).filter(|v| !v.trim().is_empty()))
        .map_or_else(|| json::summary(&check), |text| json::summary(text));
    let given = match action {
        EventAction::Resolve => ends_at,
        _ => starts_at,
    };
    let (occurred_at, clamped) = json::when(given, now);
    let mut details = Map::new();
    details.insert("annotations".into(), to_object(&annotations));
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(v) = value {
            details.insert(key.into(), Value::String(v.to_owned()));
        }
    };
    put("generatorURL", alert.str("generatorURL")?);
    put("startsAt", alert.str("startsAt")?);
    put("endsAt", alert.str("endsAt")?);
    put("groupKey", group.key);
    put("receiver", group.receiver);
    put("externalURL", group.external_url);
    let details = json::details(Value::Object(details), &|| alert.path("annotations"))?;
    Ok(Event {
        source: source.to_owned(),
        resource,
        check,
        severity,
        action,
        summary,
        details,
        labels,
        occurred_at,
        dedup_key: alert.name("fingerprint")?,
        clamped,
    })
}

fn to_object(map: &std::collections::BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}
