//! The boards that approve changes and how their votes add up.
//!
//! A normal change goes to the change advisory board (CAB), an emergency
//! change to the emergency CAB (ECAB), usually smaller and with a smaller
//! quorum. A board is a set of approvers (named users, and the members of
//! named groups, resolved by the store) and a quorum: the change is
//! approved as soon as `quorum` members approve it, and rejected as soon as
//! so many have rejected it that the quorum can no longer be reached. Each
//! member votes once per round; sending a change back to its author starts
//! a new round with no votes. A rejection must say why.

use super::ChangeKind;
use crate::ids::UserId;
use crate::ticket::named_enum;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// Which board.
    BoardKind, "board" {
        /// The change advisory board, for normal changes.
        Cab => "cab",
        /// The emergency change advisory board, for emergency changes.
        Ecab => "ecab",
    }
);

impl BoardKind {
    /// The board's name in a sentence: `CAB` or `emergency CAB`.
    pub fn label(self) -> &'static str {
        match self {
            BoardKind::Cab => "CAB",
            BoardKind::Ecab => "emergency CAB",
        }
    }

    /// The board a change of this type goes to; none for a standard change.
    pub fn for_change(kind: ChangeKind) -> Option<BoardKind> {
        match kind {
            ChangeKind::Standard => None,
            ChangeKind::Normal => Some(BoardKind::Cab),
            ChangeKind::Emergency => Some(BoardKind::Ecab),
        }
    }
}

named_enum!(
    /// A member's answer.
    Decision, "decision" {
        /// For.
        Approve => "approve",
        /// Against, with a reason.
        Reject => "reject",
    }
);

/// A board as it stands: who may vote and how many approvals carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Board {
    /// Which board.
    pub kind: BoardKind,
    /// Approvals needed.
    pub quorum: u32,
    /// Who may vote.
    pub members: BTreeSet<UserId>,
}

/// One member's vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// Who.
    pub voter: UserId,
    /// For or against.
    pub decision: Decision,
    /// Why (required against).
    pub comment: String,
}

/// Where the votes stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Neither approved nor rejected yet.
    Pending,
    /// The quorum approved.
    Approved,
    /// The quorum can no longer be reached.
    Rejected,
}

/// The votes counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Approvals.
    pub approvals: u32,
    /// Rejections.
    pub rejections: u32,
    /// Members who may vote.
    pub eligible: u32,
    /// Approvals needed.
    pub quorum: u32,
    /// What they add up to.
    pub verdict: Verdict,
}

/// Why a vote or a board is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// The voter is not on the board the change goes to.
    #[error("only members of the {} may vote on this change; you are not one", .board.label())]
    NotOnBoard {
        /// The board.
        board: BoardKind,
    },
    /// The voter already voted in this round.
    #[error("you already voted on this change ({decision}); a vote is given once")]
    AlreadyVoted {
        /// The vote already given.
        decision: Decision,
    },
    /// A rejection without its reason.
    #[error("a rejection needs a `comment` saying why")]
    CommentRequired,
    /// The board has fewer members than its quorum, so nothing could pass.
    #[error(
        "the {board}'s quorum is {quorum} but it has {members} member(s); add members or lower the quorum"
    )]
    QuorumUnreachable {
        /// The board.
        board: BoardKind,
        /// Its quorum.
        quorum: u32,
        /// Its members.
        members: u32,
    },
    /// A quorum of zero would approve everything unseen.
    #[error("a board's `quorum` is at least 1")]
    ZeroQuorum,
}

impl Board {
    /// Checks that the board can ever approve: a quorum of at least one and
    /// no more than its members.
    pub fn validate(&self) -> Result<(), ApprovalError> {
        if self.quorum == 0 {
            return Err(ApprovalError::ZeroQuorum);
        }
        let members = self.members.len() as u32;
        if self.quorum > members {
            return Err(ApprovalError::QuorumUnreachable {
                board: self.kind,
                quorum: self.quorum,
                members,
            });
        }
        Ok(())
    }

    /// Counts `votes` (those of members only: a member removed since he
    /// voted no longer counts).
    pub fn tally(&self, votes: &[Vote]) -> Tally {
        let mut seen = BTreeSet::new();
        let (mut approvals, mut rejections) = (0u32, 0u32);
        for v in votes {
            if !self.members.contains(&v.voter) || !seen.insert(v.voter) {
                continue;
            }
            match v.decision {
                Decision::Approve => approvals += 1,
                Decision::Reject => rejections += 1,
            }
        }
        let eligible = self.members.len() as u32;
        let quorum = self.quorum.max(1);
        let verdict = if approvals >= quorum {
            Verdict::Approved
        } else if eligible.saturating_sub(rejections) < quorum {
            Verdict::Rejected
        } else {
            Verdict::Pending
        };
        Tally {
            approvals,
            rejections,
            eligible,
            quorum,
            verdict,
        }
    }

