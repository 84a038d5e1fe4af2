//! Background jobs: absent agents' tickets handed over exactly once, by the
//! one instance holding the lease.

use crate::support::{World, t0};
use axum::http::{Method, StatusCode};
use jiff::SignedDuration;
use serde_json::json;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::TicketAccess;
use vigie_core::ticket::lifecycle::{Action, LifecycleState, apply};
use vigie_server::jobs::handover_absent_owners;
use vigie_server::{AppState, ServerConfig};
use vigie_store::{Assignment, NewGrant, NewUser};

fn state(world: &World) -> AppState {
    AppState::new(
        world.store.clone(),
        ServerConfig::default(),
        world.clock.clone(),
    )
}

/// Puts Nord's ticket with Nord's group, held by the Nord administrator, and
/// adds a second agent of Nord to the group: the backup.
async fn held_ticket(world: &World) -> vigie_core::ids::UserId {
    let system = Actor::system();
    let a = &world.alpha;
    let backup = world
        .store
        .create_user(
            &system,
            &Scope::Platform,
            t0(),
            &NewUser {
                entity_id: a.nord,
                login: "alpha.backup-nord".into(),
                display_name: "Backup Nord".into(),
                email: None,
                locale: None,
                password_hash: None,
                platform_admin: false,
            },
        )
        .await
        .expect("backup");
    let grant = NewGrant {
        entity_id: a.nord,
        role: vigie_core::role::Role::Agent,
        recursive: true,
    };
    world
        .store
        .create_grant(&system, &Scope::Platform, t0(), backup.id, &grant)
        .await
        .expect("grant");
    for user in [a.admin_nord.id, backup.id] {
        world
            .store
            .set_group_member(&system, &Scope::Platform, t0(), a.group_nord, user, true)
            .await
            .expect("member");
    }
    let ticket = world
        .store
        .get_ticket(&TicketAccess::of(&system), a.ticket_nord)
        .await
        .expect("ticket");
    let outcome = apply(
        &LifecycleState {
            status: ticket.status,
            resolved_at: None,
        },
        &Action::Assign,
        t0(),
        SignedDuration::ZERO,
    )
    .expect("assign");
    let held = Assignment {
        group_id: Some(a.group_nord),
        assignee_id: Some(a.admin_nord.id),
    };
    world
        .store
        .apply_ticket_outcome(&system, &ticket, t0(), &outcome, Some(held))
        .await
        .expect("held");
    backup.id
}

async fn record_absence(world: &World, token: &str, user: i64, backup: Option<i64>) {
    let body = json!({"kind": "sickness", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2026-01-03T00:00:00Z", "backup_id": backup});
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/users/{user}/absences"),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
}

#[tokio::test]
async fn an_absent_agents_tickets_go_to_his_backup_once() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let backup = held_ticket(&world).await;
    // He records his own absence, naming his backup.
    record_absence(
        &world,
        &a.admin_nord.token,
        a.admin_nord.id.0,
        Some(backup.0),
    )
    .await;
    world.clock.advance(SignedDuration::from_hours(1));
    assert_eq!(
        handover_absent_owners(&state(&world), "one")
            .await
            .expect("job"),
        1
    );
    let path = format!("/api/v1/tickets/{}", a.ticket_nord.0);
    let t = world
        .api(Method::GET, &path, Some(&a.admin.token), None)
        .await
        .json();
    assert_eq!(
        (t["assignee_id"].as_i64(), t["group_id"].as_i64()),
        (Some(backup.0), Some(a.group_nord.0))
    );
    let notes = world
        .api(
            Method::GET,
            &format!("{path}/comments"),
            Some(&a.admin.token),
            None,
        )
        .await
        .json();
    assert!(
        notes
            .to_string()
            .contains("Handed over to Backup Nord while Person alpha.admin-nord is away (sickness"),
        "{notes}"
    );
    // Run again, or by another instance: nothing moves twice.
    assert_eq!(
        handover_absent_owners(&state(&world), "one")
            .await
            .expect("job"),
        0
    );
    // Nothing comes back by surprise when he returns.
    world.clock.advance(SignedDuration::from_hours(72));
    assert_eq!(
        handover_absent_owners(&state(&world), "one")
            .await
            .expect("job"),
        0
    );
    let t = world
        .api(Method::GET, &path, Some(&a.admin.token), None)
        .await
        .json();
    assert_eq!(t["assignee_id"].as_i64(), Some(backup.0));
}

#[tokio::test]
async fn without_an_available_backup_tickets_go_back_to_the_group() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let backup = held_ticket(&world).await;
    // The backup is away too; the admin records both absences.
    record_absence(&world, &a.admin.token, backup.0, None).await;
    record_absence(&world, &a.admin.token, a.admin_nord.id.0, Some(backup.0)).await;
    world.clock.advance(SignedDuration::from_hours(1));
    assert_eq!(
        handover_absent_owners(&state(&world), "one")
            .await
            .expect("job"),
        1
    );
    let t = world
        .api(
            Method::GET,
            &format!("/api/v1/tickets/{}", a.ticket_nord.0),
            Some(&a.admin.token),
            None,
        )
        .await
        .json();
    assert_eq!(
        (
            t["assignee_id"].is_null(),
            t["group_id"].as_i64(),
            t["status"].as_str()
        ),
        (true, Some(a.group_nord.0), Some("assigned"))
    );
}

