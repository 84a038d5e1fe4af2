//! Releases and environments through the API: environments' hours within
//! production's, data refreshes only downwards, yearly resets with their
//! notice and season, the release cycle's plan and the release lifecycle
//! with the qualification team's green light. Refusals say why and what
//! would be allowed.

use crate::support::{Person, World};
use axum::http::{Method, StatusCode};
use jiff::SignedDuration;
use serde_json::{Value, json};

async fn call(
    world: &World,
    who: &Person,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> crate::support::Answer {
    world.api(method, path, Some(&who.token), body).await
}

/// Creates an environment item of `kind` in `entity`, as the tenant's admin.
async fn environment(world: &World, entity: i64, name: &str, kind: &str) -> i64 {
    environment_as(world, &world.alpha.admin, entity, name, kind).await
}

/// Creates an environment item as `who`.
async fn environment_as(world: &World, who: &Person, entity: i64, name: &str, kind: &str) -> i64 {
    let res = call(
        world,
        who,
        Method::POST,
        "/api/v1/cis",
        Some(json!({"entity_id": entity, "type": "environment", "name": name, "attributes": {"kind": kind}})),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_i64().expect("id")
}

/// Creates a calendar of the tenant from a preset.
async fn calendar(world: &World, name: &str, preset: &str) -> i64 {
    let res = call(
        world,
        &world.alpha.admin,
        Method::POST,
        &format!("/api/v1/tenants/{}/calendars", world.alpha.tenant.id.0),
        Some(json!({"name": name, "preset": preset})),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_i64().expect("id")
}

async fn hours(world: &World, env: i64, calendar: Option<i64>) -> crate::support::Answer {
    call(
        world,
        &world.alpha.admin,
        Method::PUT,
        &format!("/api/v1/environments/{env}/hours"),
        Some(json!({ "calendar_id": calendar })),
    )
    .await
}

async fn hours_never_wider_than_production(world: World) {
    let root = world.alpha.root.0;
    let prod = environment(&world, root, "prod", "production").await;
    let qualif = environment(&world, root, "qualif", "qualification").await;
    let office = calendar(&world, "office", "working-hours").await;
    let env_hours = calendar(&world, "environments", "environment-hours").await;
    let always = calendar(&world, "always", "24/7").await;

    // Production's hours come first.
    let res = hours(&world, qualif, Some(env_hours)).await;
    let p = res.assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("production's hours are not set"),
        "{p}"
    );

    // 07:00–19:00 is wider than production's 08:00–18:00: refused, naming
    // the first working day (1 January is a holiday) and the segment.
    assert_eq!(
        hours(&world, prod, Some(office)).await.status,
        StatusCode::OK
    );
    let res = hours(&world, qualif, Some(env_hours)).await;
    let p = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "calendar_id");
    let detail = p["detail"].as_str().expect("detail");
    assert!(detail.contains("wider than production's"), "{detail}");
    assert!(
        detail.contains("on 2026-01-02 the segment 07:00–19:00"),
        "{detail}"
    );

    // Round-the-clock production takes them; then production cannot shrink
    // below them.
    assert_eq!(
        hours(&world, prod, Some(always)).await.status,
        StatusCode::OK
    );
    let res = hours(&world, qualif, Some(env_hours)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = hours(&world, prod, Some(office)).await;
    let p = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        p["detail"].as_str().expect("detail").contains("`qualif`"),
        "{p}"
    );

    // An unknown calendar names the field.
    let p = hours(&world, qualif, Some(999_999))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "calendar_id");

    let list = call(
        &world,
        &world.alpha.agent_sud,
        Method::GET,
        "/api/v1/environments",
        None,
    )
    .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    // The agent of Sud sees only Sud's environments: none here.
    assert_eq!(list.json(), json!([]));
    let list = call(
        &world,
        &world.alpha.admin,
        Method::GET,
        "/api/v1/environments",
        None,
    )
    .await
    .json();
    let q = list
        .as_array()
        .expect("list")
        .iter()
        .find(|e| e["name"] == "qualif")
        .expect("qualif")
        .clone();
    assert_eq!(q["kind"], "qualification");
    assert_eq!(q["rank"], 1);
    assert_eq!(q["calendar_id"], env_hours);
    // A calendar in use by an environment is not deleted.
    let res = call(
        &world,
        &world.alpha.admin,
        Method::DELETE,
        &format!(
            "/api/v1/tenants/{}/calendars/{env_hours}",
            world.alpha.tenant.id.0
        ),
        None,
    )
    .await;
    res.assert_problem(StatusCode::CONFLICT, "conflict");
    // Agents cannot set hours.
    let sud_env = environment(&world, world.alpha.sud.0, "alpha-sud-recette", "acceptance").await;
    let res = call(
        &world,
        &world.alpha.agent_sud,
        Method::PUT,
        &format!("/api/v1/environments/{sud_env}/hours"),
        Some(json!({"calendar_id": env_hours})),
    )
    .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn environment_hours_are_never_wider_than_production_s_on_sqlite() {
    hours_never_wider_than_production(World::sqlite().await).await;
}

#[tokio::test]
async fn environment_hours_are_never_wider_than_production_s_on_postgres() {
    if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
        hours_never_wider_than_production(World::on(store).await).await;
    }
}

