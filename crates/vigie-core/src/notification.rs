//! Who is told what when a ticket moves: the notifications a change of a
//! ticket calls for, decided from plain values.
//!
//! The store captures them in the transaction of the change (so a change
//! that is committed is always told, and a change that is rolled back never
//! is); the server later writes each as a mail in its recipient's language,
//! unless the recipient turned that kind off in his preferences. Nobody is
//! told of what he did himself.
//!
//! | What happened                               | Kind            | To                         |
//! |---------------------------------------------|-----------------|----------------------------|
//! | an agent replied publicly                   | `public_reply`  | the requester              |
//! | the requester replied                       | `requester_reply` | the assignee             |
//! | a first agent took the ticket               | `assignment`    | the requester              |
//! | the ticket was given to an agent            | `assigned_to_you` | that agent               |
//! | the ticket moved to another group, no agent | `escalation`    | the new group's members    |
//! | the group's manager was alerted             | `manager_alert` | the manager                |
//! | an SLA escalation level said to warn        | `sla_warning`   | the assignee, else the group |
//! | the ticket was resolved                     | `resolved`      | the requester (survey link) |
//!
//! The mail that acknowledges a ticket opened by mail (`ticket_created`) is
//! written by the mail intake itself, with the mail it answers.

use crate::ids::{GroupId, UserId};
use crate::ticket::{Status, named_enum};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

named_enum!(
    /// What a notification tells.
    NotificationKind, "notification kind" {
        /// The ticket was opened (by mail).
        TicketCreated => "ticket_created",
        /// An agent replied publicly.
        PublicReply => "public_reply",
        /// The requester replied.
        RequesterReply => "requester_reply",
        /// A first agent took the ticket.
        Assignment => "assignment",
        /// The ticket was given to the recipient.
        AssignedToYou => "assigned_to_you",
        /// The ticket was escalated to the recipient's group.
        Escalation => "escalation",
        /// The recipient, a group manager, is alerted about the ticket.
        ManagerAlert => "manager_alert",
        /// A service deadline of the ticket is near.
        SlaWarning => "sla_warning",
        /// The ticket was resolved.
        Resolved => "resolved",
    }
);

/// Who receives a notification, resolved to accounts by the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The ticket's requester.
    Requester,
    /// One account.
    User(UserId),
    /// Every member of a support group.
    GroupMembers(GroupId),
    /// The manager of a support group.
    GroupManager(GroupId),
}

/// One notification to capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Notification {
    /// What it tells.
    pub kind: NotificationKind,
    /// To whom.
    pub to: Audience,
}

/// The parts of a ticket that decide its notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TicketState {
    /// Its status.
    pub status: Status,
    /// Its group.
    pub group: Option<GroupId>,
    /// Its agent.
    pub assignee: Option<UserId>,
}

/// The notifications a change of a ticket calls for (lifecycle actions,
/// assignments, escalations), `actor` having made it.
pub fn for_change(
    before: &TicketState,
    after: &TicketState,
    requester: UserId,
    actor: UserId,
) -> Vec<Notification> {
    let mut out = Vec::new();
    let to = |kind, to| Notification { kind, to };
    if after.status == Status::Resolved && before.status != Status::Resolved {
        out.push(to(NotificationKind::Resolved, Audience::Requester));
        return out;
    }
    if !after.status.is_open() {
        return out;
    }
    match (before.assignee, after.assignee) {
        (old, Some(new)) if old != Some(new) => {
            if new != actor {
                out.push(to(NotificationKind::AssignedToYou, Audience::User(new)));
            }
            if old.is_none() && new != requester {
                out.push(to(NotificationKind::Assignment, Audience::Requester));
            }
        }
        (_, None) => {
            if let Some(g) = after.group.filter(|g| before.group != Some(*g)) {
                out.push(to(NotificationKind::Escalation, Audience::GroupMembers(g)));
            }
        }
        _ => {}
    }
    out
}

