//! Correlation cases worked by hand on a small estate, the group state
//! machine and the incident action table.

use super::*;
use crate::event::classify::default_rules;
use RelationType::*;
use std::collections::HashMap;

// A site holds a room; the room holds racks A and B; servers 1 and 2 are
// in rack A, fed by feed F; server 3 is in rack B, fed by feed G; a VM is
// hosted by server 1 and an application runs on it.
const SITE: CiId = CiId(1);
const ROOM: CiId = CiId(2);
const RACK_A: CiId = CiId(3);
const RACK_B: CiId = CiId(4);
const FEED_F: CiId = CiId(5);
const FEED_G: CiId = CiId(6);
const SRV1: CiId = CiId(11);
const SRV2: CiId = CiId(12);
const SRV3: CiId = CiId(13);
const VM1: CiId = CiId(21);
const APP: CiId = CiId(31);
const LONE: CiId = CiId(99);

fn estate() -> HashMap<CiId, Vec<(RelationType, CiId)>> {
    HashMap::from([
        (ROOM, vec![(LocatedIn, SITE)]),
        (RACK_A, vec![(LocatedIn, ROOM)]),
        (RACK_B, vec![(LocatedIn, ROOM)]),
        (FEED_F, vec![(LocatedIn, ROOM)]),
        (FEED_G, vec![(LocatedIn, ROOM)]),
        (
            SRV1,
            vec![
                (LocatedIn, RACK_A),
                (PoweredBy, FEED_F),
                (ConnectedTo, CiId(50)),
            ],
        ),
        (SRV2, vec![(LocatedIn, RACK_A), (PoweredBy, FEED_F)]),
        (SRV3, vec![(LocatedIn, RACK_B), (PoweredBy, FEED_G)]),
        (VM1, vec![(HostedBy, SRV1)]),
        (APP, vec![(RunsOn, VM1), (DependsOn, CiId(77))]),
    ])
}

fn at(minute: i64) -> Timestamp {
    Timestamp::from_second(1_715_673_600 + minute * 60).expect("time")
}

fn fp(name: &str) -> Fingerprint {
    Fingerprint(name.to_owned())
}

fn group(id: i64, root: CiId, members: &[CiId], alert: &str, last: i64) -> AlertGroup {
    AlertGroup {
        id: AlertGroupId(id),
        root: GroupRoot::Ci(root),
        members: members.iter().copied().collect(),
        alerts: BTreeMap::from([(fp(alert), AlertStatus::Firing)]),
        state: GroupState::Open,
        opened_at: at(last),
        last_event_at: at(last),
        incident: None,
    }
}

/// Correlates a new alert `alert` on `ci` at minute 10.
fn run(alert: &str, ci: Option<CiId>, groups: &[AlertGroup]) -> Correlation {
    let map = estate();
    let ancestry = |ci: CiId| map.get(&ci).cloned().unwrap_or_default();
    let policy = CorrelationPolicy::default();
    let up = ci
        .map(|c| ancestors(c, &ancestry, &policy))
        .unwrap_or_default();
    correlate(&fp(alert), ci, &up, groups, &ancestry, &policy, at(10))
}

fn joins(id: i64, reroot: Option<CiId>) -> Correlation {
    Correlation::Join {
        group: AlertGroupId(id),
        reroot,
    }
}

fn opens(root: CiId) -> Correlation {
    Correlation::Open {
        root: GroupRoot::Ci(root),
    }
}

#[test]
fn ancestors_follow_only_the_correlating_relations() {
    let map = estate();
    let ancestry = |ci: CiId| map.get(&ci).cloned().unwrap_or_default();
    let policy = CorrelationPolicy::default();
    assert_eq!(
        ancestors(SRV1, &ancestry, &policy),
        vec![RACK_A, FEED_F, ROOM, SITE]
    );
    assert_eq!(
        ancestors(APP, &ancestry, &policy),
        vec![VM1, SRV1, RACK_A, FEED_F, ROOM, SITE]
    );
    let shallow = CorrelationPolicy {
        max_depth: 1,
        ..CorrelationPolicy::default()
    };
    assert_eq!(ancestors(APP, &ancestry, &shallow), vec![VM1]);
    assert_eq!(ancestors(LONE, &ancestry, &policy), Vec::<CiId>::new());
    // A cycle in what the shell answers does not loop.
    let cyclic = |ci: CiId| vec![(LocatedIn, CiId(if ci == CiId(1) { 2 } else { 1 }))];
    assert_eq!(ancestors(CiId(1), &cyclic, &policy), vec![CiId(2)]);
}

