//! Tickets of the service desk: incidents and service requests, their
//! lifecycle and their priority.
//!
//! The types here are the vocabulary the store and the API share; the rules
//! live in [`lifecycle`] (which actions each status allows) and [`priority`]
//! (impact × urgency → priority through a tenant's matrix).

pub mod absence;
pub mod escalation;
pub mod lifecycle;
pub mod major;
pub mod priority;
pub mod routing;
pub mod survey;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Defines a closed set of stable names, with `as_str`, `ALL`, `Display`
/// and `FromStr`, so that the API, the database and the UI agree.
macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident, $error:literal { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = $crate::ticket::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::ticket::UnknownName {
                        what: $error,
                        name: s.chars().take(64).collect(),
                        allowed: $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}
pub(crate) use named_enum;

/// A name outside a closed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`; expected one of: {allowed}")]
pub struct UnknownName {
    /// What kind of value.
    pub what: &'static str,
    /// The name given (truncated).
    pub name: String,
    /// The names allowed.
    pub allowed: String,
}

named_enum!(
    /// Whether a ticket reports a disruption or asks for something.
    TicketType, "ticket type" {
        /// Something is broken or degraded: restore service fast.
        Incident => "incident",
        /// Something is asked for: an account, a setting, a volume extension.
        Request => "request",
    }
);

named_enum!(
    /// How the ticket reached the service desk.
    Channel, "channel" {
        /// A call to the desk.
        Phone => "phone",
        /// A mail.
        Email => "email",
        /// The requester portal.
        Portal => "portal",
        /// An API client.
        Api => "api",
        /// Event management (monitoring).
        Event => "event",
    }
);

named_enum!(
    /// Why a ticket waits.
    PendingReason, "pending reason" {
        /// An answer from the requester.
        Customer => "customer",
        /// A supplier's action (the hosting provider, a maintainer).
        Supplier => "supplier",
        /// A change to be implemented.
        Change => "change",
    }
);

named_enum!(
    /// Where a ticket stands.
    Status, "status" {
        /// Just opened, owned by nobody.
        New => "new",
        /// Placed with a group or an agent, not started.
        Assigned => "assigned",
        /// Being worked on.
        InProgress => "in_progress",
        /// Waiting for someone else (see the pending reason).
        Pending => "pending",
        /// A solution was given; the requester may still reopen.
        Resolved => "resolved",
        /// Over: nothing changes any more.
        Closed => "closed",
    }
);

impl Status {
    /// Whether the ticket still needs work (counts in queues).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }
}

/// Which tickets an actor reaches: those of the entities in `see` (agents
/// and contact points), those he opened, and, to change them, those of the
/// entities in `work`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketAccess {
    /// The actor.
    pub user: crate::ids::UserId,
    /// Entities whose tickets he may read.
    pub see: crate::tenancy::Scope,
    /// Entities whose tickets he may work.
    pub work: crate::tenancy::Scope,
    /// Entities where he may open tickets (any role there).
    pub open: crate::tenancy::Scope,
}

impl TicketAccess {
    /// The access of an actor, from his grants.
    pub fn of(actor: &crate::tenancy::Actor) -> TicketAccess {
        use crate::role::Permission;
        let work = actor.scope(Permission::WorkTickets);
        let see = match (actor.scope(Permission::ViewEntityTickets), &work) {
            (
                crate::tenancy::Scope::Tenant { tenant, mut rules },
                crate::tenancy::Scope::Tenant { rules: more, .. },
            ) => {
                rules.extend(more.iter().cloned());
                crate::tenancy::Scope::Tenant { tenant, rules }
            }
            (scope, _) => scope,
        };
        TicketAccess {
            user: actor.user,
            see,
            work,
            open: actor.reach(),
        }
    }

    /// Whether he may work tickets anywhere.
    pub fn works_somewhere(&self) -> bool {
        match &self.work {
            crate::tenancy::Scope::Platform => true,
            crate::tenancy::Scope::Tenant { rules, .. } => !rules.is_empty(),
        }
    }
}
