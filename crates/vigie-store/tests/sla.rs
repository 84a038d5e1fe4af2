//! The service level storage story, on SQLite always and on PostgreSQL when
//! `VIGIE_TEST_POSTGRES_URL` is set: calendars and targets, clocks started
//! and moved in the ticket's transactions, an escalation level fired once,
//! outages and the report rows.

use jiff::SignedDuration;
use vigie_core::Timestamp;
use vigie_core::role::Role;
use vigie_core::sla::{
    CalendarSpec, ClockState, EscalationAction, EscalationLevel, Metric, PauseOn, SlaTarget,
    TargetKind,
};
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::lifecycle::{Action, LifecycleState, apply};
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, PendingReason, TicketAccess, TicketType};
use vigie_store::{
    EscalationEffect, NewGrant, NewOutage, NewTarget, NewTenant, NewTicket, NewUser, ReportQuery,
    ServiceLevelRecord, Store, StoreError, TicketChanges, TicketRecord, testing,
};

/// Monday 2026-01-12 08:00 in Paris, plus minutes.
fn at(mins: i64) -> Timestamp {
    Timestamp::from_second(1_768_201_200 + mins * 60).expect("valid time")
}

async fn step(
    store: &Store,
    actor: &Actor,
    t: &TicketRecord,
    action: Action,
    when: i64,
) -> TicketRecord {
    let current = LifecycleState {
        status: t.status,
        resolved_at: t.resolved_at,
    };
    let outcome =
        apply(&current, &action, at(when), SignedDuration::from_hours(72)).expect("allowed");
    let assignment = matches!(action, Action::Assign).then_some(vigie_store::Assignment {
        group_id: None,
        assignee_id: Some(actor.user),
    });
    store
        .apply_ticket_outcome(actor, t, at(when), &outcome, assignment)
        .await
        .expect("outcome")
}

