//! Service level targets: what is promised, for which tickets, and how the
//! clocks they start behave on pauses, priority changes and reopenings.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::EscalationLevel;
use super::clock::TicketPhase;
use crate::ticket::priority::Priority;
use crate::ticket::{PendingReason, Status, named_enum};

named_enum!(
    /// Who the promise is made to.
    TargetKind, "target kind" {
        /// Service level agreement, with the customer.
        Sla => "sla",
        /// Operational level agreement, between internal groups.
        Ola => "ola",
        /// Underpinning contract, with a supplier: its clock runs only while
        /// the ticket is pending the supplier.
        Uc => "uc",
    }
);

named_enum!(
    /// What a clock measures.
    Metric, "metric" {
        /// Time to own: from opening to the first assignment to an agent (or
        /// the first move past `assigned`).
        Own => "own",
        /// Time to resolve: from opening to the resolution.
        Resolve => "resolve",
    }
);

named_enum!(
    /// A pending reason during which a clock pauses.
    PauseOn, "pause reason" {
        /// Waiting for the requester (the default pause).
        Customer => "customer",
        /// Waiting for a supplier.
        Supplier => "supplier",
        /// Waiting for a change.
        Change => "change",
    }
);

named_enum!(
    /// What a clock does when the ticket's priority changes or it reopens.
    Policy, "clock policy" {
        /// Keep the business time already spent since the opening and
        /// measure it against the (new) target: the deadline is recomputed
        /// from the start.
        Recompute => "recompute",
        /// Start again from zero at the change.
        Restart => "restart",
    }
);

/// Why a target is refused; the message starts with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct TargetError {
    /// The field, e.g. `time_to_resolve` or `escalations[1].percent`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl TargetError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> TargetError {
        TargetError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A service level target for one kind, service (or any) and priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaTarget {
    /// Its id (0 before it is stored).
    pub id: i64,
    /// SLA, OLA or UC.
    pub kind: TargetKind,
    /// The service or contract reference it covers; `None` covers any
    /// ticket for which no target names its service.
    pub service_ref: Option<String>,
    /// The priority it covers.
    pub priority: Priority,
    /// Business time allowed to own the ticket; `None`: not measured.
    pub time_to_own: Option<SignedDuration>,
    /// Business time allowed to resolve it.
    pub time_to_resolve: SignedDuration,
    /// Pending reasons that pause the clocks (ignored for UC, whose clock
    /// runs only while pending the supplier).
    pub pause_on: Vec<PauseOn>,
    /// What a priority change does to the clocks.
    pub on_priority_change: Policy,
    /// What a reopening does to the resolution clock.
    pub on_reopen: Policy,
    /// Escalation levels, at percentages of the allowance.
    pub levels: Vec<EscalationLevel>,
}

impl SlaTarget {
    /// A target with the usual defaults: pause pending the customer,
    /// recompute on priority change and on reopening, no escalation.
    pub fn new(kind: TargetKind, priority: Priority, time_to_resolve: SignedDuration) -> SlaTarget {
        SlaTarget {
            id: 0,
            kind,
            service_ref: None,
            priority,
            time_to_own: None,
            time_to_resolve,
            pause_on: vec![PauseOn::Customer],
            on_priority_change: Policy::Recompute,
            on_reopen: Policy::Recompute,
            levels: Vec::new(),
        }
    }

    /// The allowance of a metric, if the target measures it.
    pub fn allowance(&self, metric: Metric) -> Option<SignedDuration> {
        match metric {
            Metric::Own => self.time_to_own,
            Metric::Resolve => Some(self.time_to_resolve),
        }
    }

    /// The metrics this target measures.
    pub fn metrics(&self) -> Vec<Metric> {
        Metric::ALL
            .iter()
            .copied()
            .filter(|m| self.allowance(*m).is_some())
            .collect()
    }

    /// Whether business time counts against the target in this phase.
    pub fn counts(&self, phase: &TicketPhase) -> bool {
        if !phase.status.is_open() {
            return false;
        }
        let pending = (phase.status == Status::Pending)
            .then_some(phase.pending_reason)
            .flatten();
        match self.kind {
            TargetKind::Uc => pending == Some(PendingReason::Supplier),
            TargetKind::Sla | TargetKind::Ola => match pending {
                Some(reason) => !self.pause_on.contains(&pause_of(reason)),
                None => true,
            },
        }
    }