    /// Adds `vote` to `votes` of this round and counts again, or says why
    /// the vote is refused.
    pub fn cast(&self, votes: &[Vote], vote: &Vote) -> Result<Tally, ApprovalError> {
        if !self.members.contains(&vote.voter) {
            return Err(ApprovalError::NotOnBoard { board: self.kind });
        }
        if let Some(earlier) = votes.iter().find(|v| v.voter == vote.voter) {
            return Err(ApprovalError::AlreadyVoted {
                decision: earlier.decision,
            });
        }
        if vote.decision == Decision::Reject && vote.comment.trim().is_empty() {
            return Err(ApprovalError::CommentRequired);
        }
        let mut all = votes.to_vec();
        all.push(vote.clone());
        Ok(self.tally(&all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(quorum: u32, members: &[i64]) -> Board {
        Board {
            kind: BoardKind::Cab,
            quorum,
            members: members.iter().map(|m| UserId(*m)).collect(),
        }
    }

    fn vote(voter: i64, decision: Decision) -> Vote {
        Vote {
            voter: UserId(voter),
            decision,
            comment: "reviewed the plans".into(),
        }
    }

    #[test]
    fn the_quorum_of_approvals_carries() {
        let b = board(2, &[1, 2, 3]);
        let t = b.cast(&[], &vote(1, Decision::Approve)).unwrap();
        assert_eq!(t.verdict, Verdict::Pending);
        let t = b
            .cast(&[vote(1, Decision::Approve)], &vote(2, Decision::Approve))
            .unwrap();
        assert_eq!((t.approvals, t.verdict), (2, Verdict::Approved));
    }

    #[test]
    fn a_rejection_decides_once_the_quorum_is_out_of_reach() {
        // 3 members, quorum 2: one rejection leaves 2 who could approve.
        let b = board(2, &[1, 2, 3]);
        let t = b.cast(&[], &vote(1, Decision::Reject)).unwrap();
        assert_eq!(t.verdict, Verdict::Pending);
        let t = b
            .cast(&[vote(1, Decision::Reject)], &vote(2, Decision::Reject))
            .unwrap();
        assert_eq!(t.verdict, Verdict::Rejected);
        // Unanimity: quorum = members, one rejection is enough.
        let b = board(3, &[1, 2, 3]);
        assert_eq!(
            b.cast(&[], &vote(3, Decision::Reject)).unwrap().verdict,
            Verdict::Rejected
        );
    }

    #[test]
    fn a_split_board_waits_for_the_last_vote() {
        let b = board(2, &[1, 2, 3]);
        let votes = [vote(1, Decision::Approve), vote(2, Decision::Reject)];
        assert_eq!(b.tally(&votes).verdict, Verdict::Pending);
        let t = b.cast(&votes, &vote(3, Decision::Approve)).unwrap();
        assert_eq!(t.verdict, Verdict::Approved);
    }

    #[test]
    fn outsiders_and_second_votes_are_refused() {
        let b = board(1, &[1, 2]);
        assert_eq!(
            b.cast(&[], &vote(9, Decision::Approve)),
            Err(ApprovalError::NotOnBoard {
                board: BoardKind::Cab
            })
        );
        assert_eq!(
            b.cast(&[vote(1, Decision::Reject)], &vote(1, Decision::Approve)),
            Err(ApprovalError::AlreadyVoted {
                decision: Decision::Reject
            })
        );
    }

    #[test]
    fn a_rejection_says_why() {
        let b = board(1, &[1]);
        let silent = Vote {
            comment: " ".into(),
            ..vote(1, Decision::Reject)
        };
        assert_eq!(b.cast(&[], &silent), Err(ApprovalError::CommentRequired));
        let silent_yes = Vote {
            comment: String::new(),
            ..vote(1, Decision::Approve)
        };
        assert!(b.cast(&[], &silent_yes).is_ok());
    }

    #[test]
    fn votes_of_former_members_do_not_count() {
        let b = board(1, &[2]);
        assert_eq!(
            b.tally(&[vote(1, Decision::Approve)]).verdict,
            Verdict::Pending
        );
    }

    #[test]
    fn boards_that_could_never_approve_are_refused() {
        assert_eq!(board(0, &[1]).validate(), Err(ApprovalError::ZeroQuorum));
        assert_eq!(
            board(3, &[1, 2]).validate(),
            Err(ApprovalError::QuorumUnreachable {
                board: BoardKind::Cab,
                quorum: 3,
                members: 2
            })
        );
        assert!(board(2, &[1, 2]).validate().is_ok());
    }

    #[test]
    fn each_type_goes_to_its_board() {
        assert_eq!(BoardKind::for_change(ChangeKind::Standard), None);
        assert_eq!(
            BoardKind::for_change(ChangeKind::Normal),
            Some(BoardKind::Cab)
        );
        assert_eq!(
            BoardKind::for_change(ChangeKind::Emergency),
            Some(BoardKind::Ecab)
        );
    }
}
