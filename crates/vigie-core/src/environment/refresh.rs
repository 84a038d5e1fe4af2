//! Data refreshes: copying the data of one environment into another.
//!
//! A refresh is allowed only *downwards* in the environments' order
//! ([`super::rank`]): production into qualification, acceptance or
//! development, qualification into development, and so on; never into
//! itself, never upwards, because the lower environments must never feed
//! the higher ones with data nobody vouches for.
//!
//! *Decision*: anonymisation is required by the decision, not asked of the
//! request. A refresh from production always carries `anonymise = true`;
//! a request from production that says `anonymise: false` is refused. A
//! refresh from any other environment is anonymised only if asked.
//!
//! A request then goes `requested → approved → done`, or `requested →
//! refused`; [`transition`] decides each step.

use super::{EnvironmentKind, ordered, rank};
use crate::ticket::named_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What the decision says about an allowed refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshPlan {
    /// Whether the copied data must be anonymised (always from production).
    pub anonymise: bool,
}

/// Why a refresh is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefreshRefused {
    /// Same environment kind, or upwards.
    #[error(
        "data may only be refreshed downwards (production → … → development): {from} cannot be copied into {into}; from {from} the allowed targets are: {}; into {into} the allowed sources are: {}",
        names(allowed_targets),
        names(allowed_sources)
    )]
    NotDownwards {
        /// The source's kind.
        from: EnvironmentKind,
        /// The target's kind.
        into: EnvironmentKind,
        /// The kinds that could receive the source's data.
        allowed_targets: Vec<EnvironmentKind>,
        /// The kinds whose data could go into the target.
        allowed_sources: Vec<EnvironmentKind>,
    },
    /// A refresh from production without anonymisation.
    #[error(
        "data copied from production must be anonymised: leave `anonymise` out or set it to true"
    )]
    AnonymisationRequired,
    /// The source and the target are the same item.
    #[error("an environment cannot be refreshed from itself")]
    SameEnvironment,
}

fn names(kinds: &[EnvironmentKind]) -> String {
    if kinds.is_empty() {
        return "none".to_owned();
    }
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kinds that may receive data from `source`, highest first.
pub fn allowed_targets(source: EnvironmentKind) -> Vec<EnvironmentKind> {
    let mut kinds: Vec<EnvironmentKind> = ordered()
        .into_iter()
        .filter(|k| rank(*k) < rank(source))
        .collect();
    kinds.reverse();
    kinds
}

/// The kinds whose data may go into `target`, lowest first.
pub fn allowed_sources(target: EnvironmentKind) -> Vec<EnvironmentKind> {
    ordered()
        .into_iter()
        .filter(|k| rank(*k) > rank(target))
        .collect()
}

/// Decides a refresh from `source` into `target`; `anonymise` is what the
/// request says (`None`: not said).
pub fn check(
    source: EnvironmentKind,
    target: EnvironmentKind,
    anonymise: Option<bool>,
) -> Result<RefreshPlan, RefreshRefused> {
    if rank(source) <= rank(target) {
        return Err(RefreshRefused::NotDownwards {
            from: source,
            into: target,
            allowed_targets: allowed_targets(source),
            allowed_sources: allowed_sources(target),
        });
    }
    let from_production = source == EnvironmentKind::Production;
    if from_production && anonymise == Some(false) {
        return Err(RefreshRefused::AnonymisationRequired);
    }
    Ok(RefreshPlan {
        anonymise: from_production || anonymise == Some(true),
    })
}

named_enum!(
    /// Where a refresh request stands.
    RefreshStatus, "refresh status" {
        /// Asked, not yet decided.
        Requested => "requested",
        /// Approved by the environments' managers.
        Approved => "approved",
        /// Carried out.
        Done => "done",
        /// Refused by the environments' managers.
        Refused => "refused",
    }
);

named_enum!(
    /// What the environments' managers do with a request.
    RefreshAction, "refresh action" {
        /// Approve it.
        Approve => "approve",
        /// Record that it was carried out.
        Done => "done",
        /// Refuse it.
        Refuse => "refuse",
    }
);

/// A step refused by the request's status.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "a refresh that is {status} cannot {action}; allowed: {}",
    allowed_text(allowed)
)]
pub struct RefreshStepRefused {
    /// The status.
    pub status: RefreshStatus,
    /// The action refused.
    pub action: RefreshAction,
    /// What the status allows.
    pub allowed: Vec<RefreshAction>,
}

