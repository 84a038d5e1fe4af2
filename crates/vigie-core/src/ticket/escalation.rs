//! Escalation: *functional* moves a ticket to a more skilled group (a higher
//! support level); *hierarchical* alerts the manager of the group holding
//! it. Both need a reason and an open ticket, and both leave a line in the
//! ticket's timeline.

use super::Status;

/// Why an escalation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscalationError {
    /// Resolved and closed tickets are not escalated.
    #[error("a ticket that is {0} is not escalated")]
    NotOpen(Status),
    /// The reason is empty.
    #[error("an escalation needs a `reason`")]
    NoReason,
    /// The target group is not above the current one.
    #[error(
        "a functional escalation goes to a higher support level: the ticket is at level {from}, the group chosen is at level {to}"
    )]
    NotHigher {
        /// The current level.
        from: i64,
        /// The level of the group chosen.
        to: i64,
    },
    /// Nobody to alert.
    #[error("the ticket's group has no manager to alert")]
    NoManager,
}

/// The level a ticket is at: its group's, or 1 (the service desk) when no
/// group holds it yet.
pub fn current_level(group_level: Option<i64>) -> i64 {
    group_level.unwrap_or(1)
}

/// Checks a functional escalation from the ticket's current group level to
/// a group of level `to`.
pub fn check_functional(
    status: Status,
    group_level: Option<i64>,
    to: i64,
    reason: &str,
) -> Result<(), EscalationError> {
    check_common(status, reason)?;
    let from = current_level(group_level);
    if to <= from {
        return Err(EscalationError::NotHigher { from, to });
    }
    Ok(())
}

/// Checks a hierarchical escalation: the group holding the ticket must have
/// a manager.
pub fn check_hierarchical(
    status: Status,
    has_manager: bool,
    reason: &str,
) -> Result<(), EscalationError> {
    check_common(status, reason)?;
    if !has_manager {
        return Err(EscalationError::NoManager);
    }
    Ok(())
}

fn check_common(status: Status, reason: &str) -> Result<(), EscalationError> {
    if !status.is_open() {
        return Err(EscalationError::NotOpen(status));
    }
    if reason.trim().is_empty() {
        return Err(EscalationError::NoReason);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functional_escalation_only_goes_up() {
        let check = |group: Option<i64>, to: i64| {
            check_functional(Status::InProgress, group, to, "needs a DBA")
        };
        assert_eq!(check(None, 2), Ok(()));
        assert_eq!(check(Some(1), 3), Ok(()));
        assert_eq!(
            check(Some(2), 2),
            Err(EscalationError::NotHigher { from: 2, to: 2 })
        );
        assert_eq!(
            check(Some(3), 2),
            Err(EscalationError::NotHigher { from: 3, to: 2 })
        );
        assert_eq!(
            check(None, 1),
            Err(EscalationError::NotHigher { from: 1, to: 1 })
        );
    }

    #[test]
    fn both_need_an_open_ticket_and_a_reason() {
        assert_eq!(
            check_functional(Status::Resolved, None, 2, "x"),
            Err(EscalationError::NotOpen(Status::Resolved))
        );
        assert_eq!(
            check_functional(Status::New, None, 2, "  "),
            Err(EscalationError::NoReason)
        );
        assert_eq!(
            check_hierarchical(Status::Closed, true, "x"),
            Err(EscalationError::NotOpen(Status::Closed))
        );
        assert_eq!(
            check_hierarchical(Status::Pending, false, "x"),
            Err(EscalationError::NoManager)
        );
        assert_eq!(
            check_hierarchical(Status::Pending, true, "SLA at risk"),
            Ok(())
        );
    }
}