/// The notifications a comment calls for: a public reply of anyone but the
/// requester tells the requester; the requester's reply tells the agent.
/// Internal notes tell nobody.
pub fn for_comment(
    public: bool,
    author: UserId,
    requester: UserId,
    assignee: Option<UserId>,
) -> Vec<Notification> {
    if !public {
        return Vec::new();
    }
    if author != requester {
        return vec![Notification {
            kind: NotificationKind::PublicReply,
            to: Audience::Requester,
        }];
    }
    match assignee.filter(|a| *a != author) {
        Some(a) => vec![Notification {
            kind: NotificationKind::RequesterReply,
            to: Audience::User(a),
        }],
        None => Vec::new(),
    }
}

/// The warning of an SLA escalation level: to the ticket's agent, or to
/// its group when it has none, or to nobody.
pub fn sla_warning(assignee: Option<UserId>, group: Option<GroupId>) -> Option<Notification> {
    let to = match (assignee, group) {
        (Some(a), _) => Audience::User(a),
        (None, Some(g)) => Audience::GroupMembers(g),
        (None, None) => return None,
    };
    Some(Notification {
        kind: NotificationKind::SlaWarning,
        to,
    })
}

/// The alert to a group's manager (hierarchical escalation, or an SLA level
/// that alerts the manager).
pub fn manager_alert(group: GroupId) -> Notification {
    Notification {
        kind: NotificationKind::ManagerAlert,
        to: Audience::GroupManager(group),
    }
}

/// Whom an SLA escalation level tells: a warning goes to the agent (or
/// the group), an alert to the group's manager; raising the priority tells
/// nobody, and a move to the next level tells the new group by itself
/// ([`for_change`]).
pub fn for_escalation(
    action: crate::sla::EscalationAction,
    assignee: Option<UserId>,
    group: Option<GroupId>,
) -> Vec<Notification> {
    use crate::sla::EscalationAction;
    match action {
        EscalationAction::Notify => sla_warning(assignee, group).into_iter().collect(),
        EscalationAction::AlertManager => group.map(manager_alert).into_iter().collect(),
        EscalationAction::RaisePriority | EscalationAction::NextLevel => Vec::new(),
    }
}

