//! The identity of an alert, so that the same condition sent again is
//! counted, not stored twice.
//!
//! An event's fingerprint is, when the sender gives a dedup key, that key
//! namespaced by the source (two tools may use the same keys); otherwise its
//! source, resource (without case: host names are case-insensitive) and
//! check, plus the values of labels the caller names. Severity, summary,
//! time, details and the other labels are *not* part of it: a disk going
//! from warning to critical is the same alert getting worse.
//!
//! The value is the first 16 hex digits (64 bits) of a SHA-256 over the
//! length-prefixed parts, under a version tag: it is the same on every
//! platform and every release, and a test pins it. Changing the recipe means
//! a new version tag and a migration of stored fingerprints.

use super::Event;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// An alert's identity: 16 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fingerprint of an event, from its dedup key or its source, resource
/// and check.
pub fn fingerprint(event: &Event) -> Fingerprint {
    fingerprint_with_labels(event, &[])
}

/// The fingerprint of an event whose identity also holds the values of the
/// labels named (in any order; a missing label counts as empty). Ignored
/// when the event has a dedup key: the sender's key is the identity.
pub fn fingerprint_with_labels(event: &Event, identity_labels: &[&str]) -> Fingerprint {
    let hex = match &event.dedup_key {
        Some(key) => digest_prefix(&["vigie-fp-1", "key", &event.source, key], 16),
        None => {
            let resource = event.resource.to_lowercase();
            let mut names: Vec<&str> = identity_labels.to_vec();
            names.sort_unstable();
            names.dedup();
            let mut parts: Vec<&str> = vec![
                "vigie-fp-1",
                "event",
                &event.source,
                &resource,
                &event.check,
            ];
            for name in names {
                parts.push(name);
                parts.push(event.labels.get(name).map_or("", String::as_str));
            }
            digest_prefix(&parts, 16)
        }
    };
    Fingerprint(hex)
}

/// The identity of one delivery of an event: its alert, action, severity
/// and time. A sender retrying a request (or repeating a notification with
/// nothing new, as Alertmanager does every `repeat_interval`) sends the same
/// key again and the event is stored once; a new occurrence (a later time,
/// a changed severity, a resolution) has a new key. 32 hex digits.
pub fn delivery_key(event: &Event, fingerprint: &Fingerprint) -> String {
    let at = event.occurred_at.as_microsecond().to_string();
    digest_prefix(
        &[
            "vigie-delivery-1",
            fingerprint.as_str(),
            event.action.as_str(),
            event.severity.as_str(),
            &at,
        ],
        32,
    )
}

/// The SHA-256 of the parts, each prefixed with its length so that no two
/// lists of parts give the same input, as 64 lowercase hex digits.
pub(crate) fn digest(parts: &[&str]) -> String {
    digest_prefix(parts, 64)
}

/// The first `digits` (at most 64) hex digits of [`digest`], without
/// writing the others.
fn digest_prefix(parts: &[&str], digits: usize) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(digits);
    for b in hasher.finalize() {
        if out.len() >= digits {
            break;
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        if out.len() < digits {
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventAction, Severity};

    #[test]
    fn a_retried_delivery_has_the_same_key_and_a_new_occurrence_another() {
        let e = event();
        let fp = fingerprint(&e);
        let key = delivery_key(&e, &fp);
        assert_eq!(key.len(), 32);
        assert_eq!(key, delivery_key(&e.clone(), &fp));
        let mut later = e.clone();
        later.occurred_at = later
            .occurred_at
            .checked_add(jiff::SignedDuration::from_secs(60))
            .expect("time");
        assert_ne!(key, delivery_key(&later, &fp));
        let mut resolved = e.clone();
        resolved.action = EventAction::Resolve;
        assert_ne!(key, delivery_key(&resolved, &fp));
        let mut worse = e.clone();
        worse.severity = Severity::Warning;
        assert_ne!(key, delivery_key(&worse, &fp));
        let mut reworded = e;
        reworded.summary = "still down".into();
        assert_eq!(
            key,
            delivery_key(&reworded, &fp),
            "the text is not the identity"
        );
    }

    fn event() -> Event {
        let at = "2024-05-14T08:00:00Z".parse().expect("time");
        Event::new(
            "prometheus",
            "srv-erp-01",
            "HostDown",
            Severity::Critical,
            at,
        )
    }

    #[test]
    fn the_value_is_pinned() {
        // If this changes, stored fingerprints no longer match: bump the
        // version tag and migrate instead.
        assert_eq!(fingerprint(&event()).as_str(), PINNED_EVENT);
        let keyed = Event {
            dedup_key: Some("abc123".into()),
            ..event()
        };
        assert_eq!(fingerprint(&keyed).as_str(), PINNED_KEY);
        assert_eq!(
            digest(&["a", "b"]),
            "cf6ab613e3942391f88ed698557e1680f160bd10e88c6b668c50360c10930e2b"
        );
    }

    const PINNED_EVENT: &str = "2e74da3352efa3cb";
    const PINNED_KEY: &str = "f51d3d6499a1f26c";

    #[test]
    fn what_is_not_identity() {
        let base = fingerprint(&event());
        let later = Event {
            severity: Severity::Warning,
            action: EventAction::Resolve,
            summary: "back".into(),
            occurred_at: "2024-05-15T08:00:00Z".parse().expect("time"),
            details: crate::event::Details::of(&serde_json::json!({"x": 1})),
            labels: [("team".to_owned(), "ops".to_owned())].into(),
            clamped: true,
            ..event()
        };
        assert_eq!(fingerprint(&later), base);
        let shouting = Event {
            resource: "SRV-ERP-01".into(),
            ..event()
        };
        assert_eq!(fingerprint(&shouting), base);
    }

    #[test]
    fn what_is_identity() {
        let base = fingerprint(&event());
        let other = |e: Event| assert_ne!(fingerprint(&e), base);
        other(Event {
            source: "zabbix".into(),
            ..event()
        });
        other(Event {
            resource: "srv-erp-02".into(),
            ..event()
        });
        other(Event {
            check: "DiskFull".into(),
            ..event()
        });
        other(Event {
            dedup_key: Some("k".into()),
            ..event()
        });
        // Parts are length-prefixed: moving a character between them changes it.
        let a = Event::new("ab", "c", "d", Severity::Info, event().occurred_at);
        let b = Event::new("a", "bc", "d", Severity::Info, event().occurred_at);
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }

    #[test]
    fn a_dedup_key_is_namespaced_by_source() {
        let keyed = |source: &str, resource: &str| Event {
            dedup_key: Some("k-1".into()),
            ..Event::new(source, resource, "x", Severity::Error, event().occurred_at)
        };
        assert_eq!(
            fingerprint(&keyed("am", "a")),
            fingerprint(&keyed("am", "b"))
        );
        assert_ne!(
            fingerprint(&keyed("am", "a")),
            fingerprint(&keyed("pd", "a"))
        );
    }

    #[test]
    fn chosen_labels() {
        let with = |disk: &str| Event {
            labels: [("mount".to_owned(), disk.to_owned())].into(),
            ..event()
        };
        let fp = |e: &Event| fingerprint_with_labels(e, &["mount"]);
        assert_ne!(fp(&with("/var")), fp(&with("/home")));
        assert_eq!(fingerprint(&with("/var")), fingerprint(&with("/home")));
        assert_eq!(
            fingerprint_with_labels(&with("/var"), &["mount", "zone"]),
            fingerprint_with_labels(&with("/var"), &["zone", "mount", "mount"])
        );
        assert_eq!(fp(&with("/var")).as_str().len(), 16);
    }
}
