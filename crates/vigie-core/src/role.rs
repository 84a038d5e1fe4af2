//! Roles and what each one may do.
//!
//! A role is granted to a user on an entity, optionally for its whole
//! subtree. Permissions are derived from roles here and nowhere else.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The roles a user can hold on an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Opens tickets and follows his own requests.
    Requester,
    /// The single point of contact of an establishment: the only one who may
    /// address the provider on its behalf.
    ContactPoint,
    /// Service desk or support group agent: works tickets.
    Agent,
    /// Leads agents: sees the queues of his entities, reassigns, escalates.
    Supervisor,
    /// Owns the change process: assesses, schedules, may send a change back.
    ChangeManager,
    /// Member of the change advisory board: approves or rejects changes.
    CabMember,
    /// Agent of a supplier (hosting provider) working the tickets sent to it.
    SupplierAgent,
    /// Administers a tenant: entities, users, groups, roles.
    TenantAdmin,
}

impl Role {
    /// Every role, in the order they are shown.
    pub const ALL: [Role; 8] = [
        Role::Requester,
        Role::ContactPoint,
        Role::Agent,
        Role::Supervisor,
        Role::ChangeManager,
        Role::CabMember,
        Role::SupplierAgent,
        Role::TenantAdmin,
    ];

    /// The stable machine name, used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::ContactPoint => "contact_point",
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::ChangeManager => "change_manager",
            Role::CabMember => "cab_member",
            Role::SupplierAgent => "supplier_agent",
            Role::TenantAdmin => "tenant_admin",
        }
    }

    /// Whether this role carries the permission.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::TenantAdmin => true,
            // Requesters see their own tickets and profile, not the directory.
            Role::Requester => false,
            Role::ContactPoint => matches!(permission, ViewEntityTickets | ViewCmdb),
            Role::CabMember => matches!(
                permission,
                ViewDirectory | ViewCmdb | ViewChanges | ViewReleases
            ),
            Role::SupplierAgent => matches!(
                permission,
                ViewDirectory | WorkTickets | ViewEntityTickets | ViewCmdb
            ),
            Role::Agent => matches!(
                permission,
                ViewDirectory
                    | WorkTickets
                    | ViewEntityTickets
                    | ViewCmdb
                    | ManageCmdb
                    | WorkEvents
                    | ViewChanges
                    | WorkChanges
                    | ViewReleases
                    | RequestDataRefresh
            ),
            Role::ChangeManager if matches!(permission, ManageChanges | ManageReleases) => true,
            Role::Supervisor | Role::ChangeManager => matches!(
                permission,
                ViewDirectory
                    | ViewAudit
                    | WorkTickets
                    | ViewEntityTickets
                    | ViewCmdb
                    | ManageCmdb
                    | WorkEvents
                    | ManageEvents
                    | ViewChanges
                    | WorkChanges
                    | ViewReleases
                    | RequestDataRefresh
            ),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that Vigie does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// What an action needs. Checked against the grants of the actor on the
