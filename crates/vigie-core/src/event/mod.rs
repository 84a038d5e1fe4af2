//! Event management: what monitoring tools send, and what Vigie does with it.
//!
//! An event goes through one pipeline, each step a module:
//!
//! 1. [`decode`]: a request body (generic JSON, Alertmanager, PagerDuty,
//!    Zabbix) becomes normalised [`Event`]s, or an error naming the field;
//! 2. [`fingerprint`]: the event's identity, so that repeats deduplicate;
//! 3. [`enrich`]: the configuration item it is about (host name, alias, IP,
//!    labels);
//! 4. [`classify`]: ordered, editable rules give its [`EventClass`] and what
//!    it may do (open an incident, with which priority; resolve it);
//! 5. [`maintenance`] and [`flapping`]: whether it must stay quiet;
//! 6. [`correlate`]: which alert group it joins;
//! 7. [`process`]: all of the above for one event, as one plain
//!    [`process::Decision`] the store applies.
//!
//! The types here are the vocabulary every step shares. The semantics are
//! written for a newcomer in `docs/dev/event-processing.md`.

pub mod classify;
pub mod correlate;
pub mod decode;
pub mod enrich;
pub mod fingerprint;
pub mod flapping;
pub mod maintenance;
pub mod process;

use crate::ticket::named_enum;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// How bad an event says things are, from the mildest: the derived order
    /// is by severity (`Info < Warning < Error < Critical`).
    Severity, "severity" {
        /// Something worth knowing; nothing is wrong.
        Info => "info",
        /// Something may go wrong soon.
        Warning => "warning",
        /// Something is broken.
        Error => "error",
        /// Something important is broken now.
        Critical => "critical",
    }
);

impl Severity {
    /// Reads the names monitoring tools commonly use (any case): `crit`,
    /// `fatal`, `disaster`, `high`, `warn`, `average`, `notice`, `ok`…
    /// Returns `None` for a name it does not know.
    pub fn from_synonym(name: &str) -> Option<Severity> {
        let lower = name.trim().to_ascii_lowercase();
        let severity = match lower.as_str() {
            "critical" | "crit" | "fatal" | "disaster" | "emergency" | "emerg" | "alert"
            | "page" | "p1" | "sev1" => Severity::Critical,
            "error" | "err" | "high" | "major" | "p2" | "sev2" => Severity::Error,
            "warning" | "warn" | "average" | "minor" | "medium" | "p3" | "sev3" => {
                Severity::Warning
            }
            "info" | "information" | "informational" | "notice" | "low" | "none" | "ok"
            | "debug" | "not classified" | "p4" | "p5" | "sev4" => Severity::Info,
            _ => return None,
        };
        Some(severity)
    }
}

named_enum!(
    /// What an event asks for its alert.
    EventAction, "event action" {
        /// The condition holds (fires or fires again).
        Trigger => "trigger",
        /// Someone is looking at it; it still holds.
        Acknowledge => "acknowledge",
        /// The condition is over.
        Resolve => "resolve",
    }
);

named_enum!(
    /// What classification made of an event.
    EventClass, "event class" {
        /// Recorded only: normal operation worth a trace.
        Informational => "informational",
        /// Unusual but not an outage: an alert group, no incident.
        Warning => "warning",
        /// Something is broken: an alert group and, per rule, an incident.
        Exception => "exception",
    }
);

/// Bounds on what one request may carry; decoders refuse anything beyond
/// them with the offending field's path.
pub mod limits {
    use jiff::SignedDuration;

    /// Largest body a decoder reads, in bytes.
    pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
    /// Most events in one body.
    pub const MAX_EVENTS_PER_BODY: usize = 10_000;
    /// Longest summary, in characters; longer ones are truncated (as
    /// PagerDuty does), not refused.
    pub const MAX_SUMMARY_CHARS: usize = 1024;
    /// Longest source, resource, check or dedup key, in characters.
    pub const MAX_NAME_CHARS: usize = 255;
    /// Most labels on one event.
    pub const MAX_LABELS: usize = 64;
    /// Longest label name, in characters.
    pub const MAX_LABEL_NAME_CHARS: usize = 128;
    /// Longest label value, in characters.
    pub const MAX_LABEL_VALUE_CHARS: usize = 1024;
    /// Largest details value, in bytes of compact JSON.
    pub const MAX_DETAILS_BYTES: usize = 64 * 1024;
    /// How far in the future an event time may be before it is clamped to
    /// `now` (and the event flagged `clamped`).
    pub const MAX_FUTURE_SKEW: SignedDuration = SignedDuration::from_secs(5 * 60);
}

