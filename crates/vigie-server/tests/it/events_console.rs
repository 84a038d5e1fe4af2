//! The event console's API: alert groups, their alerts and raw events,
//! acknowledgement, integration keys, classification rules and maintenance
//! windows; each with its refusals (permission, other tenant, bad input).

use crate::events_support::{AlertSpec, group, key};
use crate::support::{World, t0};
use axum::http::{Method, StatusCode};
use serde_json::json;
use vigie_core::event::Severity;
use vigie_core::event::correlate::GroupState;
use vigie_core::ids::CiId;

/// Alpha: a critical group on the server of Sud with an incident, and a
/// resolved warning group. Beta: one group.
struct Groups {
    alpha: crate::events_support::Made,
    resolved: crate::events_support::Made,
    beta: crate::events_support::Made,
}

async fn groups(world: &World) -> Groups {
    let a = &world.alpha;
    let k = key(&world.store, a.sud, "alertmanager", t0()).await;
    let alpha = group(
        &world.store,
        &k,
        Some(CiId(a.ci_sud)),
        GroupState::Open,
        &[
            AlertSpec {
                labels: &[("team", "réseau")],
                ..AlertSpec::firing(
                    "alpha-ci-sud",
                    "ping",
                    Severity::Critical,
                    "alpha-ci-sud is down",
                )
            },
            AlertSpec::firing("alpha-ci-sud", "disk", Severity::Warning, "disk 91%"),
        ],
        Some(a.worker_sud.id),
        t0(),
    )
    .await;
    let resolved = group(
        &world.store,
        &k,
        None,
        GroupState::Resolved,
        &[AlertSpec::firing(
            "alpha-web",
            "http",
            Severity::Warning,
            "slow answers",
        )],
        None,
        t0(),
    )
    .await;
    let kb = key(&world.store, world.beta.sud, "zabbix", t0()).await;
    let beta = group(
        &world.store,
        &kb,
        None,
        GroupState::Open,
        &[AlertSpec::firing(
            "beta-db",
            "replication",
            Severity::Error,
            "beta replication late",
        )],
        None,
        t0(),
    )
    .await;
    Groups {
        alpha,
        resolved,
        beta,
    }
}

