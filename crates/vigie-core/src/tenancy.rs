//! Tenants, the entity tree and who may see what.
//!
//! Entities form a tree inside a tenant. Each entity stores its
//! materialised path (`/1/4/9/`), so "this entity and everything below it" is
//! a prefix test, in Rust and in SQL alike. A user holds [`Grant`]s: a role on
//! an entity, optionally recursive. From those grants an [`Actor`] derives,
//! per permission, the [`Scope`] the storage layer applies to every query.

use crate::ids::{EntityId, TenantId, UserId};
use crate::role::{Permission, Role};
use serde::{Deserialize, Serialize};

/// The materialised path of an entity: its ancestors' ids and its own,
/// slash-separated and slash-terminated, e.g. `/1/4/9/`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntityPath(String);

impl EntityPath {
    /// The path of a root entity.
    pub fn root(id: EntityId) -> Self {
        EntityPath(format!("/{}/", id.0))
    }

    /// The path of a child of this entity.
    pub fn child(&self, id: EntityId) -> Self {
        EntityPath(format!("{}{}/", self.0, id.0))
    }

    /// Rebuilds a path read from storage; `None` if it is not well formed.
    pub fn parse(s: &str) -> Option<Self> {
        let inner = s.strip_prefix('/')?.strip_suffix('/')?;
        let ok = !inner.is_empty()
            && inner
                .split('/')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
        ok.then(|| EntityPath(s.to_owned()))
    }

    /// The text form, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ids from the root down to this entity.
    pub fn ids(&self) -> Vec<EntityId> {
        self.0
            .split('/')
            .filter_map(|p| p.parse().ok())
            .map(EntityId)
            .collect()
    }

    /// Depth in the tree: 0 for a root.
    pub fn depth(&self) -> usize {
        self.ids().len().saturating_sub(1)
    }

    /// Whether `self` is `other` or one of its descendants.
    pub fn is_within(&self, other: &EntityPath) -> bool {
        self.0.starts_with(&other.0)
    }
}

/// A role held by a user on an entity, and whether it reaches the subtree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The entity the role is held on.
    pub entity: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// The role.
    pub role: Role,
    /// Whether the role also applies to every entity below.
    pub recursive: bool,
}

impl Grant {
    /// Whether this grant covers the entity at `path`.
    pub fn covers(&self, path: &EntityPath) -> bool {
        if self.recursive {
            path.is_within(&self.entity_path)
        } else {
            path == &self.entity_path
        }
    }
}

/// Who is acting: a user of a tenant with his grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user.
    pub user: UserId,
    /// His login, as shown in the audit log.
    pub login: String,
    /// His tenant.
    pub tenant: TenantId,
    /// Platform administrators manage tenants and act in every tenant.
    pub platform_admin: bool,
    /// His roles.
    pub grants: Vec<Grant>,
}

impl Actor {
    /// Vigie itself, or an operator at the command line: every permission,
    /// audited as the system.
    pub fn system() -> Actor {
        Actor {
            user: UserId::SYSTEM,
            login: "system".to_owned(),
            tenant: TenantId(0),
            platform_admin: true,
            grants: Vec::new(),
        }
    }

    /// Whether the actor holds `permission` on the entity at `path` of `tenant`.
    pub fn can(&self, permission: Permission, tenant: TenantId, path: &EntityPath) -> bool {
        if self.platform_admin {
            return true;
        }
        tenant == self.tenant
            && self
                .grants
                .iter()
                .any(|g| g.role.allows(permission) && g.covers(path))
    }

    /// Whether the actor holds `permission` somewhere in his tenant.
    pub fn can_anywhere(&self, permission: Permission) -> bool {
        self.platform_admin || self.grants.iter().any(|g| g.role.allows(permission))
    }

