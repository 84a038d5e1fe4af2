//! Property tests of the clocks over the three preset calendars, random
//! openings in 2025–2027, random allowances, pauses and priority changes.

use std::sync::LazyLock;

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::escalate::{due_levels, next_due_at};
use super::*;
use crate::calendar::{BusinessCalendar, DEFAULT_TIME_ZONE};
use crate::ticket::priority::Priority;
use crate::ticket::{PendingReason, Status};

static PRESETS: LazyLock<[BusinessCalendar; 3]> = LazyLock::new(|| {
    [
        BusinessCalendar::always(DEFAULT_TIME_ZONE).expect("24/7"),
        BusinessCalendar::working_hours(DEFAULT_TIME_ZONE).expect("working"),
        BusinessCalendar::environment_hours(DEFAULT_TIME_ZONE).expect("environment"),
    ]
});

/// 2025-01-01T00:00Z plus up to three years, to the minute.
fn instant() -> impl Strategy<Value = Timestamp> {
    (0i64..3 * 365 * 24 * 60)
        .prop_map(|m| Timestamp::from_second(1_735_689_600 + m * 60).expect("in range"))
}

fn minutes(max: i64) -> impl Strategy<Value = SignedDuration> {
    (1i64..max).prop_map(SignedDuration::from_mins)
}

fn target(allowance: SignedDuration) -> SlaTarget {
    SlaTarget::new(TargetKind::Sla, Priority::Moyen, allowance)
}

fn open(target: &SlaTarget, at: Timestamp, cal: &BusinessCalendar) -> SlaClock {
    let new = TicketPhase::of(Status::New, None, false);
    SlaClock::start(target, Metric::Resolve, &new, at, cal).expect("measured")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_pause_never_brings_the_deadline_closer(
        cal in 0usize..3, start in instant(), allowance in minutes(100 * 60),
        before in minutes(20 * 24 * 60), pause in minutes(20 * 24 * 60),
    ) {
        let (cal, t) = (&PRESETS[cal], target(allowance));
        let clock = open(&t, start, cal);
        let pending = TicketPhase::of(Status::Pending, Some(PendingReason::Customer), true);
        let busy = TicketPhase::of(Status::InProgress, None, true);
        let paused = clock.follow(&t, &pending, start + before, cal);
        let resumed = paused.follow(&t, &busy, start + before + pause, cal);
        prop_assert!(resumed.deadline >= clock.deadline);
        // And by exactly the business time of the pause, when time was left.
        if paused.elapsed < allowance {
            let paused_for = cal.business_between(start + before, start + before + pause);
            prop_assert_eq!(resumed.deadline, cal.add_business(start, allowance + paused_for).ok());
        }
    }

    #[test]
    fn deadlines_are_monotone_in_the_opening_and_the_allowance(
        cal in 0usize..3, start in instant(), later in minutes(10 * 24 * 60),
        allowance in minutes(100 * 60), more in minutes(100 * 60),
    ) {
        let cal = &PRESETS[cal];
        let first = open(&target(allowance), start, cal);
        prop_assert!(open(&target(allowance), start + later, cal).deadline >= first.deadline);
        prop_assert!(open(&target(allowance + more), start, cal).deadline >= first.deadline);
    }

    #[test]
    fn spent_and_left_add_up_to_the_allowance(
        cal in 0usize..3, start in instant(), allowance in minutes(100 * 60),
        now in minutes(30 * 24 * 60), new_allowance in minutes(100 * 60), restart in any::<bool>(),
    ) {
        let cal = &PRESETS[cal];
        let mut t = target(allowance);
        let clock = open(&t, start, cal);
        prop_assert_eq!(clock.elapsed_at(start + now, cal) + clock.left_at(start + now, cal), allowance);
        // Breached exactly when past the deadline.
        let past = clock.deadline.is_some_and(|d| start + now > d);
        prop_assert_eq!(clock.state_at(start + now) == ClockState::Breached, past);
        // A priority change keeps the clock consistent with its new allowance.
        t.time_to_resolve = new_allowance;
        t.on_priority_change = if restart { Policy::Restart } else { Policy::Recompute };
        let busy = TicketPhase::of(Status::InProgress, None, true);
        let repriced = clock.reprice(&t, &busy, start + now, cal);
        prop_assert_eq!(repriced.allowance, new_allowance);
        prop_assert_eq!(repriced.recompute(cal), repriced);
    }

    #[test]
    fn each_level_is_due_from_its_own_instant_on(
        cal in 0usize..3, start in instant(), allowance in minutes(100 * 60),
        percent in 1u16..150, probe in minutes(60 * 24 * 60),
    ) {
        let cal = &PRESETS[cal];
        let clock = open(&target(allowance), start, cal);
        let levels = [EscalationLevel::new(percent, EscalationAction::Notify)];
        let due_at = next_due_at(&levels, &clock, &[], cal);
        let now = start + probe;
        let due = !due_levels(&levels, &clock, &[], now, cal).is_empty();
        prop_assert_eq!(due, due_at.is_some_and(|d| now >= d));
        prop_assert!(due_levels(&levels, &clock, &levels, now, cal).is_empty());
    }
}
