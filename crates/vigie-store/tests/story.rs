//! The storage story: one sequence of operations, run on SQLite always and
//! on PostgreSQL when `VIGIE_TEST_POSTGRES_URL` is set.

use vigie_core::Timestamp;
use vigie_core::ids::{EntityId, UserId};
use vigie_core::role::{Permission, Role};
use vigie_core::tenancy::{Actor, Scope};
use vigie_store::{
    AuditFilter, EntityChanges, NewEntity, NewGrant, NewGroup, NewTenant, NewToken, NewUser,
    PageRequest, Store, StoreError, ThrottleKey, UserChanges, UserFilter, testing,
};

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + secs).expect("valid time")
}

async fn tenant(store: &Store, slug: &str) -> (vigie_store::TenantRecord, EntityId) {
    let t = store
        .create_tenant(
            &Actor::system(),
            at(0),
            &NewTenant {
                slug: slug.into(),
                name: format!("Tenant {slug}"),
                kind: "customer".into(),
            },
        )
        .await
        .expect("tenant");
    let root = t.root_entity_id.expect("root entity");
    (t, root)
}

fn new_user(entity: EntityId, login: &str) -> NewUser {
    NewUser {
        entity_id: entity,
        login: login.into(),
        display_name: format!("User {login}"),
        email: None,
        locale: Some("fr".into()),
        password_hash: Some("$argon2id$fake".into()),
        platform_admin: false,
    }
}

