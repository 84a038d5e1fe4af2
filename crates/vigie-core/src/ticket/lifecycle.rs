//! The ticket lifecycle: which action each status allows, and what it leads to.
//!
//! ```text
//! new ──assign──▶ assigned ──start──▶ in_progress ──pend──▶ pending
//!  │                 │  ▲                 │   ▲               │
//!  │                 │  └─────assign──────┘   └────resume─────┘
//!  └──────────── resolve (from any open status) ──▶ resolved ──close──▶ closed
//!                                        reopen (within the delay) ◀─┘
//! ```

use super::{PendingReason, Status, named_enum};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// The kinds of action on a ticket's status.
    ActionKind, "action" {
        /// Place the ticket with a group and/or an agent.
        Assign => "assign",
        /// Start working.
        Start => "start",
        /// Wait for the customer, a supplier or a change.
        Pend => "pend",
        /// Stop waiting.
        Resume => "resume",
        /// Give the solution.
        Resolve => "resolve",
        /// Reopen a resolved ticket, within the reopen delay.
        Reopen => "reopen",
        /// Close a resolved ticket.
        Close => "close",
    }
);

/// An action with what it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Place the ticket (the store checks the group and the agent).
    Assign,
    /// Start working.
    Start,
    /// Wait, for this reason.
    Pend(PendingReason),
    /// Stop waiting.
    Resume,
    /// The solution and its code (both required).
    Resolve {
        /// What was done, for the requester.
        solution: String,
        /// A short classification (e.g. `fixed`, `workaround`, `duplicate`).
        code: String,
    },
    /// Reopen, with the reason.
    Reopen,
    /// Close.
    Close,
}

impl Action {
    /// The kind of the action.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Assign => ActionKind::Assign,
            Action::Start => ActionKind::Start,
            Action::Pend(_) => ActionKind::Pend,
            Action::Resume => ActionKind::Resume,
            Action::Resolve { .. } => ActionKind::Resolve,
            Action::Reopen => ActionKind::Reopen,
            Action::Close => ActionKind::Close,
        }
    }
}

/// What the lifecycle needs to know of a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleState {
    /// The status.
    pub status: Status,
    /// When it was resolved, if it is.
    pub resolved_at: Option<Timestamp>,
}

/// The state after an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The new status.
    pub status: Status,
    /// The pending reason, when pending.
    pub pending_reason: Option<PendingReason>,
    /// What happens to the solution and its code.
    pub solution: SolutionChange,
    /// When it was resolved (kept when closing, cleared when reopening).
    pub resolved_at: Option<Timestamp>,
    /// When it was closed.
    pub closed_at: Option<Timestamp>,
}

/// What an action does to the stored solution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SolutionChange {
    /// Left as it is.
    Keep,
    /// Set to this solution text and code.
    Set(String, String),
    /// Removed (the ticket was reopened).
    Clear,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The status does not allow the action.
    #[error(
        "a ticket that is {status} cannot {action}; allowed: {}",
        join(allowed)
    )]
    NotAllowed {
        /// The current status.
        status: Status,
        /// The action refused.
        action: ActionKind,
        /// What the status allows.
        allowed: Vec<ActionKind>,
    },
    /// The reopen delay has passed.
    #[error("the ticket was resolved more than {} hours ago and can no longer be reopened; open a new ticket", .delay.as_hours())]
    ReopenDelayPassed {
        /// The tenant's delay.
        delay: SignedDuration,
    },
    /// A resolution lacks its solution or code.
    #[error("a resolution needs a `{field}`")]
    Missing {
        /// `solution` or `code`.
        field: &'static str,
    },
}

