//! Escalation before breach: levels at percentages of a clock's allowance,
//! which are due once that share of business time is spent, and fire once.
//!
//! The core only says which levels are due and when the next one will be;
//! the store keeps a "fired" marker per clock and level (a unique key), so a
//! level fires once even with several instances and across restarts. A
//! level of a clock that stopped never fires; a level whose time passed
//! while nobody looked is due at once.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::clock::SlaClock;
use crate::calendar::BusinessCalendar;
use crate::ticket::named_enum;
use crate::ticket::priority::Priority;

named_enum!(
    /// What an escalation level does.
    EscalationAction, "escalation action" {
        /// An internal note on the ticket, for the people following it.
        Notify => "notify",
        /// Raise the ticket's priority one step (P4 → P3 …, P1 stays).
        RaisePriority => "raise_priority",
        /// Move the ticket to a group of the next support level.
        NextLevel => "next_level",
        /// Alert the manager of the group holding the ticket.
        AlertManager => "alert_manager",
    }
);

/// One escalation level: at `percent` % of the allowance, do `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EscalationLevel {
    /// The share of the allowance spent, in percent (1–1000; 100 is the
    /// deadline itself, more is after the breach).
    pub percent: u16,
    /// What to do.
    pub action: EscalationAction,
}

impl EscalationLevel {
    /// A level at `percent` % doing `action`.
    pub const fn new(percent: u16, action: EscalationAction) -> EscalationLevel {
        EscalationLevel { percent, action }
    }

    /// The business time after which the level is due.
    pub fn threshold(&self, allowance: SignedDuration) -> SignedDuration {
        let nanos = allowance.as_nanos() * i128::from(self.percent) / 100;
        SignedDuration::try_from_nanos_i128(nanos).unwrap_or(SignedDuration::MAX)
    }
}

/// The levels due at `now` that have not fired, in the order of `levels`.
pub fn due_levels(
    levels: &[EscalationLevel],
    clock: &SlaClock,
    fired: &[EscalationLevel],
    now: Timestamp,
    calendar: &BusinessCalendar,
) -> Vec<EscalationLevel> {
    if clock.stopped_at.is_some() {
        return Vec::new();
    }
    let spent = clock.elapsed_at(now, calendar);
    levels
        .iter()
        .filter(|l| !fired.contains(l) && spent >= l.threshold(clock.allowance))
        .copied()
        .collect()
}

/// When the next unfired level becomes due: `None` for a stopped clock, or
/// a paused one that has no level already due (it is looked at again when
/// it resumes). A level already due gives an instant at or before now.
pub fn next_due_at(
    levels: &[EscalationLevel],
    clock: &SlaClock,
    fired: &[EscalationLevel],
    calendar: &BusinessCalendar,
) -> Option<Timestamp> {
    if clock.stopped_at.is_some() {
        return None;
    }
    let pending = levels.iter().filter(|l| !fired.contains(l));
    let mut next: Option<Timestamp> = None;
    for level in pending {
        let left = level.threshold(clock.allowance) - clock.elapsed;
        let at = match clock.running_since {
            _ if !left.is_positive() => Some(clock.running_since.unwrap_or(clock.started_at)),
            Some(since) => calendar.add_business(since, left).ok(),
            None => None,
        };
        next = match (next, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    next
}

/// The priority one step above (P1 stays P1).
pub fn raised(priority: Priority) -> Priority {
    match priority {
        Priority::Bas => Priority::Moyen,
        Priority::Moyen => Priority::Haut,
        Priority::Haut | Priority::Critique => Priority::Critique,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{BusinessCalendar, DEFAULT_TIME_ZONE};
    use crate::sla::{Metric, SlaTarget, TargetKind, TicketPhase};
    use crate::ticket::Status;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("an instant")
    }

    #[test]
    fn levels_fall_due_at_their_share_and_fire_once() {
        let calendar = BusinessCalendar::working_hours(DEFAULT_TIME_ZONE).expect("preset");
        let target = SlaTarget::new(
            TargetKind::Sla,
            Priority::Haut,
            SignedDuration::from_hours(4),
        );
        let new = TicketPhase::of(Status::New, None, false);
        // Monday 2026-01-12 08:00 + 4 h: 75 % at 11:00, 90 % at 11:36.
        let opened = at("2026-01-12T08:00+01:00");
        let clock = SlaClock::start(&target, Metric::Resolve, &new, opened, &calendar);
        let clock = clock.expect("a resolution clock");
        let levels = [
            EscalationLevel::new(75, EscalationAction::Notify),
            EscalationLevel::new(90, EscalationAction::AlertManager),
        ];
        let due = |now: &str, fired: &[EscalationLevel]| {
            due_levels(&levels, &clock, fired, at(now), &calendar)
        };
        assert_eq!(due("2026-01-12T10:59+01:00", &[]), []);
        assert_eq!(due("2026-01-12T11:00+01:00", &[]), levels[..1]);
        assert_eq!(due("2026-01-12T11:40+01:00", &levels[..1]), levels[1..]);
        // Down all week-end: both are due on start, once each.
        assert_eq!(due("2026-01-17T09:00+01:00", &[]), levels);
        assert_eq!(due("2026-01-17T09:00+01:00", &levels), []);
        let next = |fired: &[EscalationLevel]| next_due_at(&levels, &clock, fired, &calendar);
        assert_eq!(next(&[]), Some(at("2026-01-12T11:00+01:00")));
        assert_eq!(next(&levels[..1]), Some(at("2026-01-12T11:36+01:00")));
        assert_eq!(next(&levels), None);
        // A resolved ticket escalates no more.
        let resolved = TicketPhase::of(Status::Resolved, None, true);
        let stopped = clock.follow(&target, &resolved, at("2026-01-12T09:00+01:00"), &calendar);
        let late = at("2026-01-13T09:00+01:00");
        assert_eq!(due_levels(&levels, &stopped, &[], late, &calendar), []);
        assert_eq!(next_due_at(&levels, &stopped, &[], &calendar), None);
        assert_eq!(raised(Priority::Bas), Priority::Moyen);
        assert_eq!(raised(Priority::Critique), Priority::Critique);
    }
}