/// Whether a recipient gets a notification: not of his own doing, and not
/// of a kind he turned off (`off`: the kinds of his preferences that are
/// off; every kind is on by default).
pub fn delivered(
    kind: NotificationKind,
    recipient: UserId,
    actor: UserId,
    off: &[NotificationKind],
) -> bool {
    recipient != actor && !off.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: UserId = UserId(1);
    const AGENT: UserId = UserId(2);
    const OTHER: UserId = UserId(3);
    const L1: GroupId = GroupId(10);
    const L2: GroupId = GroupId(20);

    fn state(status: Status, group: Option<GroupId>, assignee: Option<UserId>) -> TicketState {
        TicketState {
            status,
            group,
            assignee,
        }
    }

    fn kinds(n: &[Notification]) -> Vec<(NotificationKind, Audience)> {
        n.iter().map(|n| (n.kind, n.to)).collect()
    }

    #[test]
    fn resolving_tells_the_requester_only() {
        let before = state(Status::InProgress, Some(L1), Some(AGENT));
        let after = state(Status::Resolved, Some(L1), Some(AGENT));
        assert_eq!(
            kinds(&for_change(&before, &after, REQ, AGENT)),
            vec![(NotificationKind::Resolved, Audience::Requester)]
        );
        // Resolved again (e.g. a field edit while resolved) tells nothing.
        assert!(for_change(&after, &after, REQ, AGENT).is_empty());
    }

    #[test]
    fn a_first_agent_tells_the_requester_and_the_agent_unless_he_took_it_himself() {
        let before = state(Status::New, Some(L1), None);
        let after = state(Status::Assigned, Some(L1), Some(AGENT));
        assert_eq!(
            kinds(&for_change(&before, &after, REQ, OTHER)),
            vec![
                (NotificationKind::AssignedToYou, Audience::User(AGENT)),
                (NotificationKind::Assignment, Audience::Requester)
            ]
        );
        assert_eq!(
            kinds(&for_change(&before, &after, REQ, AGENT)),
            vec![(NotificationKind::Assignment, Audience::Requester)]
        );
        // A second agent: only him.
        let again = state(Status::Assigned, Some(L1), Some(OTHER));
        assert_eq!(
            kinds(&for_change(&after, &again, REQ, AGENT)),
            vec![(NotificationKind::AssignedToYou, Audience::User(OTHER))]
        );
    }

    #[test]
    fn a_move_to_another_group_without_agent_tells_that_group() {
        let before = state(Status::InProgress, Some(L1), Some(AGENT));
        let after = state(Status::Assigned, Some(L2), None);
        assert_eq!(
            kinds(&for_change(&before, &after, REQ, AGENT)),
            vec![(NotificationKind::Escalation, Audience::GroupMembers(L2))]
        );
        // Same group, agent released: nothing.
        let released = state(Status::Assigned, Some(L1), None);
        assert!(for_change(&before, &released, REQ, AGENT).is_empty());
    }

    #[test]
    fn status_moves_without_new_owner_tell_nobody() {
        let before = state(Status::Assigned, Some(L1), Some(AGENT));
        let after = state(Status::InProgress, Some(L1), Some(AGENT));
        assert!(for_change(&before, &after, REQ, AGENT).is_empty());
        let closed = state(Status::Closed, Some(L1), Some(OTHER));
        assert!(for_change(&after, &closed, REQ, AGENT).is_empty());
    }

    #[test]
    fn comments_tell_the_other_side_and_notes_nobody() {
        assert_eq!(
            kinds(&for_comment(true, AGENT, REQ, Some(AGENT))),
            vec![(NotificationKind::PublicReply, Audience::Requester)]
        );
        assert_eq!(
            kinds(&for_comment(true, REQ, REQ, Some(AGENT))),
            vec![(NotificationKind::RequesterReply, Audience::User(AGENT))]
        );
        assert!(for_comment(true, REQ, REQ, None).is_empty());
        assert!(for_comment(false, AGENT, REQ, Some(OTHER)).is_empty());
    }

    #[test]
    fn sla_warnings_go_to_the_agent_else_the_group() {
        assert_eq!(
            sla_warning(Some(AGENT), Some(L1)).map(|n| n.to),
            Some(Audience::User(AGENT))
        );
        assert_eq!(
            sla_warning(None, Some(L1)).map(|n| n.to),
            Some(Audience::GroupMembers(L1))
        );
        assert_eq!(sla_warning(None, None), None);
    }

    #[test]
    fn escalation_levels_tell_the_agent_or_the_manager() {
        use crate::sla::EscalationAction;
        assert_eq!(
            kinds(&for_escalation(
                EscalationAction::Notify,
                Some(AGENT),
                Some(L1)
            )),
            vec![(NotificationKind::SlaWarning, Audience::User(AGENT))]
        );
        assert_eq!(
            kinds(&for_escalation(
                EscalationAction::AlertManager,
                Some(AGENT),
                Some(L1)
            )),
            vec![(NotificationKind::ManagerAlert, Audience::GroupManager(L1))]
        );
        assert!(for_escalation(EscalationAction::AlertManager, Some(AGENT), None).is_empty());
        assert!(for_escalation(EscalationAction::RaisePriority, Some(AGENT), Some(L1)).is_empty());
        assert!(for_escalation(EscalationAction::NextLevel, None, Some(L1)).is_empty());
    }

    #[test]
    fn nobody_is_told_of_his_own_doing_nor_of_what_he_turned_off() {
        let off = [NotificationKind::AssignedToYou];
        assert!(!delivered(NotificationKind::PublicReply, AGENT, AGENT, &[]));
        assert!(!delivered(
            NotificationKind::AssignedToYou,
            AGENT,
            REQ,
            &off
        ));
        assert!(delivered(NotificationKind::PublicReply, AGENT, REQ, &off));
    }

    #[test]
    fn kinds_have_stable_names() {
        for k in NotificationKind::ALL {
            assert_eq!(k.as_str().parse::<NotificationKind>(), Ok(*k));
        }
        assert!("storm".parse::<NotificationKind>().is_err());
    }
}
