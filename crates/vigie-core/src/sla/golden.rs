//! Hand-worked clock stories: each expectation says why in a comment.
//! Instants are written with their Paris offset.

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::calendar::{BusinessCalendar, DEFAULT_TIME_ZONE};
use crate::ticket::priority::Priority;
use crate::ticket::{PendingReason, Status};

fn at(text: &str) -> Timestamp {
    text.parse().expect("an RFC 3339 instant")
}

fn show(t: Option<Timestamp>) -> String {
    let zone = jiff::tz::TimeZone::get(DEFAULT_TIME_ZONE).expect("Paris");
    t.map(|t| t.to_zoned(zone).strftime("%Y-%m-%dT%H:%M%:z").to_string())
        .unwrap_or_else(|| "none".into())
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

fn working() -> BusinessCalendar {
    BusinessCalendar::working_hours(DEFAULT_TIME_ZONE).expect("preset")
}

fn phase(status: Status, reason: Option<PendingReason>) -> TicketPhase {
    TicketPhase::of(status, reason, status != Status::New)
}

fn sla(resolve: i64) -> SlaTarget {
    SlaTarget::new(TargetKind::Sla, Priority::Haut, hours(resolve))
}

fn resolution(target: &SlaTarget, opened: &str) -> SlaClock {
    let new = phase(Status::New, None);
    SlaClock::start(target, Metric::Resolve, &new, at(opened), &working()).expect("measured")
}

#[test]
fn deadlines_in_business_time() {
    // Friday 17:30 + 4 h on 8h–18h: 30 min on Friday, 3 h 30 on Monday.
    let clock = resolution(&sla(4), "2026-01-09T17:30+01:00");
    assert_eq!(show(clock.deadline), "2026-01-12T11:30+01:00");
    // The same when Monday is Easter Monday (6 April 2026): Tuesday.
    let clock = resolution(&sla(4), "2026-04-03T17:30+02:00");
    assert_eq!(show(clock.deadline), "2026-04-07T11:30+02:00");
    assert_eq!(
        clock.state_at(at("2026-04-07T11:30+02:00")),
        ClockState::Running
    );
    assert_eq!(
        clock.state_at(at("2026-04-07T11:31+02:00")),
        ClockState::Breached
    );
}

#[test]
fn a_pause_pending_the_customer_moves_the_deadline_by_its_business_length() {
    let (cal, target) = (working(), sla(8));
    // Monday 08:00 + 8 h: 16:00.
    let clock = resolution(&target, "2026-01-12T08:00+01:00");
    assert_eq!(show(clock.deadline), "2026-01-12T16:00+01:00");
    // Pending the customer 09:00–12:00: 3 business hours.
    let pending = phase(Status::Pending, Some(PendingReason::Customer));
    let paused = clock.follow(&target, &pending, at("2026-01-12T09:00+01:00"), &cal);
    assert_eq!(
        paused.state_at(at("2026-01-12T10:00+01:00")),
        ClockState::Paused
    );
    assert_eq!(paused.left_at(at("2026-01-12T11:00+01:00"), &cal), hours(7));
    let back = phase(Status::InProgress, None);
    let resumed = paused.follow(&target, &back, at("2026-01-12T12:00+01:00"), &cal);
    // 16:00 + 3 business hours: 2 h on Monday, 1 h on Tuesday.
    assert_eq!(show(resumed.deadline), "2026-01-13T09:00+01:00");
    assert_eq!(
        resumed.deadline,
        cal.add_business(at("2026-01-12T16:00+01:00"), hours(3))
            .ok()
    );
    // Pending a supplier does not pause the customer SLA by default.
    let supplier = phase(Status::Pending, Some(PendingReason::Supplier));
    let still = clock.follow(&target, &supplier, at("2026-01-12T09:00+01:00"), &cal);
    assert_eq!(still.deadline, clock.deadline);
    // Resolved at 15:00: met, with 7 h of business time counted.
    let done = clock.follow(
        &target,
        &phase(Status::Resolved, None),
        at("2026-01-12T15:00+01:00"),
        &cal,
    );
    assert_eq!(
        (done.state_at(at("2026-02-01T00:00Z")), done.elapsed),
        (ClockState::Met, hours(7))
    );
}

#[test]
fn the_supplier_contract_runs_only_while_pending_the_supplier() {
    let always = BusinessCalendar::always(DEFAULT_TIME_ZONE).expect("preset");
    let uc = SlaTarget::new(TargetKind::Uc, Priority::Critique, hours(4));
    let opened = at("2026-01-12T08:00+01:00");
    let new = phase(Status::New, None);
    let clock = SlaClock::start(&uc, Metric::Resolve, &new, opened, &always).expect("measured");
    assert_eq!(clock.state_at(opened), ClockState::Paused);
    // Handed to the hosting provider at 10:00, around the clock: due 14:00.
    let supplier = phase(Status::Pending, Some(PendingReason::Supplier));
    let running = clock.follow(&uc, &supplier, at("2026-01-12T10:00+01:00"), &always);
    assert_eq!(show(running.deadline), "2026-01-12T14:00+01:00");
    // Back from the provider at 11:00, again at 20:00: 3 h left, due 23:00.
    let back = phase(Status::InProgress, None);
    let paused = running.follow(&uc, &back, at("2026-01-12T11:00+01:00"), &always);
    let again = paused.follow(&uc, &supplier, at("2026-01-12T20:00+01:00"), &always);
    assert_eq!(show(again.deadline), "2026-01-12T23:00+01:00");
}

#[test]
fn the_own_clock_stops_at_the_first_agent() {
    let (cal, mut target) = (working(), sla(8));
    target.time_to_own = Some(SignedDuration::from_mins(30));
    let new = phase(Status::New, None);
    let opened = at("2026-01-12T08:00+01:00");
    let own = SlaClock::start(&target, Metric::Own, &new, opened, &cal).expect("measured");
    assert_eq!(show(own.deadline), "2026-01-12T08:30+01:00");
    // Placed with a group only: not owned yet.
    let group_only = TicketPhase::of(Status::Assigned, None, false);
    let still = own.follow(&target, &group_only, at("2026-01-12T08:10+01:00"), &cal);
    assert_eq!(still.stopped_at, None);
    let agent = TicketPhase::of(Status::Assigned, None, true);
    let owned = still.follow(&target, &agent, at("2026-01-12T08:40+01:00"), &cal);
    assert_eq!(
        owned.state_at(at("2026-01-12T09:00+01:00")),
        ClockState::Breached
    );
    assert_eq!(owned.elapsed, SignedDuration::from_mins(40));
    // A reopened ticket does not restart its own clock.
    let reopened = owned.follow(&target, &agent, at("2026-01-13T08:40+01:00"), &cal);
    assert_eq!(reopened, owned);
}

#[test]
fn priority_changes_and_reopenings_follow_the_target_s_policy() {
    let cal = working();
    let clock = resolution(&sla(8), "2026-01-12T08:00+01:00");
    let busy = phase(Status::InProgress, None);
    // Raised to P1 (4 h) at 10:00: recomputed from the start, due 12:00.
    let mut p1 = sla(4);
    let raised = clock.reprice(&p1, &busy, at("2026-01-12T10:00+01:00"), &cal);
    assert_eq!(show(raised.deadline), "2026-01-12T12:00+01:00");
    // Restart: 4 h from 10:00, due 14:00.
    p1.on_priority_change = Policy::Restart;
    let restarted = clock.reprice(&p1, &busy, at("2026-01-12T10:00+01:00"), &cal);
    assert_eq!(show(restarted.deadline), "2026-01-12T14:00+01:00");
    // Resolved at 12:00 after 4 h, reopened Tuesday 08:00.
    let mut target = sla(8);
    let resolved = clock.follow(
        &target,
        &phase(Status::Resolved, None),
        at("2026-01-12T12:00+01:00"),
        &cal,
    );
    let reopen = at("2026-01-13T08:00+01:00");
    let continued = resolved.follow(&target, &busy, reopen, &cal);
    assert_eq!(show(continued.deadline), "2026-01-13T12:00+01:00");
    target.on_reopen = Policy::Restart;
    let fresh = resolved.follow(&target, &busy, reopen, &cal);
    assert_eq!(show(fresh.deadline), "2026-01-13T16:00+01:00");
    assert_eq!(fresh.started_at, reopen);
}
