//! Absence-aware ownership: while an agent is away (leave, sickness,
//! training), his open tickets go to the backup he named, if that backup is
//! there and may hold them, or else back to their group, with a line in
//! their history. Nothing moves back by itself when he returns: the tickets
//! stay with whoever took them, so nobody finds work appear by surprise.

use super::named_enum;
use crate::ids::{GroupId, UserId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// Why someone is away.
    AbsenceKind, "absence kind" {
        /// Holidays, days off.
        Leave => "leave",
        /// Illness.
        Sickness => "sickness",
        /// A course.
        Training => "training",
        /// Anything else.
        Other => "other",
    }
);

/// A period of absence, `[starts_at, ends_at)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Absence {
    /// Who is away.
    pub user: UserId,
    /// Why.
    pub kind: AbsenceKind,
    /// From.
    pub starts_at: Timestamp,
    /// Until (excluded).
    pub ends_at: Timestamp,
    /// Who takes his tickets meanwhile.
    pub backup: Option<UserId>,
}

impl Absence {
    /// Whether the absence covers `now`.
    pub fn covers(&self, now: Timestamp) -> bool {
        self.starts_at <= now && now < self.ends_at
    }
}

/// Why an absence is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbsenceError {
    /// The period is empty or reversed.
    #[error("an absence must end after it starts")]
    Reversed,
    /// Longer than a year: surely a typing error.
    #[error("an absence lasts at most 366 days; record a longer one in several periods")]
    TooLong,
    /// One's own backup.
    #[error("one cannot be one's own backup")]
    SelfBackup,
}

/// Checks a new absence.
pub fn check(absence: &Absence) -> Result<(), AbsenceError> {
    if absence.ends_at <= absence.starts_at {
        return Err(AbsenceError::Reversed);
    }
    if absence.ends_at.duration_since(absence.starts_at)
        > jiff::SignedDuration::from_hours(366 * 24)
    {
        return Err(AbsenceError::TooLong);
    }
    if absence.backup == Some(absence.user) {
        return Err(AbsenceError::SelfBackup);
    }
    Ok(())
}

/// Where a ticket held by an absent agent goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handover {
    /// To the backup (keeping the group).
    Backup(UserId),
    /// Back to the group, held by no agent.
    Group(GroupId),
    /// Nowhere to go (no backup available, no group): back to the queue of
    /// unassigned tickets.
    Unassigned,
}

/// What is known of the named backup, for one ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupState {
    /// The backup.
    pub user: UserId,
    /// Whether he is away himself at that time.
    pub away: bool,
    /// Whether he may hold the ticket (active, and a member of its group
    /// when it has one).
    pub eligible: bool,
}

/// Decides where a ticket of an absent agent goes.
pub fn handover(group: Option<GroupId>, backup: Option<BackupState>) -> Handover {
    match (backup, group) {
        (Some(b), _) if !b.away && b.eligible => Handover::Backup(b.user),
        (_, Some(g)) => Handover::Group(g),
        (_, None) => Handover::Unassigned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + h * 3600).expect("valid")
    }

    #[test]
    fn absences_cover_a_half_open_period_and_are_checked() {
        let a = Absence {
            user: UserId(1),
            kind: AbsenceKind::Leave,
            starts_at: at(0),
            ends_at: at(48),
            backup: Some(UserId(2)),
        };
        assert!(!a.covers(at(-1)) && a.covers(at(0)) && a.covers(at(47)) && !a.covers(at(48)));
        assert_eq!(check(&a), Ok(()));
        assert_eq!(
            check(&Absence {
                ends_at: at(0),
                ..a.clone()
            }),
            Err(AbsenceError::Reversed)
        );
        assert_eq!(
            check(&Absence {
                ends_at: at(367 * 24),
                ..a.clone()
            }),
            Err(AbsenceError::TooLong)
        );
        assert_eq!(
            check(&Absence {
                backup: Some(UserId(1)),
                ..a
            }),
            Err(AbsenceError::SelfBackup)
        );
    }

    #[test]
    fn tickets_go_to_an_available_backup_else_to_their_group() {
        let g = Some(GroupId(9));
        let b = |away, eligible| {
            Some(BackupState {
                user: UserId(2),
                away,
                eligible,
            })
        };
        assert_eq!(handover(g, b(false, true)), Handover::Backup(UserId(2)));
        assert_eq!(handover(g, b(true, true)), Handover::Group(GroupId(9)));
        assert_eq!(handover(g, b(false, false)), Handover::Group(GroupId(9)));
        assert_eq!(handover(g, None), Handover::Group(GroupId(9)));
        assert_eq!(handover(None, b(true, true)), Handover::Unassigned);
        assert_eq!(handover(None, b(false, true)), Handover::Backup(UserId(2)));
    }
}
