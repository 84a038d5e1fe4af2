//! One event through the pipeline: a story of an outage with the default
//! rules, the quiet cases (maintenance, flapping, stale, informational), and
//! the order-independence of deduplication.

use super::*;
use crate::cmdb::RelationType;
use crate::event::correlate::GroupRoot;
use crate::event::fingerprint::fingerprint;
use crate::event::maintenance::WindowScope;
use crate::ids::{AlertGroupId, MaintenanceWindowId, TicketId};
use crate::ticket::priority::Priority;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const RACK: CiId = CiId(3);
const SRV1: CiId = CiId(11);
const SRV2: CiId = CiId(12);

fn at(minute: i64) -> Timestamp {
    Timestamp::from_second(1_715_673_600 + minute * 60).expect("time")
}

fn parents(ci: CiId) -> Vec<(RelationType, CiId)> {
    match ci.0 {
        11 | 12 => vec![(RelationType::LocatedIn, RACK)],
        _ => vec![],
    }
}

fn event(resource: &str, severity: Severity, action: EventAction, minute: i64) -> Event {
    Event {
        action,
        ..Event::new("prometheus", resource, "HostDown", severity, at(minute))
    }
}

/// The tenant's state as the store would keep it between events.
struct World {
    rules: RuleSet,
    policy: EventPolicy,
    windows: Vec<MaintenanceWindow>,
    records: BTreeMap<Fingerprint, DedupRecord>,
    groups: Vec<AlertGroup>,
    next_incident: i64,
}

impl World {
    fn new() -> World {
        World {
            rules: RuleSet::default(),
            policy: EventPolicy::default(),
            windows: Vec::new(),
            records: BTreeMap::new(),
            groups: Vec::new(),
            next_incident: 100,
        }
    }

    /// Processes an event at its own time and applies the decision as the
    /// store would.
    fn send(&mut self, e: &Event, ci: Option<CiId>) -> Decision {
        let fp = fingerprint(e);
        let now = e.occurred_at;
        let live: Vec<AlertGroup> = self
            .groups
            .iter()
            .filter(|g| g.state != GroupState::Resolved)
            .cloned()
            .collect();
        let d = process(
            e,
            &fp,
            &Context {
                previous: self.records.get(&fp),
                rules: &self.rules,
                ci,
                criticality: None,
                ancestry: &parents,
                windows: &self.windows,
                groups: &live,
                policy: &self.policy,
            },
            now,
        );
        self.records.insert(fp, d.dedup.clone());
        if let Some(change) = &d.group {
            self.apply(change, &d.act);
        }
        d
    }

    fn apply(&mut self, change: &GroupChange, act: &Act) {
        let id = match &change.target {
            Correlation::Join { group, .. } => *group,
            Correlation::Open { root } => {
                let id = AlertGroupId(self.groups.len() as i64 + 1);
                self.groups.push(AlertGroup {
                    id,
                    root: root.clone(),
                    members: BTreeSet::new(),
                    alerts: BTreeMap::new(),
                    state: GroupState::Open,
                    opened_at: change.last_event_at,
                    last_event_at: change.last_event_at,
                    incident: None,
                });
                id
            }
        };
        let Some(g) = self.groups.iter_mut().find(|g| g.id == id) else {
            panic!("group {id} not found");
        };
        if let Correlation::Join {
            reroot: Some(root), ..
        } = change.target
        {
            g.root = GroupRoot::Ci(root);
        }
        g.members.extend(change.member);
        g.alerts.insert(change.alert.0.clone(), change.alert.1);
        g.state = change.state;
        g.last_event_at = change.last_event_at;
        if act.opens_incident() {
            g.incident = Some(TicketId(self.next_incident));
            self.next_incident += 1;
        }
        for from in &change.merge {
            let Some(pos) = self.groups.iter().position(|g| g.id == *from) else {
                continue;
            };
            let alerts = std::mem::take(&mut self.groups[pos].alerts);
            self.groups[pos].state = GroupState::Resolved;
            if let Some(g) = self.groups.iter_mut().find(|g| g.id == id) {
                g.alerts.extend(alerts);
            }
        }
    }
}