#[tokio::test]
async fn absences_are_checked_and_scoped() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let path = format!("/api/v1/users/{}/absences", a.worker_sud.id);
    let world = &world;
    let path = &path;
    let post = |token: &str, body: serde_json::Value| {
        let token = token.to_owned();
        async move {
            world
                .api(Method::POST, path, Some(&token), Some(body))
                .await
        }
    };
    let reversed = json!({"kind": "leave", "starts_at": "2026-02-02T00:00:00Z", "ends_at": "2026-02-01T00:00:00Z"});
    post(&a.worker_sud.token, reversed)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let bad_time =
        json!({"kind": "leave", "starts_at": "demain", "ends_at": "2026-02-01T00:00:00Z"});
    let p = post(&a.worker_sud.token, bad_time)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "starts_at");
    let own_backup = json!({"kind": "leave", "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-02-02T00:00:00Z", "backup_id": a.worker_sud.id.0});
    post(&a.worker_sud.token, own_backup)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let foreign_backup = json!({"kind": "leave", "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-02-02T00:00:00Z", "backup_id": world.beta.agent_sud.id.0});
    post(&a.worker_sud.token, foreign_backup)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    // An agent records no absence for a colleague; the Nord admin none for Sud.
    let ok = json!({"kind": "leave", "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-02-02T00:00:00Z"});
    post(&a.agent_sud.token, ok.clone())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    post(&a.admin_nord.token, ok.clone())
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(
        post(&a.worker_sud.token, ok).await.status,
        StatusCode::CREATED
    );
    let list = world
        .api(Method::GET, path, Some(&a.agent_sud.token), None)
        .await
        .json();
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(2),
        "the fixture's and this one"
    );
}

async fn one_lease_holder(world: World) {
    let s = state(&world);
    let now = t0();
    let until = now + SignedDuration::from_mins(5);
    let (first, second) = tokio::join!(
        s.store().claim_lease("race", "instance-a", now, until),
        s.store().claim_lease("race", "instance-b", now, until)
    );
    assert!(
        first.expect("claim") ^ second.expect("claim"),
        "exactly one instance holds the lease"
    );
    let holder = if s
        .store()
        .claim_lease("race", "instance-a", now, until)
        .await
        .expect("renew")
    {
        "instance-a"
    } else {
        "instance-b"
    };
    let other = if holder == "instance-a" {
        "instance-b"
    } else {
        "instance-a"
    };
    assert!(
        !s.store()
            .claim_lease("race", other, now + SignedDuration::from_mins(4), until)
            .await
            .expect("claim")
    );
    // Past its time, the lease is free for the other instance.
    let later = now + SignedDuration::from_mins(6);
    assert!(
        s.store()
            .claim_lease("race", other, later, later + SignedDuration::from_mins(5))
            .await
            .expect("claim")
    );
    s.store()
        .release_lease("race", other)
        .await
        .expect("release");
    assert!(
        s.store()
            .claim_lease("race", holder, later, later + SignedDuration::from_mins(5))
            .await
            .expect("claim")
    );
}

#[tokio::test]
async fn one_instance_holds_a_lease_on_sqlite() {
    one_lease_holder(World::sqlite().await).await;
}

#[tokio::test]
async fn one_instance_holds_a_lease_on_postgres() {
    if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
        one_lease_holder(World::on(store).await).await;
    }
}
