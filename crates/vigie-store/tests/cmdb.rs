//! The CMDB storage story, on SQLite always and on PostgreSQL when
//! `VIGIE_TEST_POSTGRES_URL` is set: items scoped by entity, unique
//! identifiers, relations under the core's rules, history, import applied
//! all at once and idempotent, and the graph loaded for impact analysis.

use std::collections::BTreeMap;
use vigie_core::Timestamp;
use vigie_core::cmdb::impact::ImpactState;
use vigie_core::cmdb::reconcile::{CiDraft, LineAction, RelationDraft, plan};
use vigie_core::cmdb::{CiStatus, CiType, Criticality, Identifier, RelationType};
use vigie_core::ids::CiId;
use vigie_core::tenancy::{Actor, Scope};
use vigie_store::{
    AuditFilter, CiChanges, CiFilter, NewCi, NewEntity, NewRelation, NewTenant, PageRequest, Store,
    StoreError, testing,
};

fn at(mins: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + mins * 60).expect("valid time")
}

fn ci(ci_type: CiType, name: &str, ids: &[&str]) -> NewCi {
    NewCi {
        ci_type,
        name: name.into(),
        status: CiStatus::InService,
        criticality: Criticality::High,
        owner_group_id: None,
        attributes: BTreeMap::new(),
        identifiers: ids
            .iter()
            .map(|s| Identifier::parse(s).expect("identifier"))
            .collect(),
    }
}

fn relation(from: CiId, relation: RelationType, to: CiId) -> NewRelation {
    NewRelation {
        from,
        to,
        relation,
        redundancy: None,
    }
}

