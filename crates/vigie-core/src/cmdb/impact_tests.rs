//! Impact cases worked by hand, and the monotonicity property.

use super::*;
use CiType::*;
use ImpactState::*;
use RelationType::*;
use proptest::prelude::*;

/// A small estate: a site with two rooms; rack A in room 1 holds a
/// double-fed server (feeds in rooms 1 and 2) and a single-fed one; VMs on
/// them, the ERP on one VM, the CRM on both (2 instances, needs 1), and two
/// business services.
struct Estate {
    graph: ImpactGraph,
}

const SITE: u32 = 0;
const ROOM1: u32 = 1;
const ROOM2: u32 = 2;
const RACK_A: u32 = 3;
const FEED1: u32 = 4;
const FEED2: u32 = 5;
const SRV_DOUBLE: u32 = 6;
const SRV_SINGLE: u32 = 7;
const VM_ERP: u32 = 8;
const VM_CRM1: u32 = 9;
const APP_ERP: u32 = 10;
const APP_CRM1: u32 = 11;
const APP_CRM2: u32 = 12;
const SVC_ERP: u32 = 13;
const SVC_CRM: u32 = 14;
const RACK_B: u32 = 15;
const SRV_B: u32 = 16;
const PROD: u32 = 17;

fn link(from: u32, relation: RelationType, to: u32) -> Link<'static> {
    Link {
        from,
        to,
        relation,
        redundancy: None,
    }
}

