//! Clocks of many tickets at once and of tickets whose targets change, on
//! SQLite always and on PostgreSQL when `VIGIE_TEST_POSTGRES_URL` is set:
//! a batch opens its tickets numbered in order, each audited and with its
//! clocks; a new service re-picks the targets and starts the clocks of the
//! targets that start to apply; imported history gets its clocks with their
//! verdicts; a target changed on one instance is used at once by another.

use jiff::SignedDuration;
use vigie_core::Timestamp;
use vigie_core::ids::TenantId;
use vigie_core::role::Role;
use vigie_core::sla::{
    CalendarSpec, ClockState, EscalationAction, EscalationLevel, Metric, SlaTarget, TargetKind,
};
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, Status, TicketAccess, TicketType};
use vigie_store::{
    AuditFilter, EntityRecord, ImportedTicket, NewGrant, NewTarget, NewTenant, NewTicket, NewUser,
    PageRequest, Store, TicketChanges, TicketRecord, testing,
};

/// Monday 2026-01-12 08:00 in Paris, plus minutes.
fn at(mins: i64) -> Timestamp {
    Timestamp::from_second(1_768_201_200 + mins * 60).expect("valid time")
}

struct Setup {
    tenant: TenantId,
    root: EntityRecord,
    agent: Actor,
    calendar: i64,
}

async fn setup(store: &Store) -> Setup {
    let system = Actor::system();
    let tenant = store
        .create_tenant(
            &system,
            at(0),
            &NewTenant {
                slug: "cachemire".into(),
                name: "Cachemire".into(),
                kind: "customer".into(),
            },
        )
        .await
        .expect("tenant");
    let root_id = tenant.root_entity_id.expect("root");
    let user = store
        .create_user(
            &system,
            &Scope::Platform,
            at(0),
            &NewUser {
                entity_id: root_id,
                login: "agent".into(),
                display_name: "Agent".into(),
                email: None,
                locale: None,
                password_hash: None,
                platform_admin: false,
            },
        )
        .await
        .expect("user");
    let grant = NewGrant {
        entity_id: root_id,
        role: Role::Agent,
        recursive: true,
    };
    store
        .create_grant(&system, &Scope::Platform, at(0), user.id, &grant)
        .await
        .expect("grant");
    let agent = store
        .load_actor(user.id)
        .await
        .expect("load")
        .expect("active");
    let spec = CalendarSpec::preset("24/7").expect("preset");
    let calendar = store
        .create_calendar(&system, tenant.id, at(0), "24/7", &spec)
        .await
        .expect("calendar")
        .id;
    let root = store
        .get_entity(&Scope::Platform, root_id)
        .await
        .expect("root entity");
    Setup {
        tenant: tenant.id,
        root,
        agent,
        calendar,
    }
}

async fn target(
    store: &Store,
    s: &Setup,
    name: &str,
    kind: TargetKind,
    service: Option<&str>,
    hours: i64,
) -> i64 {
    let mut t = SlaTarget::new(kind, Priority::Haut, SignedDuration::from_hours(hours));
    t.service_ref = service.map(str::to_owned);
    store
        .create_target(
            &Actor::system(),
            s.tenant,
            at(0),
            &NewTarget {
                name: name.into(),
                calendar_id: s.calendar,
                target: t,
            },
        )
        .await
        .expect("target")
        .target
        .id
}

fn new_ticket(s: &Setup, title: &str, service: Option<&str>) -> NewTicket {
    NewTicket {
        ticket_type: TicketType::Incident,
        entity_id: s.root.id,
        title: title.into(),
        description: String::new(),
        requester_id: s.agent.user,
        channel: Channel::Api,
        category_id: None,
        service_ref: service.map(str::to_owned),
        ci_refs: String::new(),
        impact: Level::Haut,
        urgency: Level::Moyen,
        priority: Priority::Haut,
    }
}

/// `(kind, target, deadline)` of each clock, in the store's order.
async fn clocks(store: &Store, t: &TicketRecord) -> Vec<(TargetKind, i64, Option<Timestamp>)> {
    store
        .ticket_clocks(t)
        .await
        .expect("clocks")
        .iter()
        .map(|c| (c.kind, c.target_id, c.clock.deadline))
        .collect()
}

