//! Change management: requests for change (RFCs) and the rules that keep
//! production safe from badly prepared ones.
//!
//! - [`lifecycle`]: which action each status allows and what it leads to,
//!   standard changes skipping approval, emergency ones going to the ECAB;
//! - [`approval`]: the boards (CAB and ECAB), their quorum and the votes;
//! - [`schedule`]: change windows, freeze periods, and what a planned
//!   window is flagged for;
//! - [`conflict`]: two changes touching the same or dependent items in
//!   overlapping windows;
//! - [`risk`]: the risk of a change from its likelihood and the impact of
//!   its items on the business services;
//! - [`report`]: how the changes of a period fared (success rate,
//!   changes that caused incidents, emergency share).
//!
//! A change answers the *seven Rs*: who raised it, the reason, the return
//! expected, the risks, the resources, who is responsible, and its
//! relationship with other changes. [`readiness`] says which of them, and
//! which plans, a change still lacks before it may be submitted.

pub mod approval;
pub mod conflict;
pub mod lifecycle;
pub mod report;
pub mod risk;
pub mod schedule;

use crate::ticket::named_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// How a change is approved.
    ChangeKind, "change type" {
        /// Pre-approved, made from a template: no board sees it.
        Standard => "standard",
        /// Assessed by the change manager, approved by the CAB.
        Normal => "normal",
        /// Urgent: approved by the emergency CAB, which may schedule it
        /// inside a freeze or outside the change windows.
        Emergency => "emergency",
    }
);

named_enum!(
    /// Where a change is in its lifecycle.
    ChangeStatus, "change status" {
        /// Being written; the requester may still edit everything.
        Draft => "draft",
        /// Waiting for the change manager's assessment (or, for an emergency
        /// change, for the ECAB's votes).
        Submitted => "submitted",
        /// Assessed: the board votes.
        Assessed => "assessed",
        /// Approved by its board (or pre-approved, for a standard change).
        Approved => "approved",
        /// Refused by its board.
        Rejected => "rejected",
        /// Given a planned window.
        Scheduled => "scheduled",
        /// Being carried out.
        Implementing => "implementing",
        /// Carried out.
        Implemented => "implemented",
        /// Undone by its backout plan.
        BackedOut => "backed_out",
        /// Its post-implementation review is written.
        Reviewed => "reviewed",
        /// Finished.
        Closed => "closed",
        /// Abandoned before it was carried out.
        Cancelled => "cancelled",
    }
);

impl ChangeStatus {
    /// Whether the change is finished (nothing more happens to it).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ChangeStatus::Rejected | ChangeStatus::Closed | ChangeStatus::Cancelled
        )
    }

    /// Whether the change holds a planned window that others must respect.
    pub fn holds_window(self) -> bool {
        matches!(self, ChangeStatus::Scheduled | ChangeStatus::Implementing)
    }
}

named_enum!(
    /// How likely it is that the change goes wrong.
    Likelihood, "likelihood" {
        /// Done many times, well tested.
        Low => "low",
        /// Some unknowns.
        Medium => "medium",
        /// New, complex or untested.
        High => "high",
    }
);

named_enum!(
    /// The risk of a change, from its likelihood and its impact.
    RiskLevel, "risk level" {
        /// Low.
        Low => "low",
        /// Medium.
        Medium => "medium",
        /// High.
        High => "high",
        /// Very high: the CAB should look at it closely.
        VeryHigh => "very_high",
    }
);

/// What the readiness check looks at: the text of the seven Rs and the plans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preparation<'a> {
    /// The change's type.
    pub kind: Option<ChangeKind>,
    /// Why the change is needed.
    pub reason: &'a str,
    /// The return expected from it.
    pub expected_return: &'a str,
    /// The risks of doing it (and of not doing it).
    pub risks: &'a str,
    /// The resources it needs.
    pub resources: &'a str,
    /// Whether someone is named responsible for it.
    pub has_responsible: bool,
    /// How it will be carried out.
    pub implementation_plan: &'a str,
    /// How it will be undone.
    pub backout_plan: &'a str,
    /// Whether the backout plan was tested.
    pub backout_tested: bool,
}

/// The fields a change still lacks before it may be submitted, by their
/// API names, in the order of the form. A normal or emergency change needs
/// the reason, the expected return, the risks, the resources, a
/// responsible person and both plans; a normal change also needs its
/// backout plan tested (an emergency change may not have had the time). A
/// standard change was assessed once, in its template: it needs its reason,
/// a responsible person and the template's plans.
pub fn readiness(p: &Preparation<'_>) -> Vec<&'static str> {
    let mut missing = Vec::new();
    let blank = |s: &str| s.trim().is_empty();
    let standard = p.kind == Some(ChangeKind::Standard);
    for (field, text) in [
        ("reason", p.reason),
        ("expected_return", p.expected_return),
        ("risks", p.risks),
        ("resources", p.resources),
    ] {
        if blank(text) && (!standard || field == "reason") {
            missing.push(field);
        }
    }
    if !p.has_responsible {
        missing.push("responsible_id");
    }
    if blank(p.implementation_plan) {
        missing.push("implementation_plan");
    }
    if blank(p.backout_plan) {
        missing.push("backout_plan");
    }
    if p.kind == Some(ChangeKind::Normal) && !p.backout_tested {
        missing.push("backout_tested");
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(kind: ChangeKind) -> Preparation<'static> {
        Preparation {
            kind: Some(kind),
            reason: "the firmware has a known fault",
            expected_return: "no more reboots",
            risks: "a reboot of the switch",
            resources: "one network engineer, one hour",
            has_responsible: true,
            implementation_plan: "upgrade, reboot, check",
            backout_plan: "boot the previous image",
            backout_tested: true,
        }
    }

    #[test]
    fn a_prepared_change_lacks_nothing() {
        for kind in ChangeKind::ALL {
            assert!(readiness(&ready(*kind)).is_empty(), "{kind}");
        }
    }

    #[test]
    fn missing_fields_are_named_in_form_order() {
        let p = Preparation {
            reason: "  ",
            backout_plan: "",
            has_responsible: false,
            ..ready(ChangeKind::Normal)
        };
        assert_eq!(
            readiness(&p),
            vec!["reason", "responsible_id", "backout_plan"]
        );
    }

    #[test]
    fn only_a_normal_change_needs_a_tested_backout() {
        let untested = |kind| Preparation {
            backout_tested: false,
            ..ready(kind)
        };
        assert_eq!(
            readiness(&untested(ChangeKind::Normal)),
            vec!["backout_tested"]
        );
        assert!(readiness(&untested(ChangeKind::Emergency)).is_empty());
        assert!(readiness(&untested(ChangeKind::Standard)).is_empty());
    }

    #[test]
    fn a_standard_change_needs_only_its_reason_and_responsible() {
        let p = Preparation {
            expected_return: "",
            risks: "",
            resources: "",
            ..ready(ChangeKind::Standard)
        };
        assert!(readiness(&p).is_empty());
        let p = Preparation {
            reason: "",
            has_responsible: false,
            ..p
        };
        assert_eq!(readiness(&p), vec!["reason", "responsible_id"]);
    }

    #[test]
    fn statuses_that_hold_a_window() {
        let holding: Vec<_> = ChangeStatus::ALL
            .iter()
            .filter(|s| s.holds_window())
            .collect();
        assert_eq!(
            holding,
            vec![&ChangeStatus::Scheduled, &ChangeStatus::Implementing]
        );
    }
}
