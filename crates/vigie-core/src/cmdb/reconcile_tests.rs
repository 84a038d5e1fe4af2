//! Import planning cases: create, update, merge across sources, and the
//! refused lines.

use super::*;
use crate::cmdb::{CiStatus, CiType, Criticality, Identifier, RelationType};

fn id(s: &str) -> Identifier {
    Identifier::parse(s).expect("identifier")
}

fn draft(ci_type: CiType, name: &str, ids: &[&str], attrs: &[(&str, &str)]) -> CiDraft {
    CiDraft {
        ci_type,
        name: name.into(),
        status: None,
        criticality: None,
        identifiers: ids.iter().map(|s| id(s)).collect(),
        attributes: attrs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
    }
}

fn known() -> Vec<KnownCi> {
    vec![
        KnownCi {
            id: 10,
            ci_type: CiType::Server,
            name: "srv-erp-01".into(),
            status: CiStatus::InService,
            criticality: Criticality::High,
            identifiers: vec![id("serial:CZ100"), id("hostname:srv-erp-01")],
            attributes: [("model".to_owned(), "R650".to_owned())].into(),
            reachable: true,
        },
        KnownCi {
            id: 11,
            ci_type: CiType::Rack,
            name: "rack-a".into(),
            status: CiStatus::InService,
            criticality: Criticality::Medium,
            identifiers: vec![],
            attributes: BTreeMap::new(),
            reachable: true,
        },
        KnownCi {
            id: 12,
            ci_type: CiType::Server,
            name: "srv-hidden".into(),
            status: CiStatus::InService,
            criticality: Criticality::Low,
            identifiers: vec![id("serial:HIDDEN")],
            attributes: BTreeMap::new(),
            reachable: false,
        },
    ]
}

fn rel(from: &str, relation: RelationType, to: &str) -> RelationDraft {
    RelationDraft {
        from: from.into(),
        to: to.into(),
        relation,
        redundancy: None,
    }
}

#[test]
fn lines_create_update_or_merge() {
    let items = vec![
        (
            2,
            draft(CiType::Server, "srv-new", &["hostname:srv-new"], &[]),
        ),
        (
            3,
            draft(CiType::Server, "srv-erp-01", &[], &[("model", "R660")]),
        ),
        // Another region's inventory calls the same machine differently.
        (4, draft(CiType::Rack, "Baie A", &[], &[])),
    ];
    let plan = super::plan(&known(), &[], &items, &[]);
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert_eq!(plan.items[0].action, LineAction::Create);
    assert_eq!(plan.items[0].after.status, Some(CiStatus::InService));
    assert_eq!(plan.items[1].action, LineAction::Update);
    assert_eq!(plan.items[1].after.attributes["model"], "R660");
    assert_eq!(plan.items[2].action, LineAction::Create);

    let merge = vec![(
        7,
        draft(
            CiType::Server,
            "SRVERP1",
            &["serial:cz100", "ip:10.1.0.5"],
            &[("model", "PowerEdge R650"), ("os", "RHEL 9")],
        ),
    )];
    let plan = super::plan(&known(), &[], &merge, &[]);
    let item = &plan.items[0];
    assert_eq!(item.action, LineAction::Merge);
    assert_eq!(item.target, Target::Known(10));
    assert_eq!(item.name, "srv-erp-01");
    assert_eq!(item.new_identifiers, vec![id("ip:10.1.0.5")]);
    assert_eq!(item.after.attributes["os"], "RHEL 9");
    assert_eq!(
        item.after.attributes["model"], "R650",
        "the known value is kept"
    );
    let fields: Vec<&str> = item.conflicts.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["name", "attributes.model"]);
}

#[test]
fn the_same_file_twice_changes_nothing() {
    let items = vec![(
        2,
        draft(
            CiType::Server,
            "srv-erp-01",
            &["serial:CZ100"],
            &[("model", "R650")],
        ),
    )];
    let relations = vec![(3, rel("srv-erp-01", RelationType::LocatedIn, "rack-a"))];
    let known_relations = [KnownRelation {
        from: 10,
        to: 11,
        relation: RelationType::LocatedIn,
    }];
    let plan = super::plan(&known(), &known_relations, &items, &relations);
    assert!(plan.errors.is_empty());
    assert_eq!(plan.count(LineAction::Unchanged), 2);
}

#[test]
fn bad_lines_are_reported_one_by_one() {
    let items = vec![
        (2, draft(CiType::Server, "a", &["serial:X1"], &[])),
        (3, draft(CiType::Server, "b", &["serial:x1"], &[])),
        (4, draft(CiType::Server, "a", &[], &[])),
        (5, draft(CiType::Rack, "srv-erp-01", &[], &[])),
        (6, draft(CiType::Server, "c", &["serial:HIDDEN"], &[])),
        (7, draft(CiType::Environment, "prod", &[], &[])),
        (8, draft(CiType::Rack, "r1", &[], &[])),
        (9, draft(CiType::Rack, "r2", &[], &[])),
        (10, draft(CiType::Room, "room", &[], &[])),
    ];
    let relations = vec![
        (20, rel("a", RelationType::LocatedIn, "nowhere")),
        (21, rel("a", RelationType::PoweredBy, "rack-a")),
        (22, rel("rack-a", RelationType::LocatedIn, "room")),
        (23, rel("room", RelationType::DependsOn, "room")),
    ];
    let plan = super::plan(&known(), &[], &items, &relations);
    let lines: Vec<usize> = plan.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 20, 21, 23], "{:#?}", plan.errors);
    assert!(plan.errors[0].message.contains("duplicate identifier"));
    assert!(plan.errors[3].message.contains("outside your scope"));
}

#[test]
fn cycles_are_refused_where_the_type_forbids_them() {
    let items = vec![
        (2, draft(CiType::Server, "host", &[], &[])),
        (3, draft(CiType::Application, "app", &[], &[])),
        (4, draft(CiType::Application, "lib", &[], &[])),
    ];
    let relations = vec![
        (5, rel("app", RelationType::DependsOn, "lib")),
        (6, rel("lib", RelationType::DependsOn, "app")),
        (7, rel("app", RelationType::RunsOn, "host")),
    ];
    let plan = super::plan(&known(), &[], &items, &relations);
    // depends_on may loop; runs_on cannot, but this one does not.
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);

    let env = |name: &str| draft(CiType::Environment, name, &[], &[("kind", "production")]);
    let items = vec![
        (2, env("e1")),
        (3, draft(CiType::Application, "x", &[], &[])),
    ];
    let relations = vec![
        (4, rel("x", RelationType::PartOf, "e1")),
        (5, rel("x", RelationType::PartOf, "x")),
    ];
    let plan = super::plan(&known(), &[], &items, &relations);
    assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
    assert_eq!(plan.errors[0].line, 5);
}