async fn story(store: Store) {
    let system = Actor::system();
    let all = Scope::Platform;
    let t = store
        .create_tenant(
            &system,
            at(0),
            &NewTenant {
                slug: "acme".into(),
                name: "Acme".into(),
                kind: "customer".into(),
            },
        )
        .await
        .expect("tenant");
    let root = t.root_entity_id.expect("root");
    let mk = |name: &str| NewEntity {
        parent_id: root,
        name: name.into(),
        kind: "region".into(),
    };
    let nord = store
        .create_entity(&system, &all, at(0), &mk("Nord"))
        .await
        .expect("nord");
    let sud = store
        .create_entity(&system, &all, at(0), &mk("Sud"))
        .await
        .expect("sud");

    let room = store
        .create_ci(&system, &nord, at(1), &ci(CiType::Room, "Salle 1", &[]))
        .await
        .expect("room");
    let rack = store
        .create_ci(&system, &nord, at(1), &ci(CiType::Rack, "Baie A", &[]))
        .await
        .expect("rack");
    let feed = store
        .create_ci(&system, &nord, at(1), &ci(CiType::PowerFeed, "Feed A", &[]))
        .await
        .expect("feed");
    let srv = store
        .create_ci(
            &system,
            &nord,
            at(1),
            &ci(
                CiType::Server,
                "srv-erp-01",
                &["hostname:SRV-ERP-01", "serial:cz100"],
            ),
        )
        .await
        .expect("server");
    assert_eq!(srv.identifiers.len(), 2);
    let hidden = store
        .create_ci(
            &system,
            &sud,
            at(1),
            &ci(CiType::Server, "srv-sud", &["serial:SUD1"]),
        )
        .await
        .expect("sud");

    // Identifiers are unique per tenant and kind, after normalisation.
    let dup = store
        .create_ci(
            &system,
            &nord,
            at(2),
            &ci(CiType::Server, "srv-copy", &["serial:CZ100"]),
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict { .. })), "{dup:?}");

    // Reads follow the entity scope.
    let nord_scope = Scope::Tenant {
        tenant: t.id,
        rules: vec![vigie_core::tenancy::ScopeRule::Subtree(nord.path.clone())],
    };
    let page = store
        .list_cis(&nord_scope, &CiFilter::default(), PageRequest::first(50))
        .await
        .expect("list");
    assert_eq!(page.items.len(), 4);
    assert!(matches!(
        store.get_ci(&nord_scope, hidden.id).await,
        Err(StoreError::NotFound)
    ));
    let found = store
        .list_cis(
            &nord_scope,
            &CiFilter {
                q: Some("srv-erp-01".into()),
                ..Default::default()
            },
            PageRequest::first(50),
        )
        .await
        .expect("search");
    assert_eq!(found.items.len(), 1);
    let page = store
        .list_cis(
            &all,
            &CiFilter {
                ci_type: Some(CiType::Server),
                ..Default::default()
            },
            PageRequest::first(1),
        )
        .await
        .expect("page");
    assert_eq!(page.items.len(), 1);
    assert!(page.next_after.is_some());
    let by_ref = store
        .find_cis_by_ref(&all, "srv-erp-01")
        .await
        .expect("ref");
    assert_eq!(by_ref.len(), 1);

    // Relations under the core's rules.
    store
        .add_ci_relation(
            &system,
            &all,
            at(3),
            &relation(rack.id, RelationType::LocatedIn, room.id),
        )
        .await
        .expect("rack in room");
    store
        .add_ci_relation(
            &system,
            &all,
            at(3),
            &relation(srv.id, RelationType::LocatedIn, rack.id),
        )
        .await
        .expect("srv in rack");
    store
        .add_ci_relation(
            &system,
            &all,
            at(3),
            &relation(srv.id, RelationType::PoweredBy, feed.id),
        )
        .await
        .expect("powered");
    let bad = store
        .add_ci_relation(
            &system,
            &all,
            at(3),
            &relation(room.id, RelationType::LocatedIn, rack.id),
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
    let twice = store
        .add_ci_relation(
            &system,
            &all,
            at(3),
            &relation(srv.id, RelationType::PoweredBy, feed.id),
        )
        .await;
    assert!(
        matches!(twice, Err(StoreError::Conflict { .. })),
        "{twice:?}"
    );
    let across = store
        .add_ci_relation(
            &system,
            &nord_scope,
            at(3),
            &relation(hidden.id, RelationType::PoweredBy, feed.id),
        )
        .await;
    assert!(matches!(across, Err(StoreError::NotFound)));
    let rels = store
        .list_ci_relations(&all, srv.id)
        .await
        .expect("relations");
    assert_eq!(rels.len(), 2);
    assert_eq!(rels[0].from_id, srv.id);

    // Changes write history.
    let changed = store
        .update_ci(
            &system,
            &all,
            at(4),
            srv.id,
            &CiChanges {
                status: Some(CiStatus::UnderMaintenance),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(changed.status, CiStatus::UnderMaintenance);
    let history = store
        .list_audit(
            &all,
            &AuditFilter {
                record_type: Some("ci".into()),
                record_id: Some(srv.id.0),
                ..Default::default()
            },
            PageRequest::first(50),
        )
        .await
        .expect("history");
    assert_eq!(history.items.len(), 2);
    assert_eq!(history.items[1].changes[0].field, "status");

    // The graph and the impact of the lost room.
    let graph = store.load_cmdb_graph(t.id).await.expect("graph");
    assert_eq!(graph.types.len(), 5);
    let impact = graph
        .impact_graph()
        .impact(&[graph.index_of(room.id).expect("room")]);
    assert_eq!(
        impact.state(graph.index_of(srv.id).expect("srv")),
        ImpactState::Down
    );

    // The cached graph: the same until the CMDB changes, then reloaded.
    let cached = store.cmdb_graph(t.id).await.expect("cached graph");
    assert_eq!(cached.graph.types.len(), 5);
    let again = store.cmdb_graph(t.id).await.expect("cached graph");
    assert!(
        std::sync::Arc::ptr_eq(&cached, &again),
        "served from memory"
    );
    let before = store.cmdb_revision(t.id).await.expect("revision");
    assert_eq!(before, cached.revision);
    let extra = store
        .create_ci(&system, &nord, at(4), &ci(CiType::Server, "srv-extra", &[]))
        .await
        .expect("extra");
    assert_eq!(
        store.cmdb_revision(t.id).await.expect("revision"),
        before + 1
    );
    let reloaded = store.cmdb_graph(t.id).await.expect("reloaded graph");
    assert!(!std::sync::Arc::ptr_eq(&cached, &reloaded), "reloaded");
    assert!(reloaded.graph.index_of(extra.id).is_some());
    store
        .add_ci_relation(
            &system,
            &all,
            at(4),
            &relation(extra.id, RelationType::LocatedIn, rack.id),
        )
        .await
        .expect("relation");
    let with_link = store.cmdb_graph(t.id).await.expect("graph");
    let lost_rack = with_link
        .impact
        .impact(&[with_link.graph.index_of(rack.id).expect("rack")]);
    assert_eq!(
        lost_rack.state(with_link.graph.index_of(extra.id).expect("extra")),
        ImpactState::Down,
        "the new relation is in the reloaded graph"
    );
    store
        .update_ci(
            &system,
            &all,
            at(4),
            extra.id,
            &CiChanges {
                status: Some(CiStatus::Retired),
                ..Default::default()
            },
        )
        .await
        .expect("retire");
    let without = store.cmdb_graph(t.id).await.expect("graph");
    assert!(
        without.graph.index_of(extra.id).is_none(),
        "retired items leave"
    );

    // Import: plan against what is known, apply, then again: nothing to do.
    let draft = |t: CiType, name: &str, ids: &[&str]| CiDraft {
        ci_type: t,
        name: name.into(),
        status: None,
        criticality: None,
        identifiers: ids
            .iter()
            .map(|s| Identifier::parse(s).expect("id"))
            .collect(),
        attributes: [("source".to_owned(), "inventaire".to_owned())].into(),
    };
    let items = vec![
        (2, draft(CiType::Rack, "Baie B", &[])),
        (
            3,
            draft(CiType::Server, "SRVERP01", &["serial:CZ100", "ip:10.0.0.5"]),
        ),
        (4, draft(CiType::Server, "srv-new", &["hostname:srv-new"])),
    ];
    let relations = vec![
        (
            5,
            RelationDraft {
                from: "Baie B".into(),
                to: "Salle 1".into(),
                relation: RelationType::LocatedIn,
                redundancy: None,
            },
        ),
        (
            6,
            RelationDraft {
                from: "srv-new".into(),
                to: "Baie B".into(),
                relation: RelationType::LocatedIn,
                redundancy: None,
            },
        ),
    ];
    let known = store.known_cmdb(t.id, &nord_scope).await.expect("known");
    let p = plan(&known.items, &known.relations, &items, &relations);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.items[1].action, LineAction::Merge);
    let outcome = store
        .apply_cmdb_import(&system, &nord, at(5), &known, &p, &|_| {})
        .await
        .expect("import");
    assert_eq!(
        (outcome.created, outcome.merged, outcome.relations),
        (2, 1, 2)
    );
    let merged = store.get_ci(&all, srv.id).await.expect("merged");
    assert_eq!(merged.attributes["source"], "inventaire");
    assert_eq!(merged.identifiers.len(), 3);
    let known = store.known_cmdb(t.id, &nord_scope).await.expect("known");
    let again = plan(&known.items, &known.relations, &items, &relations);
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!(again.count(LineAction::Unchanged), 5, "{:#?}", again.items);

    // A plan with errors writes nothing.
    let bad = plan(
        &known.items,
        &known.relations,
        &[(2, draft(CiType::Rack, "srv-sud", &[]))],
        &[],
    );
    assert_eq!(bad.errors.len(), 1);
    assert!(
        store
            .apply_cmdb_import(&system, &nord, at(6), &known, &bad, &|_| {})
            .await
            .is_err()
    );
}

#[tokio::test]
async fn cmdb_on_sqlite() {
    story(testing::sqlite().await.expect("sqlite")).await;
}

#[tokio::test]
async fn cmdb_on_postgres() {
    if let Some(store) = testing::postgres().await.expect("postgres") {
        story(store).await;
    }
}