fn redundant(from: u32, to: u32, group: &'static str, needs: u32) -> Link<'static> {
    Link {
        redundancy: Some(Redundancy { group, needs }),
        ..link(from, DependsOn, to)
    }
}

fn estate() -> Estate {
    let types = vec![
        Site,
        Room,
        Room,
        Rack,
        PowerFeed,
        PowerFeed,
        Server,
        Server,
        VirtualMachine,
        VirtualMachine,
        Application,
        Application,
        Application,
        BusinessService,
        BusinessService,
        Rack,
        Server,
        Environment,
    ];
    let links = vec![
        link(ROOM1, LocatedIn, SITE),
        link(ROOM2, LocatedIn, SITE),
        link(RACK_A, LocatedIn, ROOM1),
        link(RACK_B, LocatedIn, ROOM2),
        link(FEED1, LocatedIn, ROOM1),
        link(FEED2, LocatedIn, ROOM2),
        link(SRV_DOUBLE, LocatedIn, RACK_A),
        link(SRV_SINGLE, LocatedIn, RACK_A),
        link(SRV_DOUBLE, PoweredBy, FEED1),
        link(SRV_DOUBLE, PoweredBy, FEED2),
        link(SRV_SINGLE, PoweredBy, FEED1),
        link(SRV_B, LocatedIn, RACK_B),
        link(SRV_B, PoweredBy, FEED2),
        link(VM_ERP, HostedBy, SRV_DOUBLE),
        link(VM_CRM1, HostedBy, SRV_SINGLE),
        link(APP_ERP, RunsOn, VM_ERP),
        link(APP_CRM1, RunsOn, VM_CRM1),
        link(APP_CRM2, RunsOn, SRV_B),
        link(SVC_ERP, DependsOn, APP_ERP),
        redundant(SVC_CRM, APP_CRM1, "crm", 1),
        redundant(SVC_CRM, APP_CRM2, "crm", 1),
        link(APP_ERP, PartOf, PROD),
    ];
    Estate {
        graph: ImpactGraph::new(types, &links),
    }
}

fn check(failing: &[u32], expected: &[(u32, ImpactState)]) {
    let impact = estate().graph.impact(failing);
    let got: Vec<(u32, ImpactState)> = impact.impacted().collect();
    assert_eq!(got, expected, "failing {failing:?}");
}

#[test]
fn a_double_fed_server_survives_one_feed() {
    check(
        &[FEED2],
        &[
            (FEED2, Down),
            (SRV_DOUBLE, Degraded),
            (VM_ERP, Degraded),
            (APP_ERP, Degraded),
            (APP_CRM2, Down),
            (SVC_ERP, Degraded),
            (SVC_CRM, Degraded),
            (SRV_B, Down),
            (PROD, Degraded),
        ],
    );
}

#[test]
fn a_single_fed_server_goes_down_with_its_feed() {
    let impact = estate().graph.impact(&[FEED1]);
    assert_eq!(impact.state(SRV_SINGLE), Down);
    assert_eq!(impact.state(SRV_DOUBLE), Degraded);
    assert_eq!(impact.state(VM_CRM1), Down);
    assert_eq!(impact.state(APP_CRM1), Down);
    // The CRM needs one of its two instances: the other one carries it.
    assert_eq!(impact.state(SVC_CRM), Degraded);
    assert_eq!(impact.state(SVC_ERP), Degraded);
    assert_eq!(impact.cause(SRV_SINGLE), Some(FEED1));
}

#[test]
fn a_lost_room_takes_its_racks_feeds_and_single_fed_equipment() {
    let impact = estate().graph.impact(&[ROOM1]);
    for down in [
        ROOM1, RACK_A, FEED1, SRV_SINGLE, VM_CRM1, APP_CRM1, SRV_DOUBLE,
    ] {
        assert_eq!(impact.state(down), Down, "{down}");
    }
    // The double-fed server sits in rack A of room 1: the room is lost, and
    // so is everything inside it, whatever its feeds (a power cut alone is
    // the failure of the room's feeds, see above).
    assert_eq!(impact.state(SITE), Up);
    assert_eq!(impact.state(SVC_CRM), Degraded);
    assert_eq!(impact.state(ROOM2), Up);
}

#[test]
fn a_lost_site_takes_down_everything_nested_in_it() {
    let impact = estate().graph.impact(&[SITE]);
    for down in [
        ROOM1, ROOM2, RACK_A, RACK_B, FEED1, FEED2, SRV_SINGLE, SRV_DOUBLE, SRV_B, SVC_ERP, SVC_CRM,
    ] {
        assert_eq!(impact.state(down), Down, "{down}");
    }
    assert_eq!(impact.state(PROD), Degraded);
    let services: Vec<u32> = impact.business_services().map(|(i, _)| i).collect();
    assert_eq!(services, vec![SVC_ERP, SVC_CRM]);
}

#[test]
fn a_redundancy_group_goes_down_below_its_quorum() {
    let impact = estate().graph.impact(&[APP_CRM1, APP_CRM2]);
    assert_eq!(impact.state(SVC_CRM), Down);
    let impact = estate().graph.impact(&[APP_CRM2]);
    assert_eq!(impact.state(SVC_CRM), Degraded);
    assert_eq!(impact.state(SVC_ERP), Up);
}

#[test]
fn touched_customers_follow_their_services() {
    let uses = [
        ServiceUse {
            service: SVC_ERP,
            customer: "cachemire",
            sla: Some("Gold"),
        },
        ServiceUse {
            service: SVC_CRM,
            customer: "laine",
            sla: None,
        },
    ];
    let impact = estate().graph.impact(&[APP_CRM1, APP_CRM2]);
    let touched = impact.touched(&uses);
    assert_eq!(touched, vec![(uses[1], Down)]);
}

#[test]
fn a_degraded_room_does_not_degrade_what_it_holds() {
    let types = vec![Room, PowerFeed, PowerFeed, Rack];
    let links = vec![
        link(0, PoweredBy, 1),
        link(0, PoweredBy, 2),
        link(3, LocatedIn, 0),
    ];
    let impact = ImpactGraph::new(types, &links).impact(&[1]);
    assert_eq!(impact.state(0), Degraded);
    assert_eq!(impact.state(3), Up);
}

/// A random link: from, to, relation type index, redundancy needs.
type RawLink = (u32, u32, usize, Option<u32>);

fn arb_graph() -> impl Strategy<Value = (Vec<CiType>, Vec<RawLink>)> {
    (2usize..24).prop_flat_map(|n| {
        let types = proptest::collection::vec(proptest::sample::select(CiType::ALL), n);
        let links = proptest::collection::vec(
            (
                0..n as u32,
                0..n as u32,
                0..RelationType::ALL.len(),
                proptest::option::of(1u32..3),
            ),
            0..n * 3,
        );
        (types, links)
    })
}

proptest! {
    #[test]
    fn more_failures_never_give_a_milder_state(
        (types, raw) in arb_graph(),
        failing in proptest::collection::vec(0u32..24, 0..5),
        more in proptest::collection::vec(0u32..24, 0..5),
    ) {
        let links: Vec<Link<'_>> = raw
            .iter()
            .map(|(from, to, r, needs)| Link {
                from: *from,
                to: *to,
                relation: RelationType::ALL[*r],
                redundancy: needs.map(|needs| Redundancy { group: "g", needs }),
            })
            .collect();
        let graph = ImpactGraph::new(types, &links);
        let small = graph.impact(&failing);
        let mut all = failing.clone();
        all.extend(more);
        let large = graph.impact(&all);
        prop_assert!(large.impacted().count() >= small.impacted().count());
        for i in 0..graph.len() as u32 {
            prop_assert!(large.state(i) >= small.state(i), "item {}", i);
        }
        for f in &all {
            if (*f as usize) < graph.len() {
                prop_assert_eq!(large.state(*f), Down);
            }
        }
    }
}
