//! The change lifecycle: which action each status allows, and what it
//! leads to.
//!
//! ```text
//! draft ─submit─▶ submitted ─assess─▶ assessed ─votes─▶ approved ─schedule─▶ scheduled
//!   ▲                 │  (emergency: votes)  │         └▶ rejected              │
//!   └───send back─────┴──────────────────────┘                                start
//!                                                                               ▼
//!   closed ◀─close─ reviewed ◀─review─ implemented / backed out ◀─complete / back out─ implementing
//! ```
//!
//! - A **standard** change is pre-approved: submitting it approves it, and
//!   it may be closed without a review once implemented.
//! - A **normal** change is assessed by the change manager, then voted on
//!   by the CAB.
//! - An **emergency** change goes to the ECAB, which may vote as soon as it
//!   is submitted (the assessment may come later or not at all), and its
//!   schedule flags (freeze, outside the windows, conflicts) do not block.
//! - The change manager may **send back** a submitted or assessed change as
//!   insufficiently prepared, with a reason: it returns to draft and a new
//!   round of votes starts when it comes back.
//! - Submitting needs the seven Rs and the plans ([`super::readiness`]);
//!   starting needs every checklist item done; a backout, a send-back and
//!   a cancellation need a reason; a failed change's review needs lessons.

use super::approval::{ApprovalError, Board, Tally, Verdict, Vote};
use super::schedule::Flag;
use super::{ChangeKind, ChangeStatus, Likelihood};
use crate::sla::availability::Interval;
use crate::ticket::named_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// The kinds of action on a change's status.
    ActionKind, "action" {
        /// Hand the change in for assessment or approval.
        Submit => "submit",
        /// Give the likelihood of failure (the change manager).
        Assess => "assess",
        /// Return it to its author as insufficiently prepared.
        SendBack => "send_back",
        /// A board member approves or rejects.
        Vote => "vote",
        /// Give (or move) the planned window.
        Schedule => "schedule",
        /// Begin carrying it out.
        Start => "start",
        /// It was carried out.
        Complete => "complete",
        /// It was undone by its backout plan.
        BackOut => "back_out",
        /// Write the post-implementation review.
        Review => "review",
        /// Finish it.
        Close => "close",
        /// Abandon it.
        Cancel => "cancel",
    }
);

/// The post-implementation review.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Review {
    /// Whether the change reached its goal.
    pub success: bool,
    /// The problems met.
    pub problems: String,
    /// The lessons learnt (required when it failed).
    pub lessons: String,
}

/// An action with what it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Hand it in.
    Submit,
    /// Assess it.
    Assess {
        /// How likely it is to go wrong.
        likelihood: Likelihood,
    },
    /// Return it to draft.
    SendBack {
        /// What is missing.
        reason: String,
    },
    /// A member's vote.
    Vote(Vote),
    /// Plan it in `window`, with the flags the window earned.
    Schedule {
        /// The planned window.
        window: Interval,
        /// Outside the windows, in a freeze, conflicts.
        flags: Vec<Flag>,
    },
    /// Begin.
    Start,
    /// Done.
    Complete,
    /// Undone.
    BackOut {
        /// What went wrong.
        reason: String,
    },
    /// The review.
    Review(Review),
    /// Finish.
    Close,
    /// Abandon.
    Cancel {
        /// Why.
        reason: String,
    },
}

impl Action {
    /// The kind of the action.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Submit => ActionKind::Submit,
            Action::Assess { .. } => ActionKind::Assess,
            Action::SendBack { .. } => ActionKind::SendBack,
            Action::Vote(_) => ActionKind::Vote,
            Action::Schedule { .. } => ActionKind::Schedule,
            Action::Start => ActionKind::Start,
            Action::Complete => ActionKind::Complete,
            Action::BackOut { .. } => ActionKind::BackOut,
            Action::Review(_) => ActionKind::Review,
            Action::Close => ActionKind::Close,
            Action::Cancel { .. } => ActionKind::Cancel,
        }
    }
}