async fn refreshes_go_downwards(world: World) {
    let sud = world.alpha.sud.0;
    let prod = environment(&world, sud, "alpha-sud-prod", "production").await;
    let qualif = environment(&world, sud, "alpha-sud-qualif", "qualification").await;
    let dev = environment(&world, sud, "alpha-sud-dev", "development").await;
    let agent = &world.alpha.agent_sud;
    let ask = |source: i64, target: i64, extra: Value| {
        let mut body = json!({
            "source_environment_id": source,
            "target_environment_id": target,
            "requested_for": "2026-01-20",
            "note": "tests of the new billing"
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        body
    };
    let before = world.audit_count().await;
    // Upwards: refused, saying why and what is allowed.
    let res = call(
        &world,
        agent,
        Method::POST,
        "/api/v1/data-refreshes",
        Some(ask(qualif, prod, json!({}))),
    )
    .await;
    let p = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "target_environment_id");
    let detail = p["detail"].as_str().expect("detail");
    assert!(detail.contains("only be refreshed downwards"), "{detail}");
    assert!(
        detail.contains("from qualification the allowed targets are: development"),
        "{detail}"
    );
    assert!(
        detail.contains("into production the allowed sources are: none"),
        "{detail}"
    );
    // Into itself, sideways by kind, and from production without anonymisation.
    let p = call(
        &world,
        agent,
        Method::POST,
        "/api/v1/data-refreshes",
        Some(ask(dev, dev, json!({}))),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("from itself"),
        "{p}"
    );
    let p = call(
        &world,
        agent,
        Method::POST,
        "/api/v1/data-refreshes",
        Some(ask(prod, qualif, json!({"anonymise": false}))),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "anonymise");
    // Malformed and past dates.
    for date in ["20/01/2026", "2026-02-30", "soon"] {
        let p = call(
            &world,
            agent,
            Method::POST,
            "/api/v1/data-refreshes",
            Some(ask(prod, qualif, json!({"requested_for": date}))),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], "requested_for", "{date}");
    }
    let p = call(
        &world,
        agent,
        Method::POST,
        "/api/v1/data-refreshes",
        Some(ask(prod, qualif, json!({"requested_for": "2025-12-31"}))),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "requested_for");
    assert_eq!(
        world.audit_count().await,
        before,
        "a refused request wrote something"
    );

    // Downwards from production: anonymised, requested.
    let res = call(
        &world,
        agent,
        Method::POST,
        "/api/v1/data-refreshes",
        Some(ask(prod, qualif, json!({}))),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created = res.json();
    assert_eq!(created["anonymise"], true);
    assert_eq!(created["status"], "requested");
    assert_eq!(created["requester_id"], agent.id.0);
    let id = created["id"].as_i64().expect("id");
    // Qualification into development is not anonymised unless asked.
    let res = call(
        &world,
        agent,
        Method::POST,
        "/api/v1/data-refreshes",
        Some(ask(qualif, dev, json!({}))),
    )
    .await;
    assert_eq!(res.json()["anonymise"], false, "{}", res.body);
    let second = res.json()["id"].as_i64().expect("id");

    // The agent asks; he does not decide.
    let approve = format!("/api/v1/data-refreshes/{id}/approve");
    call(&world, agent, Method::POST, &approve, None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let admin = &world.alpha.admin;
    let done = format!("/api/v1/data-refreshes/{id}/done");
    let p = call(&world, admin, Method::POST, &done, None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("allowed: approve, refuse"),
        "{p}"
    );
    assert_eq!(
        call(&world, admin, Method::POST, &approve, None)
            .await
            .json()["status"],
        "approved"
    );
    assert_eq!(
        call(&world, admin, Method::POST, &done, None).await.json()["status"],
        "done"
    );
    call(&world, admin, Method::POST, &done, None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let list = call(&world, agent, Method::GET, "/api/v1/data-refreshes", None)
        .await
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    // Another tenant sees none of it.
    let theirs = call(
        &world,
        &world.beta.admin,
        Method::GET,
        &format!("/api/v1/data-refreshes/{id}"),
        None,
    )
    .await;
    theirs.assert_problem(StatusCode::NOT_FOUND, "not-found");

    // The direction is decided again at approval: development became
    // production meanwhile, so qualification can no longer feed it.
    let res = call(
        &world,
        admin,
        Method::PATCH,
        &format!("/api/v1/cis/{dev}"),
        Some(json!({"attributes": {"kind": "production"}})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let p = call(
        &world,
        admin,
        Method::POST,
        &format!("/api/v1/data-refreshes/{second}/approve"),
        None,
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    let detail = p["detail"].as_str().expect("detail");
    assert!(detail.contains("changed since the request"), "{detail}");
    assert!(detail.contains("only be refreshed downwards"), "{detail}");
}

#[tokio::test]
async fn data_refreshes_go_only_downwards_on_sqlite() {
    refreshes_go_downwards(World::sqlite().await).await;
}

#[tokio::test]
async fn data_refreshes_go_only_downwards_on_postgres() {
    if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
        refreshes_go_downwards(World::on(store).await).await;
    }
}

async fn release_lifecycle(world: World) {
    let a = &world.alpha;
    let admin = &a.admin;
    let settings = format!("/api/v1/tenants/{}/release-settings", a.tenant.id.0);
    let got = call(&world, &a.requester_nord, Method::GET, &settings, None)
        .await
        .json();
    assert_eq!(got["default"], true, "{got}");
    assert_eq!(got["cycle_months"], 2);
    // Bad settings name their field.
    for (body, field) in [
        (
            json!({"cycle_months": 0, "cycle_anchor": "2026-01-15"}),
            "cycle_months",
        ),
        (
            json!({"cycle_months": 2, "cycle_anchor": "15 January"}),
            "cycle_anchor",
        ),
        (
            json!({"cycle_months": 2, "cycle_anchor": "2026-01-15", "reset_season_last_month": 13}),
            "reset_season_last_month",
        ),
        (
            json!({"cycle_months": 2, "cycle_anchor": "2026-01-15", "reset_notice_days": -3}),
            "reset_notice_days",
        ),
        (
            json!({"cycle_months": 2, "cycle_anchor": "2026-01-15", "qualification_group_id": world.beta.group_sud.0}),
            "qualification_group_id",
        ),
    ] {
        let p = call(&world, admin, Method::PUT, &settings, Some(body))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], field);
    }
    call(
        &world,
        &a.admin_nord,
        Method::PUT,
        &settings,
        Some(json!({"cycle_months": 2, "cycle_anchor": "2026-01-15"})),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = call(
        &world,
        admin,
        Method::PUT,
        &settings,
        Some(json!({"cycle_months": 2, "cycle_anchor": "2026-01-15", "qualification_group_id": a.group_sud.0})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // A regular release goes on a cycle date.
    let release = |name: &str, kind: &str, date: &str| {
        json!({
            "entity_id": a.sud.0,
            "name": name,
            "kind": kind,
            "planned_for": date,
            "versions": [{"component": "billing", "version": "4.2.0"}, {"component": "portal", "version": "2026.1"}]
        })
    };
    let p = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/releases",
        Some(release("MEP", "regular", "2026-02-01")),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "planned_for");
    let detail = p["detail"].as_str().expect("detail");
    assert!(detail.contains("2026-01-15 and 2026-03-15"), "{detail}");
    for (body, field) in [
        (release("MEP", "regular", "15/03/2026"), "planned_for"),
        (release("MEP", "monthly", "2026-03-15"), "kind"),
        (release(" ", "regular", "2026-03-15"), "name"),
        (
            json!({"entity_id": a.sud.0, "name": "MEP", "kind": "regular", "planned_for": "2026-03-15",
                   "versions": [{"component": "billing", "version": "1"}, {"component": "Billing", "version": "2"}]}),
            "versions[1]",
        ),
    ] {
        let p = call(&world, admin, Method::POST, "/api/v1/releases", Some(body))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], field, "{p}");
    }
    // A version naming another tenant's item, or none, is refused.
    for ci in [world.beta.ci_sud, 999_999] {
        let body = json!({"entity_id": a.sud.0, "name": "MEP", "kind": "regular", "planned_for": "2026-03-15",
                          "versions": [{"component": "billing", "version": "1"}, {"component": "server", "ci_id": ci, "version": "2"}]});
        let p = call(&world, admin, Method::POST, "/api/v1/releases", Some(body))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], "versions[1].ci_id");
    }
    call(
        &world,
        &a.agent_sud,
        Method::POST,
        "/api/v1/releases",
        Some(release("MEP", "regular", "2026-03-15")),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    let res = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/releases",
        Some(release("alpha-sud MEP 2026-03", "regular", "2026-03-15")),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let regular = res.json();
    assert_eq!(regular["status"], "planned");
    assert_eq!(
        regular["versions"][0],
        json!({"component": "billing", "ci_id": null, "version": "4.2.0"})
    );
    assert_eq!(regular["allowed_actions"], json!(["qualify", "cancel"]));
    let rid = regular["id"].as_i64().expect("id");
    let act = |id: i64, action: &str| format!("/api/v1/releases/{id}/{action}");
    let p = call(&world, admin, Method::POST, &act(rid, "deploy"), None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    assert_eq!(
        p["detail"],
        "a release that is planned cannot deploy; allowed: qualify, cancel"
    );
    assert_eq!(
        call(&world, admin, Method::POST, &act(rid, "qualify"), None)
            .await
            .json()["status"],
        "qualification"
    );
    // A regular release may go straight from qualification to production.
    let deployed = call(&world, admin, Method::POST, &act(rid, "deploy"), None)
        .await
        .json();
    assert_eq!(deployed["status"], "deployed");
    assert_eq!(deployed["deployed_at"], "2026-01-01T00:00:00Z");
    let p = call(
        &world,
        admin,
        Method::PATCH,
        &format!("/api/v1/releases/{rid}"),
        Some(json!({"name": "late"})),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("can no longer be changed"),
        "{p}"
    );

    // A patch needs the qualification team's green light.
    let res = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/releases",
        Some(release("alpha-sud patch 4.2.1", "patch", "2026-01-20")),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let pid = res.json()["id"].as_i64().expect("id");
    let res = call(
        &world,
        admin,
        Method::PATCH,
        &format!("/api/v1/releases/{pid}"),
        Some(json!({"versions": [{"component": "billing", "ci_id": a.ci_sud, "version": "4.2.1"}], "planned_for": "2026-01-21"})),
    )
    .await;
    assert_eq!(
        res.json()["versions"],
        json!([{"component": "billing", "ci_id": a.ci_sud, "version": "4.2.1"}])
    );
    call(&world, admin, Method::POST, &act(pid, "qualify"), None).await;
    let p = call(&world, admin, Method::POST, &act(pid, "deploy"), None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let detail = p["detail"].as_str().expect("detail");
    assert!(
        detail.contains("needs the qualification team's green light"),
        "{detail}"
    );
    assert!(detail.contains("allowed: green-light, cancel"), "{detail}");
    // The tenant's administrator is not in the qualification group.
    let p = call(&world, admin, Method::POST, &act(pid, "green-light"), None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("qualification group"),
        "{p}"
    );
    world.clock.advance(SignedDuration::from_hours(3));
    let res = call(
        &world,
        &a.worker_sud,
        Method::POST,
        &act(pid, "green-light"),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let lit = res.json();
    assert_eq!(lit["status"], "green_lit");
    assert_eq!(lit["green_light_by"], a.worker_sud.id.0);
    assert_eq!(lit["green_light_at"], "2026-01-01T03:00:00Z");
    let p = call(
        &world,
        &a.worker_sud,
        Method::POST,
        &act(pid, "green-light"),
        None,
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        p["detail"].as_str().expect("detail").contains("given once"),
        "{p}"
    );
    // The qualifier does not deploy; the change manager does.
    call(
        &world,
        &a.worker_sud,
        Method::POST,
        &act(pid, "deploy"),
        None,
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        call(&world, admin, Method::POST, &act(pid, "deploy"), None)
            .await
            .json()["status"],
        "deployed"
    );
    call(&world, admin, Method::POST, &act(pid, "cancel"), None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");

    let history = call(
        &world,
        admin,
        Method::GET,
        &format!("/api/v1/releases/{pid}/history"),
        None,
    )
    .await
    .json();
    let statuses: Vec<String> = history
        .as_array()
        .expect("history")
        .iter()
        .flat_map(|line| line["changes"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["field"] == "status")
        .filter_map(|c| c["after"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        statuses,
        ["planned", "qualification", "green_lit", "deployed"],
        "{history}"
    );
    // Lists filter by kind; another tenant sees nothing.
    let patches = call(
        &world,
        admin,
        Method::GET,
        "/api/v1/releases?kind=patch",
        None,
    )
    .await
    .json();
    assert_eq!(patches.as_array().map(Vec::len), Some(1), "{patches}");
    call(
        &world,
        admin,
        Method::GET,
        "/api/v1/releases?from=yesterday",
        None,
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let theirs = call(
        &world,
        &world.beta.admin,
        Method::GET,
        "/api/v1/releases",
        None,
    )
    .await
    .json();
    assert_eq!(theirs, json!([]));
    call(
        &world,
        &world.beta.admin,
        Method::GET,
        &format!("/api/v1/releases/{pid}"),
        None,
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn releases_follow_their_lifecycle_and_patches_wait_for_the_green_light_on_sqlite() {
    release_lifecycle(World::sqlite().await).await;
}

#[tokio::test]
async fn releases_follow_their_lifecycle_and_patches_wait_for_the_green_light_on_postgres() {
    if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
        release_lifecycle(World::on(store).await).await;
    }
}

#[tokio::test]
async fn the_plan_lists_the_cycle_s_dates_of_a_period() {
    let world = World::sqlite().await;
    let admin = &world.alpha.admin;
    // The defaults: every two months from 15 January 2026; the current
    // quarter by default (the clock is on 1 January 2026).
    let plan = call(&world, admin, Method::GET, "/api/v1/releases/plan", None)
        .await
        .json();
    assert_eq!(plan["from"], "2026-01-01");
    assert_eq!(plan["to"], "2026-03-31");
    assert_eq!(plan["dates"], json!(["2026-01-15", "2026-03-15"]));
    let plan = call(
        &world,
        admin,
        Method::GET,
        "/api/v1/releases/plan?from=2026-04-01&to=2026-06-30",
        None,
    )
    .await
    .json();
    assert_eq!(plan["dates"], json!(["2026-05-15"]));
    // A start alone: to the end of its quarter.
    let plan = call(
        &world,
        admin,
        Method::GET,
        "/api/v1/releases/plan?from=2026-07-01",
        None,
    )
    .await
    .json();
    assert_eq!(plan["to"], "2026-09-30");
    assert_eq!(plan["dates"], json!(["2026-07-15", "2026-09-15"]));
    let p = call(
        &world,
        admin,
        Method::GET,
        "/api/v1/releases/plan?from=2026-13-01",
        None,
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "from");
    let p = call(
        &world,
        admin,
        Method::GET,
        "/api/v1/releases/plan?from=2026-06-01&to=2026-04-01",
        None,
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("before it starts"),
        "{p}"
    );
    call(
        &world,
        &world.alpha.requester_nord,
        Method::GET,
        "/api/v1/releases/plan",
        None,
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn resets_need_their_notice_their_season_and_once_a_year() {
    let world = World::sqlite().await;
    let admin = &world.alpha.admin;
    let env = environment(&world, world.alpha.sud.0, "alpha-sud-formation", "training").await;
    let reset = |partner: &str, date: &str| json!({"environment_id": env, "partner": partner, "planned_for": date});
    let res = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/environment-resets",
        Some(reset("Caisse Nord", "2026-07-20")),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created = res.json();
    assert_eq!(created["notice_days"], 21);
    assert_eq!(created["season"], json!([7, 8]));
    // Twice in a year for the same partner, however it is spelt.
    let p = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/environment-resets",
        Some(reset("caisse  NORD", "2026-08-10")),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "planned_for");
    let detail = p["detail"].as_str().expect("detail");
    assert!(detail.contains("one a year at most"), "{detail}");
    assert!(
        detail.contains("earliest allowed date is 2027-07-01"),
        "{detail}"
    );
    // Out of season.
    let p = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/environment-resets",
        Some(reset("Caisse Sud", "2026-09-01")),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("months 7 to 8"),
        "{p}"
    );
    // Too little notice, once the season is near.
    world.clock.advance(SignedDuration::from_hours(24 * 190));
    let p = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/environment-resets",
        Some(reset("Caisse Sud", "2026-07-20")),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let detail = p["detail"].as_str().expect("detail");
    assert!(detail.contains("at least 21 days ahead"), "{detail}");
    assert!(
        detail.contains("earliest allowed date is 2026-07-31"),
        "{detail}"
    );
    let p = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/environment-resets",
        Some(reset("Caisse Sud", "31/07/2026")),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "planned_for");
    let res = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/environment-resets",
        Some(reset("Caisse Sud", "2026-07-31")),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    // An environment's own season: winter, across the new year.
    let season = format!("/api/v1/environments/{env}/reset-season");
    for (body, field) in [
        (json!({"first_month": 13, "last_month": 2}), "first_month"),
        (json!({"first_month": 11}), "last_month"),
    ] {
        let p = call(&world, admin, Method::PUT, &season, Some(body))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], field);
    }
    let res = call(
        &world,
        admin,
        Method::PUT,
        &season,
        Some(json!({"first_month": 11, "last_month": 2})),
    )
    .await;
    assert_eq!(res.json()["reset_season"], json!([11, 2]), "{}", res.body);
    let res = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/environment-resets",
        Some(reset("Caisse Est", "2027-01-10")),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.json()["season"], json!([11, 2]));
    let p = call(
        &world,
        admin,
        Method::POST,
        "/api/v1/environment-resets",
        Some(reset("Caisse Ouest", "2026-08-10")),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("months 11 to 2"),
        "{p}"
    );
    let res = call(
        &world,
        admin,
        Method::PUT,
        &season,
        Some(json!({"first_month": null, "last_month": null})),
    )
    .await;
    assert_eq!(res.json()["reset_season"], Value::Null, "{}", res.body);

    // Agents read the plan; they do not plan resets.
    let list = call(
        &world,
        &world.alpha.agent_sud,
        Method::GET,
        "/api/v1/environment-resets",
        None,
    )
    .await
    .json();
    assert_eq!(list.as_array().map(Vec::len), Some(3), "{list}");
    call(
        &world,
        &world.alpha.agent_sud,
        Method::POST,
        "/api/v1/environment-resets",
        Some(reset("Caisse Est", "2027-07-20")),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn the_web_pages_show_the_plan_and_the_environments_in_scope() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let prod = environment(&world, a.sud.0, "alpha-sud-prod", "production").await;
    let dev = environment(&world, a.sud.0, "alpha-sud-dev", "development").await;
    environment_as(
        &world,
        &world.beta.admin,
        world.beta.sud.0,
        "beta-sud-prod",
        "production",
    )
    .await;
    let res = call(
        &world,
        &a.agent_sud,
        Method::POST,
        "/api/v1/data-refreshes",
        Some(json!({"source_environment_id": prod, "target_environment_id": dev, "requested_for": "2026-02-02"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = call(
        &world,
        &a.admin,
        Method::POST,
        "/api/v1/releases",
        Some(json!({"entity_id": a.sud.0, "name": "MEP <mars>", "kind": "regular", "planned_for": "2026-03-15"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);

    let (agent, _) = world.web_session(a.agent_sud.id).await;
    let page = world.page_in(&agent, "/releases", "en").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("href=\"/releases\""),
        "no navigation link"
    );
    assert!(
        page.body.contains("<li>2026-01-15</li><li>2026-03-15</li>"),
        "{}",
        page.body
    );
    // Names are escaped.
    assert!(
        page.body.contains("MEP &#60;mars&#62;") || page.body.contains("MEP &lt;mars&gt;"),
        "{}",
        page.body
    );
    let next = world
        .page_in(&agent, "/releases?date=2026-04-01", "fr")
        .await;
    assert!(next.body.contains("<li>2026-05-15</li>"), "{}", next.body);
    assert!(
        next.body.contains("Aucune mise en production"),
        "{}",
        next.body
    );

    let page = world.page_in(&agent, "/environments", "en").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    let prod_at = body.find("alpha-sud-prod").expect("prod listed");
    let dev_at = body.find("alpha-sud-dev").expect("dev listed");
    assert!(prod_at < dev_at, "production comes first: {body}");
    assert!(body.contains("Requested"), "{body}");
    assert!(!body.contains("beta-sud-prod"), "another tenant leaked");

    // A requester reads neither page and has no link to them.
    let (requester, _) = world.web_session(a.requester_nord.id).await;
    let page = world.page(&requester, "/releases").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        !page.body.contains("href=\"/environments\""),
        "{}",
        page.body
    );
    assert_eq!(
        world.page(&requester, "/environments").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_plan_s_buttons_move_a_release_through_the_same_rules() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let res = call(
        &world,
        &a.admin,
        Method::POST,
        "/api/v1/releases",
        Some(json!({"entity_id": a.sud.0, "name": "patch 1", "kind": "patch", "planned_for": "2026-02-10"})),
    )
    .await;
    let id = res.json()["id"].as_i64().expect("id");
    let (admin, csrf) = world.web_session(a.admin.id).await;
    let page = world
        .page_in(&admin, "/releases?date=2026-02-01", "en")
        .await;
    assert!(
        page.body.contains(&format!("id=\"release-{id}-qualify\"")),
        "{}",
        page.body
    );
    // Without the CSRF token nothing moves.
    let res = world
        .form(
            &admin,
            &format!("/releases/{id}/qualify"),
            &[("csrf", "wrong")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = world
        .form(
            &admin,
            &format!("/releases/{id}/qualify"),
            &[("csrf", &csrf), ("date", "2026-01-01")],
        )
        .await;
    assert_eq!(res.location(), "/releases?date=2026-01-01");
    // The patch has no green light: the page says why, with the API's words.
    let res = world
        .form(
            &admin,
            &format!("/releases/{id}/deploy"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(
        res.body.contains("green light before it is deployed"),
        "{}",
        res.body
    );
    let res = world
        .form(&admin, &format!("/releases/{id}/fly"), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let got = call(
        &world,
        &a.admin,
        Method::GET,
        &format!("/api/v1/releases/{id}"),
        None,
    )
    .await
    .json();
    assert_eq!(got["status"], "qualification");
    // An agent sees only the green light button, and it refuses him.
    let (agent, agent_csrf) = world.web_session(a.agent_sud.id).await;
    let page = world
        .page_in(&agent, "/releases?date=2026-02-01", "en")
        .await;
    assert!(
        page.body
            .contains(&format!("id=\"release-{id}-green-light\"")),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(&format!("id=\"release-{id}-cancel\"")),
        "{}",
        page.body
    );
    let res = world
        .form(
            &agent,
            &format!("/releases/{id}/green-light"),
            &[("csrf", &agent_csrf)],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
}