#[test]
fn two_servers_in_a_failing_rack_form_one_group_rooted_at_the_rack() {
    assert_eq!(run("rack-a", Some(RACK_A), &[]), opens(RACK_A));
    let rack = group(1, RACK_A, &[RACK_A], "rack-a", 9);
    assert_eq!(
        run("srv1-down", Some(SRV1), std::slice::from_ref(&rack)),
        joins(1, None)
    );
    let mut rack = rack;
    rack.members.insert(SRV1);
    assert_eq!(run("srv2-down", Some(SRV2), &[rack]), joins(1, None));
}

#[test]
fn the_rack_reporting_after_a_server_reroots_its_group() {
    let srv1 = group(1, SRV1, &[SRV1], "srv1-down", 9);
    assert_eq!(
        run("rack-a", Some(RACK_A), std::slice::from_ref(&srv1)),
        joins(1, Some(RACK_A))
    );
    let mut rerooted = srv1;
    rerooted.root = GroupRoot::Ci(RACK_A);
    rerooted.members.insert(RACK_A);
    assert_eq!(run("srv2-down", Some(SRV2), &[rerooted]), joins(1, None));
}

#[test]
fn a_rack_reporting_after_two_of_its_servers_merges_their_groups() {
    // Servers 1 and 2 each opened a group before their rack reported; a
    // server of another rack and a group about the room are left alone.
    let groups = [
        group(1, SRV1, &[SRV1], "srv1-down", 2),
        group(2, SRV2, &[SRV2], "srv2-down", 3),
        group(3, SRV3, &[SRV3], "srv3-down", 4),
    ];
    assert_eq!(
        run("rack-a-power", Some(RACK_A), &groups),
        joins(1, Some(RACK_A))
    );
    let map = estate();
    let ancestry = |ci: CiId| map.get(&ci).cloned().unwrap_or_default();
    let policy = CorrelationPolicy::default();
    let merged = merged_into(AlertGroupId(1), RACK_A, &groups, &ancestry, &policy, at(10));
    assert_eq!(merged, vec![AlertGroupId(2)]);
    // The room explains all three.
    let merged = merged_into(AlertGroupId(1), ROOM, &groups, &ancestry, &policy, at(10));
    assert_eq!(merged, vec![AlertGroupId(2), AlertGroupId(3)]);
    // A group past the window is not merged.
    let merged = merged_into(
        AlertGroupId(1),
        ROOM,
        &groups,
        &ancestry,
        &policy,
        at(60 * 24),
    );
    assert!(merged.is_empty(), "{merged:?}");
}

#[test]
fn a_merged_groups_incident_is_taken_over_or_attached_to_the_carrier() {
    let (a, b) = (TicketId(7), TicketId(8));
    assert_eq!(merged_incident(false, None), MergedIncident::None);
    assert_eq!(merged_incident(true, None), MergedIncident::None);
    assert_eq!(
        merged_incident(false, Some(b)),
        MergedIncident::TakenOver(b)
    );
    assert_eq!(merged_incident(true, Some(b)), MergedIncident::Attached(b));
    let (g2, g3, g4) = (AlertGroupId(2), AlertGroupId(3), AlertGroupId(4));
    let absorbed = [(g2, None), (g3, Some(a)), (g4, Some(b))];
    // The target carries its own incident: every absorbed one is attached.
    assert_eq!(
        merged_incidents(Some(TicketId(1)), &Act::RecordOnly, &absorbed),
        vec![
            (g2, MergedIncident::None),
            (g3, MergedIncident::Attached(a)),
            (g4, MergedIncident::Attached(b)),
        ]
    );
    // The event opens the carrier: the same.
    let opens = Act::OpenIncident {
        priority: Priority::Critique,
    };
    assert_eq!(
        merged_incidents(None, &opens, &absorbed),
        merged_incidents(Some(TicketId(1)), &Act::RecordOnly, &absorbed)
    );
    // Nothing carries it (a warning rack): the first absorbed incident
    // takes over, the next is attached to it.
    assert_eq!(
        merged_incidents(None, &Act::RecordOnly, &absorbed),
        vec![
            (g2, MergedIncident::None),
            (g3, MergedIncident::TakenOver(a)),
            (g4, MergedIncident::Attached(b)),
        ]
    );
}

