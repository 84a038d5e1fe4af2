//! The SLA escalation job's work: for each clock whose next level is due,
//! ask the core which levels are due ([`due_levels`]) and fire each once
//! through the store (marker, note, priority or group in one transaction).
//! Run by [`crate::jobs`] under its own lease; safe to run on several
//! instances at once, and a level whose time passed while Vigie was down is
//! due at the first run.

use crate::AppState;
use jiff::SignedDuration;
use vigie_core::Timestamp;
use vigie_core::calendar::BusinessCalendar;
use vigie_core::sla::escalate::{due_levels, next_due_at, raised};
use vigie_core::sla::{EscalationAction, EscalationLevel, priority_label};
use vigie_core::tenancy::Scope;
use vigie_core::ticket::escalation::current_level;
use vigie_core::ticket::lifecycle::{Action, LifecycleState, apply};
use vigie_store::{EscalationCase, EscalationEffect, Firing, StoreError, TicketRecord};

/// The lease of the SLA escalation job.
pub const SLA_LEASE: &str = "sla-escalation";

/// How many clocks one run looks at, at most.
const BATCH: i64 = 500;

/// Fires the escalation levels due at the clock's `now`, if this instance
/// holds the lease. Returns how many levels fired.
pub async fn fire_due_escalations(state: &AppState, holder: &str) -> Result<usize, StoreError> {
    let store = state.store();
    let now = state.clock().now();
    let until = now + SignedDuration::from_mins(5);
    if !store.claim_lease(SLA_LEASE, holder, now, until).await? {
        return Ok(0);
    }
    let mut fired = 0;
    for id in store.due_clocks(now, BATCH).await? {
        let case = store.escalation_case(id).await?;
        let Ok(calendar) = case.calendar.build() else {
            store.set_next_escalation(id, None).await?;
            continue;
        };
        fired += fire_case(state, &case, &calendar, now).await?;
    }
    if fired > 0 {
        tracing::info!(fired, "SLA escalation levels fired");
    }
    Ok(fired)
}

async fn fire_case(
    state: &AppState,
    case: &EscalationCase,
    calendar: &BusinessCalendar,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let store = state.store();
    let levels = &case.target.target.levels;
    let clock = &case.clock.clock;
    let due = due_levels(levels, clock, &case.fired, now, calendar);
    if due.is_empty() {
        let next = next_due_at(levels, clock, &case.fired, calendar);
        store.set_next_escalation(case.clock.id, next).await?;
        return Ok(0);
    }
    let mut done = case.fired.clone();
    let mut ticket = case.ticket.clone();
    let mut count = 0;
    for level in due {
        done.push(level);
        let next = next_due_at(levels, clock, &done, calendar);
        let effect = effect_of(state, case, &ticket, level).await?;
        let notify = vigie_core::notification::for_escalation(
            level.action,
            ticket.assignee_id,
            ticket.group_id,
        );
        match store
            .fire_escalation(
                case.clock.id,
                ticket.id,
                Firing {
                    level,
                    effect: &effect,
                    notify: &notify,
                },
                next,
                now,
            )
            .await
        {
            Ok(true) => count += 1,
            Ok(false) => {}
            // The ticket moved meanwhile; the clock is looked at again.
            Err(StoreError::Conflict { .. }) => break,
            Err(e) => return Err(e),
        }
        ticket = store
            .get_ticket(
                &vigie_core::ticket::TicketAccess::of(&vigie_core::tenancy::Actor::system()),
                ticket.id,
            )
            .await?;
    }
    Ok(count)
}

/// What a level does to this ticket, decided with the core's rules.
async fn effect_of(
    state: &AppState,
    case: &EscalationCase,
    ticket: &TicketRecord,
    level: EscalationLevel,
) -> Result<EscalationEffect, StoreError> {
    let store = state.store();
    let what = format!(
        "SLA {} ({}): {} % of the {} time spent",
        case.target.name,
        case.target.target.kind,
        level.percent,
        match case.clock.clock.metric {
            vigie_core::sla::Metric::Own => "ownership",
            vigie_core::sla::Metric::Resolve => "resolution",
        }
    );
    let group = match ticket.group_id {
        Some(g) => Some(store.get_group(&Scope::Platform, g).await?),
        None => None,
    };
    Ok(match level.action {
        EscalationAction::Notify => EscalationEffect::Note(what),
        EscalationAction::RaisePriority => {
            let priority = raised(ticket.priority);
            if priority == ticket.priority {
                EscalationEffect::Note(format!("{what}; already {}", priority_label(priority)))
            } else {
                let note = format!(
                    "{what}; priority raised from {} to {}",
                    priority_label(ticket.priority),
                    priority_label(priority)
                );
                EscalationEffect::Raise { priority, note }
            }
        }
        EscalationAction::NextLevel => {
            let from = current_level(group.as_ref().map(|g| g.level));
            let target = store.next_level_group(ticket, from).await?;
            let current = LifecycleState {
                status: ticket.status,
                resolved_at: ticket.resolved_at,
            };
            let outcome = apply(
                &current,
                &Action::Assign,
                ticket.updated_at,
                SignedDuration::ZERO,
            );
            match (target, outcome) {
                (Some(g), Ok(outcome)) => {
                    let name = store.get_group(&Scope::Platform, g).await?.name;
                    EscalationEffect::Move {
                        group: g,
                        status: outcome.status,
                        note: format!("{what}; moved to {name} (next support level)"),
                    }
                }
                _ => EscalationEffect::Note(format!("{what}; no higher support level to move to")),
            }
        }
        EscalationAction::AlertManager => {
            let manager = match group.as_ref().and_then(|g| g.manager_id) {
                Some(m) => Some(store.get_user(&Scope::Platform, m).await?.display_name),
                None => None,
            };
            match (manager, group) {
                (Some(m), Some(g)) => {
                    EscalationEffect::Note(format!("{what}; manager {m} of {} alerted", g.name))
                }
                _ => EscalationEffect::Note(format!("{what}; the ticket's group has no manager")),
            }
        }
    })
}

/// How long the job may sleep: until the next escalation instant, at most
/// `period`, at least one second.
pub async fn until_next(state: &AppState, period: std::time::Duration) -> std::time::Duration {
    let now = state.clock().now();
    let Ok(Some(next)) = state.store().next_escalation().await else {
        return period;
    };
    let wait = next.duration_since(now);
    let wait = std::time::Duration::try_from(wait).unwrap_or_default();
    wait.clamp(std::time::Duration::from_secs(1), period)
}
