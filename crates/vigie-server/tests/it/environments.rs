//! Environments through the API: hours within production's, data
//! refreshes only downwards, yearly resets with their notice and season.
//! Refusals say why and what would be allowed.

use crate::releases::{call, environment};
use crate::support::World;
use axum::http::{Method, StatusCode};
use jiff::SignedDuration;
use serde_json::{Value, json};

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