/// What the lifecycle needs to know of a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeState {
    /// Its type.
    pub kind: ChangeKind,
    /// Its status.
    pub status: ChangeStatus,
    /// What it lacks before it may be submitted ([`super::readiness`]).
    pub missing: Vec<&'static str>,
    /// Checklist items not yet done.
    pub open_checklist: usize,
    /// The board it goes to, if the tenant has one.
    pub board: Option<Board>,
    /// The votes of the current round.
    pub votes: Vec<Vote>,
}

/// The state after an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The new status.
    pub status: ChangeStatus,
    /// A vote to record, and the count with it.
    pub vote: Option<(Vote, Tally)>,
    /// The votes so far no longer count (the change went back to draft).
    pub new_round: bool,
    /// The planned window to store.
    pub window: Option<Interval>,
    /// The flags of that window (kept on the change, shown on the calendar).
    pub flags: Vec<Flag>,
}

impl Outcome {
    fn to(status: ChangeStatus) -> Outcome {
        Outcome {
            status,
            vote: None,
            new_round: false,
            window: None,
            flags: Vec::new(),
        }
    }
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The status does not allow the action.
    #[error(
        "a {kind} change that is {status} cannot {action}; allowed: {}",
        join(allowed)
    )]
    NotAllowed {
        /// The change's type.
        kind: ChangeKind,
        /// The current status.
        status: ChangeStatus,
        /// The action refused.
        action: ActionKind,
        /// What the status allows.
        allowed: Vec<ActionKind>,
    },
    /// The change lacks some of the seven Rs or its plans.
    #[error("the change is not ready to submit; fill in: {}", .missing.join(", "))]
    NotReady {
        /// The fields to fill in.
        missing: Vec<&'static str>,
    },
    /// The tenant has no board for this change.
    #[error("this tenant has no {board} yet; a change manager names its members and quorum first")]
    NoBoard {
        /// The board lacking.
        board: &'static str,
    },
    /// A vote was refused.
    #[error(transparent)]
    Vote(#[from] ApprovalError),
    /// An action that needs a reason got none.
    #[error("{action} needs a `reason`")]
    ReasonRequired {
        /// The action.
        action: ActionKind,
    },
    /// Checklist items are not done.
    #[error("{open} item(s) of the pre-change checklist are not done; tick them before starting")]
    ChecklistOpen {
        /// How many.
        open: usize,
    },
    /// The window earned flags and the change is not an emergency one.
    #[error(
        "the planned window cannot be used: {}; choose another window, or raise an emergency change for the ECAB",
        .flags.iter().map(Flag::describe).collect::<Vec<_>>().join("; ")
    )]
    ScheduleBlocked {
        /// What is wrong with it.
        flags: Vec<Flag>,
    },
    /// A failed change's review says nothing learnt.
    #[error("the review of a change that did not succeed needs its `lessons`")]
    LessonsRequired,
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

/// The actions a change of `kind` allows in `status`, in the order they
/// are offered.
pub fn allowed_actions(kind: ChangeKind, status: ChangeStatus) -> Vec<ActionKind> {
    use ActionKind::*;
    use ChangeStatus as S;
    match (status, kind) {
        (S::Draft, _) => vec![Submit, Cancel],
        // A standard change never waits for a board; should one be found
        // there, it can only be abandoned.
        (S::Submitted | S::Assessed, ChangeKind::Standard) => vec![Cancel],
        (S::Submitted, ChangeKind::Emergency) => vec![Assess, Vote, SendBack, Cancel],
        (S::Submitted, _) => vec![Assess, SendBack, Cancel],
        (S::Assessed, _) => vec![Vote, SendBack, Cancel],
        (S::Approved, _) => vec![Schedule, Cancel],
        (S::Scheduled, _) => vec![Start, Schedule, Cancel],
        (S::Implementing, _) => vec![Complete, BackOut],
        (S::Implemented | S::BackedOut, ChangeKind::Standard) => vec![Review, Close],
        (S::Implemented | S::BackedOut, _) => vec![Review],
        (S::Reviewed, _) => vec![Close],
        (S::Rejected | S::Closed | S::Cancelled, _) => vec![],
    }
}