async fn story(store: Store, other: Store) {
    let s = setup(&store).await;
    let crm = target(&store, &s, "P2 CRM", TargetKind::Sla, Some("crm"), 8).await;
    let any = target(&store, &s, "P2", TargetKind::Sla, None, 4).await;
    let access = TicketAccess::of(&s.agent);

    // A batch: numbered in the order given, each audited, each with its clock.
    let batch = vec![
        (s.root.clone(), new_ticket(&s, "un", Some("crm")), None),
        (s.root.clone(), new_ticket(&s, "deux", None), None),
        (s.root.clone(), new_ticket(&s, "trois", Some("crm")), None),
    ];
    let opened = store
        .create_tickets(&s.agent, &access, at(0), batch)
        .await
        .expect("batch");
    let titles: Vec<_> = opened
        .iter()
        .map(|t| (t.number, t.title.as_str(), t.requester_name.as_str()))
        .collect();
    assert_eq!(
        titles,
        [
            (1, "un", "Agent"),
            (2, "deux", "Agent"),
            (3, "trois", "Agent")
        ]
    );
    assert_eq!(
        clocks(&store, &opened[0]).await,
        [(TargetKind::Sla, crm, Some(at(8 * 60)))]
    );
    assert_eq!(
        clocks(&store, &opened[1]).await,
        [(TargetKind::Sla, any, Some(at(4 * 60)))]
    );
    let audit = store
        .list_audit(
            &Scope::Platform,
            &AuditFilter {
                record_type: Some("ticket".into()),
                ..Default::default()
            },
            PageRequest::first(100),
        )
        .await
        .expect("audit");
    let created: Vec<_> = audit
        .items
        .iter()
        .filter(|l| l.action == "create")
        .map(|l| l.record_id)
        .collect();
    let ids: Vec<_> = opened.iter().map(|t| t.id.0).collect();
    assert_eq!(created, ids);
    // One after the batch takes the next number.
    let single = store
        .create_ticket(&s.agent, &access, at(1), &new_ticket(&s, "quatre", None))
        .await
        .expect("single");
    assert_eq!(single.number, 4);

    // The supplier's UC for the ERP; the first ticket moves from CRM to ERP
    // at 09:00: its SLA is measured against the generic P2 (4 h from 08:00,
    // an hour spent), and the UC starts now (nothing pending the supplier).
    let uc = target(&store, &s, "UC ERP", TargetKind::Uc, Some("erp"), 4).await;
    let moved = store
        .update_ticket(
            &s.agent,
            &access,
            at(60),
            opened[0].id,
            &TicketChanges {
                service_ref: Some(Some("erp".into())),
                ..Default::default()
            },
        )
        .await
        .expect("service");
    let after = store.ticket_clocks(&moved).await.expect("clocks");
    let seen: Vec<_> = after
        .iter()
        .map(|c| (c.kind, c.target_id, c.clock.state_at(at(61))))
        .collect();
    assert_eq!(
        seen,
        [
            (TargetKind::Sla, any, ClockState::Running),
            (TargetKind::Uc, uc, ClockState::Paused)
        ]
    );
    assert_eq!(after[0].clock.deadline, Some(at(4 * 60)));
    assert_eq!(after[1].clock.started_at, at(60));
    // The same service again changes nothing.
    let same = store
        .update_ticket(
            &s.agent,
            &access,
            at(90),
            opened[0].id,
            &TicketChanges {
                service_ref: Some(Some("erp".into())),
                ..Default::default()
            },
        )
        .await
        .expect("same service");
    assert_eq!(
        store.ticket_clocks(&same).await.expect("clocks").len(),
        after.len()
    );

    // A target changed through the other instance applies at once here.
    let widened = SlaTarget {
        id: any,
        service_ref: None,
        levels: vec![
            EscalationLevel::new(50, EscalationAction::Notify),
            EscalationLevel::new(1000, EscalationAction::Notify),
        ],
        ..SlaTarget::new(
            TargetKind::Sla,
            Priority::Haut,
            SignedDuration::from_hours(2),
        )
    };
    other
        .update_target(
            &Actor::system(),
            s.tenant,
            at(100),
            any,
            &NewTarget {
                name: "P2".into(),
                calendar_id: s.calendar,
                target: widened,
            },
        )
        .await
        .expect("update through the other instance");
    let late = store
        .create_ticket(&s.agent, &access, at(120), &new_ticket(&s, "cinq", None))
        .await
        .expect("after the change");
    assert_eq!(
        clocks(&store, &late).await,
        [(TargetKind::Sla, any, Some(at(120 + 2 * 60)))]
    );

    // History: one resolved in 3 h against 2 h (breached), one still open.
    let imported = [
        ImportedTicket {
            new: new_ticket(&s, "ancien", None),
            entity_path: s.root.path.clone(),
            status: Status::Resolved,
            group_id: None,
            assignee_id: Some(s.agent.user),
            created_at: at(-10 * 24 * 60),
            resolved_at: Some(at(-10 * 24 * 60 + 180)),
        },
        ImportedTicket {
            new: new_ticket(&s, "ouvert", None),
            entity_path: s.root.path.clone(),
            status: Status::InProgress,
            group_id: None,
            assignee_id: Some(s.agent.user),
            created_at: at(200),
            resolved_at: None,
        },
        // Open for 13.5 h at the import: its 50 % level (1 h) is past,
        // its 1000 % level (20 h) is not.
        ImportedTicket {
            new: new_ticket(&s, "oublié", None),
            entity_path: s.root.path.clone(),
            status: Status::InProgress,
            group_id: None,
            assignee_id: Some(s.agent.user),
            created_at: at(-600),
            resolved_at: None,
        },
    ];
    let count = store
        .import_tickets(&Actor::system(), s.tenant, at(210), &imported)
        .await
        .expect("import");
    assert_eq!(count, 3);
    // Imported tickets are found by their words like the others.
    let found = store
        .list_tickets(
            &access,
            &vigie_store::TicketFilter {
                q: Some("oublié".into()),
                ..Default::default()
            },
            PageRequest::first(10),
        )
        .await
        .expect("search");
    assert_eq!(
        found
            .items
            .iter()
            .map(|t| t.title.as_str())
            .collect::<Vec<_>>(),
        vec!["oublié"]
    );
    let listed = store
        .list_tickets(
            &access,
            &vigie_store::TicketFilter::default(),
            PageRequest::first(10),
        )
        .await
        .expect("list");
    let by_title = |title: &str| {
        listed
            .items
            .iter()
            .find(|t| t.title == title)
            .cloned()
            .expect("imported ticket")
    };
    let old = store
        .ticket_clocks(&by_title("ancien"))
        .await
        .expect("clocks");
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].clock.metric, Metric::Resolve);
    assert_eq!(old[0].clock.stopped_at, Some(at(-10 * 24 * 60 + 180)));
    assert_eq!(old[0].clock.state_at(at(210)), ClockState::Breached);
    assert_eq!(old[0].next_escalation_at, None);
    let open = store
        .ticket_clocks(&by_title("ouvert"))
        .await
        .expect("clocks");
    assert_eq!(open[0].clock.deadline, Some(at(200 + 2 * 60)));
    assert_eq!(open[0].clock.state_at(at(210)), ClockState::Running);
    // A level passed before the import never fires, even once the ticket
    // moves after it; the next one is still ahead.
    let forgotten = by_title("oublié");
    let clock = store.ticket_clocks(&forgotten).await.expect("clocks")[0].clone();
    assert_eq!(clock.next_escalation_at, Some(at(600)));
    store
        .update_ticket(
            &s.agent,
            &access,
            at(300),
            forgotten.id,
            &TicketChanges {
                service_ref: Some(Some("mail".into())),
                ..Default::default()
            },
        )
        .await
        .expect("moved after the import");
    let moved = store.ticket_clocks(&forgotten).await.expect("clocks");
    assert_eq!(moved[0].next_escalation_at, Some(at(600)));
    let due = store.due_clocks(at(300), 100).await.expect("due");
    assert!(!due.contains(&clock.id), "{due:?}");
}

#[tokio::test]
async fn batches_and_moving_targets_on_sqlite() {
    let (one, two) = testing::sqlite_pair().await.expect("sqlite");
    story(one, two).await;
}

#[tokio::test]
async fn batches_and_moving_targets_on_postgres() {
    if let Some((one, two)) = testing::postgres_pair().await.expect("postgres") {
        story(one, two).await;
    }
}