    /// The records the actor may reach with `permission`.
    pub fn scope(&self, permission: Permission) -> Scope {
        if self.platform_admin {
            return Scope::Platform;
        }
        let mut rules: Vec<ScopeRule> = self
            .grants
            .iter()
            .filter(|g| g.role.allows(permission))
            .map(|g| {
                if g.recursive {
                    ScopeRule::Subtree(g.entity_path.clone())
                } else {
                    ScopeRule::Exactly(g.entity_path.clone())
                }
            })
            .collect();
        rules.sort_by_key(ScopeRule::sort_key);
        rules.dedup();
        Scope::Tenant {
            tenant: self.tenant,
            rules,
        }
    }

    /// Every entity the actor holds any role on (with subtrees where
    /// recursive): what the entity switcher offers.
    pub fn reach(&self) -> Scope {
        if self.platform_admin {
            return Scope::Platform;
        }
        let mut rules: Vec<ScopeRule> = self
            .grants
            .iter()
            .map(|g| {
                if g.recursive {
                    ScopeRule::Subtree(g.entity_path.clone())
                } else {
                    ScopeRule::Exactly(g.entity_path.clone())
                }
            })
            .collect();
        rules.sort_by_key(ScopeRule::sort_key);
        rules.dedup();
        Scope::Tenant {
            tenant: self.tenant,
            rules,
        }
    }

    /// The roles the actor holds anywhere, without repetition.
    pub fn roles(&self) -> Vec<Role> {
        let mut roles: Vec<Role> = self.grants.iter().map(|g| g.role).collect();
        roles.sort();
        roles.dedup();
        roles
    }
}

/// One part of a tenant scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeRule {
    /// This entity only (given by its path).
    Exactly(EntityPath),
    /// This entity and all its descendants.
    Subtree(EntityPath),
}

impl ScopeRule {
    fn sort_key(&self) -> (u8, String) {
        match self {
            ScopeRule::Exactly(p) => (0, p.as_str().to_owned()),
            ScopeRule::Subtree(p) => (1, p.as_str().to_owned()),
        }
    }

    /// Whether the entity at `path` is inside this rule.
    pub fn covers(&self, path: &EntityPath) -> bool {
        match self {
            ScopeRule::Exactly(p) => path == p,
            ScopeRule::Subtree(p) => path.is_within(p),
        }
    }
}

/// The set of entities a query may touch. The storage layer turns it into a
/// `WHERE` clause on every query, so no handler can forget it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every tenant: platform administrators only.
    Platform,
    /// Entities of one tenant that match any rule (none: nothing at all).
    Tenant {
        /// The tenant.
        tenant: TenantId,
        /// The entities reachable.
        rules: Vec<ScopeRule>,
    },
}

impl Scope {
    /// Whether the entity at `path` of `tenant` is inside the scope.
    pub fn covers(&self, tenant: TenantId, path: &EntityPath) -> bool {
        match self {
            Scope::Platform => true,
            Scope::Tenant { tenant: t, rules } => {
                *t == tenant && rules.iter().any(|r| r.covers(path))
            }
        }
    }

    /// Narrows the scope to the subtree of a chosen entity (the entity
    /// switcher of the UI). The result never reaches beyond the original.
    pub fn narrowed_to(&self, tenant: TenantId, path: &EntityPath) -> Scope {
        let keep_rule = |r: &ScopeRule| -> Option<ScopeRule> {
            match r {
                ScopeRule::Exactly(p) => p.is_within(path).then(|| r.clone()),
                ScopeRule::Subtree(p) if path.is_within(p) => {
                    Some(ScopeRule::Subtree(path.clone()))
                }
                ScopeRule::Subtree(p) => p.is_within(path).then(|| r.clone()),
            }
        };
        match self {
            Scope::Platform => Scope::Tenant {
                tenant,
                rules: vec![ScopeRule::Subtree(path.clone())],
            },
            Scope::Tenant { tenant: t, rules } if *t == tenant => Scope::Tenant {
                tenant,
                rules: rules.iter().filter_map(keep_rule).collect(),
            },
            Scope::Tenant { tenant: t, .. } => Scope::Tenant {
                tenant: *t,
                rules: Vec::new(),
            },
        }
    }