/// Whether the author may still edit a change's text and links: until it
/// is submitted (a send-back returns it to draft).
pub fn editable(status: ChangeStatus) -> bool {
    status == ChangeStatus::Draft
}

/// Whether the pre-change checklist may still be ticked: until the change
/// is carried out.
pub fn checklist_open(status: ChangeStatus) -> bool {
    matches!(
        status,
        ChangeStatus::Draft
            | ChangeStatus::Submitted
            | ChangeStatus::Assessed
            | ChangeStatus::Approved
            | ChangeStatus::Scheduled
    )
}

/// Whether a window's flags keep a change of `kind` from being scheduled
/// in it: any flag does, except for an emergency change (its ECAB decided
/// it could not wait).
pub fn flags_block(kind: ChangeKind, flags: &[Flag]) -> bool {
    !flags.is_empty() && kind != ChangeKind::Emergency
}

/// Applies an action to a change.
pub fn apply(state: &ChangeState, action: &Action) -> Result<Outcome, LifecycleError> {
    let allowed = allowed_actions(state.kind, state.status);
    if !allowed.contains(&action.kind()) {
        return Err(LifecycleError::NotAllowed {
            kind: state.kind,
            status: state.status,
            action: action.kind(),
            allowed,
        });
    }
    let reason = |text: &str| {
        if text.trim().is_empty() {
            Err(LifecycleError::ReasonRequired {
                action: action.kind(),
            })
        } else {
            Ok(())
        }
    };
    Ok(match action {
        Action::Submit => {
            if !state.missing.is_empty() {
                return Err(LifecycleError::NotReady {
                    missing: state.missing.clone(),
                });
            }
            match state.kind {
                ChangeKind::Standard => Outcome::to(ChangeStatus::Approved),
                ChangeKind::Normal | ChangeKind::Emergency => {
                    if state.board.is_none() {
                        return Err(no_board(state.kind));
                    }
                    Outcome::to(ChangeStatus::Submitted)
                }
            }
        }
        Action::Assess { .. } => Outcome::to(ChangeStatus::Assessed),
        Action::SendBack { reason: text } => {
            reason(text)?;
            Outcome {
                new_round: true,
                ..Outcome::to(ChangeStatus::Draft)
            }
        }
        Action::Vote(vote) => {
            let board = state.board.as_ref().ok_or_else(|| no_board(state.kind))?;
            let tally = board.cast(&state.votes, vote)?;
            let status = match tally.verdict {
                Verdict::Pending => state.status,
                Verdict::Approved => ChangeStatus::Approved,
                Verdict::Rejected => ChangeStatus::Rejected,
            };
            Outcome {
                vote: Some((vote.clone(), tally)),
                ..Outcome::to(status)
            }
        }
        Action::Schedule { window, flags } => {
            if flags_block(state.kind, flags) {
                return Err(LifecycleError::ScheduleBlocked {
                    flags: flags.clone(),
                });
            }
            Outcome {
                window: Some(*window),
                flags: flags.clone(),
                ..Outcome::to(ChangeStatus::Scheduled)
            }
        }
        Action::Start => {
            if state.open_checklist > 0 {
                return Err(LifecycleError::ChecklistOpen {
                    open: state.open_checklist,
                });
            }
            Outcome::to(ChangeStatus::Implementing)
        }
        Action::Complete => Outcome::to(ChangeStatus::Implemented),
        Action::BackOut { reason: text } => {
            reason(text)?;
            Outcome::to(ChangeStatus::BackedOut)
        }
        Action::Review(review) => {
            if !review.success && review.lessons.trim().is_empty() {
                return Err(LifecycleError::LessonsRequired);
            }
            Outcome::to(ChangeStatus::Reviewed)
        }
        Action::Close => Outcome::to(ChangeStatus::Closed),
        Action::Cancel { reason: text } => {
            reason(text)?;
            Outcome::to(ChangeStatus::Cancelled)
        }
    })
}