async fn story(store: Store) {
    let system = Actor::system();
    let all = Scope::Platform;
    let (acme, root) = tenant(&store, "acme").await;
    let (_other, other_root) = tenant(&store, "other").await;

    // Duplicate slugs are a conflict, in words.
    let dup = store
        .create_tenant(
            &system,
            at(1),
            &NewTenant {
                slug: "acme".into(),
                name: "x".into(),
                kind: "customer".into(),
            },
        )
        .await;
    assert!(
        matches!(dup, Err(StoreError::Conflict { ref what }) if what.contains("slug")),
        "{dup:?}"
    );

    // A tree: root → nord → site.
    let nord = store
        .create_entity(
            &system,
            &all,
            at(2),
            &NewEntity {
                parent_id: root,
                name: "Nord".into(),
                kind: "region".into(),
            },
        )
        .await
        .expect("nord");
    let sud = store
        .create_entity(
            &system,
            &all,
            at(2),
            &NewEntity {
                parent_id: root,
                name: "Sud".into(),
                kind: "region".into(),
            },
        )
        .await
        .expect("sud");
    let lille = store
        .create_entity(
            &system,
            &all,
            at(3),
            &NewEntity {
                parent_id: nord.id,
                name: "Lille".into(),
                kind: "site".into(),
            },
        )
        .await
        .expect("lille");
    assert!(lille.path.is_within(&nord.path));
    let sibling = store
        .create_entity(
            &system,
            &all,
            at(3),
            &NewEntity {
                parent_id: root,
                name: "Nord".into(),
                kind: "region".into(),
            },
        )
        .await;
    assert!(
        matches!(sibling, Err(StoreError::Conflict { .. })),
        "{sibling:?}"
    );

    // A regional supervisor sees his region's subtree only.
    let boss = store
        .create_user(&system, &all, at(4), &new_user(nord.id, "boss"))
        .await
        .expect("user");
    store
        .create_grant(
            &system,
            &all,
            at(4),
            boss.id,
            &NewGrant {
                entity_id: nord.id,
                role: Role::Supervisor,
                recursive: true,
            },
        )
        .await
        .expect("grant");
    let actor = store
        .load_actor(boss.id)
        .await
        .expect("load")
        .expect("active");
    assert_eq!(actor.roles(), vec![Role::Supervisor]);
    let view = actor.scope(Permission::ViewDirectory);
    let seen = store
        .list_entities(&view, None, PageRequest::first(50))
        .await
        .expect("list");
    let ids: Vec<EntityId> = seen.items.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![nord.id, lille.id]);
    assert!(matches!(
        store.get_entity(&view, sud.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_entity(&view, other_root).await,
        Err(StoreError::NotFound)
    ));

    // He cannot manage: his manage scope is empty, so writes find nothing.
    let manage = actor.scope(Permission::ManageDirectory);
    let denied = store
        .create_entity(
            &actor,
            &manage,
            at(5),
            &NewEntity {
                parent_id: nord.id,
                name: "X".into(),
                kind: "site".into(),
            },
        )
        .await;
    assert!(matches!(denied, Err(StoreError::NotFound)), "{denied:?}");

    // Pagination walks every row once.
    for i in 0..7 {
        store
            .create_user(
                &system,
                &all,
                at(6),
                &new_user(lille.id, &format!("agent{i}")),
            )
            .await
            .expect("user");
    }
    let mut after = None;
    let mut logins = Vec::new();
    loop {
        let page = store
            .list_users(
                &view,
                &UserFilter::default(),
                PageRequest { after, limit: 3 },
            )
            .await
            .expect("page");
        logins.extend(page.items.iter().map(|u| u.login.clone()));
        match page.next_after {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(logins.len(), 8);
    // Search treats LIKE metacharacters literally.
    let found = store
        .list_users(
            &view,
            &UserFilter {
                q: Some("AGENT3".into()),
                ..Default::default()
            },
            PageRequest::first(50),
        )
        .await
        .expect("search");
    assert_eq!(found.items.len(), 1);
    let none = store
        .list_users(
            &view,
            &UserFilter {
                q: Some("%".into()),
                ..Default::default()
            },
            PageRequest::first(50),
        )
        .await
        .expect("search");
    assert!(none.items.is_empty());

    // Updates are audited field by field; the password never appears.
    store
        .update_entity(
            &system,
            &all,
            at(7),
            nord.id,
            &EntityChanges {
                name: Some("Nord-Est".into()),
                kind: None,
            },
        )
        .await
        .expect("rename");
    store
        .update_user(
            &system,
            &all,
            at(7),
            boss.id,
            &UserChanges {
                password_hash: Some("$argon2id$new".into()),
                ..Default::default()
            },
        )
        .await
        .expect("password");
    let audit = store
        .list_audit(
            &all,
            &AuditFilter {
                record_type: Some("entity".into()),
                record_id: Some(nord.id.0),
                ..Default::default()
            },
            PageRequest::first(50),
        )
        .await
        .expect("audit");
    let last = audit.items.last().expect("entries");
    assert_eq!(last.action, "update");
    assert_eq!(last.changes.len(), 1);
    assert_eq!(last.changes[0].before.as_deref(), Some("Nord"));
    assert_eq!(last.changes[0].after.as_deref(), Some("Nord-Est"));
    let user_audit = store
        .list_audit(
            &all,
            &AuditFilter {
                record_type: Some("user".into()),
                record_id: Some(boss.id.0),
                ..Default::default()
            },
            PageRequest::first(50),
        )
        .await
        .expect("audit");
    let pw = &user_audit.items.last().expect("entry").changes;
    assert_eq!(pw[0].field, "password");
    assert!(!format!("{pw:?}").contains("argon2"));

    // The supervisor's audit view holds his region only, never the other tenant.
    let audit_scope = actor.scope(Permission::ViewAudit);
    let his = store
        .list_audit(
            &audit_scope,
            &AuditFilter::default(),
            PageRequest::first(500),
        )
        .await
        .expect("audit");
    assert!(!his.items.is_empty());
    assert!(his.items.iter().all(|a| a.tenant_id == Some(acme.id)));
    assert!(
        his.items
            .iter()
            .all(|a| a.record_id != sud.id.0 || a.record_type != "entity")
    );

    // Groups and members.
    let group = store
        .create_group(
            &system,
            &all,
            at(8),
            &NewGroup {
                entity_id: root,
                name: "N1".into(),
                level: 1,
                manager_id: Some(boss.id),
                email: None,
                description: String::new(),
            },
        )
        .await
        .expect("group");
    store
        .set_group_member(&system, &all, at(8), group.id, boss.id, true)
        .await
        .expect("member");
    let again = store
        .set_group_member(&system, &all, at(8), group.id, boss.id, true)
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    assert_eq!(
        store
            .get_group(&all, group.id)
            .await
            .expect("group")
            .member_count,
        1
    );

    // Deleting an entity in use is refused, and leaves everything in place.
    let del = store.delete_entity(&system, &all, at(9), nord.id).await;
    assert!(matches!(del, Err(StoreError::Conflict { .. })), "{del:?}");
    assert!(store.get_entity(&all, nord.id).await.is_ok());

    // Tokens: stored hashed, revocable, revoked ones authenticate nothing.
    let token = store
        .create_token(
            &actor,
            &manage,
            at(10),
            &NewToken {
                user_id: boss.id,
                name: "cli".into(),
                prefix: "vig_abcd".into(),
                secret_hash: "h1".into(),
            },
        )
        .await
        .expect("token");
    assert_eq!(
        store.authenticate_token("h1", at(11)).await.expect("auth"),
        Some(boss.id)
    );
    store
        .revoke_token(&actor, &manage, at(12), token.id)
        .await
        .expect("revoke");
    assert_eq!(
        store.authenticate_token("h1", at(13)).await.expect("auth"),
        None
    );
    // Another user of the tenant without admin rights cannot see it.
    let agent = store
        .find_user_by_login("agent0")
        .await
        .expect("find")
        .expect("agent")
        .0;
    let agent_actor = Actor {
        user: agent.id,
        login: agent.login.clone(),
        tenant: acme.id,
        platform_admin: false,
        grants: vec![],
    };
    let empty = agent_actor.scope(Permission::ManageDirectory);
    assert!(
        store
            .list_tokens(&agent_actor, &empty, None)
            .await
            .expect("tokens")
            .is_empty()
    );

    // Sessions and login throttling data.
    store
        .create_session("s1", boss.id, "csrf", at(20), at(3600))
        .await
        .expect("session");
    assert!(
        store
            .get_session("s1", at(21))
            .await
            .expect("get")
            .is_some()
    );
    assert!(
        store
            .get_session("s1", at(3601))
            .await
            .expect("get")
            .is_none()
    );
    for i in 0..3 {
        store
            .record_login_attempt("boss", "127.0.0.1", at(30 + i), false)
            .await
            .expect("attempt");
    }
    let fails = store
        .recent_login_failures(&ThrottleKey::Login("boss".into()), at(0))
        .await
        .expect("fails");
    assert_eq!(fails.len(), 3);
    store
        .record_login_attempt("boss", "127.0.0.1", at(40), true)
        .await
        .expect("attempt");
    let fails = store
        .recent_login_failures(&ThrottleKey::Login("boss".into()), at(0))
        .await
        .expect("fails");
    assert!(fails.is_empty());
    let by_addr = store
        .recent_login_failures(&ThrottleKey::Address("127.0.0.1".into()), at(0))
        .await
        .expect("fails");
    assert_eq!(by_addr.len(), 3);

    // Disabling a user ends his sessions and his actor.
    store
        .update_user(
            &system,
            &all,
            at(50),
            boss.id,
            &UserChanges {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .expect("disable");
    assert!(
        store
            .get_session("s1", at(51))
            .await
            .expect("get")
            .is_none()
    );
    assert!(store.load_actor(boss.id).await.expect("load").is_none());
    assert!(
        store
            .load_actor(UserId(999_999))
            .await
            .expect("load")
            .is_none()
    );
}

#[tokio::test]
async fn story_on_sqlite() {
    story(testing::sqlite().await.expect("sqlite")).await;
}

#[tokio::test]
async fn story_on_postgres() {
    if let Some(store) = testing::postgres().await.expect("postgres") {
        story(store).await;
    }
}
