//! The demo organisation: three tenants (a customer group with regions and
//! sites, a hosting provider, a university consortium), their support
//! groups, and one account per role. The content is in [`content`].
//!
//! Loading is idempotent: every record is looked up first and created only
//! when missing, so `vigie demo` can run at every start.

mod changes;
mod cmdb;
mod content;
mod sla;
mod tickets;

pub use tickets::generate as generate_tickets;

use anyhow::Context;
use content::{ENTITIES, GROUPS, GroupPlan, ROOT, TENANTS, TenantPlan, USERS, UserPlan};
use std::collections::HashMap;
use vigie_core::Timestamp;
use vigie_core::ids::{EntityId, TenantId, UserId};
use vigie_core::tenancy::{Actor, Scope};
use vigie_store::{NewEntity, NewGrant, NewGroup, NewTenant, NewUser, Store};

/// One demo account, for the table `vigie demo` prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoAccount {
    /// The login.
    pub login: String,
    /// Its password.
    pub password: String,
    /// The tenant's slug.
    pub tenant: String,
    /// Its roles in words, e.g. `agent on Nord and below`.
    pub roles: String,
}

/// What [`load_demo`] did and the accounts to log in with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// How many records this run created (0 when the demo was loaded).
    pub created: usize,
    /// Every demo account.
    pub accounts: Vec<DemoAccount>,
}

/// Loads the demo organisation into `store`, creating only what is missing.
pub async fn load_demo(store: &Store, now: Timestamp) -> anyhow::Result<DemoSummary> {
    let mut loader = Loader {
        store,
        now,
        actor: Actor::system(),
        created: 0,
        tenants: HashMap::new(),
        entities: HashMap::new(),
        users: HashMap::new(),
        hashes: HashMap::new(),
    };
    for plan in TENANTS {
        loader.tenant(plan).await?;
    }
    for &(tenant, parent, name, kind) in ENTITIES {
        loader.entity(tenant, parent, name, kind).await?;
    }
    for plan in USERS {
        loader.user(plan).await?;
    }
    for plan in GROUPS {
        loader.group(plan).await?;
    }
    // Service levels before the tickets, so that the tickets run clocks.
    let levels = sla::load(store, now).await?;
    let tickets = tickets::load(store, now).await?;
    let estate = cmdb::load(store, now).await?;
    let changes = changes::load(store, now).await?;
    Ok(DemoSummary {
        created: loader.created + levels + tickets + estate + changes,
        accounts: USERS.iter().map(account).collect(),
    })
}

fn account(plan: &UserPlan) -> DemoAccount {
    let reach = if plan.recursive { " and below" } else { "" };
    let role = format!(
        "{} on {}{reach}",
        plan.role,
        content::entity_name(plan.tenant, plan.entity)
    );
    let roles = if plan.platform_admin {
        format!("platform admin; {role}")
    } else {
        role
    };
    DemoAccount {
        login: plan.login.to_owned(),
        password: plan.password().to_owned(),
        tenant: plan.tenant.to_owned(),
        roles,
    }
}

/// The state of one loading run: the ids found or created so far, by the
/// names the plan uses.
struct Loader<'a> {
    store: &'a Store,
    now: Timestamp,
    actor: Actor,
    created: usize,
    tenants: HashMap<&'static str, TenantId>,
    entities: HashMap<(&'static str, &'static str), EntityId>,
    users: HashMap<&'static str, UserId>,
    /// Argon2 is slow on purpose: each password is hashed once per run.
    hashes: HashMap<&'static str, String>,
}