    /// The tenant this scope is limited to, if any.
    pub fn tenant(&self) -> Option<TenantId> {
        match self {
            Scope::Platform => None,
            Scope::Tenant { tenant, .. } => Some(*tenant),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> EntityPath {
        EntityPath::parse(s).expect("valid path")
    }

    fn actor(grants: Vec<Grant>) -> Actor {
        Actor {
            user: UserId(1),
            login: "u".to_owned(),
            tenant: TenantId(1),
            platform_admin: false,
            grants,
        }
    }

    fn grant(p: &str, role: Role, recursive: bool) -> Grant {
        let entity_path = path(p);
        Grant {
            entity: *entity_path.ids().last().expect("id"),
            entity_path,
            role,
            recursive,
        }
    }

    #[test]
    fn paths_parse_only_when_well_formed() {
        for good in ["/1/", "/1/22/333/"] {
            assert!(EntityPath::parse(good).is_some(), "{good}");
        }
        for bad in ["", "/", "1/", "/1", "//", "/1//2/", "/a/", "/1/%/"] {
            assert!(EntityPath::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(path("/1/4/9/").depth(), 2);
        assert_eq!(
            EntityPath::root(EntityId(3)).child(EntityId(7)),
            path("/3/7/")
        );
    }

    #[test]
    fn prefix_does_not_confuse_sibling_ids() {
        // /1/4/ must not contain /1/42/.
        assert!(!path("/1/42/").is_within(&path("/1/4/")));
        assert!(path("/1/4/2/").is_within(&path("/1/4/")));
    }

    #[test]
    fn recursive_grant_reaches_the_subtree_only() {
        let manager = actor(vec![grant("/1/", Role::Supervisor, true)]);
        let regional = actor(vec![grant("/1/2/", Role::Agent, false)]);
        let nord = path("/1/2/");
        let nord_site = path("/1/2/5/");
        let sud = path("/1/3/");
        let p = Permission::ViewDirectory;
        assert!(manager.can(p, TenantId(1), &nord_site));
        assert!(manager.can(p, TenantId(1), &sud));
        assert!(regional.can(p, TenantId(1), &nord));
        assert!(!regional.can(p, TenantId(1), &nord_site));
        assert!(!regional.can(p, TenantId(1), &sud));
        assert!(!manager.can(p, TenantId(2), &nord));
    }

    #[test]
    fn role_without_the_permission_grants_nothing() {
        let agent = actor(vec![grant("/1/", Role::Agent, true)]);
        assert!(!agent.can(Permission::ManageDirectory, TenantId(1), &path("/1/")));
        assert_eq!(
            agent.scope(Permission::ManageDirectory),
            Scope::Tenant {
                tenant: TenantId(1),
                rules: vec![]
            }
        );
    }

    #[test]
    fn narrowing_never_widens() {
        let regional = actor(vec![grant("/1/2/", Role::Supervisor, true)]);
        let scope = regional.scope(Permission::ViewDirectory);
        // Narrowing to a region outside the grant yields nothing.
        let other = scope.narrowed_to(TenantId(1), &path("/1/3/"));
        assert!(!other.covers(TenantId(1), &path("/1/3/")));
        // Narrowing to the root keeps only the region.
        let root = scope.narrowed_to(TenantId(1), &path("/1/"));
        assert!(root.covers(TenantId(1), &path("/1/2/5/")));
        assert!(!root.covers(TenantId(1), &path("/1/3/")));
        // Narrowing to a site keeps the site's subtree only.
        let site = scope.narrowed_to(TenantId(1), &path("/1/2/5/"));
        assert!(site.covers(TenantId(1), &path("/1/2/5/")));
        assert!(!site.covers(TenantId(1), &path("/1/2/6/")));
        // Another tenant never appears.
        assert!(
            !scope
                .narrowed_to(TenantId(2), &path("/9/"))
                .covers(TenantId(2), &path("/9/"))
        );
    }
}
