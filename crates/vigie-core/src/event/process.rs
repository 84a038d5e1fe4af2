//! One event through the whole pipeline, as one plain [`Decision`] the store
//! applies in one transaction.
//!
//! The shell decodes the body, fingerprints each event, looks up its item
//! ([`super::enrich::CiIndex`]), reads the fingerprint's [`DedupRecord`],
//! the tenant's rules, maintenance windows and unresolved alert groups, and
//! calls [`process`]. The semantics are in `docs/dev/event-processing.md`.

use super::classify::{Classification, RuleSet};
use super::correlate::{
    self, Act, ActFacts, AlertGroup, AlertStatus, Ancestry, Correlation, CorrelationPolicy,
    GroupState, MergedIncident,
};
use super::fingerprint::Fingerprint;
use super::flapping::{FlapDecision, FlapPolicy, FlapState};
use super::maintenance::{self, MaintenanceWindow};
use super::{Event, EventAction, EventClass, Severity};
use crate::ids::{AlertGroupId, CiId};
use jiff::Timestamp;

/// What the store keeps per fingerprint: how often, since when, and where
/// the alert stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DedupRecord {
    /// Events received with this fingerprint (all actions).
    pub count: u64,
    /// The earliest event time seen.
    pub first_seen: Timestamp,
    /// The latest event time seen.
    pub last_seen: Timestamp,
    /// The action of the latest event (by event time).
    pub last_action: EventAction,
    /// The severity of the latest trigger; resolutions are classified with
    /// it, since they often carry none.
    pub severity: Severity,
    /// Recent state changes, for flapping.
    pub flap: FlapState,
}

impl DedupRecord {
    /// The record of a fingerprint's first event.
    pub fn first(event: &Event) -> DedupRecord {
        DedupRecord {
            count: 1,
            first_seen: event.occurred_at,
            last_seen: event.occurred_at,
            last_action: event.action,
            severity: event.severity,
            flap: FlapState::default(),
        }
    }

    /// The record after one more event. Counting and the first and last
    /// times do not depend on the order events arrive in; an event older
    /// than the last one seen changes neither the last action nor the
    /// severity (it is *stale*).
    pub fn merge(&self, event: &Event) -> DedupRecord {
        let current = event.occurred_at >= self.last_seen;
        DedupRecord {
            count: self.count.saturating_add(1),
            first_seen: self.first_seen.min(event.occurred_at),
            last_seen: self.last_seen.max(event.occurred_at),
            last_action: if current {
                event.action
            } else {
                self.last_action
            },
            severity: if current && event.action == EventAction::Trigger {
                event.severity
            } else {
                self.severity
            },
            flap: self.flap.clone(),
        }
    }

    /// Where the alert stands.
    pub fn status(&self) -> AlertStatus {
        AlertStatus::after(self.last_action)
    }
}

/// A tenant's tunables for event processing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventPolicy {
    /// Grouping.
    pub correlation: CorrelationPolicy,
    /// Flapping.
    pub flapping: FlapPolicy,
}

/// Everything [`process`] needs besides the event.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The fingerprint's record, `None` for a first event.
    pub previous: Option<&'a DedupRecord>,
    /// The tenant's rules.
    pub rules: &'a RuleSet,
    /// The item the event is about, from [`super::enrich::CiIndex::lookup`].
    pub ci: Option<CiId>,
    /// How critical that item is (the impact of an incident opened for it).
    pub criticality: Option<crate::cmdb::Criticality>,
    /// The CMDB's relations.
    pub ancestry: &'a dyn Ancestry,
    /// The tenant's maintenance windows (inactive ones are ignored).
    pub windows: &'a [MaintenanceWindow],
    /// The tenant's unresolved alert groups.
    pub groups: &'a [AlertGroup],
    /// The tenant's tunables.
    pub policy: &'a EventPolicy,
}

/// What to do with a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupChange {
    /// Join which group, or open one with which root.
    pub target: Correlation,
    /// The item to add to its members, if any.
    pub member: Option<CiId>,
    /// The event's fingerprint and where its alert now stands in the group.
    pub alert: (Fingerprint, AlertStatus),
    /// The group's state afterwards.
    pub state: GroupState,
    /// The group's new last event time (`now`).
    pub last_event_at: Timestamp,
    /// Other groups merged into this one (their root sits below the item
    /// the group is re-rooted at): their alerts move here, and they end.
    pub merge: Vec<AlertGroupId>,
    /// What becomes of the incident of each merged group, in the order of
    /// [`GroupChange::merge`] (`correlate::merged_incidents`).
    pub merged_incidents: Vec<(AlertGroupId, MergedIncident)>,
}

/// What the store applies for one event.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The fingerprint's record to write (insert when there was none).
    pub dedup: DedupRecord,
    /// Whether the event is older than the last one of its fingerprint: it
    /// is counted, and does nothing else.
    pub stale: bool,
    /// What classification said (the rule's index and its outcome).
    pub classification: Classification,
    /// The group change, if the event joins or opens one.
    pub group: Option<GroupChange>,
    /// The incident action.
    pub act: Act,
    /// The flapping verdict (its state is also in `dedup.flap`).
    pub flapping: FlapDecision,
}