fn no_board(kind: ChangeKind) -> LifecycleError {
    LifecycleError::NoBoard {
        board: if kind == ChangeKind::Emergency {
            "emergency CAB"
        } else {
            "CAB"
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::approval::{BoardKind, Decision};
    use super::*;
    use crate::change::conflict::{Conflict, Relation};
    use crate::ids::{ChangeId, CiId, FreezeId, UserId};
    use jiff::Timestamp;

    fn board(kind: BoardKind, quorum: u32, members: &[i64]) -> Board {
        Board {
            kind,
            quorum,
            members: members.iter().map(|m| UserId(*m)).collect(),
        }
    }

    fn state(kind: ChangeKind, status: ChangeStatus) -> ChangeState {
        let board = match kind {
            ChangeKind::Standard => None,
            ChangeKind::Normal => Some(board(BoardKind::Cab, 2, &[1, 2, 3])),
            ChangeKind::Emergency => Some(board(BoardKind::Ecab, 1, &[1, 4])),
        };
        ChangeState {
            kind,
            status,
            missing: vec![],
            open_checklist: 0,
            board,
            votes: vec![],
        }
    }

    fn vote(voter: i64, decision: Decision) -> Action {
        Action::Vote(Vote {
            voter: UserId(voter),
            decision,
            comment: "seen".into(),
        })
    }

    fn window() -> Interval {
        let t = Timestamp::from_second(1_768_000_000).expect("valid");
        Interval::new(t, t + jiff::SignedDuration::from_hours(2))
    }

    fn sample(kind: ActionKind) -> Action {
        match kind {
            ActionKind::Submit => Action::Submit,
            ActionKind::Assess => Action::Assess {
                likelihood: Likelihood::Medium,
            },
            ActionKind::SendBack => Action::SendBack {
                reason: "no backout".into(),
            },
            ActionKind::Vote => vote(1, Decision::Approve),
            ActionKind::Schedule => Action::Schedule {
                window: window(),
                flags: vec![],
            },
            ActionKind::Start => Action::Start,
            ActionKind::Complete => Action::Complete,
            ActionKind::BackOut => Action::BackOut {
                reason: "service did not restart".into(),
            },
            ActionKind::Review => Action::Review(Review {
                success: true,
                ..Review::default()
            }),
            ActionKind::Close => Action::Close,
            ActionKind::Cancel => Action::Cancel {
                reason: "no longer needed".into(),
            },
        }
    }

    #[test]
    fn every_allowed_action_succeeds_and_every_other_is_refused() {
        for kind in ChangeKind::ALL {
            for status in ChangeStatus::ALL {
                let allowed = allowed_actions(*kind, *status);
                for action in ActionKind::ALL {
                    let result = apply(&state(*kind, *status), &sample(*action));
                    if allowed.contains(action) {
                        assert!(result.is_ok(), "{kind} {status} {action}: {result:?}");
                    } else {
                        assert_eq!(
                            result,
                            Err(LifecycleError::NotAllowed {
                                kind: *kind,
                                status: *status,
                                action: *action,
                                allowed: allowed.clone()
                            }),
                            "{kind} {status} {action}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn where_each_action_leads() {
        use ChangeKind::*;
        use ChangeStatus as S;
        let to = |kind, status, action| {
            apply(&state(kind, status), &sample(action))
                .expect("valid")
                .status
        };
        assert_eq!(to(Standard, S::Draft, ActionKind::Submit), S::Approved);
        assert_eq!(to(Normal, S::Draft, ActionKind::Submit), S::Submitted);
        assert_eq!(to(Emergency, S::Draft, ActionKind::Submit), S::Submitted);
        assert_eq!(to(Normal, S::Submitted, ActionKind::Assess), S::Assessed);
        assert_eq!(to(Normal, S::Assessed, ActionKind::SendBack), S::Draft);
        assert_eq!(to(Normal, S::Approved, ActionKind::Schedule), S::Scheduled);
        assert_eq!(to(Normal, S::Scheduled, ActionKind::Schedule), S::Scheduled);
        assert_eq!(to(Normal, S::Scheduled, ActionKind::Start), S::Implementing);
        assert_eq!(
            to(Normal, S::Implementing, ActionKind::Complete),
            S::Implemented
        );
        assert_eq!(
            to(Normal, S::Implementing, ActionKind::BackOut),
            S::BackedOut
        );
        assert_eq!(to(Normal, S::BackedOut, ActionKind::Review), S::Reviewed);
        assert_eq!(to(Normal, S::Reviewed, ActionKind::Close), S::Closed);
        assert_eq!(to(Standard, S::Implemented, ActionKind::Close), S::Closed);
        assert_eq!(to(Normal, S::Scheduled, ActionKind::Cancel), S::Cancelled);
        let back =
            apply(&state(Normal, S::Assessed), &sample(ActionKind::SendBack)).expect("valid");
        assert!(back.new_round);
    }

    #[test]
    fn an_unprepared_change_is_not_submitted() {
        let mut s = state(ChangeKind::Normal, ChangeStatus::Draft);
        s.missing = vec!["backout_plan", "backout_tested"];
        assert_eq!(
            apply(&s, &Action::Submit),
            Err(LifecycleError::NotReady {
                missing: vec!["backout_plan", "backout_tested"]
            })
        );
    }

    #[test]
    fn a_change_for_a_board_the_tenant_lacks_is_not_submitted() {
        let mut s = state(ChangeKind::Emergency, ChangeStatus::Draft);
        s.board = None;
        assert_eq!(
            apply(&s, &Action::Submit),
            Err(LifecycleError::NoBoard {
                board: "emergency CAB"
            })
        );
        let mut standard = state(ChangeKind::Standard, ChangeStatus::Draft);
        standard.board = None;
        assert!(apply(&standard, &Action::Submit).is_ok());
    }

    #[test]
    fn the_cab_quorum_approves_a_normal_change() {
        let mut s = state(ChangeKind::Normal, ChangeStatus::Assessed);
        let first = apply(&s, &vote(1, Decision::Approve)).expect("valid");
        assert_eq!(first.status, ChangeStatus::Assessed);
        let (recorded, tally) = first.vote.expect("valid");
        assert_eq!(tally.approvals, 1);
        s.votes.push(recorded);
        // The same member again is refused; another member carries it.
        assert_eq!(
            apply(&s, &vote(1, Decision::Approve)),
            Err(LifecycleError::Vote(ApprovalError::AlreadyVoted {
                decision: Decision::Approve
            }))
        );
        assert_eq!(
            apply(&s, &vote(9, Decision::Approve)),
            Err(LifecycleError::Vote(ApprovalError::NotOnBoard {
                board: BoardKind::Cab
            }))
        );
        let second = apply(&s, &vote(2, Decision::Approve)).expect("valid");
        assert_eq!(second.status, ChangeStatus::Approved);
    }

    #[test]
    fn rejections_that_make_the_quorum_unreachable_reject() {
        let mut s = state(ChangeKind::Normal, ChangeStatus::Assessed);
        s.votes.push(Vote {
            voter: UserId(1),
            decision: Decision::Reject,
            comment: "no tested backout".into(),
        });
        let out = apply(&s, &vote(2, Decision::Reject)).expect("valid");
        assert_eq!(out.status, ChangeStatus::Rejected);
    }

    #[test]
    fn the_ecab_votes_an_emergency_change_without_assessment() {
        let s = state(ChangeKind::Emergency, ChangeStatus::Submitted);
        assert_eq!(
            apply(&s, &vote(4, Decision::Approve))
                .expect("valid")
                .status,
            ChangeStatus::Approved
        );
        // A CAB member who is not on the ECAB may not.
        assert!(matches!(
            apply(&s, &vote(2, Decision::Approve)),
            Err(LifecycleError::Vote(ApprovalError::NotOnBoard {
                board: BoardKind::Ecab
            }))
        ));
        // A normal change cannot be voted on before its assessment.
        let normal = state(ChangeKind::Normal, ChangeStatus::Submitted);
        assert!(matches!(
            apply(&normal, &vote(1, Decision::Approve)),
            Err(LifecycleError::NotAllowed { .. })
        ));
    }

    fn flags() -> Vec<Flag> {
        vec![
            Flag::InFreeze {
                freeze: FreezeId(1),
                name: "year-end".into(),
            },
            Flag::Conflict(Conflict {
                change: ChangeId(7),
                number: 7,
                relation: Relation::SameItem,
                item: CiId(3),
            }),
        ]
    }

    #[test]
    fn flags_block_scheduling_except_for_emergency_changes() {
        let schedule = Action::Schedule {
            window: window(),
            flags: flags(),
        };
        for kind in [ChangeKind::Standard, ChangeKind::Normal] {
            let refused =
                apply(&state(kind, ChangeStatus::Approved), &schedule).expect_err("refused");
            assert_eq!(refused, LifecycleError::ScheduleBlocked { flags: flags() });
            let text = refused.to_string();
            assert!(
                text.contains("year-end") && text.contains("change #7"),
                "{text}"
            );
        }
        let out = apply(
            &state(ChangeKind::Emergency, ChangeStatus::Approved),
            &schedule,
        )
        .expect("valid");
        assert_eq!((out.status, out.flags), (ChangeStatus::Scheduled, flags()));
        assert_eq!(out.window, Some(window()));
    }

    #[test]
    fn drafts_are_edited_and_checklists_ticked_until_the_work() {
        let editable: Vec<_> = ChangeStatus::ALL.iter().filter(|s| editable(**s)).collect();
        assert_eq!(editable, vec![&ChangeStatus::Draft]);
        assert!(checklist_open(ChangeStatus::Scheduled));
        assert!(!checklist_open(ChangeStatus::Implementing));
        assert!(!checklist_open(ChangeStatus::Closed));
        assert!(!flags_block(ChangeKind::Normal, &[]));
        assert!(flags_block(ChangeKind::Standard, &flags()));
        assert!(!flags_block(ChangeKind::Emergency, &flags()));
    }

    #[test]
    fn starting_needs_the_checklist_done() {
        let mut s = state(ChangeKind::Normal, ChangeStatus::Scheduled);
        s.open_checklist = 2;
        assert_eq!(
            apply(&s, &Action::Start),
            Err(LifecycleError::ChecklistOpen { open: 2 })
        );
    }

    #[test]
    fn reasons_and_lessons_are_required() {
        let s = state(ChangeKind::Normal, ChangeStatus::Implementing);
        assert_eq!(
            apply(&s, &Action::BackOut { reason: " ".into() }),
            Err(LifecycleError::ReasonRequired {
                action: ActionKind::BackOut
            })
        );
        let s = state(ChangeKind::Normal, ChangeStatus::Submitted);
        assert_eq!(
            apply(&s, &Action::SendBack { reason: "".into() }),
            Err(LifecycleError::ReasonRequired {
                action: ActionKind::SendBack
            })
        );
        let s = state(ChangeKind::Normal, ChangeStatus::BackedOut);
        assert_eq!(
            apply(&s, &Action::Review(Review::default())),
            Err(LifecycleError::LessonsRequired)
        );
    }

    #[test]
    fn refusals_say_what_is_allowed() {
        let err = apply(
            &state(ChangeKind::Normal, ChangeStatus::Draft),
            &Action::Start,
        )
        .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "a normal change that is draft cannot start; allowed: submit, cancel"
        );
    }
}