    /// Checks the target; errors name the field.
    pub fn validate(&self) -> Result<(), TargetError> {
        if !self.time_to_resolve.is_positive() {
            return Err(TargetError::new(
                "time_to_resolve",
                "must be a positive duration",
            ));
        }
        if self.time_to_own.is_some_and(|d| !d.is_positive()) {
            return Err(TargetError::new(
                "time_to_own",
                "must be a positive duration",
            ));
        }
        let ten_years = SignedDuration::from_hours(24 * 3653);
        if self.time_to_resolve > ten_years || self.time_to_own.is_some_and(|d| d > ten_years) {
            return Err(TargetError::new(
                "time_to_resolve",
                "must be under ten years",
            ));
        }
        if let Some(s) = &self.service_ref
            && (s.trim().is_empty() || s.chars().count() > 200)
        {
            return Err(TargetError::new(
                "service_ref",
                "must be 1 to 200 characters, or absent for any service",
            ));
        }
        for (index, level) in self.levels.iter().enumerate() {
            if !(1..=1000).contains(&level.percent) {
                return Err(TargetError::new(
                    format!("escalations[{index}].percent"),
                    "must be between 1 and 1000",
                ));
            }
            if self.levels[..index].contains(level) {
                return Err(TargetError::new(
                    format!("escalations[{index}]"),
                    "the same level is given twice",
                ));
            }
        }
        Ok(())
    }
}

fn pause_of(reason: PendingReason) -> PauseOn {
    match reason {
        PendingReason::Customer => PauseOn::Customer,
        PendingReason::Supplier => PauseOn::Supplier,
        PendingReason::Change => PauseOn::Change,
    }
}

/// The targets that apply to a ticket of `priority` for `service`: for each
/// kind, the target naming the service if there is one, else the target for
/// any service.
pub fn select_targets<'a>(
    targets: &'a [SlaTarget],
    service: Option<&str>,
    priority: Priority,
) -> Vec<&'a SlaTarget> {
    let mut chosen = Vec::new();
    for kind in TargetKind::ALL {
        let of_kind = || {
            targets
                .iter()
                .filter(move |t| t.kind == *kind && t.priority == priority)
        };
        let exact =
            of_kind().find(|t| t.service_ref.is_some() && t.service_ref.as_deref() == service);
        if let Some(t) = exact.or_else(|| of_kind().find(|t| t.service_ref.is_none())) {
            chosen.push(t);
        }
    }
    chosen
}

/// The clocks to start when a ticket's targets change (its service or its
/// priority moved): for each target that now applies (`chosen`, from
/// [`select_targets`]), each metric it measures that no clock of the
/// ticket measures for that kind yet (`existing`). A closed or resolved
/// ticket starts none, and a ticket already owned starts no own clock:
/// such a clock would stop the instant it starts. A clock starts when its
/// target starts to apply; the time before does not count against it.
pub fn clocks_to_start<'a>(
    chosen: &[&'a SlaTarget],
    existing: &[(TargetKind, Metric)],
    phase: &TicketPhase,
) -> Vec<(&'a SlaTarget, Metric)> {
    if !phase.status.is_open() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for target in chosen {
        for metric in target.metrics() {
            let measured = existing.contains(&(target.kind, metric));
            let over = metric == Metric::Own && phase.owned;
            if !measured && !over {
                out.push((*target, metric));
            }
        }
    }
    out
}

/// Reads a priority written `P1`…`P4` (any case) or by its name (`critique`…).
pub fn parse_priority(text: &str) -> Option<Priority> {
    match text.trim().to_ascii_uppercase().as_str() {
        "P1" => Some(Priority::Critique),
        "P2" => Some(Priority::Haut),
        "P3" => Some(Priority::Moyen),
        "P4" => Some(Priority::Bas),
        _ => text.trim().parse().ok(),
    }
}

