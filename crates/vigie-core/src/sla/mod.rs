//! Service level management: targets, clocks, escalation before breach,
//! availability and the monthly report, as plain functions of plain values.
//!
//! A [`SlaTarget`] says, for a kind of agreement ([`TargetKind`]: SLA with
//! the customer, OLA between groups, UC with a supplier), a service (or
//! none: any service) and a priority, how much business time a ticket may
//! take to be owned and to be resolved, counted in a
//! [`BusinessCalendar`](crate::calendar::BusinessCalendar). Each target gives
//! a ticket one [`SlaClock`] per [`Metric`]; the clock is a pure state
//! machine over the ticket's moves ([`clock`]). The semantics are written
//! down in `docs/dev/sla-clocks.md`.
//!
//! Time is always an argument: nothing here reads the wall clock.

pub mod availability;
pub mod clock;
pub mod escalate;
pub mod report;
pub mod spec;
mod target;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod properties;

pub use clock::{ClockState, SlaClock, TicketPhase};
pub use escalate::{EscalationAction, EscalationLevel};
pub use spec::CalendarSpec;
pub use target::{
    Metric, PauseOn, Policy, SlaTarget, TargetError, TargetKind, clocks_to_start, parse_priority,
    priority_label, select_targets,
};
