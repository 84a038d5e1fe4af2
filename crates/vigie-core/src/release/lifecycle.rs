//! The release lifecycle: which action each status allows, and who may
//! give the green light.
//!
//! ```text
//! planned ──qualify──▶ qualification ──green-light──▶ green_lit ──deploy──▶ deployed
//!    │                      │  └──────────deploy (regular only)──────────────▲
//!    └──────cancel──────────┴──────────────cancel───────┘  ──▶ cancelled
//! ```
//!
//! The green light is given by a member of the tenant's qualification group
//! (the caller says whether the actor is one), once, while the release is
//! in qualification. A regular release may be deployed straight from
//! qualification; an exceptional release or a patch only once green-lit.
//! Deployed and cancelled releases are closed.

use super::{ReleaseKind, ReleaseStatus};
use crate::ticket::named_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// What can be done to a release's status.
    ReleaseAction, "release action" {
        /// Hand it to the qualification team.
        Qualify => "qualify",
        /// The qualification team vouches for it.
        GreenLight => "green-light",
        /// Put it in production.
        Deploy => "deploy",
        /// Give it up.
        Cancel => "cancel",
    }
);

/// What the lifecycle needs to know of a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseState {
    /// Its kind.
    pub kind: ReleaseKind,
    /// Its status.
    pub status: ReleaseStatus,
    /// Whether the green light was given.
    pub green_lit: bool,
}

/// The state after an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseOutcome {
    /// The new status.
    pub status: ReleaseStatus,
    /// Whether this action is the green light (the store records who and when).
    pub gives_green_light: bool,
    /// Whether this action deploys it (the store records when).
    pub deploys: bool,
}

/// Why an action is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseRefused {
    /// The status does not allow the action.
    #[error(
        "a release that is {status} cannot {action}; allowed: {}",
        names(allowed)
    )]
    NotAllowed {
        /// The status.
        status: ReleaseStatus,
        /// The action refused.
        action: ReleaseAction,
        /// What the status allows for this release.
        allowed: Vec<ReleaseAction>,
    },
    /// An exceptional release or a patch without its green light.
    #[error(
        "a{} {kind} release needs the qualification team's green light before it is deployed; allowed: {}",
        if matches!(kind, ReleaseKind::Exceptional) { "n" } else { "" },
        names(allowed)
    )]
    GreenLightRequired {
        /// The release's kind.
        kind: ReleaseKind,
        /// What the status allows.
        allowed: Vec<ReleaseAction>,
    },
    /// The green light was already given.
    #[error("the green light was already given to this release; it is given once")]
    AlreadyGreenLit,
    /// The actor is not in the qualification group.
    #[error(
        "only a member of the tenant's qualification group gives the green light{}",
        if *no_group { "; the tenant has not named one in its release settings" } else { "" }
    )]
    NotQualifier {
        /// Whether the tenant has no qualification group at all.
        no_group: bool,
    },
}

fn names(actions: &[ReleaseAction]) -> String {
    if actions.is_empty() {
        return "nothing (the release is closed)".to_owned();
    }
    actions
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The actions a release in `state` allows.
pub fn allowed(state: ReleaseState) -> Vec<ReleaseAction> {
    use ReleaseAction::*;
    match state.status {
        ReleaseStatus::Planned => vec![Qualify, Cancel],
        ReleaseStatus::Qualification if state.kind.needs_green_light() => {
            vec![GreenLight, Cancel]
        }
        ReleaseStatus::Qualification => vec![GreenLight, Deploy, Cancel],
        ReleaseStatus::GreenLit => vec![Deploy, Cancel],
        ReleaseStatus::Deployed | ReleaseStatus::Cancelled => Vec::new(),
    }
}

/// Whether the actor may give green lights, as the caller found out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    /// A member of the tenant's qualification group.
    Member,
    /// Not a member.
    NotMember,
    /// The tenant has no qualification group.
    NoGroup,
}