#[test]
fn children_resolve_with_their_parent_only_when_nothing_else_carries_them() {
    let child = |from_events, carried_by_live_group| ChildFacts {
        from_events,
        carried_by_live_group,
    };
    assert!(resolved_with_parent(&child(true, false)));
    assert!(
        !resolved_with_parent(&child(true, true)),
        "its own group still fires"
    );
    assert!(
        !resolved_with_parent(&child(false, false)),
        "linked by a person"
    );
}

#[test]
fn a_power_feed_failure_forms_one_group() {
    let feed = group(1, FEED_F, &[FEED_F], "feed-f", 8);
    assert_eq!(
        run("srv1-down", Some(SRV1), std::slice::from_ref(&feed)),
        joins(1, None)
    );
    assert_eq!(
        run("srv2-down", Some(SRV2), std::slice::from_ref(&feed)),
        joins(1, None)
    );
    assert_eq!(
        run("app-down", Some(APP), std::slice::from_ref(&feed)),
        joins(1, None)
    );
    // Server 3 is on another feed, in another rack.
    assert_eq!(run("srv3-down", Some(SRV3), &[feed]), opens(SRV3));
}

#[test]
fn an_unrelated_event_gets_its_own_group() {
    let rack = group(1, RACK_A, &[RACK_A, SRV1], "rack-a", 9);
    assert_eq!(
        run("lone", Some(LONE), std::slice::from_ref(&rack)),
        opens(LONE)
    );
    assert_eq!(run("srv3", Some(SRV3), &[rack]), opens(SRV3));
}

#[test]
fn an_event_outside_the_window_opens_a_new_group() {
    // The rack's last event was 20 minutes before; the window is 15.
    let rack = group(1, RACK_A, &[RACK_A], "rack-a", -10);
    assert_eq!(
        run("srv1-down", Some(SRV1), std::slice::from_ref(&rack)),
        opens(SRV1)
    );
    // Exactly at the window's edge it still joins.
    let edge = group(1, RACK_A, &[RACK_A], "rack-a", -5);
    assert_eq!(run("srv1-down", Some(SRV1), &[edge]), joins(1, None));
    // The same alert firing again goes back to its group, window or not.
    assert_eq!(run("rack-a", Some(RACK_A), &[rack]), joins(1, None));
}

#[test]
fn the_highest_failing_ancestor_wins_then_the_oldest_group() {
    let rack = group(1, RACK_A, &[RACK_A], "rack-a", 5);
    let room = group(2, ROOM, &[ROOM], "room", 7);
    assert_eq!(
        run("srv1-down", Some(SRV1), &[rack.clone(), room]),
        joins(2, None)
    );
    let rack_again = group(3, RACK_A, &[RACK_A], "rack-a-bis", 4);
    assert_eq!(
        run("srv1-down", Some(SRV1), &[rack, rack_again]),
        joins(3, None)
    );
}

#[test]
fn resolved_groups_are_ignored() {
    let mut rack = group(1, RACK_A, &[RACK_A], "rack-a", 9);
    rack.state = GroupState::Resolved;
    assert_eq!(
        run("srv1-down", Some(SRV1), std::slice::from_ref(&rack)),
        opens(SRV1)
    );
    assert_eq!(run("rack-a", Some(RACK_A), &[rack]), opens(RACK_A));
}

#[test]
fn events_without_an_item_group_by_fingerprint() {
    let none = Correlation::Open {
        root: GroupRoot::Fingerprint(fp("synthetic")),
    };
    assert_eq!(run("synthetic", None, &[]), none);
    let mut g = group(4, RACK_A, &[], "x", 9);
    g.root = GroupRoot::Fingerprint(fp("synthetic"));
    g.alerts = BTreeMap::from([(fp("synthetic"), AlertStatus::Cleared)]);
    assert_eq!(run("synthetic", None, &[g.clone()]), joins(4, None));
    assert!(matches!(run("other", None, &[g]), Correlation::Open { .. }));
}

#[test]
fn group_state_machine() {
    use EventAction::*;
    use GroupState::*;
    let check = |from: GroupState, action, cleared, to| {
        assert_eq!(
            from.after(action, cleared),
            to,
            "{from} + {action} (cleared {cleared})"
        );
    };
    check(Open, Trigger, false, Open);
    check(Open, Acknowledge, false, Acknowledged);
    check(Acknowledged, Trigger, false, Acknowledged);
    check(Open, Resolve, false, Open);
    check(Open, Resolve, true, Resolved);
    check(Acknowledged, Resolve, true, Resolved);
    check(Resolved, Trigger, false, Open);
    check(Resolved, Acknowledge, false, Resolved);
}