/// entity the record belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See entities, users and groups of the entity (the directory).
    ViewDirectory,
    /// Read the audit log of the entity.
    ViewAudit,
    /// Create, change and delete entities, users, groups and grants.
    ManageDirectory,
    /// See and work every ticket of the entity (agents and their leads).
    WorkTickets,
    /// See the tickets of the entity without working them (the
    /// establishment's contact point). Everyone sees the tickets he opened.
    ViewEntityTickets,
    /// Change the tenant's ticket settings: categories, priority matrix.
    ManageTicketSettings,
    /// Read the configuration items of the entity, their relations and
    /// impact analyses.
    ViewCmdb,
    /// Create, change, relate, import and retire configuration items.
    ManageCmdb,
    /// Watch the tenant's event console and acknowledge alert groups.
    WorkEvents,
    /// Manage the tenant's integration keys, event rules and maintenance
    /// windows.
    ManageEvents,
    /// Read releases, the release plan, environments, data refreshes and
    /// environment resets.
    ViewReleases,
    /// Ask for a data refresh between two environments.
    RequestDataRefresh,
    /// Plan releases and move them through their lifecycle, set the release
    /// cycle, environments' hours and resets, decide data refreshes.
    ManageReleases,
    /// Read the changes of the entity and the change calendar (CAB members
    /// vote on those their board receives).
    ViewChanges,
    /// Raise, prepare, carry out and review changes.
    WorkChanges,
    /// Assess, send back, schedule and close changes; set up the boards,
    /// freezes, change windows and standard-change templates.
    ManageChanges,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_tenant_admin_manages_the_directory() {
        for role in Role::ALL {
            assert_eq!(
                role.allows(Permission::ManageDirectory),
                role == Role::TenantAdmin,
                "{role}"
            );
            assert_eq!(
                role.allows(Permission::ViewDirectory),
                !matches!(role, Role::Requester | Role::ContactPoint),
                "{role}"
            );
        }
    }

    #[test]
    fn events_are_worked_by_the_desk_and_configured_by_its_leads() {
        let workers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::WorkEvents))
            .collect();
        assert_eq!(
            workers,
            vec![
                Role::Agent,
                Role::Supervisor,
                Role::ChangeManager,
                Role::TenantAdmin
            ]
        );
        let managers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::ManageEvents))
            .collect();
        assert_eq!(
            managers,
            vec![Role::Supervisor, Role::ChangeManager, Role::TenantAdmin]
        );
    }

    #[test]
    fn changes_are_raised_by_the_desk_and_managed_by_the_change_manager() {
        let with = |p| -> Vec<Role> { Role::ALL.into_iter().filter(|r| r.allows(p)).collect() };
        assert_eq!(
            with(Permission::ManageChanges),
            vec![Role::ChangeManager, Role::TenantAdmin]
        );
        assert_eq!(
            with(Permission::WorkChanges),
            vec![
                Role::Agent,
                Role::Supervisor,
                Role::ChangeManager,
                Role::TenantAdmin
            ]
        );
        assert_eq!(
            with(Permission::ViewChanges),
            vec![
                Role::Agent,
                Role::Supervisor,
                Role::ChangeManager,
                Role::CabMember,
                Role::TenantAdmin
            ]
        );
    }

    #[test]
    fn the_cmdb_is_read_by_the_desk_and_written_by_agents_and_their_leads() {
        let writers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::ManageCmdb))
            .collect();
        assert_eq!(
            writers,
            vec![
                Role::Agent,
                Role::Supervisor,
                Role::ChangeManager,
                Role::TenantAdmin
            ]
        );
        assert!(!Role::Requester.allows(Permission::ViewCmdb));
        assert!(Role::ContactPoint.allows(Permission::ViewCmdb));
    }

    #[test]
    fn releases_are_managed_by_change_managers_and_read_by_the_desk() {
        let holders = |p: Permission| -> Vec<Role> {
            Role::ALL.into_iter().filter(|r| r.allows(p)).collect()
        };
        assert_eq!(
            holders(Permission::ManageReleases),
            vec![Role::ChangeManager, Role::TenantAdmin]
        );
        assert_eq!(
            holders(Permission::ViewReleases),
            vec![
                Role::Agent,
                Role::Supervisor,
                Role::ChangeManager,
                Role::CabMember,
                Role::TenantAdmin
            ]
        );
        assert_eq!(
            holders(Permission::RequestDataRefresh),
            vec![
                Role::Agent,
                Role::Supervisor,
                Role::ChangeManager,
                Role::TenantAdmin
            ]
        );
    }

    #[test]
    fn audit_is_for_supervisors_change_managers_and_admins() {
        let readers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::ViewAudit))
            .collect();
        assert_eq!(
            readers,
            vec![Role::Supervisor, Role::ChangeManager, Role::TenantAdmin]
        );
    }
}
