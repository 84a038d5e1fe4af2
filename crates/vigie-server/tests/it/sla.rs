//! Service levels over HTTP: calendars and targets with their bad input
//! (422 naming the field, clocks untouched), the preview, a ticket's clocks,
//! the monthly report in JSON and CSV, and the escalation job on two
//! instances (each level fires once).

use crate::support::{World, t0};
use axum::http::{Method, StatusCode};
use jiff::SignedDuration;
use serde_json::{Value, json};
use vigie_server::jobs::fire_due_escalations;
use vigie_server::{AppState, ServerConfig};

fn state(world: &World) -> AppState {
    AppState::new(
        world.store.clone(),
        ServerConfig::default(),
        world.clock.clone(),
    )
}

async fn call(
    world: &World,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> crate::support::Answer {
    world
        .api(method, path, Some(&world.alpha.admin.token), body)
        .await
}

#[tokio::test]
async fn bad_calendars_and_targets_are_refused_naming_the_field() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let calendars = format!("/api/v1/tenants/{}/calendars", a.tenant.id.0);
    let clocks = format!("/api/v1/tickets/{}/clocks", a.ticket_nord.0);
    let before = call(&world, Method::GET, &clocks, None).await.body;
    let seg = |s: &str, e: &str| json!({"start": s, "end": e});
    let cases = [
        (
            json!({"name": "x", "weekly_hours": {"monday": [seg("08:00", "12:30"), seg("12:00", "14:00")]}}),
            "weekly_hours.monday",
        ),
        (
            json!({"name": "x", "weekly_hours": {"friday": [seg("18:00", "08:00")]}}),
            "weekly_hours.friday",
        ),
        (
            json!({"name": "x", "weekly_hours": {"friday": [seg("8h", "18:00")]}}),
            "weekly_hours.friday[0].start",
        ),
        (
            json!({"name": "x", "time_zone": "Europe/Lutece"}),
            "time_zone",
        ),
        (
            json!({"name": "x", "holidays": ["2026-02-30"]}),
            "holidays[0]",
        ),
        (
            json!({"name": "x", "closures": [{"first": "2026-08-15", "last": "2026-08-01"}]}),
            "closures[0]",
        ),
        (json!({"name": "x", "preset": "always"}), "preset"),
    ];
    for (body, field) in cases {
        let res = call(&world, Method::POST, &calendars, Some(body.clone())).await;
        let problem = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(problem["field"], field, "{body}: {}", res.body);
        let path = format!("{calendars}/{}", a.calendar);
        let res = call(&world, Method::PUT, &path, Some(body)).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    }
    let targets = format!("/api/v1/tenants/{}/sla-targets", a.tenant.id.0);
    let target = |resolve: i64, own: Option<i64>| {
        json!({"name": "P1", "kind": "sla", "priority": "P1", "calendar_id": a.calendar,
               "time_to_resolve": resolve, "time_to_own": own})
    };
    for (body, field) in [
        (target(0, None), "time_to_resolve"),
        (target(-60, None), "time_to_resolve"),
        (target(240, Some(0)), "time_to_own"),
        (
            json!({"name": "P1", "kind": "sla", "priority": "P9", "calendar_id": a.calendar, "time_to_resolve": 60}),
            "priority",
        ),
        (
            json!({"name": "P1", "kind": "olaf", "priority": "P1", "calendar_id": a.calendar, "time_to_resolve": 60}),
            "kind",
        ),
    ] {
        let res = call(&world, Method::POST, &targets, Some(body)).await;
        let problem = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(problem["field"], field, "{}", res.body);
    }
    let foreign = json!({"name": "P1", "kind": "sla", "priority": "P1", "calendar_id": world.beta.calendar, "time_to_resolve": 60});
    let res = call(&world, Method::POST, &targets, Some(foreign)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    // Nothing refused moved a clock.
    assert_eq!(call(&world, Method::GET, &clocks, None).await.body, before);
}

#[tokio::test]
async fn presets_preview_clocks_and_the_report() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let tenant = a.tenant.id.0;
    let presets = call(&world, Method::GET, "/api/v1/calendar-presets", None)
        .await
        .json();
    let names: Vec<_> = presets
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(names, ["24/7", "working-hours", "environment-hours"]);
    let body = json!({"name": "Environnements", "preset": "environment-hours", "holidays": ["2026-05-15"],
        "exceptional_openings": [{"date": "2026-01-03", "segments": [{"start": "09:00", "end": "12:00"}]}]});
    let res = call(
        &world,
        Method::POST,
        &format!("/api/v1/tenants/{tenant}/calendars"),
        Some(body),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created = res.json();
    assert_eq!(
        created["weekly_hours"]["monday"],
        json!([{"start": "07:00", "end": "19:00"}])
    );
    assert_eq!(created["french_holidays"], true);

    // Opened on 1 January (a holiday) at P2: owned by Friday 08:30, resolved by 16:00.
    let preview = call(
        &world,
        Method::GET,
        &format!("/api/v1/tenants/{tenant}/sla/preview?priority=P2"),
        None,
    )
    .await
    .json();
    assert_eq!(preview["own_due"], "2026-01-02T07:30:00Z", "{preview}");
    assert_eq!(preview["resolve_due"], "2026-01-02T15:00:00Z");
    let res = call(
        &world,
        Method::GET,
        &format!("/api/v1/tenants/{tenant}/sla/preview?priority=P1"),
        None,
    )
    .await;
    assert_eq!(
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "priority"
    );

    world.clock.advance(SignedDuration::from_hours(24 + 8));
    let clocks = call(
        &world,
        Method::GET,
        &format!("/api/v1/tickets/{}/clocks", a.ticket_nord.0),
        None,
    )
    .await
    .json();
    let states: Vec<_> = clocks
        .as_array()
        .expect("clocks")
        .iter()
        .map(|c| {
            (
                c["metric"].clone(),
                c["state"].clone(),
                c["left_minutes"].clone(),
            )
        })
        .collect();
    // Friday 09:00 Paris: the own clock is 30 min late, 7 h are left to resolve.
    assert_eq!(
        states,
        [
            (json!("own"), json!("breached"), json!(-30)),
            (json!("resolve"), json!("running"), json!(420))
        ]
    );

    let report = call(
        &world,
        Method::GET,
        &format!("/api/v1/tenants/{tenant}/reports/sla?month=2026-01"),
        None,
    )
    .await
    .json();
    assert_eq!(report["tickets"], 2, "{report}");
    assert_eq!(report["by_priority"][1]["owned_in_time_pct"], 0.0);
    assert_eq!(report["breach_count"], 2);
    assert_eq!(report["requests_goal_pct"], 95.0);
    let res = call(
        &world,
        Method::GET,
        &format!("/api/v1/tenants/{tenant}/reports/sla.csv?month=2026-01"),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    assert!(
        res.body.starts_with("month,priority,tickets"),
        "{}",
        res.body
    );
    assert!(res.body.contains("2026-01,P2,2,0.0,"), "{}", res.body);
    let bad = call(
        &world,
        Method::GET,
        &format!("/api/v1/tenants/{tenant}/reports/sla?month=2026-13"),
        None,
    )
    .await;
    assert_eq!(
        bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "month"
    );
    // A requester reads none of it.
    let res = world
        .api(
            Method::GET,
            &format!("/api/v1/tenants/{tenant}/reports/sla"),
            Some(&a.requester_nord.token),
            None,
        )
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

async fn escalate_twice(world: World) {
    let a = &world.alpha;
    let path = format!(
        "/api/v1/tenants/{}/sla-targets/{}",
        a.tenant.id.0, a.sla_target
    );
    let body = json!({"name": "P2", "kind": "sla", "priority": "P2", "calendar_id": a.calendar,
        "time_to_resolve": 480, "time_to_own": 30,
        "escalations": [{"percent": 75, "action": "notify"}, {"percent": 90, "action": "raise_priority"}]});
    let res = call(&world, Method::PUT, &path, Some(body)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // A ticket opened Friday 2 January 08:00 Paris (after the change).
    world.clock.advance(SignedDuration::from_hours(31));
    let ticket = json!({"type": "incident", "entity_id": a.nord, "title": "ERP lent", "description": "Lent.",
        "impact": "haut", "urgency": "haut", "channel": "phone"});
    let res = call(&world, Method::POST, "/api/v1/tickets", Some(ticket)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.json()["id"].as_i64().expect("id");
    // Vigie was down until Monday: both levels are due at start, on two instances.
    world.clock.advance(SignedDuration::from_hours(72));
    let (one, two) = (state(&world), state(&world));
    let (x, y) = tokio::join!(
        fire_due_escalations(&one, "one"),
        fire_due_escalations(&two, "two")
    );
    let first = x.expect("one") + y.expect("two");
    // The lease passes to the other instance: the markers still hold.
    world.clock.advance(SignedDuration::from_mins(10));
    let again = fire_due_escalations(&two, "two").await.expect("two")
        + fire_due_escalations(&one, "one").await.expect("one");
    // Three open P2 tickets (the world's two and this one), each with an own
    // and a resolution clock, each clock with two levels: twelve, once.
    assert_eq!((first, again), (12, 0));
    let t = call(&world, Method::GET, &format!("/api/v1/tickets/{id}"), None)
        .await
        .json();
    assert_eq!(t["priority"], "critique", "{t}");
    let notes = call(
        &world,
        Method::GET,
        &format!("/api/v1/tickets/{id}/comments"),
        None,
    )
    .await
    .json();
    let sla_notes = notes
        .as_array()
        .expect("notes")
        .iter()
        .filter(|n| n["body"].as_str().unwrap_or("").starts_with("SLA "))
        .count();
    assert_eq!(sla_notes, 4, "{notes}");
    let _ = t0();
}

#[tokio::test]
async fn each_escalation_fires_once_with_two_instances_on_sqlite() {
    escalate_twice(World::sqlite().await).await;
}

#[tokio::test]
async fn each_escalation_fires_once_with_two_instances_on_postgres() {
    if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
        escalate_twice(World::on(store).await).await;
    }
}

#[tokio::test]
async fn the_pages_show_clocks_targets_and_a_printable_report() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    // Still 1 January, a holiday: nothing spent yet.
    world.clock.advance(SignedDuration::from_hours(9));
    let (admin, _) = world.web_session(a.admin.id).await;
    let ticket = world
        .page(&admin, &format!("/tickets/{}", a.ticket_nord.0))
        .await;
    assert_eq!(ticket.status, StatusCode::OK);
    assert!(
        ticket.body.contains("id=\"ticket-clocks\""),
        "{}",
        ticket.body
    );
    assert!(
        ticket.body.contains("2026-01-02T15:00:00Z") && ticket.body.contains("8 h"),
        "{}",
        ticket.body
    );
    let admin_page = world.page(&admin, "/admin/sla").await;
    assert_eq!(admin_page.status, StatusCode::OK, "{}", admin_page.body);
    assert!(
        admin_page.body.contains("alpha P2") && admin_page.body.contains("alpha heures ouvrées")
    );
    assert!(!admin_page.body.contains("beta"), "another tenant leaked");
    let report = world.page(&admin, "/reports/sla?month=2026-01").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(
        report.body.contains("id=\"sla-priorities\"")
            && report.body.contains("id=\"sla-no-breach\""),
        "{}",
        report.body
    );
    assert!(report.body.contains("/reports/sla.csv?month=2026-01"));
    let csv = world.page(&admin, "/reports/sla.csv?month=2026-01").await;
    assert!(csv.body.starts_with("month,priority"), "{}", csv.body);
    // A requester has no report.
    let (requester, _) = world.web_session(a.requester_nord.id).await;
    assert_eq!(
        world.page(&requester, "/reports/sla").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_changed_calendar_moves_the_running_deadlines() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let clocks = format!("/api/v1/tickets/{}/clocks", a.ticket_nord.0);
    let deadline = |v: &Value| v[1]["deadline"].clone();
    let before = call(&world, Method::GET, &clocks, None).await.json();
    assert_eq!(deadline(&before), "2026-01-02T15:00:00Z");
    // Around the clock from now on: 8 h from the opening at midnight UTC.
    let path = format!("/api/v1/tenants/{}/calendars/{}", a.tenant.id.0, a.calendar);
    let res = call(
        &world,
        Method::PUT,
        &path,
        Some(json!({"name": "Toujours", "preset": "24/7"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let after = call(&world, Method::GET, &clocks, None).await.json();
    assert_eq!(deadline(&after), "2026-01-01T08:00:00Z", "{after}");
}

#[tokio::test]
async fn outages_are_corrected_ended_by_their_incident_or_deleted() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let tenant = a.tenant.id.0;
    let list = format!("/api/v1/tenants/{tenant}/outages?month=2026-01");
    let path = format!("/api/v1/tenants/{tenant}/outages");
    let incident = a.ticket_sud.0;
    let open = json!({"service_ref": "erp", "starts_at": "2026-01-01T00:00:00Z",
        "ticket_id": incident, "note": "ERP down"});
    let res = call(&world, Method::POST, &path, Some(open)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let outage = res.json()["id"].as_i64().expect("id");
    let one = format!("{path}/{outage}");

    // Bad corrections are refused and change nothing.
    let audit = world.audit_count().await;
    for (body, field) in [
        (
            json!({"service_ref": "erp", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2025-12-31T00:00:00Z"}),
            "ends_at",
        ),
        (
            json!({"service_ref": "erp", "starts_at": "yesterday"}),
            "starts_at",
        ),
        (
            json!({"service_ref": "erp", "starts_at": "2026-01-01T00:00:00Z", "kind": "storm"}),
            "kind",
        ),
    ] {
        let res = call(&world, Method::PUT, &one, Some(body)).await;
        assert_eq!(
            res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
            field
        );
    }
    let elsewhere = json!({"service_ref": "erp", "starts_at": "2026-01-01T00:00:00Z",
        "ticket_id": world.beta.ticket_sud.0});
    let res = call(&world, Method::PUT, &one, Some(elsewhere)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let res = call(
        &world,
        Method::PUT,
        &format!("{path}/999999"),
        Some(json!({"service_ref": "erp", "starts_at": "2026-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert_eq!(world.audit_count().await, audit);

    // A correction of its start; still open.
    let fixed = json!({"service_ref": "erp", "starts_at": "2026-01-01T00:30:00Z",
        "ticket_id": incident, "note": "ERP down since 00:30"});
    let res = call(&world, Method::PUT, &one, Some(fixed)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["ends_at"], Value::Null);

    // The incident is resolved at 02:00: the outage ends with it.
    world.clock.advance(SignedDuration::from_hours(2));
    let res = call(
        &world,
        Method::POST,
        &format!("/api/v1/tickets/{incident}/actions"),
        Some(json!({"action": "resolve", "solution": "ERP relancé", "code": "fixed"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let outages = call(&world, Method::GET, &list, None).await.json();
    let ended = outages
        .as_array()
        .expect("outages")
        .iter()
        .find(|o| o["id"] == outage)
        .expect("outage")
        .clone();
    assert_eq!(ended["starts_at"], "2026-01-01T00:30:00Z");
    assert_eq!(ended["ends_at"], "2026-01-01T02:00:00Z", "{ended}");

    // A requester may not touch it; the other tenant does not see it.
    let res = world
        .api(Method::DELETE, &one, Some(&a.requester_nord.token), None)
        .await;
    assert!(
        matches!(res.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        res.body
    );
    let res = world
        .api(
            Method::DELETE,
            &format!(
                "/api/v1/tenants/{}/outages/{outage}",
                world.beta.tenant.id.0
            ),
            Some(&world.beta.admin.token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);

    // Deleted by its administrator.
    let res = call(&world, Method::DELETE, &one, None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let outages = call(&world, Method::GET, &list, None).await.json();
    assert!(
        outages
            .as_array()
            .expect("outages")
            .iter()
            .all(|o| o["id"] != outage)
    );
}