/// A normalised event, whatever format it came in.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The integration or tool that sent it (`prometheus-prod`, `zabbix`).
    pub source: String,
    /// What it is about: a host name, an address, a service name.
    pub resource: String,
    /// What was checked (`HostDown`, `disk /var`); with source and resource
    /// it names the alert when no dedup key is given.
    pub check: String,
    /// How bad.
    pub severity: Severity,
    /// What it asks.
    pub action: EventAction,
    /// One line for humans, at most [`limits::MAX_SUMMARY_CHARS`].
    pub summary: String,
    /// Whatever else the sender said, as compact JSON (`null` when nothing).
    pub details: Details,
    /// Key/value labels, used by classification rules and CI matching.
    pub labels: BTreeMap<String, String>,
    /// When it happened (never more than a few minutes after `now`).
    pub occurred_at: Timestamp,
    /// The sender's own identity for the alert, if it gives one.
    pub dedup_key: Option<String>,
    /// Whether `occurred_at` was in the future and was set to `now`.
    pub clamped: bool,
}

impl Event {
    /// A trigger event with the given identity and everything else empty,
    /// for tests and for shells that build events by hand.
    pub fn new(
        source: &str,
        resource: &str,
        check: &str,
        severity: Severity,
        at: Timestamp,
    ) -> Event {
        Event {
            source: source.to_owned(),
            resource: resource.to_owned(),
            check: check.to_owned(),
            severity,
            action: EventAction::Trigger,
            summary: String::new(),
            details: Details::default(),
            labels: BTreeMap::new(),
            occurred_at: at,
            dedup_key: None,
            clamped: false,
        }
    }
}

/// What an event's sender said beyond the fields Vigie reads, kept as the
/// compact JSON text it is stored as: a decoder writes it once, and its size
/// is the length of that text. Always written by serde_json (from a value,
/// or from a decoder's own struct whose fields are in key order), so it
/// holds one valid JSON value and two details are equal when their texts
/// are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Details(String);

impl Default for Details {
    /// `null`: nothing said.
    fn default() -> Details {
        Details("null".to_owned())
    }
}

impl Details {
    /// The details holding `value`.
    pub fn of(value: &serde_json::Value) -> Details {
        Details(value.to_string())
    }

    /// The details written by serializing `value` (a struct of the
    /// decoder's own); `None` if it does not serialize.
    pub(crate) fn write<T: Serialize + ?Sized>(value: &T) -> Option<Details> {
        serde_json::to_string(value).ok().map(Details)
    }

    /// The compact JSON text.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// The size of the text, in bytes.
    pub fn size(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was said (`null`).
    pub fn is_null(&self) -> bool {
        self.0 == "null"
    }

    /// The details as a JSON value (`Null` should the text not parse,
    /// which its constructors rule out).
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

/// `t + d`, saturating at the ends of time instead of panicking (policies
/// are editable, so a window may be absurd).
pub(crate) fn later(t: Timestamp, d: jiff::SignedDuration) -> Timestamp {
    t.saturating_add(d).unwrap_or(t)
}

/// `t - d`, saturating.
pub(crate) fn earlier(t: Timestamp, d: jiff::SignedDuration) -> Timestamp {
    t.saturating_sub(d).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_ordered_by_gravity() {
        assert!(Severity::Critical > Severity::Error);
        assert!(Severity::Error > Severity::Warning);
        assert!(Severity::Warning > Severity::Info);
        assert_eq!(Severity::ALL.first(), Some(&Severity::Info));
        assert_eq!("critical".parse::<Severity>(), Ok(Severity::Critical));
    }

    #[test]
    fn synonyms() {
        let check = |name: &str, expected: Option<Severity>| {
            assert_eq!(Severity::from_synonym(name), expected, "{name}");
        };
        check("CRIT", Some(Severity::Critical));
        check("Disaster", Some(Severity::Critical));
        check("high", Some(Severity::Error));
        check(" warn ", Some(Severity::Warning));
        check("Average", Some(Severity::Warning));
        check("notice", Some(Severity::Info));
        check("Not classified", Some(Severity::Info));
        check("purple", None);
    }

    #[test]
    fn names_round_trip() {
        for a in EventAction::ALL {
            assert_eq!(a.as_str().parse::<EventAction>(), Ok(*a));
        }
        for c in EventClass::ALL {
            assert_eq!(c.as_str().parse::<EventClass>(), Ok(*c));
        }
    }
}