#[test]
fn a_rack_reporting_after_its_servers_gathers_their_incidents_under_one() {
    use crate::event::correlate::MergedIncident;
    let mut w = World::new();
    // Each server fails alone first: two groups, two incidents.
    for (name, ci) in [("srv1", SRV1), ("srv2", SRV2)] {
        let d = w.send(
            &event(name, Severity::Critical, EventAction::Trigger, 0),
            Some(ci),
        );
        assert!(matches!(d.act, Act::OpenIncident { .. }), "{:?}", d.act);
    }
    assert_eq!(w.groups.len(), 2);
    // Their rack reports: it re-roots the first group, whose incident
    // carries the outage, and merges the second, whose incident becomes
    // a child of it.
    let d = w.send(
        &event("rack-a-pdu", Severity::Critical, EventAction::Trigger, 1),
        Some(RACK),
    );
    assert_eq!(
        d.act,
        Act::AttachToIncident {
            incident: TicketId(100)
        }
    );
    let change = d.group.expect("group");
    assert_eq!(change.merge, vec![AlertGroupId(2)]);
    assert_eq!(
        change.merged_incidents,
        vec![(AlertGroupId(2), MergedIncident::Attached(TicketId(101)))]
    );
    // Everything clears: the last resolution resolves the carrier (the
    // store resolves its children with it).
    let mut last = Act::RecordOnly;
    for (name, ci) in [("srv1", SRV1), ("srv2", SRV2), ("rack-a-pdu", RACK)] {
        last = w
            .send(
                &event(name, Severity::Info, EventAction::Resolve, 5),
                Some(ci),
            )
            .act;
    }
    assert_eq!(
        last,
        Act::ResolveIncident {
            incident: TicketId(100)
        }
    );
}

#[test]
fn a_critical_rack_after_warning_servers_attaches_their_incident_to_its_own() {
    use crate::event::correlate::MergedIncident;
    let mut w = World::new();
    // Server 1 only warns (a group, no incident); server 2 fails.
    w.send(
        &event("srv1", Severity::Warning, EventAction::Trigger, 0),
        Some(SRV1),
    );
    let d = w.send(
        &event("srv2", Severity::Critical, EventAction::Trigger, 0),
        Some(SRV2),
    );
    assert!(matches!(d.act, Act::OpenIncident { .. }), "{:?}", d.act);
    // The rack re-roots server 1's group, which had no incident: the
    // rack's incident opens and carries server 2's as a child.
    let d = w.send(
        &event("rack-a-pdu", Severity::Critical, EventAction::Trigger, 1),
        Some(RACK),
    );
    assert!(matches!(d.act, Act::OpenIncident { .. }), "{:?}", d.act);
    assert_eq!(
        d.group.expect("group").merged_incidents,
        vec![(AlertGroupId(2), MergedIncident::Attached(TicketId(100)))]
    );
}

