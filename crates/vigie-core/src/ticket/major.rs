//! Major incidents: a P1 incident declared major gathers the incidents it
//! causes as children and keeps a log of what was told to whom.

use super::priority::Priority;
use super::{Status, TicketType};

/// What the rules need to know of a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MajorFacts {
    /// Its type.
    pub ticket_type: TicketType,
    /// Its priority.
    pub priority: Priority,
    /// Its status.
    pub status: Status,
    /// Whether it is declared major.
    pub major: bool,
    /// Whether it is already the child of a major incident.
    pub has_parent: bool,
}

/// Why a major-incident operation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MajorError {
    /// Only P1 incidents become major.
    #[error("only an open incident of priority critique (P1) can be declared major")]
    NotEligible,
    /// The parent is not a major incident.
    #[error("incidents are linked to a major incident only")]
    NotMajor,
    /// The child cannot be linked.
    #[error(
        "only an incident that is not major itself and not linked elsewhere can become a child"
    )]
    BadChild,
    /// A ticket is not its own child.
    #[error("a ticket cannot be its own child")]
    Itself,
    /// A communication needs its text and its audience.
    #[error("a communication needs a `{0}`")]
    Missing(&'static str),
}

/// Checks that a ticket may be declared major.
pub fn check_declare(t: &MajorFacts) -> Result<(), MajorError> {
    let eligible = t.ticket_type == TicketType::Incident
        && t.priority == Priority::Critique
        && t.status.is_open();
    if eligible && !t.has_parent {
        Ok(())
    } else {
        Err(MajorError::NotEligible)
    }
}

/// Checks that `child` may be linked under `parent`.
pub fn check_link(
    parent_id: i64,
    parent: &MajorFacts,
    child_id: i64,
    child: &MajorFacts,
) -> Result<(), MajorError> {
    if parent_id == child_id {
        return Err(MajorError::Itself);
    }
    if !parent.major {
        return Err(MajorError::NotMajor);
    }
    if child.ticket_type != TicketType::Incident || child.major || child.has_parent {
        return Err(MajorError::BadChild);
    }
    Ok(())
}

/// Checks a communication to stakeholders.
pub fn check_communication(audience: &str, body: &str) -> Result<(), MajorError> {
    if audience.trim().is_empty() {
        return Err(MajorError::Missing("audience"));
    }
    if body.trim().is_empty() {
        return Err(MajorError::Missing("body"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(ticket_type: TicketType, priority: Priority, status: Status) -> MajorFacts {
        MajorFacts {
            ticket_type,
            priority,
            status,
            major: false,
            has_parent: false,
        }
    }

    #[test]
    fn only_open_p1_incidents_become_major() {
        let p1 = facts(TicketType::Incident, Priority::Critique, Status::InProgress);
        assert_eq!(check_declare(&p1), Ok(()));
        for bad in [
            facts(TicketType::Request, Priority::Critique, Status::New),
            facts(TicketType::Incident, Priority::Haut, Status::New),
            facts(TicketType::Incident, Priority::Critique, Status::Resolved),
            MajorFacts {
                has_parent: true,
                ..p1
            },
        ] {
            assert_eq!(check_declare(&bad), Err(MajorError::NotEligible), "{bad:?}");
        }
    }

    #[test]
    fn children_are_plain_incidents_linked_once() {
        let major = MajorFacts {
            major: true,
            ..facts(TicketType::Incident, Priority::Critique, Status::New)
        };
        let child = facts(TicketType::Incident, Priority::Moyen, Status::New);
        assert_eq!(check_link(1, &major, 2, &child), Ok(()));
        assert_eq!(check_link(1, &major, 1, &child), Err(MajorError::Itself));
        assert_eq!(check_link(1, &child, 2, &child), Err(MajorError::NotMajor));
        assert_eq!(
            check_link(
                1,
                &major,
                2,
                &MajorFacts {
                    has_parent: true,
                    ..child
                }
            ),
            Err(MajorError::BadChild)
        );
        assert_eq!(check_link(1, &major, 2, &major), Err(MajorError::BadChild));
        let request = facts(TicketType::Request, Priority::Bas, Status::New);
        assert_eq!(
            check_link(1, &major, 2, &request),
            Err(MajorError::BadChild)
        );
    }

    #[test]
    fn communications_need_an_audience_and_a_text() {
        assert_eq!(
            check_communication("", "x"),
            Err(MajorError::Missing("audience"))
        );
        assert_eq!(
            check_communication("Direction", " "),
            Err(MajorError::Missing("body"))
        );
        assert_eq!(
            check_communication("Direction", "Rétablissement prévu à 15 h"),
            Ok(())
        );
    }
}
