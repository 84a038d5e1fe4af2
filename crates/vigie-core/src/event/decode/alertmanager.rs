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
//!
//! A body is read the quick way first ([`super::borrowed`]: straight into
//! the alert's fields, strings borrowed from the body); a body it cannot
//! vouch for is walked as a JSON value, which names the offending field.

use super::borrowed::{self, AnyObject, Strings, Text, object_of_members};
use super::json::{self, Obj};
use super::{DecodeError, count_within_limit};
use crate::event::{Details, Event, EventAction, Severity, limits};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// Decodes a webhook body; `source` names the integration it came through.
pub fn decode(body: &[u8], source: &str, now: Timestamp) -> Result<Vec<Event>, DecodeError> {
    match quick(body, source, now) {
        Some(events) => Ok(events),
        None => walk(body, source, now),
    }
}

/// Decodes a body by walking it as a JSON value: slower, but every refusal
/// names its field.
pub(crate) fn walk(body: &[u8], source: &str, now: Timestamp) -> Result<Vec<Event>, DecodeError> {
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
    let named = Named::of(&labels, &annotations);
    let labels_path = || alert.path("labels");
    let resource = json::name(named.resource, &labels_path)?.unwrap_or_default();
    let check = json::name(named.check, &|| json::key_path(&labels_path(), "alertname"))?
        .unwrap_or_default();
    let summary = named.summary(&check);
    let (occurred_at, clamped) = json::when(named.when(action, starts_at, ends_at), now);
    let severity = named.severity;
    let details = AlertDetails {
        annotations: &annotations,
        ends_at: alert.str("endsAt")?,
        external_url: group.external_url,
        generator_url: alert.str("generatorURL")?,
        group_key: group.key,
        receiver: group.receiver,
        starts_at: alert.str("startsAt")?,
    };
    let details = json::sized(Details::write(&details), &|| alert.path("annotations"))?;
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

/// An alert's details: its annotations, URLs and times, and its group's
/// key, receiver and external URL; the fields in key order, as a JSON
/// object's members are written, those missing left out.
#[derive(Debug, Serialize)]
struct AlertDetails<'a> {
    annotations: &'a BTreeMap<String, String>,
    #[serde(rename = "endsAt", skip_serializing_if = "Option::is_none")]
    ends_at: Option<&'a str>,
    #[serde(rename = "externalURL", skip_serializing_if = "Option::is_none")]
    external_url: Option<&'a str>,
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    generator_url: Option<&'a str>,
    #[serde(rename = "groupKey", skip_serializing_if = "Option::is_none")]
    group_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    receiver: Option<&'a str>,
    #[serde(rename = "startsAt", skip_serializing_if = "Option::is_none")]
    starts_at: Option<&'a str>,
}

/// The quick way: the body read straight into its fields. `None` whenever
/// the walk might answer otherwise (a refusal, a repeated member, a type
/// not expected): the caller then walks it.
pub(crate) fn quick(body: &[u8], source: &str, now: Timestamp) -> Option<Vec<Event>> {
    if body.len() > limits::MAX_BODY_BYTES {
        return None;
    }
    let body: Body<'_> = serde_json::from_slice(body).ok()?;
    if body.version.as_ref().map(Text::as_str) != Some("4") {
        return None;
    }
    borrowed::labels(body.common_labels.as_ref())?;
    borrowed::labels(body.common_annotations.as_ref())?;
    let alerts = body.alerts?;
    count_within_limit(alerts.len()).ok()?;
    let group = Group {
        key: body.group_key.as_ref().map(Text::as_str),
        receiver: body.receiver.as_ref().map(Text::as_str),
        external_url: body.external_url.as_ref().map(Text::as_str),
    };
    alerts
        .iter()
        .map(|alert| quick_event(alert, &group, source, now))
        .collect()
}

/// What an alert's labels and annotations say, both ways alike: its
/// resource (the first of `instance`, `host`, `hostname`, `job`) and check
/// (`alertname`) before they are checked, its severity (a warning unless
/// `severity` names one), and the annotation that summarises it.
struct Named<'a> {
    resource: &'a str,
    check: &'a str,
    severity: Severity,
    annotation: Option<&'a String>,
}

