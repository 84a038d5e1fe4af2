//! Newtype identifiers, so that an entity id can never be passed where a user
//! id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A customer organisation; tenants never see each other's data.
    TenantId
);
id_type!(
    /// A node of a tenant's entity tree (group, region, site, establishment).
    EntityId
);
id_type!(
    /// A person (or service account) who logs in.
    UserId
);
id_type!(
    /// A support group (level 1, 2 or 3).
    GroupId
);
id_type!(
    /// An API token.
    TokenId
);
id_type!(
    /// A role granted to a user on an entity.
    GrantId
);
id_type!(
    /// A line of the audit log.
    AuditId
);
id_type!(
    /// A ticket (incident or service request).
    TicketId
);
id_type!(
    /// A node of a tenant's category tree.
    CategoryId
);
id_type!(
    /// A reply or an internal note on a ticket.
    CommentId
);

id_type!(
    /// A configuration item of the CMDB.
    CiId
);
id_type!(
    /// A relation between two configuration items.
    CiRelationId
);

impl UserId {
    /// The author of writes made by Vigie itself or by an operator at the
    /// command line: no user row has this id.
    pub const SYSTEM: UserId = UserId(0);
}

id_type!(
    /// A group of correlated alerts (events on one item, or on items below
    /// one failing parent).
    AlertGroupId
);
id_type!(
    /// A maintenance window, during which events are recorded but raise
    /// nothing.
    MaintenanceWindowId
);
id_type!(
    /// A mailbox Vigie reads mail from, belonging to a tenant.
    MailboxId
);
id_type!(
    /// A key a monitoring tool sends its events with; it belongs to a tenant
    /// and names the source.
    IntegrationKeyId
);

id_type!(
    /// A release: versions (and changes) that go into production together.
    ReleaseId
);
id_type!(
    /// A request to copy one environment's data into another.
    DataRefreshId
);
id_type!(
    /// A yearly reset of an environment for a partner.
    EnvironmentResetId
);
id_type!(
    /// A request for change (RFC).
    ChangeId
);
id_type!(
    /// A pre-approved template that standard changes are made from.
    ChangeTemplateId
);
id_type!(
    /// A freeze period, during which changes are not scheduled.
    FreezeId
);