/// `P1`…`P4`.
pub fn priority_label(priority: Priority) -> &'static str {
    ["P1", "P2", "P3", "P4"][usize::from(priority.rank().clamp(1, 4) - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: TargetKind, service: Option<&str>, priority: Priority) -> SlaTarget {
        let mut t = SlaTarget::new(kind, priority, SignedDuration::from_hours(4));
        t.service_ref = service.map(str::to_owned);
        t
    }

    #[test]
    fn the_service_s_own_target_wins_over_the_generic_one() {
        let targets = [
            target(TargetKind::Sla, None, Priority::Haut),
            target(TargetKind::Sla, Some("crm"), Priority::Haut),
            target(TargetKind::Uc, None, Priority::Haut),
            target(TargetKind::Sla, Some("erp"), Priority::Critique),
        ];
        let picked = |service, p| {
            select_targets(&targets, service, p)
                .iter()
                .map(|t| (t.kind, t.service_ref.clone()))
                .collect::<Vec<_>>()
        };
        let crm = Some("crm".to_owned());
        assert_eq!(
            picked(Some("crm"), Priority::Haut),
            [(TargetKind::Sla, crm), (TargetKind::Uc, None)]
        );
        assert_eq!(
            picked(Some("mail"), Priority::Haut),
            [(TargetKind::Sla, None), (TargetKind::Uc, None)]
        );
        assert_eq!(picked(None, Priority::Critique), []);
    }

    #[test]
    fn bad_targets_name_their_field() {
        let check = |t: SlaTarget, field: &str| {
            assert_eq!(t.validate().map_err(|e| e.field), Err(field.to_owned()));
        };
        let mut zero = target(TargetKind::Sla, None, Priority::Bas);
        zero.time_to_resolve = SignedDuration::ZERO;
        check(zero, "time_to_resolve");
        let mut negative = target(TargetKind::Sla, None, Priority::Bas);
        negative.time_to_own = Some(SignedDuration::from_mins(-5));
        check(negative, "time_to_own");
        let mut levels = target(TargetKind::Sla, None, Priority::Bas);
        let level = EscalationLevel::new(75, crate::sla::EscalationAction::Notify);
        levels.levels = vec![level, EscalationLevel::new(0, level.action)];
        check(levels.clone(), "escalations[1].percent");
        levels.levels = vec![level, level];
        check(levels, "escalations[1]");
        assert_eq!(parse_priority("p2"), Some(Priority::Haut));
        assert_eq!(parse_priority("bas"), Some(Priority::Bas));
        assert_eq!(parse_priority("P5"), None);
        assert_eq!(priority_label(Priority::Moyen), "P3");
    }

    #[test]
    fn a_target_that_starts_to_apply_starts_only_the_clocks_missing() {
        let mut sla = target(TargetKind::Sla, Some("crm"), Priority::Haut);
        sla.time_to_own = Some(SignedDuration::from_mins(30));
        let uc = target(TargetKind::Uc, None, Priority::Haut);
        let chosen = [&sla, &uc];
        let open = TicketPhase::of(Status::Assigned, None, false);
        let started = |existing: &[(TargetKind, Metric)], phase: &TicketPhase| {
            clocks_to_start(&chosen, existing, phase)
                .iter()
                .map(|(t, m)| (t.kind, *m))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            started(&[], &open),
            [
                (TargetKind::Sla, Metric::Own),
                (TargetKind::Sla, Metric::Resolve),
                (TargetKind::Uc, Metric::Resolve)
            ]
        );
        // The SLA clocks run already: only the supplier's starts.
        let running = [
            (TargetKind::Sla, Metric::Own),
            (TargetKind::Sla, Metric::Resolve),
        ];
        assert_eq!(
            started(&running, &open),
            [(TargetKind::Uc, Metric::Resolve)]
        );
        // Owned already: no own clock; resolved: nothing at all.
        let owned = TicketPhase::of(Status::InProgress, None, true);
        assert_eq!(
            started(&[], &owned),
            [
                (TargetKind::Sla, Metric::Resolve),
                (TargetKind::Uc, Metric::Resolve)
            ]
        );
        let resolved = TicketPhase::of(Status::Resolved, None, true);
        assert_eq!(started(&[], &resolved), []);
    }
}