#[test]
fn an_outage_story_with_the_default_rules() {
    let mut w = World::new();
    // The rack's PDU reports first: one group, one P1 incident.
    let d = w.send(
        &event("rack-a-pdu", Severity::Critical, EventAction::Trigger, 0),
        Some(RACK),
    );
    assert_eq!(
        d.act,
        Act::OpenIncident {
            priority: Priority::Critique
        }
    );
    assert_eq!(d.classification.rule, Some(0));
    assert_eq!(d.dedup.count, 1);
    assert_eq!(w.groups.len(), 1);
    // Both servers in the rack join it and attach to its incident.
    let d = w.send(
        &event("srv1", Severity::Error, EventAction::Trigger, 1),
        Some(SRV1),
    );
    assert_eq!(
        d.act,
        Act::AttachToIncident {
            incident: TicketId(100)
        }
    );
    let d = w.send(
        &event("srv2", Severity::Critical, EventAction::Trigger, 1),
        Some(SRV2),
    );
    assert_eq!(
        d.act,
        Act::AttachToIncident {
            incident: TicketId(100)
        }
    );
    assert_eq!(w.groups.len(), 1);
    assert_eq!(w.groups[0].members, BTreeSet::from([RACK, SRV1, SRV2]));
    // Server 1 repeats: counted, nothing more.
    let d = w.send(
        &event("srv1", Severity::Error, EventAction::Trigger, 2),
        Some(SRV1),
    );
    assert_eq!(d.act, Act::RecordOnly);
    assert_eq!(d.dedup.count, 2);
    assert_eq!(d.dedup.first_seen, at(1));
    assert_eq!(d.dedup.last_seen, at(2));
    // Acknowledged by someone: the group is acknowledged.
    let d = w.send(
        &event("srv2", Severity::Info, EventAction::Acknowledge, 3),
        Some(SRV2),
    );
    assert_eq!(d.act, Act::RecordOnly);
    assert_eq!(w.groups[0].state, GroupState::Acknowledged);
    // Everything clears; the last resolution resolves the incident. The
    // resolutions carry severity info, yet are classified as the alert.
    let d = w.send(
        &event("rack-a-pdu", Severity::Info, EventAction::Resolve, 5),
        Some(RACK),
    );
    assert_eq!(d.act, Act::RecordOnly);
    assert_eq!(d.classification.outcome.class, EventClass::Exception);
    w.send(
        &event("srv1", Severity::Info, EventAction::Resolve, 6),
        Some(SRV1),
    );
    let d = w.send(
        &event("srv2", Severity::Info, EventAction::Resolve, 6),
        Some(SRV2),
    );
    assert_eq!(
        d.act,
        Act::ResolveIncident {
            incident: TicketId(100)
        }
    );
    assert_eq!(w.groups[0].state, GroupState::Resolved);
    // Server 1 fails again later: a new group and a new incident.
    let d = w.send(
        &event("srv1", Severity::Error, EventAction::Trigger, 30),
        Some(SRV1),
    );
    assert_eq!(
        d.act,
        Act::OpenIncident {
            priority: Priority::Haut
        }
    );
    assert_eq!(w.groups.len(), 2);
}

#[test]
fn warnings_group_without_incident_and_info_is_only_recorded() {
    let mut w = World::new();
    let d = w.send(
        &event("srv1", Severity::Warning, EventAction::Trigger, 0),
        Some(SRV1),
    );
    assert_eq!(d.act, Act::RecordOnly);
    assert_eq!(d.classification.outcome.class, EventClass::Warning);
    assert!(d.group.is_some());
    let info = Event {
        check: "backup ok".into(),
        ..event("srv1", Severity::Info, EventAction::Trigger, 1)
    };
    let d = w.send(&info, Some(SRV1));
    assert_eq!(d.act, Act::RecordOnly);
    assert_eq!(d.group, None);
    // The warning getting worse on the same alert opens the incident.
    let d = w.send(
        &event("srv1", Severity::Critical, EventAction::Trigger, 2),
        Some(SRV1),
    );
    assert_eq!(
        d.act,
        Act::OpenIncident {
            priority: Priority::Critique
        }
    );
    assert_eq!(w.groups.len(), 1);
    // A resolution for an alert nobody grouped opens nothing.
    let d = w.send(
        &event("srv9", Severity::Info, EventAction::Resolve, 3),
        None,
    );
    assert_eq!((d.act, d.group), (Act::RecordOnly, None));
}

#[test]
fn maintenance_suppresses_triggers_but_not_resolutions() {
    let mut w = World::new();
    w.send(
        &event("srv1", Severity::Critical, EventAction::Trigger, 0),
        Some(SRV1),
    );
    w.windows.push(MaintenanceWindow {
        id: MaintenanceWindowId(5),
        starts_at: at(10),
        ends_at: at(70),
        scope: WindowScope::Items(BTreeSet::from([RACK])),
        include_children: true,
    });
    let d = w.send(
        &event("srv2", Severity::Critical, EventAction::Trigger, 15),
        Some(SRV2),
    );
    assert_eq!(
        d.act,
        Act::Suppressed {
            window: MaintenanceWindowId(5)
        }
    );
    assert_eq!(d.group, None);
    let d = w.send(
        &event("srv1", Severity::Info, EventAction::Resolve, 20),
        Some(SRV1),
    );
    assert_eq!(
        d.act,
        Act::ResolveIncident {
            incident: TicketId(100)
        }
    );
    // Still down after the window: the next repeat raises it.
    let d = w.send(
        &event("srv2", Severity::Critical, EventAction::Trigger, 71),
        Some(SRV2),
    );
    assert_eq!(
        d.act,
        Act::OpenIncident {
            priority: Priority::Critique
        }
    );
}

