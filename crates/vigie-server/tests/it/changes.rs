//! Change management through the API: the normal path through the CAB and
//! a planned window, the emergency path, standard changes from templates,
//! freezes, change windows and conflicts over the CMDB, sending back, the
//! iCalendar export parsed back, and bad input.

use crate::support::{Answer, Person, World, person};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigie_core::role::Role;

/// The change management people of tenant alpha: three CAB members (the
/// first also on the ECAB) and a change manager.
pub struct Cast {
    pub cab: Vec<Person>,
    pub manager: Person,
}

pub async fn cast(world: &World) -> Cast {
    let a = &world.alpha;
    let mut cab = Vec::new();
    for i in 1..=3 {
        let (p, _) = person(
            &world.store,
            a.root,
            &format!("alpha.cab-{i}"),
            &[(a.root, Role::CabMember, true)],
            false,
        )
        .await;
        cab.push(p);
    }
    let (manager, _) = person(
        &world.store,
        a.root,
        "alpha.change-manager",
        &[(a.root, Role::ChangeManager, true)],
        false,
    )
    .await;
    let tenant = a.tenant.id.0;
    let ids: Vec<i64> = cab.iter().map(|p| p.id.0).collect();
    let res = world
        .api(
            Method::PUT,
            &format!("/api/v1/tenants/{tenant}/change-boards/cab"),
            Some(&manager.token),
            Some(json!({"quorum": 2, "user_ids": ids})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["member_ids"].as_array().map(Vec::len), Some(3));
    let res = world
        .api(
            Method::PUT,
            &format!("/api/v1/tenants/{tenant}/change-boards/ecab"),
            Some(&manager.token),
            Some(json!({"quorum": 1, "user_ids": [ids[0]]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    Cast { cab, manager }
}

pub fn prepared() -> Value {
    json!({
        "reason": "the switch firmware has a known fault",
        "expected_return": "no more spontaneous reboots",
        "risks": "a reboot of the access switch, five minutes",
        "resources": "one network engineer, one hour",
        "implementation_plan": "upload, reboot, check the ports",
        "backout_plan": "boot the previous image",
        "backout_tested": true
    })
}

pub async fn raise(world: &World, token: &str, kind: &str, cis: &[i64], extra: Value) -> Value {
    let mut body = json!({
        "entity_id": world.alpha.sud.0, "type": kind, "title": format!("{kind} change"),
        "ci_ids": cis,
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let res = world
        .api(Method::POST, "/api/v1/changes", Some(token), Some(body))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()
}

async fn act(world: &World, token: &str, id: i64, body: Value) -> Answer {
    world
        .api(
            Method::POST,
            &format!("/api/v1/changes/{id}/actions"),
            Some(token),
            Some(body),
        )
        .await
}

pub async fn ok(world: &World, token: &str, id: i64, body: Value) -> Value {
    let res = act(world, token, id, body.clone()).await;
    assert_eq!(res.status, StatusCode::OK, "{body}: {}", res.body);
    res.json()
}

pub fn vote(decision: &str, comment: &str) -> Value {
    json!({"action": "vote", "decision": decision, "comment": comment})
}

pub fn schedule(start: &str, end: &str) -> Value {
    json!({"action": "schedule", "planned_start": start, "planned_end": end})
}

/// Submitted, assessed and approved by the CAB.
pub async fn approved(world: &World, cast: &Cast, cis: &[i64]) -> i64 {
    let agent = &world.alpha.agent_sud.token;
    let mut prep = prepared();
    prep["responsible_id"] = json!(world.alpha.agent_sud.id.0);
    let c = raise(world, agent, "normal", cis, prep).await;
    let id = c["id"].as_i64().expect("id");
    ok(world, agent, id, json!({"action": "submit"})).await;
    ok(
        world,
        &cast.manager.token,
        id,
        json!({"action": "assess", "likelihood": "low"}),
    )
    .await;
    ok(world, &cast.cab[0].token, id, vote("approve", "")).await;
    let c = ok(world, &cast.cab[1].token, id, vote("approve", "")).await;
    assert_eq!(c["status"], "approved");
    id
}

async fn rack_of_sud(world: &World) -> i64 {
    let res = world
        .api(
            Method::GET,
            "/api/v1/cis?q=alpha-ci-sud-rack",
            Some(&world.alpha.admin.token),
            None,
        )
        .await;
    res.json()["items"][0]["id"].as_i64().expect("rack")
}

#[tokio::test]
async fn a_normal_change_goes_through_the_cab_and_its_window() {
    a_normal_change_goes_through_the_cab_and_its_window_on(World::sqlite().await).await;
}

#[tokio::test]
async fn a_normal_change_goes_through_the_cab_and_its_window_on_postgres() {
    if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
        a_normal_change_goes_through_the_cab_and_its_window_on(World::on(store).await).await;
    }
}

async fn a_normal_change_goes_through_the_cab_and_its_window_on(world: World) {
    let cast = cast(&world).await;
    let a = &world.alpha;
    let agent = &a.agent_sud.token;
    let c = raise(
        &world,
        agent,
        "normal",
        &[a.ci_sud],
        json!({"checklist": ["snapshot taken"], "resolves": [a.ticket_sud.0]}),
    )
    .await;
    let id = c["id"].as_i64().expect("id");
    assert_eq!(c["status"], "draft");
    assert_eq!(c["allowed_actions"], json!(["submit", "cancel"]));
    // Not prepared: the refusal names what to fill in.
    let res = act(&world, agent, id, json!({"action": "submit"})).await;
    let p = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "reason");
    let detail = p["detail"].as_str().expect("detail");
    for field in [
        "expected_return",
        "responsible_id",
        "backout_plan",
        "backout_tested",
    ] {
        assert!(detail.contains(field), "{detail}");
    }
    let mut edit = prepared();
    edit["responsible_id"] = json!(a.agent_sud.id.0);
    let res = world
        .api(
            Method::PATCH,
            &format!("/api/v1/changes/{id}"),
            Some(agent),
            Some(edit),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["missing"], json!([]));
    let c = ok(&world, agent, id, json!({"action": "submit"})).await;
    assert_eq!(c["status"], "submitted");
    // Submitted: no longer edited; assessment is the change manager's.
    let res = world
        .api(
            Method::PATCH,
            &format!("/api/v1/changes/{id}"),
            Some(agent),
            Some(json!({"title": "later"})),
        )
        .await;
    res.assert_problem(StatusCode::CONFLICT, "conflict");
    act(
        &world,
        agent,
        id,
        json!({"action": "assess", "likelihood": "low"}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let c = ok(
        &world,
        &cast.manager.token,
        id,
        json!({"action": "assess", "likelihood": "medium"}),
    )
    .await;
    assert_eq!(c["status"], "assessed");
    assert_eq!(c["likelihood"], "medium");
    assert!(c["risk"].is_string(), "{c}");
    // Votes: an outsider is refused, a member votes once, a rejection says why.
    let res = act(&world, agent, id, vote("approve", "")).await;
    let p = res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert!(p["detail"].as_str().unwrap_or("").contains("CAB"), "{p}");
    let c = ok(
        &world,
        &cast.cab[0].token,
        id,
        vote("approve", "plans read"),
    )
    .await;
    assert_eq!(c["status"], "assessed");
    act(&world, &cast.cab[0].token, id, vote("approve", ""))
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let p = act(&world, &cast.cab[1].token, id, vote("reject", " "))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "comment");
    let c = ok(&world, &cast.cab[1].token, id, vote("approve", "")).await;
    assert_eq!(c["status"], "approved");
    let votes = world
        .api(
            Method::GET,
            &format!("/api/v1/changes/{id}/votes"),
            Some(agent),
            None,
        )
        .await
        .json();
    assert_eq!(votes.as_array().map(Vec::len), Some(2));
    // Scheduling: a freeze, the working day, a window ending before it
    // starts are refused; a night of the change windows is taken.
    let tenant = a.tenant.id.0;
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/tenants/{tenant}/change-freezes"),
            Some(&cast.manager.token),
            Some(json!({"name": "clôture annuelle", "starts_at": "2026-01-13T00:00:00Z", "ends_at": "2026-01-15T00:00:00Z"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let manager = &cast.manager.token;
    let p = act(
        &world,
        manager,
        id,
        schedule("2026-01-13T18:00:00Z", "2026-01-13T22:00:00Z"),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains("clôture annuelle"),
        "{p}"
    );
    let p = act(
        &world,
        manager,
        id,
        schedule("2026-01-20T13:00:00Z", "2026-01-20T15:00:00Z"),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains("outside the change windows"),
        "{p}"
    );
    let p = act(
        &world,
        manager,
        id,
        schedule("2026-01-20T22:00:00Z", "2026-01-20T18:00:00Z"),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "planned_end");
    let c = ok(
        &world,
        manager,
        id,
        schedule("2026-01-20T18:00:00Z", "2026-01-20T22:00:00Z"),
    )
    .await;
    assert_eq!(c["status"], "scheduled");
    assert_eq!(c["flags"], json!([]));
    // The window opened a maintenance window for the item in event management.
    let windows = world
        .api(
            Method::GET,
            &format!("/api/v1/tenants/{tenant}/maintenance-windows"),
            Some(manager),
            None,
        )
        .await;
    assert_eq!(windows.status, StatusCode::OK, "{}", windows.body);
    let number = c["number"].as_i64().expect("number");
    assert!(
        windows.body.contains(&format!("change #{number}")),
        "{}",
        windows.body
    );
    // Carrying out: the checklist first.
    act(&world, agent, id, json!({"action": "start"}))
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let items = world
        .api(
            Method::GET,
            &format!("/api/v1/changes/{id}/checklist"),
            Some(agent),
            None,
        )
        .await
        .json();
    let item = items[0]["id"].as_i64().expect("item");
    let res = world
        .api(
            Method::PUT,
            &format!("/api/v1/changes/{id}/checklist/{item}"),
            Some(agent),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["done"], true);
    ok(&world, agent, id, json!({"action": "start"})).await;
    ok(&world, agent, id, json!({"action": "complete"})).await;
    let p = act(
        &world,
        agent,
        id,
        json!({"action": "review", "success": false}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "lessons");
    let c = ok(
        &world,
        agent,
        id,
        json!({"action": "review", "success": false, "problems": "ports flapped",
               "lessons": "check the port profile first", "caused_incidents": [a.ticket_sud.0]}),
    )
    .await;
    assert_eq!(c["status"], "reviewed");
    assert_eq!(c["caused_incidents"], json!([a.ticket_sud.0]));
    ok(&world, manager, id, json!({"action": "close"})).await;
    // The change that caused incidents is found as such; its history is whole.
    let list = world
        .api(
            Method::GET,
            "/api/v1/changes?caused_incidents=true",
            Some(agent),
            None,
        )
        .await
        .json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let history = world
        .api(
            Method::GET,
            &format!("/api/v1/changes/{id}/history"),
            Some(agent),
            None,
        )
        .await;
    for status in [
        "submitted",
        "assessed",
        "approved",
        "scheduled",
        "implementing",
        "reviewed",
        "closed",
    ] {
        assert!(history.body.contains(status), "{status}: {}", history.body);
    }
}

#[tokio::test]
async fn an_emergency_change_is_approved_by_the_ecab_and_may_enter_a_freeze() {
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let agent = &a.agent_sud.token;
    let mut prep = prepared();
    prep["backout_tested"] = json!(false);
    prep["responsible_id"] = json!(a.agent_sud.id.0);
    let c = raise(&world, agent, "emergency", &[a.ci_sud], prep).await;
    let id = c["id"].as_i64().expect("id");
    ok(&world, agent, id, json!({"action": "submit"})).await;
    // A CAB member who is not on the ECAB may not vote; the ECAB member
    // approves without an assessment.
    act(&world, &cast.cab[1].token, id, vote("approve", ""))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let c = ok(
        &world,
        &cast.cab[0].token,
        id,
        vote("approve", "outage in progress"),
    )
    .await;
    assert_eq!(c["status"], "approved");
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/tenants/{}/change-freezes", a.tenant.id.0),
            Some(&cast.manager.token),
            Some(json!({"name": "year-end", "starts_at": "2026-01-13T00:00:00Z", "ends_at": "2026-01-15T00:00:00Z"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let c = ok(
        &world,
        &cast.manager.token,
        id,
        schedule("2026-01-13T10:00:00Z", "2026-01-13T11:00:00Z"),
    )
    .await;
    assert_eq!(c["status"], "scheduled");
    let flags: Vec<&str> = c["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .filter_map(|f| f["flag"].as_str())
        .collect();
    assert_eq!(flags, vec!["outside_window", "in_freeze"], "{c}");
}

#[tokio::test]
async fn changes_on_dependent_items_in_overlapping_windows_conflict() {
    changes_on_dependent_items_in_overlapping_windows_conflict_on(World::sqlite().await).await;
}

#[tokio::test]
async fn changes_on_dependent_items_in_overlapping_windows_conflict_on_postgres() {
    if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
        changes_on_dependent_items_in_overlapping_windows_conflict_on(World::on(store).await).await;
    }
}

async fn changes_on_dependent_items_in_overlapping_windows_conflict_on(world: World) {
    let cast = cast(&world).await;
    let a = &world.alpha;
    let rack = rack_of_sud(&world).await;
    let manager = &cast.manager.token;
    // A change on the rack, scheduled.
    let on_rack = approved(&world, &cast, &[rack]).await;
    ok(
        &world,
        manager,
        on_rack,
        schedule("2026-01-20T19:00:00Z", "2026-01-20T23:00:00Z"),
    )
    .await;
    // A change on the server in that rack, overlapping: a conflict.
    let on_server = approved(&world, &cast, &[a.ci_sud]).await;
    let check = world
        .api(
            Method::GET,
            &format!(
                "/api/v1/changes/{on_server}/window-check?planned_start=2026-01-20T22:00:00Z&planned_end=2026-01-21T01:00:00Z"
            ),
            Some(manager),
            None,
        )
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    let check = check.json();
    assert_eq!(check["allowed"], false);
    assert_eq!(check["flags"][0]["flag"], "conflict");
    assert_eq!(check["flags"][0]["relation"], "dependent_item");
    let p = act(
        &world,
        manager,
        on_server,
        schedule("2026-01-20T22:00:00Z", "2026-01-21T01:00:00Z"),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    let rack_number = world
        .api(
            Method::GET,
            &format!("/api/v1/changes/{on_rack}"),
            Some(manager),
            None,
        )
        .await
        .json()["number"]
        .as_i64()
        .expect("number");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("change #{rack_number}")),
        "{p}"
    );
    // Right after the rack's window: free.
    let c = ok(
        &world,
        manager,
        on_server,
        schedule("2026-01-20T23:00:00Z", "2026-01-21T01:00:00Z"),
    )
    .await;
    assert_eq!(c["status"], "scheduled");
    // A sibling server of the same rack, at the same time as the rack's
    // neighbour: no conflict with the first server.
    let sibling = world
        .api(
            Method::POST,
            "/api/v1/cis",
            Some(&a.admin.token),
            Some(json!({"entity_id": a.sud.0, "type": "server", "name": "alpha-ci-sud-2"})),
        )
        .await
        .json()["id"]
        .as_i64()
        .expect("sibling");
    let on_sibling = approved(&world, &cast, &[sibling]).await;
    let c = ok(
        &world,
        manager,
        on_sibling,
        schedule("2026-01-20T23:30:00Z", "2026-01-21T01:00:00Z"),
    )
    .await;
    assert_eq!(c["status"], "scheduled");
}

#[tokio::test]
async fn a_standard_change_from_its_template_skips_approval() {
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let tenant = a.tenant.id.0;
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/tenants/{tenant}/change-templates"),
            Some(&cast.manager.token),
            Some(
                json!({"name": "Add a disk to a VM", "implementation_plan": "add, rescan, extend",
                        "backout_plan": "detach the disk", "checklist": ["backup checked"]}),
            ),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let template = res.json()["id"].as_i64().expect("template");
    // Without its template, a standard change is refused.
    let res = world
        .api(
            Method::POST,
            "/api/v1/changes",
            Some(&a.agent_sud.token),
            Some(json!({"entity_id": a.sud.0, "type": "standard", "title": "disk"})),
        )
        .await;
    assert_eq!(
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "template_id"
    );
    let c = raise(
        &world,
        &a.agent_sud.token,
        "standard",
        &[a.ci_sud],
        json!({"template_id": template, "reason": "the volume is 95 % full",
               "responsible_id": a.agent_sud.id.0}),
    )
    .await;
    assert_eq!(c["implementation_plan"], "add, rescan, extend");
    let id = c["id"].as_i64().expect("id");
    let c = ok(&world, &a.agent_sud.token, id, json!({"action": "submit"})).await;
    assert_eq!(c["status"], "approved");
    let items = world
        .api(
            Method::GET,
            &format!("/api/v1/changes/{id}/checklist"),
            Some(&a.agent_sud.token),
            None,
        )
        .await
        .json();
    assert_eq!(items[0]["label"], "backup checked");
}

#[tokio::test]
async fn a_change_sent_back_starts_a_new_round_of_votes() {
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let agent = &a.agent_sud.token;
    let mut prep = prepared();
    prep["responsible_id"] = json!(a.agent_sud.id.0);
    let c = raise(&world, agent, "normal", &[a.ci_sud], prep).await;
    let id = c["id"].as_i64().expect("id");
    ok(&world, agent, id, json!({"action": "submit"})).await;
    ok(
        &world,
        &cast.manager.token,
        id,
        json!({"action": "assess", "likelihood": "high"}),
    )
    .await;
    ok(&world, &cast.cab[0].token, id, vote("approve", "")).await;
    act(
        &world,
        &cast.manager.token,
        id,
        json!({"action": "send_back", "reason": " "}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let c = ok(
        &world,
        &cast.manager.token,
        id,
        json!({"action": "send_back", "reason": "the backout plan was never tried on this model"}),
    )
    .await;
    assert_eq!(c["status"], "draft");
    let votes = world
        .api(
            Method::GET,
            &format!("/api/v1/changes/{id}/votes"),
            Some(agent),
            None,
        )
        .await
        .json();
    assert_eq!(votes, json!([]));
    // Back again: the earlier approval does not count, the member votes anew.
    ok(&world, agent, id, json!({"action": "submit"})).await;
    ok(
        &world,
        &cast.manager.token,
        id,
        json!({"action": "assess", "likelihood": "high"}),
    )
    .await;
    let c = ok(
        &world,
        &cast.cab[0].token,
        id,
        vote("reject", "still untested"),
    )
    .await;
    assert_eq!(c["status"], "assessed");
    let c = ok(&world, &cast.cab[1].token, id, vote("reject", "agreed")).await;
    assert_eq!(c["status"], "rejected");
    assert_eq!(c["allowed_actions"], json!([]));
}

#[tokio::test]
async fn the_calendar_exports_icalendar_that_parses_back() {
    use icalendar::{Calendar, Component};
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let id = approved(&world, &cast, &[a.ci_sud]).await;
    ok(
        &world,
        &cast.manager.token,
        id,
        schedule("2026-01-20T19:00:00Z", "2026-01-20T23:00:00Z"),
    )
    .await;
    let json = world
        .api(
            Method::GET,
            "/api/v1/changes/calendar?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z",
            Some(&a.agent_sud.token),
            None,
        )
        .await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.body);
    assert_eq!(json.json()["changes"].as_array().map(Vec::len), Some(1));
    let res = world
        .api(
            Method::GET,
            "/api/v1/changes/calendar.ics?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z",
            Some(&a.agent_sud.token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        res.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/calendar")
    );
    let parsed: Calendar = res.body.parse().expect("valid iCalendar");
    let events: Vec<_> = parsed.events().collect();
    assert_eq!(events.len(), 1, "{}", res.body);
    let e = events[0];
    assert_eq!(e.property_value("DTSTART"), Some("20260120T190000Z"));
    assert_eq!(e.property_value("DTEND"), Some("20260120T230000Z"));
    assert_eq!(e.property_value("STATUS"), Some("CONFIRMED"));
    assert_eq!(e.get_uid(), Some(format!("change-{id}@alpha").as_str()));
    // Another tenant's calendar holds none of it.
    let other = world
        .api(
            Method::GET,
            "/api/v1/changes/calendar.ics",
            Some(&world.beta.admin.token),
            None,
        )
        .await;
    let parsed: Calendar = other.body.parse().expect("valid iCalendar");
    assert_eq!(parsed.events().count(), 0);
}

#[tokio::test]
async fn bad_setup_and_bad_changes_are_refused_with_the_field() {
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let tenant = a.tenant.id.0;
    let manager = &cast.manager.token;
    let put = |board: &'static str, body: Value| {
        let path = format!("/api/v1/tenants/{tenant}/change-boards/{board}");
        let world = &world;
        async move {
            world
                .api(Method::PUT, &path, Some(manager), Some(body))
                .await
        }
    };
    let ids: Vec<i64> = cast.cab.iter().map(|p| p.id.0).collect();
    let p = put("cab", json!({"quorum": 4, "user_ids": ids})).await;
    assert_eq!(
        p.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "quorum"
    );
    let p = put("cab", json!({"quorum": 0, "user_ids": ids})).await;
    assert_eq!(
        p.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "quorum"
    );
    let p = put(
        "cab",
        json!({"quorum": 1, "user_ids": [world.beta.admin.id.0]}),
    )
    .await;
    p.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    put("board", json!({"quorum": 1, "user_ids": ids}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    // The CAB is as it was.
    let cab = world
        .api(
            Method::GET,
            &format!("/api/v1/tenants/{tenant}/change-boards/cab"),
            Some(manager),
            None,
        )
        .await
        .json();
    assert_eq!(cab["quorum"], 2);
    let freeze = world
        .api(
            Method::POST,
            &format!("/api/v1/tenants/{tenant}/change-freezes"),
            Some(manager),
            Some(json!({"name": "x", "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(
        freeze.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "ends_at"
    );
    let zone = world
        .api(
            Method::PUT,
            &format!("/api/v1/tenants/{tenant}/change-settings"),
            Some(manager),
            Some(json!({"window_calendar_id": null, "time_zone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!(
        zone.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "time_zone"
    );
    for (body, field) in [
        (
            json!({"entity_id": a.sud.0, "type": "urgent", "title": "x"}),
            "type",
        ),
        (
            json!({"entity_id": a.sud.0, "type": "normal", "title": ""}),
            "title",
        ),
        (
            json!({"entity_id": a.sud.0, "type": "normal", "title": "x", "ci_ids": [999999]}),
            "ci_ids",
        ),
        (
            json!({"entity_id": a.sud.0, "type": "normal", "title": "x", "reason": "é".repeat(20_001)}),
            "reason",
        ),
    ] {
        let res = world
            .api(
                Method::POST,
                "/api/v1/changes",
                Some(&a.agent_sud.token),
                Some(body),
            )
            .await;
        assert_eq!(
            res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
            field
        );
    }
    // An item of another tenant is unknown here.
    let res = world
        .api(
            Method::POST,
            "/api/v1/changes",
            Some(&a.agent_sud.token),
            Some(json!({"entity_id": a.sud.0, "type": "normal", "title": "x", "ci_ids": [world.beta.ci_sud]})),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    // An action the lifecycle does not know, and one the status refuses.
    let c = raise(&world, &a.agent_sud.token, "normal", &[], json!({})).await;
    let id = c["id"].as_i64().expect("id");
    act(&world, &a.agent_sud.token, id, json!({"action": "launch"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let p = act(
        &world,
        &a.agent_sud.token,
        id,
        json!({"action": "complete"}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains("allowed: submit, cancel"),
        "{p}"
    );
    // A requester reads no change.
    world
        .api(
            Method::GET,
            "/api/v1/changes",
            Some(&a.requester_nord.token),
            None,
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn a_change_joins_a_release_of_its_tenant() {
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let c = raise(&world, &a.agent_sud.token, "normal", &[a.ci_sud], json!({})).await;
    let id = c["id"].as_i64().expect("id");
    let release = world
        .api(
            Method::POST,
            "/api/v1/releases",
            Some(&a.admin.token),
            Some(json!({"entity_id": a.sud.0, "name": "Correctif réglementaire", "kind": "patch", "planned_for": "2026-02-10"})),
        )
        .await;
    assert_eq!(release.status, StatusCode::CREATED, "{}", release.body);
    let release = release.json()["id"].as_i64().expect("release");
    let path = format!("/api/v1/changes/{id}/release");
    // An agent does not file changes into releases; a release of another
    // tenant is unknown here.
    world
        .api(
            Method::PUT,
            &path,
            Some(&a.agent_sud.token),
            Some(json!({"release_id": release})),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let other = world
        .api(
            Method::POST,
            "/api/v1/releases",
            Some(&world.beta.admin.token),
            Some(json!({"entity_id": world.beta.sud.0, "name": "x", "kind": "patch", "planned_for": "2026-02-10"})),
        )
        .await
        .json()["id"]
        .as_i64()
        .expect("release");
    world
        .api(
            Method::PUT,
            &path,
            Some(&cast.manager.token),
            Some(json!({"release_id": other})),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let res = world
        .api(
            Method::PUT,
            &path,
            Some(&cast.manager.token),
            Some(json!({"release_id": release})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["release_id"], release);
    let r = world
        .api(
            Method::GET,
            &format!("/api/v1/releases/{release}"),
            Some(&a.admin.token),
            None,
        )
        .await
        .json();
    assert_eq!(r["change_ids"], json!([id]), "{r}");
}

#[tokio::test]
async fn a_scheduled_change_is_maintenance_of_the_services_it_touches() {
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let service = world
        .api(
            Method::POST,
            "/api/v1/cis",
            Some(&a.admin.token),
            Some(json!({"entity_id": a.sud.0, "type": "business_service", "name": "alpha-facturation"})),
        )
        .await;
    assert_eq!(service.status, StatusCode::CREATED, "{}", service.body);
    let service = service.json()["id"].as_i64().expect("service");
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/cis/{service}/relations"),
            Some(&a.admin.token),
            Some(json!({"type": "depends_on", "to_id": a.ci_sud})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = approved(&world, &cast, &[a.ci_sud]).await;
    let c = ok(
        &world,
        &cast.manager.token,
        id,
        schedule("2026-01-20T19:00:00Z", "2026-01-20T23:00:00Z"),
    )
    .await;
    assert_eq!(c["status"], "scheduled");
    let path = format!("/api/v1/tenants/{}/outages?month=2026-01", a.tenant.id.0);
    let outages = async |world: &World| {
        world
            .api(Method::GET, &path, Some(&a.admin.token), None)
            .await
    };
    let res = outages(&world).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let list = res.json();
    let maintenance: Vec<&serde_json::Value> = list
        .as_array()
        .expect("outages")
        .iter()
        .filter(|o| o["kind"] == "maintenance")
        .collect();
    assert_eq!(maintenance.len(), 1, "{list}");
    assert_eq!(maintenance[0]["service_ref"], "alpha-facturation");
    assert_eq!(maintenance[0]["starts_at"], "2026-01-20T19:00:00Z");
    // Moved, the maintenance moves with it; cancelled before it begins, it goes.
    ok(
        &world,
        &cast.manager.token,
        id,
        schedule("2026-01-21T19:00:00Z", "2026-01-21T23:00:00Z"),
    )
    .await;
    let list = outages(&world).await.json();
    assert!(list.to_string().contains("2026-01-21T19:00:00Z"), "{list}");
    assert!(!list.to_string().contains("2026-01-20T19:00:00Z"), "{list}");
    ok(
        &world,
        &a.agent_sud.token,
        id,
        json!({"action": "cancel", "reason": "postponed to the next release"}),
    )
    .await;
    let list = outages(&world).await.json();
    assert!(!list.to_string().contains("maintenance"), "{list}");
}
