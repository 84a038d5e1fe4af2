//! The change report: how the changes raised in a period fared, in the
//! figures change managers and CABs follow (ITIL's change KPIs): how many
//! of each type, how many were rejected or cancelled, how many were
//! carried out and how many of those succeeded, failed or caused
//! incidents, and how many had a flagged window (outside the change
//! windows, in a freeze, in conflict).
//!
//! A change *carried out* reached implementation: it is implemented,
//! backed out, reviewed or closed after one of those. It *failed* if it was
//! backed out or its review says it did not succeed; it *succeeded*
//! otherwise. A change whose review links incidents *caused incidents*,
//! whatever its verdict.

use super::{ChangeKind, ChangeStatus};

/// What the report needs of one change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeFacts {
    /// Its type.
    pub kind: ChangeKind,
    /// Where it is now.
    pub status: ChangeStatus,
    /// Its review's verdict, once reviewed.
    pub review_success: Option<bool>,
    /// Whether its planned window carries a flag.
    pub flagged: bool,
    /// The incidents its review says it caused.
    pub incidents_caused: usize,
}

/// The figures of a period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeReport {
    /// Changes raised.
    pub total: u64,
    /// Of which standard.
    pub standard: u64,
    /// Of which normal.
    pub normal: u64,
    /// Of which emergency.
    pub emergency: u64,
    /// Refused by their board.
    pub rejected: u64,
    /// Abandoned before they were carried out.
    pub cancelled: u64,
    /// Still on their way (draft to implementing).
    pub in_progress: u64,
    /// Carried out (see the module's words).
    pub carried_out: u64,
    /// Carried out and not failed.
    pub succeeded: u64,
    /// Backed out, or reviewed as not successful.
    pub failed: u64,
    /// Whose review links at least one incident.
    pub causing_incidents: u64,
    /// The incidents they caused, all together.
    pub incidents_caused: u64,
    /// Whose planned window was flagged.
    pub flagged: u64,
}

impl ChangeReport {
    /// Succeeded among those carried out, in whole percent (rounded down);
    /// `None` when none was carried out.
    pub fn success_rate(&self) -> Option<u64> {
        percent(self.succeeded, self.carried_out)
    }

    /// Emergency changes among those raised, in whole percent (rounded
    /// down); `None` when none was raised.
    pub fn emergency_share(&self) -> Option<u64> {
        percent(self.emergency, self.total)
    }
}

fn percent(part: u64, whole: u64) -> Option<u64> {
    (whole > 0).then(|| part.saturating_mul(100) / whole)
}

/// Whether a change in this status was carried out (the verdict decides
/// for a reviewed or closed one, see [`summarise`]).
fn reached_implementation(status: ChangeStatus) -> bool {
    matches!(
        status,
        ChangeStatus::Implemented
            | ChangeStatus::BackedOut
            | ChangeStatus::Reviewed
            | ChangeStatus::Closed
    )
}

/// The figures of these changes.
pub fn summarise<'a>(changes: impl IntoIterator<Item = &'a ChangeFacts>) -> ChangeReport {
    let mut r = ChangeReport::default();
    for c in changes {
        r.total += 1;
        match c.kind {
            ChangeKind::Standard => r.standard += 1,
            ChangeKind::Normal => r.normal += 1,
            ChangeKind::Emergency => r.emergency += 1,
        }
        if c.flagged {
            r.flagged += 1;
        }
        if c.incidents_caused > 0 {
            r.causing_incidents += 1;
            r.incidents_caused += c.incidents_caused as u64;
        }
        match c.status {
            ChangeStatus::Rejected => r.rejected += 1,
            ChangeStatus::Cancelled => r.cancelled += 1,
            s if reached_implementation(s) => {
                r.carried_out += 1;
                if s == ChangeStatus::BackedOut || c.review_success == Some(false) {
                    r.failed += 1;
                } else {
                    r.succeeded += 1;
                }
            }
            _ => r.in_progress += 1,
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChangeStatus as S;

    fn facts(kind: ChangeKind, status: S, review: Option<bool>, caused: usize) -> ChangeFacts {
        ChangeFacts {
            kind,
            status,
            review_success: review,
            flagged: false,
            incidents_caused: caused,
        }
    }

    #[test]
    fn every_change_is_counted_once_by_outcome() {
        let changes = [
            facts(ChangeKind::Normal, S::Closed, Some(true), 0),
            facts(ChangeKind::Normal, S::Reviewed, Some(false), 2),
            facts(ChangeKind::Emergency, S::BackedOut, None, 1),
            facts(ChangeKind::Standard, S::Implemented, None, 0),
            facts(ChangeKind::Normal, S::Rejected, None, 0),
            facts(ChangeKind::Normal, S::Cancelled, None, 0),
            facts(ChangeKind::Standard, S::Scheduled, None, 0),
            ChangeFacts {
                flagged: true,
                ..facts(ChangeKind::Emergency, S::Draft, None, 0)
            },
        ];
        let r = summarise(&changes);
        assert_eq!(r.total, 8);
        assert_eq!((r.standard, r.normal, r.emergency), (2, 4, 2));
        assert_eq!((r.rejected, r.cancelled, r.in_progress), (1, 1, 2));
        assert_eq!((r.carried_out, r.succeeded, r.failed), (4, 2, 2));
        assert_eq!(
            r.rejected + r.cancelled + r.in_progress + r.carried_out,
            r.total
        );
        assert_eq!((r.causing_incidents, r.incidents_caused), (2, 3));
        assert_eq!(r.flagged, 1);
        assert_eq!(r.success_rate(), Some(50));
        assert_eq!(r.emergency_share(), Some(25));
    }

    #[test]
    fn rates_of_nothing_are_none() {
        let r = summarise(std::iter::empty());
        assert_eq!(r, ChangeReport::default());
        assert_eq!(r.success_rate(), None);
        assert_eq!(r.emergency_share(), None);
        let one = summarise(&[facts(ChangeKind::Normal, S::Implemented, None, 0)]);
        assert_eq!(one.success_rate(), Some(100));
        assert_eq!(one.emergency_share(), Some(0));
    }
}