async fn story(store: Store) {
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
    let root = tenant.root_entity_id.expect("root");
    let user = store
        .create_user(
            &system,
            &Scope::Platform,
            at(0),
            &NewUser {
                entity_id: root,
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
        entity_id: root,
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

    // A working-hours calendar with a tenant holiday, and a P2 target of 8 h.
    let mut spec = CalendarSpec::preset("working-hours").expect("preset");
    spec.holidays.push(jiff::civil::date(2026, 5, 15));
    spec.closures.push(vigie_core::calendar::DateRange::new(
        jiff::civil::date(2026, 12, 24),
        jiff::civil::date(2026, 12, 31),
    ));
    spec.openings
        .push((jiff::civil::date(2026, 1, 17), vec![spec.weekly[0][0]]));
    let calendar = store
        .create_calendar(&system, tenant.id, at(0), "Heures ouvrées", &spec)
        .await
        .expect("calendar");
    assert_eq!(
        store
            .get_calendar(tenant.id, calendar.id)
            .await
            .expect("get")
            .spec,
        spec
    );
    let twice = store
        .create_calendar(&system, tenant.id, at(0), "Heures ouvrées", &spec)
        .await;
    assert!(
        matches!(twice, Err(StoreError::Conflict { .. })),
        "{twice:?}"
    );
    let mut promise = SlaTarget::new(
        TargetKind::Sla,
        Priority::Haut,
        SignedDuration::from_hours(8),
    );
    promise.time_to_own = Some(SignedDuration::from_mins(30));
    promise.pause_on = vec![PauseOn::Customer];
    promise.levels = vec![EscalationLevel::new(75, EscalationAction::Notify)];
    let target = store
        .create_target(
            &system,
            tenant.id,
            at(0),
            &NewTarget {
                name: "P2 CRM".into(),
                calendar_id: calendar.id,
                target: promise.clone(),
            },
        )
        .await
        .expect("target");
    assert_eq!(
        target.target,
        SlaTarget {
            id: target.target.id,
            ..promise
        }
    );

    // Opened Monday 08:00 at P2: own due 08:30, resolve due 16:00.
    let new = NewTicket {
        ticket_type: TicketType::Incident,
        entity_id: root,
        title: "CRM lent".into(),
        description: "Les écrans mettent 30 s.".into(),
        requester_id: agent.user,
        channel: Channel::Phone,
        category_id: None,
        service_ref: Some("crm".into()),
        ci_refs: String::new(),
        impact: Level::Haut,
        urgency: Level::Moyen,
        priority: Priority::Haut,
    };
    let access = TicketAccess::of(&agent);
    let ticket = store
        .create_ticket(&agent, &access, at(0), &new)
        .await
        .expect("ticket");
    let clocks = store.ticket_clocks(&ticket).await.expect("clocks");
    let deadlines: Vec<_> = clocks
        .iter()
        .map(|c| (c.clock.metric, c.clock.deadline))
        .collect();
    assert_eq!(
        deadlines,
        [
            (Metric::Own, Some(at(30))),
            (Metric::Resolve, Some(at(480)))
        ]
    );
    assert_eq!(clocks[1].next_escalation_at, Some(at(360)));

    // Owned at 08:10, pending the customer 09:00–12:00: due 3 h later.
    let owned = step(&store, &agent, &ticket, Action::Assign, 10).await;
    let started = step(&store, &agent, &owned, Action::Start, 20).await;
    let pending = step(
        &store,
        &agent,
        &started,
        Action::Pend(PendingReason::Customer),
        60,
    )
    .await;
    let paused = store.ticket_clocks(&pending).await.expect("clocks");
    assert_eq!(paused[0].clock.state_at(at(60)), ClockState::Met);
    assert_eq!(paused[1].clock.state_at(at(90)), ClockState::Paused);
    let resumed = step(&store, &agent, &pending, Action::Resume, 240).await;
    let clocks = store.ticket_clocks(&resumed).await.expect("clocks");
    assert_eq!(
        clocks[1].clock.deadline,
        Some(at(24 * 60 + 60)),
        "Tuesday 09:00"
    );

    // The 75 % level fires once, however often it is asked.
    let due = store.due_clocks(at(25 * 60), 10).await.expect("due");
    assert_eq!(due, [clocks[1].id]);
    let case = store.escalation_case(clocks[1].id).await.expect("case");
    assert_eq!(case.target.target.levels, target.target.levels);
    let level = case.target.target.levels[0];
    let note = EscalationEffect::Note("75 % of the resolution time spent".into());
    let fire = || {
        store.fire_escalation(
            clocks[1].id,
            ticket.id,
            vigie_store::Firing {
                level,
                effect: &note,
                notify: &[],
            },
            None,
            at(25 * 60),
        )
    };
    assert!(fire().await.expect("first"));
    assert!(!fire().await.expect("second"));
    assert_eq!(
        store.due_clocks(at(30 * 60), 10).await.expect("due"),
        Vec::<i64>::new()
    );
    let comments = store
        .list_comments(&access, &resumed)
        .await
        .expect("comments");
    assert_eq!(
        comments
            .iter()
            .filter(|c| c.body.starts_with("75 %"))
            .count(),
        1
    );

    // Raised to P1 with no P1 target: the clock stays as it was.
    let raise = TicketChanges {
        priority: Some(Priority::Critique),
        ..Default::default()
    };
    store
        .update_ticket(&agent, &access, at(26 * 60), ticket.id, &raise)
        .await
        .expect("raise");
    let again = store.ticket_clocks(&resumed).await.expect("clocks");
    assert_eq!(again[1].clock.deadline, clocks[1].clock.deadline);

    // Resolved Tuesday 08:30: met; the report sees one P2 ticket, in time.
    let solved = step(
        &store,
        &agent,
        &resumed,
        Action::Resolve {
            solution: "Index ajouté".into(),
            code: "fixed".into(),
        },
        24 * 60 + 30,
    )
    .await;
    let done = store.ticket_clocks(&solved).await.expect("clocks");
    assert_eq!(done[1].clock.state_at(at(100 * 60)), ClockState::Met);
    let query = ReportQuery {
        tenant: tenant.id,
        kind: TargetKind::Sla,
        from: at(-60),
        to: at(31 * 24 * 60),
        service: Some("crm".into()),
        now: at(40 * 24 * 60),
    };
    let rows = store.sla_report_rows(&query).await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].resolve.map(|v| v.state), Some(ClockState::Met));
    assert_eq!(rows[0].reason.as_deref(), Some("fixed"));

    // Outages and a service promise.
    let outage = NewOutage {
        service_ref: "crm".into(),
        kind: "outage".into(),
        starts_at: at(60),
        ends_at: Some(at(120)),
        ticket_id: Some(ticket.id),
        note: String::new(),
    };
    store
        .create_outage(&system, tenant.id, at(200), &outage)
        .await
        .expect("outage");
    let listed = store
        .list_outages(tenant.id, at(0), at(24 * 60))
        .await
        .expect("outages");
    assert_eq!(listed.len(), 1);
    let level = ServiceLevelRecord {
        service_ref: "crm".into(),
        calendar_id: calendar.id,
        availability_bp: 9900,
        out_of_hours_bp: 9500,
    };
    store
        .put_service_level(&system, tenant.id, at(0), &level)
        .await
        .expect("service");
    store
        .put_service_level(&system, tenant.id, at(1), &level)
        .await
        .expect("again");
    assert_eq!(
        store.list_service_levels(tenant.id).await.expect("levels"),
        [level]
    );
    let used = store
        .delete_calendar(&system, tenant.id, at(2), calendar.id)
        .await;
    assert!(matches!(used, Err(StoreError::Conflict { .. })), "{used:?}");
}

#[tokio::test]
async fn sla_on_sqlite() {
    story(testing::sqlite().await.expect("sqlite")).await;
}

#[tokio::test]
async fn sla_on_postgres() {
    if let Some(store) = testing::postgres().await.expect("postgres") {
        story(store).await;
    }
}