/// The outcome of `action` on a release in `state`, by an actor who is or
/// is not a qualifier.
pub fn apply(
    state: ReleaseState,
    action: ReleaseAction,
    qualifier: Qualifier,
) -> Result<ReleaseOutcome, ReleaseRefused> {
    let allowed_now = allowed(state);
    if action == ReleaseAction::GreenLight {
        if state.green_lit {
            return Err(ReleaseRefused::AlreadyGreenLit);
        }
        match qualifier {
            Qualifier::Member => {}
            Qualifier::NotMember => return Err(ReleaseRefused::NotQualifier { no_group: false }),
            Qualifier::NoGroup => return Err(ReleaseRefused::NotQualifier { no_group: true }),
        }
    }
    if !allowed_now.contains(&action) {
        if action == ReleaseAction::Deploy && state.status == ReleaseStatus::Qualification {
            return Err(ReleaseRefused::GreenLightRequired {
                kind: state.kind,
                allowed: allowed_now,
            });
        }
        return Err(ReleaseRefused::NotAllowed {
            status: state.status,
            action,
            allowed: allowed_now,
        });
    }
    let status = match action {
        ReleaseAction::Qualify => ReleaseStatus::Qualification,
        ReleaseAction::GreenLight => ReleaseStatus::GreenLit,
        ReleaseAction::Deploy => ReleaseStatus::Deployed,
        ReleaseAction::Cancel => ReleaseStatus::Cancelled,
    };
    Ok(ReleaseOutcome {
        status,
        gives_green_light: action == ReleaseAction::GreenLight,
        deploys: action == ReleaseAction::Deploy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReleaseAction::*;
    use ReleaseKind::*;
    use ReleaseStatus::*;

    fn state(kind: ReleaseKind, status: ReleaseStatus) -> ReleaseState {
        ReleaseState {
            kind,
            status,
            green_lit: matches!(status, GreenLit),
        }
    }

    fn to(
        kind: ReleaseKind,
        status: ReleaseStatus,
        action: ReleaseAction,
    ) -> Option<ReleaseStatus> {
        apply(state(kind, status), action, Qualifier::Member)
            .ok()
            .map(|o| o.status)
    }

    #[test]
    fn every_transition_of_every_kind() {
        // (status, action) → status, for regular / exceptional / patch.
        let table: &[(ReleaseStatus, ReleaseAction, [Option<ReleaseStatus>; 3])] = &[
            (Planned, Qualify, [Some(Qualification); 3]),
            (Planned, GreenLight, [None; 3]),
            (Planned, Deploy, [None; 3]),
            (Planned, Cancel, [Some(Cancelled); 3]),
            (Qualification, Qualify, [None; 3]),
            (Qualification, GreenLight, [Some(GreenLit); 3]),
            (Qualification, Deploy, [Some(Deployed), None, None]),
            (Qualification, Cancel, [Some(Cancelled); 3]),
            (GreenLit, Qualify, [None; 3]),
            (GreenLit, GreenLight, [None; 3]),
            (GreenLit, Deploy, [Some(Deployed); 3]),
            (GreenLit, Cancel, [Some(Cancelled); 3]),
        ];
        for &(status, action, expected) in table {
            for (kind, want) in [Regular, Exceptional, Patch].into_iter().zip(expected) {
                assert_eq!(to(kind, status, action), want, "{kind} {status} {action}");
            }
        }
        for closed in [Deployed, Cancelled] {
            for &action in ReleaseAction::ALL {
                for &kind in ReleaseKind::ALL {
                    assert_eq!(to(kind, closed, action), None, "{kind} {closed} {action}");
                }
            }
        }
    }

    #[test]
    fn a_patch_is_not_deployed_without_its_green_light() {
        let err =
            apply(state(Patch, Qualification), Deploy, Qualifier::NotMember).expect_err("refused");
        assert_eq!(
            err,
            ReleaseRefused::GreenLightRequired {
                kind: Patch,
                allowed: vec![GreenLight, Cancel],
            }
        );
        assert!(
            err.to_string()
                .contains("green light before it is deployed"),
            "{err}"
        );
        let exceptional = apply(state(Exceptional, Qualification), Deploy, Qualifier::Member)
            .expect_err("refused");
        assert!(
            exceptional.to_string().starts_with("an exceptional"),
            "{exceptional}"
        );
    }

    #[test]
    fn the_green_light_is_given_once_by_a_qualifier() {
        let s = state(Patch, Qualification);
        assert_eq!(
            apply(s, GreenLight, Qualifier::NotMember),
            Err(ReleaseRefused::NotQualifier { no_group: false })
        );
        let no_group = apply(s, GreenLight, Qualifier::NoGroup).expect_err("refused");
        assert!(
            no_group.to_string().contains("has not named one"),
            "{no_group}"
        );
        let given = apply(s, GreenLight, Qualifier::Member).expect("green light");
        assert!(given.gives_green_light && !given.deploys);
        assert_eq!(
            apply(state(Patch, GreenLit), GreenLight, Qualifier::Member),
            Err(ReleaseRefused::AlreadyGreenLit)
        );
        let deployed = apply(state(Patch, GreenLit), Deploy, Qualifier::NotMember).expect("deploy");
        assert!(deployed.deploys && !deployed.gives_green_light);
    }

    #[test]
    fn a_refusal_lists_what_is_allowed() {
        let err = apply(state(Regular, Planned), Deploy, Qualifier::Member).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "a release that is planned cannot deploy; allowed: qualify, cancel"
        );
        let closed =
            apply(state(Regular, Deployed), Cancel, Qualifier::Member).expect_err("refused");
        assert!(
            closed.to_string().contains("the release is closed"),
            "{closed}"
        );
    }
}