#[tokio::test]
async fn groups_are_listed_filtered_and_read_with_their_alerts() {
    let world = World::sqlite().await;
    let g = groups(&world).await;
    let token = Some(world.alpha.agent_sud.token.as_str());
    let list = world
        .api(Method::GET, "/api/v1/alert-groups", token, None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let items = list.json()["items"].as_array().expect("items").clone();
    let ids: Vec<i64> = items
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(
        ids,
        vec![g.resolved.id.0, g.alpha.id.0],
        "newest first, tenant only"
    );
    let first = &items[1];
    assert_eq!(first["title"], "alpha-ci-sud is down");
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["state"], "open");
    assert_eq!(first["root_ci_id"], world.alpha.ci_sud);
    assert_eq!(first["root_ci_name"], "alpha-ci-sud");
    assert_eq!(first["event_count"], 2);
    assert_eq!(first["incident_id"], g.alpha.incident.expect("incident").0);
    assert!(first["incident_number"].as_i64().is_some());

    let live = world
        .api(Method::GET, "/api/v1/alert-groups?live=true", token, None)
        .await
        .json();
    assert_eq!(live["items"].as_array().expect("items").len(), 1);
    assert_eq!(live["items"][0]["id"], g.alpha.id.0);
    let resolved = world
        .api(
            Method::GET,
            "/api/v1/alert-groups?state=resolved",
            token,
            None,
        )
        .await
        .json();
    assert_eq!(resolved["items"][0]["id"], g.resolved.id.0);
    assert_eq!(resolved["items"].as_array().expect("items").len(), 1);
    let severe = world
        .api(
            Method::GET,
            "/api/v1/alert-groups?min_severity=error",
            token,
            None,
        )
        .await
        .json();
    assert_eq!(severe["items"].as_array().expect("items").len(), 1);
    assert_eq!(severe["items"][0]["id"], g.alpha.id.0);
    let paged = world
        .api(Method::GET, "/api/v1/alert-groups?limit=1", token, None)
        .await
        .json();
    let cursor = paged["next_cursor"].as_str().expect("cursor").to_owned();
    let next = world
        .api(
            Method::GET,
            &format!("/api/v1/alert-groups?limit=1&cursor={cursor}"),
            token,
            None,
        )
        .await
        .json();
    assert_eq!(next["items"][0]["id"], g.alpha.id.0);
    assert!(next["next_cursor"].is_null());
    let p = world
        .api(
            Method::GET,
            "/api/v1/alert-groups?state=burning",
            token,
            None,
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "state");

    let detail = world
        .api(
            Method::GET,
            &format!("/api/v1/alert-groups/{}", g.alpha.id.0),
            token,
            None,
        )
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    let detail = detail.json();
    assert_eq!(detail["title"], "alpha-ci-sud is down");
    let alerts = detail["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 2);
    let ping = alerts.iter().find(|a| a["check"] == "ping").expect("ping");
    assert_eq!(ping["source"], "alertmanager");
    assert_eq!(ping["resource"], "alpha-ci-sud");
    assert_eq!(ping["status"], "firing");
    assert_eq!(ping["severity"], "critical");
    assert_eq!(ping["count"], 1);
    assert_eq!(ping["flapping"], false);
    assert_eq!(ping["fingerprint"], g.alpha.fingerprints[0]);
}

#[tokio::test]
async fn raw_events_are_read_only_for_the_groups_own_alerts() {
    let world = World::sqlite().await;
    let g = groups(&world).await;
    let token = Some(world.alpha.agent_sud.token.as_str());
    let path = |fp: &str| {
        format!(
            "/api/v1/alert-groups/{}/events?fingerprint={fp}",
            g.alpha.id.0
        )
    };
    let res = world
        .api(Method::GET, &path(&g.alpha.fingerprints[0]), token, None)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let events = res.json();
    let events = events.as_array().expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["action"], "trigger");
    assert_eq!(events[0]["summary"], "alpha-ci-sud is down");
    assert_eq!(events[0]["payload"]["labels"]["team"], "réseau");
    assert_eq!(events[0]["pending"], false);
    // The resolved group's alert is not one of this group's.
    world
        .api(Method::GET, &path(&g.resolved.fingerprints[0]), token, None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    world
        .api(
            Method::GET,
            &format!("/api/v1/alert-groups/{}/events", g.alpha.id.0),
            token,
            None,
        )
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    // Another tenant's group is not found, its fingerprint neither.
    world
        .api(
            Method::GET,
            &format!(
                "/api/v1/alert-groups/{}/events?fingerprint={}",
                g.beta.id.0, g.beta.fingerprints[0]
            ),
            token,
            None,
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test]
async fn groups_are_refused_without_the_permission_and_across_tenants() {
    let world = World::sqlite().await;
    let g = groups(&world).await;
    let requester = Some(world.alpha.requester_nord.token.as_str());
    for path in [
        "/api/v1/alert-groups".to_owned(),
        format!("/api/v1/alert-groups/{}", g.alpha.id.0),
    ] {
        world
            .api(Method::GET, &path, requester, None)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    world
        .api(
            Method::POST,
            &format!("/api/v1/alert-groups/{}/acknowledge", g.alpha.id.0),
            requester,
            None,
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let beta = Some(world.beta.admin.token.as_str());
    for (method, path) in [
        (
            Method::GET,
            format!("/api/v1/alert-groups/{}", g.alpha.id.0),
        ),
        (
            Method::POST,
            format!("/api/v1/alert-groups/{}/acknowledge", g.alpha.id.0),
        ),
    ] {
        world
            .api(method, &path, beta, None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
    let list = world
        .api(Method::GET, "/api/v1/alert-groups", beta, None)
        .await
        .json();
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    assert_eq!(list["items"][0]["id"], g.beta.id.0);
}

#[tokio::test]
async fn acknowledging_marks_the_group_once_and_refuses_a_resolved_one() {
    let world = World::sqlite().await;
    let g = groups(&world).await;
    let token = Some(world.alpha.agent_sud.token.as_str());
    let path = format!("/api/v1/alert-groups/{}/acknowledge", g.alpha.id.0);
    let res = world.api(Method::POST, &path, token, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let out = res.json();
    assert_eq!(out["state"], "acknowledged");
    assert_eq!(out["acknowledged_by"], "alpha.agent-sud");
    assert_eq!(out["acknowledged_at"], t0().to_string());
    let audit = world.audit_count().await;
    let again = world.api(Method::POST, &path, token, None).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(world.audit_count().await, audit, "twice changes nothing");
    world
        .api(
            Method::POST,
            &format!("/api/v1/alert-groups/{}/acknowledge", g.resolved.id.0),
            token,
            None,
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn integration_keys_are_created_once_listed_and_revoked() {
    let world = World::sqlite().await;
    let admin = Some(world.alpha.admin.token.as_str());
    let res = world
        .api(
            Method::POST,
            "/api/v1/integration-keys",
            admin,
            Some(json!({"entity_id": world.alpha.sud.0, "source": "zabbix-prod"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created = res.json();
    let secret = created["secret"].as_str().expect("secret");
    assert!(secret.starts_with("vgk_"), "{secret}");
    assert_eq!(created["source"], "zabbix-prod");
    assert_eq!(created["entity_id"], world.alpha.sud.0);
    assert_eq!(
        created["prefix"],
        secret.chars().take(12).collect::<String>()
    );
    let id = created["id"].as_i64().expect("id");
    let list = world
        .api(Method::GET, "/api/v1/integration-keys", admin, None)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains(secret), "the secret is shown once");
    assert_eq!(list.json()[0]["id"], id);
    assert!(list.json()[0]["revoked_at"].is_null());

    let bad = world
        .api(
            Method::POST,
            "/api/v1/integration-keys",
            admin,
            Some(json!({"entity_id": world.alpha.sud.0, "source": "Zabbix Prod"})),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(bad["field"], "source");
    // Agents work events but do not configure them.
    world
        .api(
            Method::POST,
            "/api/v1/integration-keys",
            Some(&world.alpha.agent_sud.token),
            Some(json!({"entity_id": world.alpha.sud.0, "source": "zabbix"})),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    world
        .api(
            Method::GET,
            "/api/v1/integration-keys",
            Some(&world.alpha.agent_sud.token),
            None,
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Another tenant's administrator reaches neither the entity nor the key.
    let beta = Some(world.beta.admin.token.as_str());
    world
        .api(
            Method::POST,
            "/api/v1/integration-keys",
            beta,
            Some(json!({"entity_id": world.alpha.sud.0, "source": "zabbix"})),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    world
        .api(
            Method::POST,
            &format!("/api/v1/integration-keys/{id}/revoke"),
            beta,
            None,
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let beta_list = world
        .api(Method::GET, "/api/v1/integration-keys", beta, None)
        .await;
    assert_eq!(beta_list.json(), json!([]));

    let revoked = world
        .api(
            Method::POST,
            &format!("/api/v1/integration-keys/{id}/revoke"),
            admin,
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(revoked.json()["revoked_at"], t0().to_string());
}

#[tokio::test]
async fn rules_are_the_defaults_until_replaced_and_bad_rules_name_their_field() {
    let world = World::sqlite().await;
    let tenant = world.alpha.tenant.id.0;
    let path = format!("/api/v1/tenants/{tenant}/event-rules");
    let admin = Some(world.alpha.admin.token.as_str());
    let res = world.api(Method::GET, &path, admin, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let out = res.json();
    assert_eq!(out["default"], true);
    assert_eq!(out["rules"].as_array().expect("rules").len(), 3);
    assert_eq!(
        out["rules"][0]["name"],
        "Critical and error events open incidents"
    );
    assert_eq!(
        out["rules"][0]["conditions"][0]["kind"],
        "severity_at_least"
    );

    let mine = json!([{
        "name": "Zabbix pages",
        "conditions": [{"kind": "source_is", "source": "zabbix"}, {"kind": "summary_matches", "pattern": "^down"}],
        "outcome": {"class": "exception", "open_incident": true, "auto_resolve": false}
    }]);
    let put = world.api(Method::PUT, &path, admin, Some(mine)).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.json()["default"], false);
    let read = world.api(Method::GET, &path, admin, None).await.json();
    assert_eq!(read["default"], false);
    assert_eq!(read["rules"][0]["name"], "Zabbix pages");
    assert_eq!(
        read["rules"][0]["outcome"]["priority"]["critical"],
        "critique"
    );

    let audit = world.audit_count().await;
    for (body, field) in [
        (
            json!([{"outcome": {"class": "warning", "open_incident": false, "auto_resolve": true}},
                   {"conditions": [{"kind": "summary_matches", "pattern": "("}],
                    "outcome": {"class": "warning", "open_incident": false, "auto_resolve": true}}]),
            "rules[1].conditions[0].pattern",
        ),
        (
            json!([{"conditions": [{"kind": "moon_is", "phase": "full"}],
                    "outcome": {"class": "warning", "open_incident": false, "auto_resolve": true}}]),
            "rules[0]",
        ),
        (json!({"rules": []}), "rules"),
    ] {
        let p = world
            .api(Method::PUT, &path, admin, Some(body))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], field, "{p}");
    }
    assert_eq!(
        world.audit_count().await,
        audit,
        "refused rules change nothing"
    );

    // Only those who configure the whole tenant's events.
    for token in [&world.alpha.admin_nord.token, &world.alpha.agent_sud.token] {
        world
            .api(Method::GET, &path, Some(token), None)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    world
        .api(
            Method::PUT,
            &path,
            Some(&world.beta.admin.token),
            Some(json!([])),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    let reset = world.api(Method::DELETE, &path, admin, None).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(reset.json()["default"], true);
    let read = world.api(Method::GET, &path, admin, None).await.json();
    assert_eq!(read["default"], true);
    assert_eq!(read["rules"].as_array().expect("rules").len(), 3);
}

#[tokio::test]
async fn maintenance_windows_are_created_listed_and_ended() {
    let world = World::sqlite().await;
    let tenant = world.alpha.tenant.id.0;
    let path = format!("/api/v1/tenants/{tenant}/maintenance-windows");
    let admin = Some(world.alpha.admin.token.as_str());
    let body = |starts: &str, ends: &str, ci: i64| json!({"name": "Changement de baie", "starts_at": starts, "ends_at": ends, "ci_ids": [ci]});
    let res = world
        .api(
            Method::POST,
            &path,
            admin,
            Some(body(
                "2025-12-31T23:00:00Z",
                "2026-01-01T02:00:00Z",
                world.alpha.ci_sud,
            )),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let w = res.json();
    assert_eq!(w["name"], "Changement de baie");
    assert_eq!(w["starts_at"], "2025-12-31T23:00:00Z");
    assert_eq!(w["ends_at"], "2026-01-01T02:00:00Z");
    assert_eq!(w["ci_ids"], json!([world.alpha.ci_sud]));
    assert_eq!(w["include_children"], true);
    assert_eq!(w["active"], true, "t0 is 2026-01-01T00:00:00Z");
    let id = w["id"].as_i64().expect("id");
    let list = world.api(Method::GET, &path, admin, None).await.json();
    assert_eq!(list.as_array().expect("list").len(), 1);
    assert_eq!(list[0]["id"], id);

    let audit = world.audit_count().await;
    for (b, field) in [
        (
            body(
                "2026-01-02T00:00:00Z",
                "2026-01-02T00:00:00Z",
                world.alpha.ci_sud,
            ),
            "ends_at",
        ),
        (
            body("tomorrow", "2026-01-02T00:00:00Z", world.alpha.ci_sud),
            "starts_at",
        ),
        (
            body(
                "2026-01-02T00:00:00Z",
                "2026-01-03T00:00:00Z",
                world.beta.ci_sud,
            ),
            "ci_ids",
        ),
    ] {
        let p = world
            .api(Method::POST, &path, admin, Some(b))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], field, "{p}");
    }
    assert_eq!(world.audit_count().await, audit);

    world
        .api(Method::GET, &path, Some(&world.alpha.agent_sud.token), None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let beta = Some(world.beta.admin.token.as_str());
    world
        .api(Method::GET, &path, beta, None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    // A window of alpha is not found through beta's own tenant either.
    world
        .api(
            Method::POST,
            &format!(
                "/api/v1/tenants/{}/maintenance-windows/{id}/end",
                world.beta.tenant.id.0
            ),
            beta,
            None,
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    let ended = world
        .api(Method::POST, &format!("{path}/{id}/end"), admin, None)
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.body);
    let ended = ended.json();
    assert_eq!(ended["ends_at"], t0().to_string());
    assert_eq!(ended["active"], false);
}
