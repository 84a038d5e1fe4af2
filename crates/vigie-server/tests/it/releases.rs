//! Releases through the API and the web: the release cycle's plan, the
//! release lifecycle with the qualification team's green light, the pages
//! and their buttons. Refusals say why and what would be allowed. The
//! environments' rules are in [`crate::environments`].

use crate::support::{Person, World};
use axum::http::{Method, StatusCode};
use jiff::SignedDuration;
use serde_json::{Value, json};

pub(crate) async fn call(
    world: &World,
    who: &Person,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> crate::support::Answer {
    world.api(method, path, Some(&who.token), body).await
}

/// Creates an environment item of `kind` in `entity`, as the tenant's admin.
pub(crate) async fn environment(world: &World, entity: i64, name: &str, kind: &str) -> i64 {
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
