//! SLA clocks: a pure state machine over a ticket's moves.
//!
//! A clock holds the business time already counted (`elapsed`, up to the
//! moment it last stopped running) and, while it runs, since when
//! (`running_since`) and the deadline that follows from the calendar. Every
//! move of the ticket gives the clock the new [`TicketPhase`]; the clock
//! first *settles* (adds the business time of the stretch that just ended),
//! then decides: stop (resolution; first ownership for the own clock),
//! reopen (the resolution clock of a reopened ticket, by the target's
//! policy), run or pause (as the target's [`SlaTarget::counts`] says).
//!
//! The deadline of a running clock is `add_business(running_since,
//! allowance − elapsed)`, so a pause of *n* business hours moves it by
//! exactly *n* business hours and a pause never brings it closer. When the
//! calendar has no business time ahead at all, the deadline is unknown
//! (`None`) rather than an error.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::{Metric, Policy, SlaTarget};
use crate::calendar::BusinessCalendar;
use crate::ticket::{PendingReason, Status, named_enum};

named_enum!(
    /// Where a clock stands at a given instant.
    ClockState, "clock state" {
        /// Counting, before its deadline.
        Running => "running",
        /// Not counting (pending the customer, or a UC clock while the
        /// supplier is not involved), within its allowance.
        Paused => "paused",
        /// Stopped within its allowance.
        Met => "met",
        /// Past its allowance, stopped or not.
        Breached => "breached",
    }
);

/// What a clock needs to know of a ticket after a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketPhase {
    /// The status.
    pub status: Status,
    /// Why it waits, when pending.
    pub pending_reason: Option<PendingReason>,
    /// Whether an agent holds it, or it moved past `assigned` (the own
    /// clock stops at the first such phase).
    pub owned: bool,
}

impl TicketPhase {
    /// The phase of a ticket with this status, reason and agent.
    pub fn of(status: Status, pending_reason: Option<PendingReason>, has_agent: bool) -> Self {
        let past_assigned = !matches!(status, Status::New | Status::Assigned);
        TicketPhase {
            status,
            pending_reason,
            owned: has_agent || past_assigned,
        }
    }
}

/// One clock of one ticket against one target and metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaClock {
    /// What it measures.
    pub metric: Metric,
    /// The business time allowed.
    pub allowance: SignedDuration,
    /// Business time counted before `running_since` (or in all, when not running).
    pub elapsed: SignedDuration,
    /// The opening, or the last restart.
    pub started_at: Timestamp,
    /// Since when it runs, when it does.
    pub running_since: Option<Timestamp>,
    /// When it stopped (met or breached), if it did.
    pub stopped_at: Option<Timestamp>,
    /// When the allowance runs out, while it runs.
    pub deadline: Option<Timestamp>,
}

impl SlaClock {
    /// The clock of `metric` for a ticket opened at `at` in `phase`, or
    /// `None` when the target does not measure that metric.
    pub fn start(
        target: &SlaTarget,
        metric: Metric,
        phase: &TicketPhase,
        at: Timestamp,
        calendar: &BusinessCalendar,
    ) -> Option<SlaClock> {
        let allowance = target.allowance(metric)?;
        let idle = SlaClock {
            metric,
            allowance,
            elapsed: SignedDuration::ZERO,
            started_at: at,
            running_since: None,
            stopped_at: None,
            deadline: None,
        };
        Some(idle.decide(target, phase, at, calendar))
    }

    /// The clock after the ticket moved to `phase` at `at`.
    pub fn follow(
        &self,
        target: &SlaTarget,
        phase: &TicketPhase,
        at: Timestamp,
        calendar: &BusinessCalendar,
    ) -> SlaClock {
        let mut clock = self.settle(at, calendar);
        if clock.stopped_at.is_some() {
            let reopened = clock.metric == Metric::Resolve && phase.status.is_open();
            if !reopened {
                return clock;
            }
            clock.stopped_at = None;
            if target.on_reopen == Policy::Restart {
                clock.elapsed = SignedDuration::ZERO;
                clock.started_at = at;
            }
        }
        clock.decide(target, phase, at, calendar)
    }

    /// The clock after the ticket's priority changed at `at`, now measured
    /// against `target` (the new priority's), with `target`'s policy.
    /// A stopped clock keeps its verdict.
    pub fn reprice(
        &self,
        target: &SlaTarget,
        phase: &TicketPhase,
        at: Timestamp,
        calendar: &BusinessCalendar,
    ) -> SlaClock {
        if self.stopped_at.is_some() {
            return *self;
        }
        let Some(allowance) = target.allowance(self.metric) else {
            return *self;
        };
        let mut clock = self.settle(at, calendar);
        clock.allowance = allowance;
        if target.on_priority_change == Policy::Restart {
            clock.elapsed = SignedDuration::ZERO;
            clock.started_at = at;
        }
        clock.decide(target, phase, at, calendar)
    }

    /// The deadline again, from the stored values: what a restart or a
    /// calendar change recomputes.
    pub fn recompute(&self, calendar: &BusinessCalendar) -> SlaClock {
        let mut clock = *self;
        clock.deadline = self
            .running_since
            .and_then(|since| deadline(calendar, since, self.allowance - self.elapsed));
        clock
    }

    /// Business time counted up to `now`.
    pub fn elapsed_at(&self, now: Timestamp, calendar: &BusinessCalendar) -> SignedDuration {
        match self.running_since {
            Some(since) => self.elapsed + calendar.business_between(since, now),
            None => self.elapsed,
        }
    }

    /// Business time left at `now`; negative once breached.
    pub fn left_at(&self, now: Timestamp, calendar: &BusinessCalendar) -> SignedDuration {
        self.allowance - self.elapsed_at(now, calendar)
    }

    /// The state at `now`.
    pub fn state_at(&self, now: Timestamp) -> ClockState {
        let over = self.elapsed > self.allowance;
        match (self.stopped_at, self.running_since) {
            (Some(_), _) if over => ClockState::Breached,
            (Some(_), _) => ClockState::Met,
            (None, Some(_)) if self.deadline.is_some_and(|d| now > d) => ClockState::Breached,
            (None, Some(_)) => ClockState::Running,
            (None, None) if over => ClockState::Breached,
            (None, None) => ClockState::Paused,
        }
    }

    /// Stops counting at `at`: the running stretch joins `elapsed`. A clock
    /// that is not running is unchanged.
    pub fn settle(&self, at: Timestamp, calendar: &BusinessCalendar) -> SlaClock {
        let mut clock = *self;
        if let Some(since) = self.running_since {
            clock.elapsed += calendar.business_between(since, at);
            clock.running_since = None;
            clock.deadline = None;
        }
        clock
    }

    /// From a settled clock: stop, run or stay paused in `phase`.
    fn decide(
        mut self,
        target: &SlaTarget,
        phase: &TicketPhase,
        at: Timestamp,
        calendar: &BusinessCalendar,
    ) -> SlaClock {
        let done = !phase.status.is_open() || (self.metric == Metric::Own && phase.owned);
        if done {
            self.stopped_at = Some(at);
        } else if target.counts(phase) {
            self.running_since = Some(at);
            self.deadline = deadline(calendar, at, self.allowance - self.elapsed);
        }
        self
    }
}

/// The instant `left` of business time after `from` (the next opening when
/// nothing is left).
fn deadline(
    calendar: &BusinessCalendar,
    from: Timestamp,
    left: SignedDuration,
) -> Option<Timestamp> {
    calendar
        .add_business(from, left.max(SignedDuration::ZERO))
        .ok()
}