/// Decides what one event does.
pub fn process(
    event: &Event,
    fingerprint: &Fingerprint,
    cx: &Context<'_>,
    now: Timestamp,
) -> Decision {
    let mut dedup = match cx.previous {
        Some(p) => p.merge(event),
        None => DedupRecord::first(event),
    };
    let stale = cx.previous.is_some_and(|p| event.occurred_at < p.last_seen);
    let status = AlertStatus::after(event.action);
    let changed = !stale && cx.previous.is_none_or(|p| p.status() != status);
    let flap_before = cx.previous.map(|p| p.flap.clone()).unwrap_or_default();
    let flapping = flap_before.assess(changed && !stale, &cx.policy.flapping, now);
    dedup.flap = flapping.state.clone();

    // A resolution is classified like the alert it clears.
    let classified = match (event.action, cx.previous) {
        (EventAction::Trigger, _) | (_, None) => cx.rules.classify(event),
        (_, Some(p)) => cx.rules.classify(&Event {
            severity: p.severity,
            ..event.clone()
        }),
    };
    let ancestors = cx
        .ci
        .map(|ci| correlate::ancestors(ci, cx.ancestry, &cx.policy.correlation))
        .unwrap_or_default();
    let suppressed_by = maintenance::suppressing(cx.windows, cx.ci, &ancestors, now);
    let quiet = stale
        || (event.action == EventAction::Trigger
            && (suppressed_by.is_some() || classified.outcome.class == EventClass::Informational));
    let mut group = if quiet {
        None
    } else {
        group_change(event, fingerprint, cx, &ancestors, now)
    };
    let before = group.as_ref().and_then(|(g, _)| *g);
    let act = if stale {
        Act::RecordOnly
    } else {
        correlate::act(&ActFacts {
            action: event.action,
            severity: classified_severity(event, cx.previous),
            outcome: &classified.outcome,
            suppressed_by,
            flapping: flapping.state.flapping,
            incident: before.and_then(|g| g.incident),
            alert_before: before.and_then(|g| g.alerts.get(fingerprint).copied()),
            group_cleared: group
                .as_ref()
                .is_some_and(|(_, c)| c.state == GroupState::Resolved),
            grouped: group.is_some(),
            criticality: cx.criticality,
        })
    };
    if let Some((existing, change)) = group.as_mut() {
        let absorbed: Vec<(AlertGroupId, Option<crate::ids::TicketId>)> = change
            .merge
            .iter()
            .map(|id| {
                let incident = cx
                    .groups
                    .iter()
                    .find(|g| g.id == *id)
                    .and_then(|g| g.incident);
                (*id, incident)
            })
            .collect();
        change.merged_incidents =
            correlate::merged_incidents(existing.and_then(|g| g.incident), &act, &absorbed);
    }
    Decision {
        dedup,
        stale,
        classification: classified,
        group: group.map(|(_, change)| change),
        act,
        flapping,
    }
}

fn classified_severity(event: &Event, previous: Option<&DedupRecord>) -> Severity {
    match (event.action, previous) {
        (EventAction::Trigger, _) | (_, None) => event.severity,
        (_, Some(p)) => p.severity,
    }
}

/// The group a (non-stale) event touches, with the group as it was.
fn group_change<'g>(
    event: &Event,
    fingerprint: &Fingerprint,
    cx: &Context<'g>,
    ancestors: &[CiId],
    now: Timestamp,
) -> Option<(Option<&'g AlertGroup>, GroupChange)> {
    let status = AlertStatus::after(event.action);
    let live = |g: &&AlertGroup| g.state != GroupState::Resolved;
    let target = match event.action {
        // Acknowledgements and resolutions only touch the group of their
        // alert; they never open one.
        EventAction::Acknowledge | EventAction::Resolve => {
            let g = cx
                .groups
                .iter()
                .filter(live)
                .find(|g| g.alerts.contains_key(fingerprint))?;
            Correlation::Join {
                group: g.id,
                reroot: None,
            }
        }
        EventAction::Trigger => correlate::correlate(
            fingerprint,
            cx.ci,
            ancestors,
            cx.groups,
            cx.ancestry,
            &cx.policy.correlation,
            now,
        ),
    };
    let existing = match &target {
        Correlation::Join { group, .. } => cx.groups.iter().find(|g| g.id == *group),
        Correlation::Open { .. } => None,
    };
    let state = match existing {
        Some(g) => {
            let all_cleared = status == AlertStatus::Cleared
                && g.alerts
                    .iter()
                    .all(|(fp, s)| fp == fingerprint || *s == AlertStatus::Cleared);
            g.state.after(event.action, all_cleared)
        }
        None => GroupState::Open,
    };
    let member = cx
        .ci
        .filter(|ci| existing.is_none_or(|g| !g.members.contains(ci)));
    let merge = match &target {
        Correlation::Join {
            group,
            reroot: Some(ci),
        } => correlate::merged_into(
            *group,
            *ci,
            cx.groups,
            cx.ancestry,
            &cx.policy.correlation,
            now,
        ),
        _ => Vec::new(),
    };
    Some((
        existing,
        GroupChange {
            target,
            member,
            alert: (fingerprint.clone(), status),
            state,
            last_event_at: now,
            merge,
            merged_incidents: Vec::new(),
        },
    ))
}

#[cfg(test)]
#[path = "process_tests.rs"]
mod tests;