#[test]
fn a_flapping_alert_takes_no_incident_action() {
    let mut w = World::new();
    let mut acts = Vec::new();
    for m in 0..6 {
        let action = if m % 2 == 0 {
            EventAction::Trigger
        } else {
            EventAction::Resolve
        };
        let d = w.send(&event("srv1", Severity::Critical, action, m), Some(SRV1));
        acts.push((d.act, d.flapping.state.flapping));
    }
    let incident = TicketId(100);
    assert_eq!(
        acts,
        vec![
            (
                Act::OpenIncident {
                    priority: Priority::Critique
                },
                false
            ),
            (Act::ResolveIncident { incident }, false),
            (
                Act::OpenIncident {
                    priority: Priority::Critique
                },
                false
            ),
            (
                Act::ResolveIncident {
                    incident: TicketId(101)
                },
                false
            ),
            (Act::RecordOnly, true),
            (Act::RecordOnly, true),
        ]
    );
    let d = w.send(
        &event("srv1", Severity::Critical, EventAction::Resolve, 6),
        Some(SRV1),
    );
    assert_eq!(
        d.act,
        Act::RecordOnly,
        "a repeat is no change, still flapping"
    );
    assert_eq!(d.flapping.ends_at, Some(at(13)));
}

#[test]
fn a_stale_event_is_counted_and_does_nothing_else() {
    let mut w = World::new();
    w.send(
        &event("srv1", Severity::Critical, EventAction::Trigger, 0),
        Some(SRV1),
    );
    w.send(
        &event("srv1", Severity::Critical, EventAction::Resolve, 5),
        Some(SRV1),
    );
    let late = event("srv1", Severity::Critical, EventAction::Trigger, 3);
    let d = w.send(&late, Some(SRV1));
    assert!(d.stale);
    assert_eq!((d.act, d.group), (Act::RecordOnly, None));
    assert_eq!(d.dedup.count, 3);
    assert_eq!(d.dedup.last_action, EventAction::Resolve);
}

fn arrival_order() -> impl Strategy<Value = (Vec<(i64, u8)>, Vec<usize>)> {
    prop::collection::vec((0i64..10_000, 0u8..3), 1..30).prop_flat_map(|events| {
        let n = events.len();
        (
            Just(events),
            Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
        )
    })
}

proptest! {
    #[test]
    fn dedup_counting_does_not_depend_on_arrival_order((events, order) in arrival_order()) {
        let make = |(second, action): (i64, u8)| Event {
            action: EventAction::ALL[usize::from(action)],
            ..Event::new("s", "r", "c", Severity::Error,
                Timestamp::from_second(1_715_673_600 + second).unwrap_or_default())
        };
        let fold = |seq: &mut dyn Iterator<Item = Event>| {
            let mut record: Option<DedupRecord> = None;
            for e in seq {
                record = Some(match &record {
                    Some(r) => r.merge(&e),
                    None => DedupRecord::first(&e),
                });
            }
            record
        };
        let given = fold(&mut events.iter().copied().map(make));
        let shuffled = fold(&mut order.iter().map(|i| make(events[*i])));
        let (Some(a), Some(b)) = (given, shuffled) else {
            return Err(TestCaseError::fail("no record"));
        };
        prop_assert_eq!(a.count, events.len() as u64);
        prop_assert_eq!(a.count, b.count);
        prop_assert_eq!(a.first_seen, b.first_seen);
        prop_assert_eq!(a.last_seen, b.last_seen);
        // The latest event's action wins, when one event is the latest.
        let latest = events.iter().map(|e| e.0).max().unwrap_or_default();
        let at_latest: BTreeSet<u8> = events.iter().filter(|e| e.0 == latest).map(|e| e.1).collect();
        if at_latest.len() == 1 {
            prop_assert_eq!(a.last_action, b.last_action);
        }
    }
}