fn allowed_text(actions: &[RefreshAction]) -> String {
    if actions.is_empty() {
        return "nothing (the request is closed)".to_owned();
    }
    actions
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The actions a status allows.
pub fn allowed_actions(status: RefreshStatus) -> Vec<RefreshAction> {
    match status {
        RefreshStatus::Requested => vec![RefreshAction::Approve, RefreshAction::Refuse],
        RefreshStatus::Approved => vec![RefreshAction::Done, RefreshAction::Refuse],
        RefreshStatus::Done | RefreshStatus::Refused => Vec::new(),
    }
}

/// The status after `action`, or why it is refused.
pub fn transition(
    status: RefreshStatus,
    action: RefreshAction,
) -> Result<RefreshStatus, RefreshStepRefused> {
    if !allowed_actions(status).contains(&action) {
        return Err(RefreshStepRefused {
            status,
            action,
            allowed: allowed_actions(status),
        });
    }
    Ok(match action {
        RefreshAction::Approve => RefreshStatus::Approved,
        RefreshAction::Done => RefreshStatus::Done,
        RefreshAction::Refuse => RefreshStatus::Refused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnvironmentKind::*;

    #[test]
    fn every_pair_is_allowed_exactly_when_it_goes_down() {
        for &source in EnvironmentKind::ALL {
            for &target in EnvironmentKind::ALL {
                let outcome = check(source, target, None);
                assert_eq!(
                    outcome.is_ok(),
                    rank(source) > rank(target),
                    "{source} → {target}"
                );
            }
        }
    }

    #[test]
    fn the_persona_s_rules_hold() {
        for target in [
            Qualification,
            Acceptance,
            Development,
            PreProduction,
            Training,
        ] {
            assert!(check(Production, target, None).is_ok(), "{target}");
        }
        assert!(check(Qualification, Development, None).is_ok());
        assert!(check(Development, Qualification, None).is_err());
        assert!(check(Qualification, Production, None).is_err());
        assert!(check(Production, Production, None).is_err());
    }

    #[test]
    fn an_upward_refresh_says_what_would_be_allowed() {
        let err = check(Qualification, Acceptance, None).expect_err("refused");
        assert_eq!(
            err,
            RefreshRefused::NotDownwards {
                from: Qualification,
                into: Acceptance,
                allowed_targets: vec![Development],
                allowed_sources: vec![PreProduction, Training, Production],
            }
        );
        let text = err.to_string();
        assert!(text.contains("only be refreshed downwards"), "{text}");
        assert!(text.contains("allowed targets are: development"), "{text}");
        assert!(
            text.contains("allowed sources are: pre_production, training, production"),
            "{text}"
        );
        let none = check(Development, Development, None)
            .expect_err("refused")
            .to_string();
        assert!(none.contains("allowed targets are: none"), "{none}");
        let top = check(Production, Production, None)
            .expect_err("refused")
            .to_string();
        assert!(top.contains("allowed sources are: none"), "{top}");
    }

    #[test]
    fn production_data_is_always_anonymised() {
        assert_eq!(
            check(Production, Qualification, None),
            Ok(RefreshPlan { anonymise: true })
        );
        assert_eq!(
            check(Production, Qualification, Some(true)),
            Ok(RefreshPlan { anonymise: true })
        );
        assert_eq!(
            check(Production, Qualification, Some(false)),
            Err(RefreshRefused::AnonymisationRequired)
        );
        assert_eq!(
            check(Qualification, Development, None),
            Ok(RefreshPlan { anonymise: false })
        );
        assert_eq!(
            check(Qualification, Development, Some(true)),
            Ok(RefreshPlan { anonymise: true })
        );
    }

    #[test]
    fn a_request_is_approved_then_done_or_refused() {
        use RefreshAction::{Approve, Refuse};
        use RefreshStatus::{Approved, Refused, Requested};
        let cases = [
            (Requested, Approve, Approved),
            (Requested, Refuse, Refused),
            (Approved, RefreshAction::Done, RefreshStatus::Done),
            (Approved, Refuse, Refused),
        ];
        for (status, action, expected) in cases {
            assert_eq!(
                transition(status, action),
                Ok(expected),
                "{status} {action}"
            );
        }
        let err = transition(Requested, RefreshAction::Done).expect_err("refused");
        assert_eq!(err.allowed, vec![Approve, Refuse]);
        assert!(
            err.to_string().contains("allowed: approve, refuse"),
            "{err}"
        );
        for closed in [RefreshStatus::Done, Refused] {
            for &action in RefreshAction::ALL {
                let err = transition(closed, action).expect_err("refused");
                assert!(err.to_string().contains("closed"), "{err}");
            }
        }
    }
}