impl Loader<'_> {
    async fn tenant(&mut self, plan: &'static TenantPlan) -> anyhow::Result<()> {
        let slug = plan.slug;
        let tenant = match self.store.find_tenant_by_slug(slug).await? {
            Some(t) => t,
            None => {
                self.created += 1;
                let new = NewTenant {
                    slug: slug.to_owned(),
                    name: plan.name.to_owned(),
                    kind: plan.kind.to_owned(),
                };
                self.store
                    .create_tenant(&self.actor, self.now, &new)
                    .await
                    .with_context(|| format!("creating tenant {slug}"))?
            }
        };
        let root = tenant
            .root_entity_id
            .with_context(|| format!("tenant {slug} has no root entity"))?;
        self.tenants.insert(slug, tenant.id);
        self.entities.insert((slug, ROOT), root);
        Ok(())
    }

    fn tenant_id(&self, slug: &str) -> anyhow::Result<TenantId> {
        self.tenants
            .get(slug)
            .copied()
            .with_context(|| format!("demo tenant {slug} is not loaded"))
    }

    fn entity_id(&self, tenant: &'static str, name: &'static str) -> anyhow::Result<EntityId> {
        self.entities
            .get(&(tenant, name))
            .copied()
            .with_context(|| format!("demo entity {name} of {tenant} is not loaded"))
    }

    fn user_id(&self, login: &str) -> anyhow::Result<UserId> {
        self.users
            .get(login)
            .copied()
            .with_context(|| format!("demo user {login} is not loaded"))
    }

    async fn entity(
        &mut self,
        tenant: &'static str,
        parent: &'static str,
        name: &'static str,
        kind: &str,
    ) -> anyhow::Result<()> {
        let tenant_id = self.tenant_id(tenant)?;
        let parent_id = self.entity_id(tenant, parent)?;
        let found = self
            .store
            .find_entity(tenant_id, Some(parent_id), name)
            .await?;
        let id = match found {
            Some(e) => e.id,
            None => {
                self.created += 1;
                let new = NewEntity {
                    parent_id,
                    name: name.to_owned(),
                    kind: kind.to_owned(),
                };
                self.store
                    .create_entity(&self.actor, &Scope::Platform, self.now, &new)
                    .await
                    .with_context(|| format!("creating entity {name}"))?
                    .id
            }
        };
        self.entities.insert((tenant, name), id);
        Ok(())
    }

    async fn password_hash(&mut self, password: &'static str) -> anyhow::Result<String> {
        if let Some(h) = self.hashes.get(password) {
            return Ok(h.clone());
        }
        let hash = tokio::task::spawn_blocking(move || vigie_server::auth::hash_password(password))
            .await
            .context("password hashing task failed")??;
        self.hashes.insert(password, hash.clone());
        Ok(hash)
    }

    async fn user(&mut self, plan: &UserPlan) -> anyhow::Result<()> {
        let manage = Scope::Platform;
        let entity_id = self.entity_id(plan.tenant, plan.entity)?;
        let id = match self.store.find_user_by_login(plan.login).await? {
            Some((u, _)) => u.id,
            None => {
                self.created += 1;
                let new = NewUser {
                    entity_id,
                    login: plan.login.to_owned(),
                    display_name: plan.display_name.to_owned(),
                    email: Some(format!("{}@{}", plan.login, content::mail_domain(plan))),
                    locale: Some(plan.locale.to_owned()),
                    password_hash: Some(self.password_hash(plan.password()).await?),
                    platform_admin: plan.platform_admin,
                };
                self.store
                    .create_user(&self.actor, &manage, self.now, &new)
                    .await
                    .with_context(|| format!("creating user {}", plan.login))?
                    .id
            }
        };
        self.users.insert(plan.login, id);
        let held = self.store.list_grants(&manage, id).await?;
        if !held
            .iter()
            .any(|g| g.role == plan.role && g.entity_id == entity_id)
        {
            self.created += 1;
            let new = NewGrant {
                entity_id,
                role: plan.role,
                recursive: plan.recursive,
            };
            self.store
                .create_grant(&self.actor, &manage, self.now, id, &new)
                .await
                .with_context(|| format!("granting {} to {}", plan.role, plan.login))?;
        }
        Ok(())
    }

    async fn group(&mut self, plan: &GroupPlan) -> anyhow::Result<()> {
        let manage = Scope::Platform;
        let tenant_id = self.tenant_id(plan.tenant)?;
        let group = match self.store.find_group(tenant_id, plan.name).await? {
            Some(g) => g,
            None => {
                self.created += 1;
                let domain = content::tenant(plan.tenant).map_or("example", |t| t.mail_domain);
                let new = NewGroup {
                    entity_id: self.entity_id(plan.tenant, plan.entity)?,
                    name: plan.name.to_owned(),
                    level: plan.level,
                    manager_id: Some(self.user_id(plan.manager)?),
                    email: Some(format!("{}@{domain}", plan.mailbox)),
                    description: plan.description.to_owned(),
                };
                self.store
                    .create_group(&self.actor, &manage, self.now, &new)
                    .await
                    .with_context(|| format!("creating group {}", plan.name))?
            }
        };
        let members = self.store.list_group_members(&manage, group.id).await?;
        for login in plan.members {
            let user = self.user_id(login)?;
            if members.iter().any(|m| m.id == user) {
                continue;
            }
            self.created += 1;
            self.store
                .set_group_member(&self.actor, &manage, self.now, group.id, user, true)
                .await
                .with_context(|| format!("adding {login} to {}", plan.name))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::content::{ADMIN_PASSWORD, DEMO_PASSWORD};
    use super::*;
    use vigie_core::role::Permission;
    use vigie_store::PageRequest;

    /// Tenants, entities, users and groups in the store.
    async fn counts(store: &Store) -> (usize, usize, usize, usize) {
        let all = PageRequest::first(500);
        let p = Scope::Platform;
        let tenants = store
            .list_tenants(&p, all)
            .await
            .expect("tenants")
            .items
            .len();
        let entities = store
            .list_entities(&p, None, all)
            .await
            .expect("entities")
            .items
            .len();
        let users = store
            .list_users(&p, &Default::default(), all)
            .await
            .expect("users")
            .items
            .len();
        let groups = store
            .list_groups(&p, None, all)
            .await
            .expect("groups")
            .items
            .len();
        (tenants, entities, users, groups)
    }

    async fn check_demo(store: Store) {
        let now = Timestamp::from_second(1_767_225_600).expect("time");
        let first = load_demo(&store, now).await.expect("first load");
        assert!(first.created > 0);
        let before = counts(&store).await;
        assert_eq!(before, (3, 13, USERS.len(), GROUPS.len()));
        let second = load_demo(&store, now).await.expect("second load");
        assert_eq!(second.created, 0);
        assert_eq!(counts(&store).await, before);
        assert_eq!(first.accounts, second.accounts);
        // Service levels: loaded once, before the tickets (which run clocks).
        let cachemire = store
            .find_tenant_by_slug("cachemire")
            .await
            .expect("read")
            .expect("cachemire");
        let targets = store.list_targets(cachemire.id).await.expect("targets");
        assert_eq!(targets.len(), 10);
        // Change management: four changes, one scheduled with its window.
        let changes = store
            .list_changes(
                &Scope::Platform,
                &vigie_store::ChangeFilter::default(),
                vigie_store::PageRequest::first(50),
            )
            .await
            .expect("changes");
        let statuses: Vec<&str> = changes.items.iter().map(|c| c.status.as_str()).collect();
        assert_eq!(statuses, vec!["scheduled", "assessed", "approved", "draft"]);
        assert!(changes.items[0].planned_start.is_some());
        assert!(
            store
                .change_board(cachemire.id, vigie_core::change::approval::BoardKind::Cab)
                .await
                .expect("board")
                .is_some_and(|b| b.members.len() == 3)
        );
        assert_eq!(
            store
                .list_calendars(cachemire.id)
                .await
                .expect("calendars")
                .len(),
            2
        );
        assert_eq!(
            store
                .list_service_levels(cachemire.id)
                .await
                .expect("services")
                .len(),
            2
        );

        let (nord, _) = store
            .find_user_by_login("agent.nord")
            .await
            .expect("find")
            .expect("agent.nord exists");
        let actor = store
            .load_actor(nord.id)
            .await
            .expect("load")
            .expect("active");
        let scope = actor.scope(Permission::ViewDirectory);
        let visible: Vec<String> = store
            .list_entities(&scope, None, PageRequest::first(500))
            .await
            .expect("entities")
            .items
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(visible, ["Nord", "Lille"]);

        let n1 = store
            .find_group(actor.tenant, "Centre de services N1")
            .await
            .expect("find")
            .expect("group exists");
        assert_eq!(n1.member_count, 2);
        let (manager, _) = store
            .find_user_by_login("manager.groupe")
            .await
            .expect("find")
            .expect("manager exists");
        assert_eq!(n1.manager_id, Some(manager.id));

        // The demo tickets: the agent of Nord sees Lille's, with their history.
        let access = vigie_core::ticket::TicketAccess::of(&actor);
        let tickets = store
            .list_tickets(&access, &Default::default(), PageRequest::first(50))
            .await
            .expect("tickets");
        let titles: Vec<&str> = tickets.items.iter().map(|t| t.title.as_str()).collect();
        assert!(titles.iter().any(|t| t.contains("VPN")), "{titles:?}");
        assert!(
            !titles.iter().any(|t| t.contains("Marseille")),
            "{titles:?}"
        );
        let solved = tickets
            .items
            .iter()
            .find(|t| t.title.contains("Imprimante"))
            .expect("the printer ticket");
        assert_eq!(solved.status, vigie_core::ticket::Status::Resolved);
        let history = store.ticket_history(solved).await.expect("history");
        assert_eq!(history.len(), 4, "opened, assigned, started, resolved");

        // The generator adds tickets in batches, numbered after the others.
        let done = generate_tickets(&store, now, "cachemire", 1200, |_| {})
            .await
            .expect("generate");
        assert_eq!(done, 1200);
        let all = store
            .list_tickets(
                &vigie_core::ticket::TicketAccess::of(&vigie_core::tenancy::Actor::system()),
                &Default::default(),
                PageRequest::first(1),
            )
            .await
            .expect("tickets");
        assert_eq!(all.items[0].number, 1207, "7 demo tickets, then 1200");
    }

    #[tokio::test]
    async fn demo_loads_once_on_sqlite() {
        check_demo(vigie_store::testing::sqlite().await.expect("sqlite")).await;
    }

    #[tokio::test]
    async fn demo_loads_once_on_postgres() {
        if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
            check_demo(store).await;
        }
    }

    #[test]
    fn only_admin_has_the_admin_password() {
        let accounts: Vec<DemoAccount> = USERS.iter().map(account).collect();
        assert_eq!(accounts.len(), 14);
        for a in &accounts {
            let expected = if a.login == "admin" {
                ADMIN_PASSWORD
            } else {
                DEMO_PASSWORD
            };
            assert_eq!(a.password, expected, "{}", a.login);
            assert!(vigie_core::validate::login(&a.login).is_ok(), "{}", a.login);
        }
        assert_eq!(
            accounts[0].roles,
            "platform admin; tenant_admin on Cachemire and below"
        );
    }
}