#[test]
fn incident_actions() {
    let rules = default_rules();
    let exception = rules[0].outcome;
    let warning = rules[1].outcome;
    let info = rules[2].outcome;
    let incident = TicketId(42);
    let base = ActFacts {
        action: EventAction::Trigger,
        severity: Severity::Critical,
        outcome: &exception,
        suppressed_by: None,
        flapping: false,
        incident: None,
        alert_before: None,
        group_cleared: false,
        grouped: true,
        criticality: None,
    };
    let check = |facts: ActFacts<'_>, expected: Act| assert_eq!(act(&facts), expected, "{facts:?}");
    check(
        base,
        Act::OpenIncident {
            priority: Priority::Critique,
        },
    );
    check(
        ActFacts {
            severity: Severity::Error,
            ..base
        },
        Act::OpenIncident {
            priority: Priority::Haut,
        },
    );
    check(
        ActFacts {
            outcome: &warning,
            severity: Severity::Warning,
            ..base
        },
        Act::RecordOnly,
    );
    check(
        ActFacts {
            outcome: &info,
            ..base
        },
        Act::RecordOnly,
    );
    check(
        ActFacts {
            incident: Some(incident),
            ..base
        },
        Act::AttachToIncident { incident },
    );
    check(
        ActFacts {
            incident: Some(incident),
            alert_before: Some(AlertStatus::Cleared),
            ..base
        },
        Act::AttachToIncident { incident },
    );
    check(
        ActFacts {
            incident: Some(incident),
            alert_before: Some(AlertStatus::Firing),
            ..base
        },
        Act::RecordOnly,
    );
    check(
        ActFacts {
            flapping: true,
            ..base
        },
        Act::RecordOnly,
    );
    check(
        ActFacts {
            suppressed_by: Some(MaintenanceWindowId(7)),
            ..base
        },
        Act::Suppressed {
            window: MaintenanceWindowId(7),
        },
    );
    let resolve = ActFacts {
        action: EventAction::Resolve,
        incident: Some(incident),
        ..base
    };
    check(resolve, Act::RecordOnly);
    check(
        ActFacts {
            group_cleared: true,
            ..resolve
        },
        Act::ResolveIncident { incident },
    );
    check(
        ActFacts {
            group_cleared: true,
            suppressed_by: Some(MaintenanceWindowId(7)),
            ..resolve
        },
        Act::ResolveIncident { incident },
    );
    let manual = Outcome {
        auto_resolve: false,
        ..exception
    };
    check(
        ActFacts {
            group_cleared: true,
            outcome: &manual,
            ..resolve
        },
        Act::RecordOnly,
    );
    check(
        ActFacts {
            action: EventAction::Acknowledge,
            ..base
        },
        Act::RecordOnly,
    );
    check(
        ActFacts {
            grouped: false,
            criticality: None,
            ..base
        },
        Act::RecordOnly,
    );
}

#[test]
fn the_items_criticality_moves_the_incidents_priority_by_one_level() {
    use crate::cmdb::Criticality;
    let map = default_rules()[0].outcome.priority;
    let p = |severity, criticality| incident_priority(&map, severity, criticality);
    // Error maps to P2 (haut) by default.
    assert_eq!(p(Severity::Error, None), Priority::Haut);
    assert_eq!(
        p(Severity::Error, Some(Criticality::Medium)),
        Priority::Haut
    );
    assert_eq!(p(Severity::Error, Some(Criticality::High)), Priority::Haut);
    assert_eq!(
        p(Severity::Error, Some(Criticality::Critical)),
        Priority::Critique
    );
    assert_eq!(p(Severity::Error, Some(Criticality::Low)), Priority::Moyen);
    // Bounded at both ends.
    assert_eq!(
        p(Severity::Critical, Some(Criticality::Critical)),
        Priority::Critique
    );
    assert_eq!(p(Severity::Info, Some(Criticality::Low)), Priority::Bas);
    // Monotone: a more critical item never lowers the priority.
    let order = [
        Criticality::Low,
        Criticality::Medium,
        Criticality::High,
        Criticality::Critical,
    ];
    for s in [
        Severity::Info,
        Severity::Warning,
        Severity::Error,
        Severity::Critical,
    ] {
        for w in order.windows(2) {
            assert!(
                p(s, Some(w[0])).rank() >= p(s, Some(w[1])).rank(),
                "{s:?} {w:?}"
            );
        }
    }
}

#[test]
fn only_an_open_unlinked_incident_is_attached() {
    assert!(attachable(true, false));
    assert!(!attachable(true, true));
    assert!(!attachable(false, false));
}