fn join(actions: &[ActionKind]) -> String {
    if actions.is_empty() {
        "nothing".to_owned()
    } else {
        actions
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The actions a status allows, in the order they are offered.
pub fn allowed_actions(status: Status) -> Vec<ActionKind> {
    use ActionKind::*;
    match status {
        Status::New => vec![Assign, Start, Resolve],
        Status::Assigned => vec![Assign, Start, Pend, Resolve],
        Status::InProgress => vec![Assign, Pend, Resolve],
        Status::Pending => vec![Assign, Resume, Resolve],
        Status::Resolved => vec![Reopen, Close],
        Status::Closed => vec![],
    }
}

/// Applies an action to a ticket at `now`. `reopen_delay` is the tenant's
/// window after resolution during which a ticket may be reopened.
pub fn apply(
    state: &LifecycleState,
    action: &Action,
    now: Timestamp,
    reopen_delay: SignedDuration,
) -> Result<Outcome, LifecycleError> {
    let allowed = allowed_actions(state.status);
    if !allowed.contains(&action.kind()) {
        return Err(LifecycleError::NotAllowed {
            status: state.status,
            action: action.kind(),
            allowed,
        });
    }
    let open = |status| Outcome {
        status,
        pending_reason: None,
        solution: SolutionChange::Keep,
        resolved_at: None,
        closed_at: None,
    };
    Ok(match action {
        Action::Assign => open(Status::Assigned),
        Action::Start | Action::Resume => open(Status::InProgress),
        Action::Pend(reason) => Outcome {
            pending_reason: Some(*reason),
            ..open(Status::Pending)
        },
        Action::Resolve { solution, code } => {
            let solution = solution.trim();
            let code = code.trim();
            if solution.is_empty() {
                return Err(LifecycleError::Missing { field: "solution" });
            }
            if code.is_empty() {
                return Err(LifecycleError::Missing { field: "code" });
            }
            Outcome {
                solution: SolutionChange::Set(solution.to_owned(), code.to_owned()),
                resolved_at: Some(now),
                ..open(Status::Resolved)
            }
        }
        Action::Reopen => {
            let resolved = state.resolved_at.unwrap_or(now);
            if now.duration_since(resolved) > reopen_delay {
                return Err(LifecycleError::ReopenDelayPassed {
                    delay: reopen_delay,
                });
            }
            // Back to whoever holds it; the store keeps the assignment.
            Outcome {
                solution: SolutionChange::Clear,
                ..open(Status::Assigned)
            }
        }
        Action::Close => Outcome {
            resolved_at: state.resolved_at,
            closed_at: Some(now),
            ..open(Status::Closed)
        },
    })
}

/// What a ticket's move from one status to another sets off besides the
/// move itself, written in the same transaction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Consequences {
    /// Open the satisfaction survey (the ticket has just been resolved).
    pub open_survey: bool,
    /// End the service outages the ticket records (an incident's outage
    /// lasts until the incident is resolved).
    pub end_outages: bool,
}

/// The consequences of moving from `before` to `after`: reaching
/// `resolved` opens the survey and ends the outages; staying there, or any
/// other move, sets off nothing.
pub fn consequences(before: Status, after: Status) -> Consequences {
    let resolved = after == Status::Resolved && before != Status::Resolved;
    Consequences {
        open_survey: resolved,
        end_outages: resolved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + h * 3600).expect("valid")
    }

    fn sample(kind: ActionKind) -> Action {
        match kind {
            ActionKind::Assign => Action::Assign,
            ActionKind::Start => Action::Start,
            ActionKind::Pend => Action::Pend(PendingReason::Customer),
            ActionKind::Resume => Action::Resume,
            ActionKind::Resolve => Action::Resolve {
                solution: "Disk replaced".into(),
                code: "fixed".into(),
            },
            ActionKind::Reopen => Action::Reopen,
            ActionKind::Close => Action::Close,
        }
    }

    /// Every status × action: allowed ones give the expected status, the
    /// others are refused with the list of what is allowed.
    #[test]
    fn every_transition_allowed_or_refused() {
        use ActionKind as A;
        use Status as S;
        let table: &[(S, A, Option<S>)] = &[
            (S::New, A::Assign, Some(S::Assigned)),
            (S::New, A::Start, Some(S::InProgress)),
            (S::New, A::Pend, None),
            (S::New, A::Resume, None),
            (S::New, A::Resolve, Some(S::Resolved)),
            (S::New, A::Reopen, None),
            (S::New, A::Close, None),
            (S::Assigned, A::Assign, Some(S::Assigned)),
            (S::Assigned, A::Start, Some(S::InProgress)),
            (S::Assigned, A::Pend, Some(S::Pending)),
            (S::Assigned, A::Resume, None),
            (S::Assigned, A::Resolve, Some(S::Resolved)),
            (S::Assigned, A::Reopen, None),
            (S::Assigned, A::Close, None),
            (S::InProgress, A::Assign, Some(S::Assigned)),
            (S::InProgress, A::Start, None),
            (S::InProgress, A::Pend, Some(S::Pending)),
            (S::InProgress, A::Resume, None),
            (S::InProgress, A::Resolve, Some(S::Resolved)),
            (S::InProgress, A::Reopen, None),
            (S::InProgress, A::Close, None),
            (S::Pending, A::Assign, Some(S::Assigned)),
            (S::Pending, A::Start, None),
            (S::Pending, A::Pend, None),
            (S::Pending, A::Resume, Some(S::InProgress)),
            (S::Pending, A::Resolve, Some(S::Resolved)),
            (S::Pending, A::Reopen, None),
            (S::Pending, A::Close, None),
            (S::Resolved, A::Assign, None),
            (S::Resolved, A::Start, None),
            (S::Resolved, A::Pend, None),
            (S::Resolved, A::Resume, None),
            (S::Resolved, A::Resolve, None),
            (S::Resolved, A::Reopen, Some(S::Assigned)),
            (S::Resolved, A::Close, Some(S::Closed)),
        ];
        assert_eq!(table.len(), 5 * ActionKind::ALL.len());
        let closed = Status::Closed;
        for kind in ActionKind::ALL {
            let r = apply(
                &LifecycleState {
                    status: closed,
                    resolved_at: Some(at(0)),
                },
                &sample(*kind),
                at(1),
                SignedDuration::from_hours(72),
            );
            assert!(
                matches!(r, Err(LifecycleError::NotAllowed { ref allowed, .. }) if allowed.is_empty())
            );
        }
        for (status, kind, expected) in table {
            let state = LifecycleState {
                status: *status,
                resolved_at: Some(at(0)),
            };
            let result = apply(
                &state,
                &sample(*kind),
                at(1),
                SignedDuration::from_hours(72),
            );
            match (expected, result) {
                (Some(s), Ok(outcome)) => assert_eq!(outcome.status, *s, "{status} {kind}"),
                (None, Err(LifecycleError::NotAllowed { allowed, .. })) => {
                    assert_eq!(allowed, allowed_actions(*status), "{status} {kind}");
                    assert!(!allowed.contains(kind));
                }
                (e, r) => panic!("{status} {kind}: expected {e:?}, got {r:?}"),
            }
        }
    }

    #[test]
    fn refusals_say_what_is_allowed() {
        let state = LifecycleState {
            status: Status::New,
            resolved_at: None,
        };
        let e = apply(&state, &Action::Close, at(0), SignedDuration::ZERO).expect_err("refused");
        assert_eq!(
            e.to_string(),
            "a ticket that is new cannot close; allowed: assign, start, resolve"
        );
    }

    #[test]
    fn resolving_needs_a_solution_and_a_code() {
        let state = LifecycleState {
            status: Status::InProgress,
            resolved_at: None,
        };
        let resolve = |s: &str, c: &str| {
            apply(
                &state,
                &Action::Resolve {
                    solution: s.into(),
                    code: c.into(),
                },
                at(5),
                SignedDuration::ZERO,
            )
        };
        assert_eq!(
            resolve("  ", "fixed"),
            Err(LifecycleError::Missing { field: "solution" })
        );
        assert_eq!(
            resolve("Rebooted", ""),
            Err(LifecycleError::Missing { field: "code" })
        );
        let done = resolve(" Rebooted ", "fixed").expect("resolved");
        assert_eq!(
            done.solution,
            SolutionChange::Set("Rebooted".into(), "fixed".into())
        );
        assert_eq!(done.resolved_at, Some(at(5)));
    }

    #[test]
    fn reopening_only_within_the_delay() {
        let state = LifecycleState {
            status: Status::Resolved,
            resolved_at: Some(at(0)),
        };
        let delay = SignedDuration::from_hours(72);
        assert!(apply(&state, &Action::Reopen, at(72), delay).is_ok());
        assert_eq!(
            apply(&state, &Action::Reopen, at(73), delay),
            Err(LifecycleError::ReopenDelayPassed { delay })
        );
        let reopened = apply(&state, &Action::Reopen, at(1), delay).expect("reopened");
        assert_eq!(reopened.resolved_at, None);
        assert_eq!(reopened.solution, SolutionChange::Clear);
    }

    #[test]
    fn closing_keeps_the_resolution_time() {
        let state = LifecycleState {
            status: Status::Resolved,
            resolved_at: Some(at(0)),
        };
        let closed = apply(&state, &Action::Close, at(9), SignedDuration::ZERO).expect("closed");
        assert_eq!(
            (closed.resolved_at, closed.closed_at),
            (Some(at(0)), Some(at(9)))
        );
        assert_eq!(closed.solution, SolutionChange::Keep);
    }

    #[test]
    fn names_round_trip() {
        for kind in ActionKind::ALL {
            assert_eq!(kind.as_str().parse::<ActionKind>(), Ok(*kind));
        }
        let e = "explode".parse::<ActionKind>().expect_err("unknown");
        assert!(e.to_string().contains("assign, start, pend"));
    }

    #[test]
    fn only_reaching_resolved_opens_the_survey_and_ends_outages() {
        let fired = consequences(Status::InProgress, Status::Resolved);
        assert!(fired.open_survey && fired.end_outages);
        assert_eq!(
            consequences(Status::Resolved, Status::Resolved),
            Consequences::default()
        );
        assert_eq!(
            consequences(Status::Resolved, Status::Closed),
            Consequences::default()
        );
        assert_eq!(
            consequences(Status::New, Status::Assigned),
            Consequences::default()
        );
    }
}