impl<'a> Named<'a> {
    fn of(labels: &'a BTreeMap<String, String>, annotations: &'a BTreeMap<String, String>) -> Self {
        let label = |name: &str| labels.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        Named {
            resource: ["instance", "host", "hostname", "job"]
                .iter()
                .find_map(|name| label(name))
                .unwrap_or_default(),
            check: label("alertname").unwrap_or_default(),
            severity: label("severity")
                .and_then(Severity::from_synonym)
                .unwrap_or(Severity::Warning),
            annotation: ["summary", "description"]
                .iter()
                .find_map(|name| annotations.get(*name).filter(|v| !v.trim().is_empty())),
        }
    }

    /// The summary: the annotation's, else the check's name.
    fn summary(&self, check: &str) -> String {
        self.annotation
            .map_or_else(|| json::summary(check), |text| json::summary(text))
    }

    /// When it happened: the end of a resolved alert, the start of a
    /// firing one.
    fn when(
        &self,
        action: EventAction,
        starts_at: Option<Timestamp>,
        ends_at: Option<Timestamp>,
    ) -> Option<Timestamp> {
        match action {
            EventAction::Resolve => ends_at,
            _ => starts_at,
        }
    }
}

/// One alert the quick way, with the walk's rules ([`event`]).
fn quick_event(
    alert: &Alert<'_>,
    group: &Group<'_>,
    source: &str,
    now: Timestamp,
) -> Option<Event> {
    let action = match alert.status.as_ref().map(Text::as_str)? {
        "firing" => EventAction::Trigger,
        "resolved" => EventAction::Resolve,
        _ => return None,
    };
    let labels = borrowed::labels(alert.labels.as_ref())?;
    let annotations = borrowed::labels(alert.annotations.as_ref())?;
    let starts_at = borrowed::time(alert.starts_at.as_ref())?;
    let ends_at = borrowed::time(alert.ends_at.as_ref())?;
    let named = Named::of(&labels, &annotations);
    let resource = json::name(named.resource, "").ok()?.unwrap_or_default();
    let check = json::name(named.check, "").ok()?.unwrap_or_default();
    let summary = named.summary(&check);
    let (occurred_at, clamped) = json::when(named.when(action, starts_at, ends_at), now);
    let severity = named.severity;
    let details = AlertDetails {
        annotations: &annotations,
        ends_at: alert.ends_at.as_ref().map(Text::as_str),
        external_url: group.external_url,
        generator_url: alert.generator_url.as_ref().map(Text::as_str),
        group_key: group.key,
        receiver: group.receiver,
        starts_at: alert.starts_at.as_ref().map(Text::as_str),
    };
    let details = json::sized(Details::write(&details), "").ok()?;
    let dedup_key = borrowed::name(alert.fingerprint.as_ref())?;
    Some(Event {
        source: source.to_owned(),
        resource,
        check,
        severity,
        action,
        summary,
        details,
        labels,
        occurred_at,
        dedup_key,
        clamped,
    })
}

/// The members of a notification the decoder reads, `None` when missing
/// or `null`; the others are parsed and dropped. A repeated member keeps
/// its last value, as in the walk (a first one of another type makes the
/// quick way give up).
#[derive(Debug, Default)]
struct Body<'a> {
    version: Option<Text<'a>>,
    group_key: Option<Text<'a>>,
    receiver: Option<Text<'a>>,
    external_url: Option<Text<'a>>,
    common_labels: Option<Strings<'a>>,
    common_annotations: Option<Strings<'a>>,
    alerts: Option<Vec<Alert<'a>>>,
}

object_of_members!(Body, "a notification object", body {
    "version" => version,
    "groupKey" => group_key,
    "receiver" => receiver,
    "externalURL" => external_url,
    "commonLabels" => common_labels,
    "commonAnnotations" => common_annotations,
    "alerts" => alerts,
} drop {
    "groupLabels": Option<AnyObject>,
});

/// The members of an alert the decoder reads, `None` when missing or
/// `null`.
#[derive(Debug, Default)]
struct Alert<'a> {
    status: Option<Text<'a>>,
    labels: Option<Strings<'a>>,
    annotations: Option<Strings<'a>>,
    starts_at: Option<Text<'a>>,
    ends_at: Option<Text<'a>>,
    generator_url: Option<Text<'a>>,
    fingerprint: Option<Text<'a>>,
}

object_of_members!(Alert, "an alert object", alert {
    "status" => status,
    "labels" => labels,
    "annotations" => annotations,
    "startsAt" => starts_at,
    "endsAt" => ends_at,
    "generatorURL" => generator_url,
    "fingerprint" => fingerprint,
});
