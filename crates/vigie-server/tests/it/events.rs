//! Event ingestion over HTTP and the processor behind it: Alertmanager,
//! PagerDuty v2, generic and Zabbix bodies authenticated by integration
//! keys; retries stored once; refused requests storing nothing; alerts
//! correlated through the CMDB into one group and one incident, resolved
//! when they clear; tenants kept apart.

use crate::support::{Answer, TenantWorld, World, t0};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use vigie_core::event::correlate::GroupState;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::priority::Priority;
use vigie_core::ticket::{Channel, Status, TicketAccess};
use vigie_store::{AlertGroupFilter, NewIntegrationKey, PageRequest};

/// A new integration key of the tenant (its entity Sud), as a secret.
pub(crate) async fn key(world: &World, t: &TenantWorld, source: &str) -> String {
    let secret = vigie_server::auth::new_integration_key();
    world
        .store
        .create_integration_key(
            &Actor::system(),
            &Scope::Platform,
            t0(),
            &NewIntegrationKey {
                entity_id: t.sud,
                source: source.into(),
                prefix: secret.prefix.clone(),
                secret_hash: secret.hash.clone(),
            },
        )
        .await
        .expect("key");
    secret.secret
}

async fn post(world: &World, path: &str, key: Option<&str>, body: &str) -> Answer {
    let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(k) = key {
        req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    world
        .send(req.body(Body::from(body.to_owned())).expect("request"))
        .await
}

async fn process(world: &World) -> vigie_server::events::Processed {
    vigie_server::events::process_all(&world.state, "test-instance")
        .await
        .expect("processing")
}

fn alert(
    status: &str,
    name: &str,
    instance: &str,
    severity: &str,
    starts: &str,
    ends: &str,
) -> Value {
    json!({
        "status": status,
        "labels": {"alertname": name, "instance": instance, "severity": severity},
        "annotations": {"summary": format!("{name} on {instance}")},
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus.example.org:9090/graph",
        "fingerprint": format!("{name}-{instance}")
    })
}

fn notification(status: &str, alerts: Vec<Value>) -> String {
    json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"NodeDown\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "vigie",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.org:9093",
        "alerts": alerts
    })
    .to_string()
}

async fn live_groups(world: &World, t: &TenantWorld) -> Vec<vigie_store::AlertGroupRecord> {
    world
        .store
        .list_alert_groups(
            &Scope::Platform,
            &AlertGroupFilter {
                live_only: true,
                ..Default::default()
            },
            PageRequest::first(100),
        )
        .await
        .expect("groups")
        .items
        .into_iter()
        .filter(|g| g.tenant_id == t.tenant.id)
        .collect()
}

#[tokio::test]
async fn alerts_on_a_server_and_its_rack_make_one_incident_resolved_when_they_clear() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let k = key(&world, a, "alertmanager").await;
    let firing = notification(
        "firing",
        vec![
            alert(
                "firing",
                "NodeDown",
                "alpha-ci-sud:9100",
                "critical",
                "2025-12-31T22:00:00Z",
                "0001-01-01T00:00:00Z",
            ),
            alert(
                "firing",
                "RackPowerLost",
                "alpha-ci-sud-rack",
                "critical",
                "2025-12-31T22:00:05Z",
                "0001-01-01T00:00:00Z",
            ),
        ],
    );
    let res = post(
        &world,
        "/api/v1/integrations/alertmanager",
        Some(&k),
        &firing,
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    assert_eq!(res.json(), json!({"accepted": 2, "duplicates": 0}));
    // Alertmanager retries (or repeats) the same notification: stored once.
    let again = post(
        &world,
        "/api/v1/integrations/alertmanager",
        Some(&k),
        &firing,
    )
    .await;
    assert_eq!(again.json(), json!({"accepted": 0, "duplicates": 2}));

    let done = process(&world).await;
    assert_eq!(done.events, 2);
    assert_eq!(done.groups_opened, 1, "the rack and its server: one group");
    assert_eq!(done.incidents_opened, 1);
    let groups = live_groups(&world, a).await;
    assert_eq!(groups.len(), 1);
    let group = &groups[0];
    assert_eq!(group.state, GroupState::Open);
    assert_eq!(group.root_ci_name.as_deref(), Some("alpha-ci-sud-rack"));
    assert_eq!(group.event_count, 2);
    let incident = group.incident_id.expect("incident");
    let ticket = world
        .store
        .get_ticket(&TicketAccess::of(&Actor::system()), incident)
        .await
        .expect("ticket");
    assert_eq!(ticket.channel, Channel::Event);
    assert_eq!(ticket.priority, Priority::Critique);
    assert_eq!(ticket.tenant_id, a.tenant.id);
    assert_eq!(ticket.title, "NodeDown on alpha-ci-sud:9100");
    assert_eq!(ticket.status, Status::New);
    let alerts = world.store.group_alerts(group).await.expect("alerts");
    assert_eq!(alerts.len(), 2);
    // Processing again finds nothing new.
    assert_eq!(process(&world).await.events, 0);
    // The server's page lists its alert for those who work events.
    let (agent, _) = world.web_session(a.agent_sud.id).await;
    let page = world.page(&agent, &format!("/cmdb/{}", a.ci_sud)).await;
    let listed = page
        .body
        .split("id=\"ci-alerts\"")
        .nth(1)
        .and_then(|s| s.split("</table>").next())
        .unwrap_or_else(|| panic!("no alerts: {}", page.body));
    assert!(
        listed.contains("alertmanager / NodeDown") && listed.contains("firing"),
        "{listed}"
    );
    // The incident's page shows its item and what its failure takes down.
    let page = world
        .page(&agent, &format!("/tickets/{}", incident.0))
        .await;
    let impact = page
        .body
        .split("id=\"ticket-impact\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_else(|| panic!("no impact: {}", page.body));
    // The incident names the item of its first event, the server.
    assert!(
        impact.contains(&format!("href=\"/cmdb/{}\"", a.ci_sud))
            && impact.contains("Items down: 1"),
        "{impact}"
    );
    let (requester, _) = world.web_session(a.requester_nord.id).await;
    let page = world.page(&requester, &format!("/cmdb/{}", a.ci_sud)).await;
    assert!(!page.body.contains("id=\"ci-alerts\""), "{}", page.body);

    // Both clear: the incident is resolved by monitoring.
    let resolved = notification(
        "resolved",
        vec![
            alert(
                "resolved",
                "NodeDown",
                "alpha-ci-sud:9100",
                "critical",
                "2025-12-31T22:00:00Z",
                "2025-12-31T22:20:00Z",
            ),
            alert(
                "resolved",
                "RackPowerLost",
                "alpha-ci-sud-rack",
                "critical",
                "2025-12-31T22:00:05Z",
                "2025-12-31T22:19:00Z",
            ),
        ],
    );
    let res = post(
        &world,
        "/api/v1/integrations/alertmanager",
        Some(&k),
        &resolved,
    )
    .await;
    assert_eq!(
        res.json(),
        json!({"accepted": 2, "duplicates": 0}),
        "{}",
        res.body
    );
    let done = process(&world).await;
    assert_eq!(done.incidents_resolved, 1);
    assert!(live_groups(&world, a).await.is_empty());
    let ticket = world
        .store
        .get_ticket(&TicketAccess::of(&Actor::system()), incident)
        .await
        .expect("ticket");
    assert_eq!(ticket.status, Status::Resolved);
    assert_eq!(
        ticket.solution_code.as_deref(),
        Some(vigie_store::AUTO_RESOLVED)
    );
    // The other tenant saw none of it.
    assert!(live_groups(&world, &world.beta).await.is_empty());
}

#[tokio::test]
async fn pagerduty_senders_get_pagerduty_answers() {
    let world = World::sqlite().await;
    let k = key(&world, &world.alpha, "grafana").await;
    let trigger = json!({
        "routing_key": k,
        "event_action": "trigger",
        "dedup_key": "erp-api-latency",
        "payload": {"summary": "ERP API p95 above 2 s", "source": "srv-erp-01", "severity": "error"}
    });
    let res = post(
        &world,
        "/api/v1/integrations/pagerduty/v2/enqueue",
        None,
        &trigger.to_string(),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    assert_eq!(
        res.json(),
        json!({"status": "success", "message": "Event processed", "dedup_key": "erp-api-latency"})
    );
    // Without a dedup key, one is derived, the same on a retry.
    let mut bare = trigger.clone();
    bare.as_object_mut().expect("object").remove("dedup_key");
    let one = post(
        &world,
        "/api/v1/integrations/pagerduty/v2/enqueue",
        None,
        &bare.to_string(),
    )
    .await;
    let two = post(
        &world,
        "/api/v1/integrations/pagerduty/v2/enqueue",
        None,
        &bare.to_string(),
    )
    .await;
    let derived = one.json()["dedup_key"].as_str().expect("key").to_owned();
    assert!(!derived.is_empty());
    assert_eq!(two.json()["dedup_key"], derived.as_str());
    let done = process(&world).await;
    assert_eq!(done.events, 2, "the retry was stored once");
    assert_eq!(done.incidents_opened, 2);

    let resolve =
        json!({"routing_key": k, "event_action": "resolve", "dedup_key": "erp-api-latency"});
    let res = post(
        &world,
        "/api/v1/integrations/pagerduty/v2/enqueue",
        None,
        &resolve.to_string(),
    )
    .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    assert_eq!(process(&world).await.incidents_resolved, 1);

    // An unknown key, and an event without its summary.
    let mut stranger = trigger.clone();
    stranger["routing_key"] = json!("vgk_nobody");
    post(
        &world,
        "/api/v1/integrations/pagerduty/v2/enqueue",
        None,
        &stranger.to_string(),
    )
    .await
    .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let mut no_summary = trigger;
    no_summary["payload"]
        .as_object_mut()
        .expect("payload")
        .remove("summary");
    let p = post(
        &world,
        "/api/v1/integrations/pagerduty/v2/enqueue",
        None,
        &no_summary.to_string(),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    assert_eq!(p["field"], "payload.summary", "{p}");
}

#[tokio::test]
async fn refused_requests_store_nothing() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let k = key(&world, a, "alertmanager").await;
    let good = notification(
        "firing",
        vec![alert(
            "firing",
            "NodeDown",
            "srv-x",
            "critical",
            "2025-12-31T22:00:00Z",
            "0001-01-01T00:00:00Z",
        )],
    );
    // No key, a user's API token, a made-up key.
    for bad in [None, Some(a.admin.token.as_str()), Some("vgk_made-up")] {
        post(&world, "/api/v1/integrations/alertmanager", bad, &good)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    // Malformed JSON, a wrong version, a second alert without labels: 400
    // naming the field, and the first alert is not stored either.
    let p = post(
        &world,
        "/api/v1/integrations/alertmanager",
        Some(&k),
        "{\"version\": \"4\", \"alerts\": [",
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    assert_eq!(p["field"], "$", "{p}");
    let wrong_version = good.replace("\"version\":\"4\"", "\"version\":\"3\"");
    assert_ne!(wrong_version, good);
    let p = post(
        &world,
        "/api/v1/integrations/alertmanager",
        Some(&k),
        &wrong_version,
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    assert_eq!(p["field"], "version", "{p}");
    let mut half: Value = serde_json::from_str(&good).expect("json");
    half["alerts"]
        .as_array_mut()
        .expect("alerts")
        .push(json!({"status": "firing", "labels": "not an object"}));
    let p = post(
        &world,
        "/api/v1/integrations/alertmanager",
        Some(&k),
        &half.to_string(),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    assert_eq!(p["field"], "alerts[1].labels", "{p}");
    // A generic event without a resource.
    let p = post(
        &world,
        "/api/v1/events",
        Some(&k),
        r#"[{"source": "s", "severity": "error"}]"#,
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    assert_eq!(p["field"], "[0].resource", "{p}");
    // Over the body limit.
    let huge = format!(
        "[{}]",
        vec![r#"{"source":"s","resource":"r","severity":"info"}"#; 30_000].join(",")
    );
    let res = post(&world, "/api/v1/events", Some(&k), &huge).await;
    assert_eq!(
        res.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &res.body[..res.body.len().min(300)]
    );
    // Revoked: refused from then on.
    let keys = world
        .store
        .list_integration_keys(&Scope::Platform)
        .await
        .expect("keys");
    world
        .store
        .revoke_integration_key(&Actor::system(), &Scope::Platform, t0(), keys[0].id)
        .await
        .expect("revoke");
    post(&world, "/api/v1/integrations/alertmanager", Some(&k), &good)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        world
            .store
            .pending_events(100)
            .await
            .expect("pending")
            .is_empty()
    );
}

#[tokio::test]
async fn warnings_group_without_incident_and_information_is_only_recorded() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let k = key(&world, a, "scripts").await;
    let body = json!([
        {"source": "backup", "resource": "srv-files-02", "check": "disk", "severity": "warning", "summary": "Disk at 85 %", "time": "2025-12-31T22:00:00Z"},
        {"source": "backup", "resource": "srv-files-02", "check": "login", "severity": "info", "summary": "Admin logged in", "time": "2025-12-31T22:00:00Z"},
        {"source": "backup", "resource": "srv-db-09", "check": "backup", "severity": "error", "summary": "Nightly backup failed", "time": "2025-12-31T22:00:00Z"}
    ])
    .to_string();
    let res = post(&world, "/api/v1/events", Some(&k), &body).await;
    assert_eq!(
        res.json(),
        json!({"accepted": 3, "duplicates": 0}),
        "{}",
        res.body
    );
    let done = process(&world).await;
    assert_eq!(done.events, 3);
    assert_eq!(done.groups_opened, 2, "the warning and the error");
    assert_eq!(done.incidents_opened, 1, "only the error");
    let groups = live_groups(&world, a).await;
    let warning = groups
        .iter()
        .find(|g| g.title == "Disk at 85 %")
        .expect("warning group");
    assert_eq!(warning.incident_id, None);
    let error = groups
        .iter()
        .find(|g| g.title == "Nightly backup failed")
        .expect("error group");
    let ticket = world
        .store
        .get_ticket(
            &TicketAccess::of(&Actor::system()),
            error.incident_id.expect("incident"),
        )
        .await
        .expect("ticket");
    assert_eq!(ticket.priority, Priority::Haut);
    // The same error again: counted, no second incident.
    let again = json!([{"source": "backup", "resource": "srv-db-09", "check": "backup", "severity": "error", "summary": "Nightly backup failed", "time": "2025-12-31T22:30:00Z"}]).to_string();
    post(&world, "/api/v1/events", Some(&k), &again).await;
    let done = process(&world).await;
    assert_eq!((done.events, done.incidents_opened), (1, 0));
    let alerts = world.store.group_alerts(error).await.expect("alerts");
    assert_eq!(alerts[0].count, 2);
}

#[tokio::test]
async fn a_tenants_key_never_reaches_another_tenants_items() {
    let world = World::sqlite().await;
    let kb = key(&world, &world.beta, "alertmanager").await;
    // Beta's tool names alpha's server: beta gets an alert about no item.
    let body = notification(
        "firing",
        vec![alert(
            "firing",
            "NodeDown",
            "alpha-ci-sud",
            "critical",
            "2025-12-31T22:00:00Z",
            "0001-01-01T00:00:00Z",
        )],
    );
    post(
        &world,
        "/api/v1/integrations/alertmanager",
        Some(&kb),
        &body,
    )
    .await;
    process(&world).await;
    assert!(live_groups(&world, &world.alpha).await.is_empty());
    let beta = live_groups(&world, &world.beta).await;
    assert_eq!(beta.len(), 1);
    assert_eq!(beta[0].root_ci_id, None, "matched to no item of beta");
    let ticket = world
        .store
        .get_ticket(
            &TicketAccess::of(&Actor::system()),
            beta[0].incident_id.expect("incident"),
        )
        .await
        .expect("ticket");
    assert_eq!(ticket.tenant_id, world.beta.tenant.id);
}

#[tokio::test]
async fn events_under_a_maintenance_window_raise_nothing() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let k = key(&world, a, "alertmanager").await;
    world
        .store
        .create_maintenance_window(
            &Actor::system(),
            a.tenant.id,
            t0(),
            &vigie_store::NewMaintenanceWindow {
                name: "Changement de baie".into(),
                starts_at: t0(),
                ends_at: t0() + jiff::SignedDuration::from_hours(4),
                ci_ids: vec![vigie_core::ids::CiId(a.ci_sud)],
                include_children: true,
            },
        )
        .await
        .expect("window");
    let body = notification(
        "firing",
        vec![alert(
            "firing",
            "NodeDown",
            "alpha-ci-sud",
            "critical",
            "2025-12-31T22:00:00Z",
            "0001-01-01T00:00:00Z",
        )],
    );
    post(&world, "/api/v1/integrations/alertmanager", Some(&k), &body).await;
    let done = process(&world).await;
    assert_eq!(done.events, 1);
    assert_eq!((done.groups_opened, done.incidents_opened), (0, 0));
}

#[tokio::test]
async fn events_on_the_items_of_a_scheduled_change_raise_nothing_during_its_window() {
    use crate::changes::{approved, cast, ok, schedule};
    let world = World::sqlite().await;
    let a = &world.alpha;
    let cast = cast(&world).await;
    let change = approved(&world, &cast, &[a.ci_sud]).await;
    // A night window around now (Thursday 01:00 in Paris).
    ok(
        &world,
        &cast.manager.token,
        change,
        schedule("2025-12-31T23:00:00Z", "2026-01-01T03:00:00Z"),
    )
    .await;
    let k = key(&world, a, "alertmanager").await;
    let body = notification(
        "firing",
        vec![alert(
            "firing",
            "NodeDown",
            "alpha-ci-sud",
            "critical",
            "2025-12-31T23:30:00Z",
            "0001-01-01T00:00:00Z",
        )],
    );
    post(&world, "/api/v1/integrations/alertmanager", Some(&k), &body).await;
    let done = process(&world).await;
    assert_eq!(done.events, 1);
    assert_eq!((done.groups_opened, done.incidents_opened), (0, 0));
    // Once the change is carried out, its window ends: the item pages again.
    ok(
        &world,
        &a.agent_sud.token,
        change,
        serde_json::json!({"action": "start"}),
    )
    .await;
    ok(
        &world,
        &a.agent_sud.token,
        change,
        serde_json::json!({"action": "complete"}),
    )
    .await;
    world.clock.advance(jiff::SignedDuration::from_mins(1));
    let body = notification(
        "firing",
        vec![alert(
            "firing",
            "DiskFull",
            "alpha-ci-sud",
            "critical",
            "2025-12-31T23:40:00Z",
            "0001-01-01T00:00:00Z",
        )],
    );
    post(&world, "/api/v1/integrations/alertmanager", Some(&k), &body).await;
    let done = process(&world).await;
    assert_eq!(done.incidents_opened, 1, "{done:?}");
}

#[tokio::test]
async fn the_story_holds_on_postgres() {
    let Some(store) = vigie_store::testing::postgres().await.expect("postgres") else {
        return;
    };
    let world = World::on(store).await;
    let k = key(&world, &world.alpha, "zabbix").await;
    let problem = json!({
        "version": "1", "event_id": "9001", "event_value": "1", "event_severity": "High",
        "event_name": "Unavailable by ICMP ping", "trigger_id": "13001",
        "trigger_name": "Unavailable by ICMP ping", "host": "alpha-ci-sud",
        "time": "2025-12-31T22:00:00Z", "tags": []
    })
    .to_string();
    let res = post(&world, "/api/v1/integrations/zabbix", Some(&k), &problem).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let res = post(&world, "/api/v1/integrations/zabbix", Some(&k), &problem).await;
    assert_eq!(res.json(), json!({"accepted": 0, "duplicates": 1}));
    let done = process(&world).await;
    assert_eq!((done.events, done.incidents_opened), (1, 1));
}

#[tokio::test]
async fn raw_events_of_cleared_alerts_are_compacted_after_the_retention_period() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let k = key(&world, a, "scripts").await;
    let body = json!([
        {"source": "s", "resource": "srv-a", "check": "disk", "severity": "error", "summary": "disk full", "time": "2025-12-31T22:00:00Z"},
        {"source": "s", "resource": "srv-a", "check": "disk", "action": "resolve", "time": "2025-12-31T22:10:00Z"},
        {"source": "s", "resource": "srv-b", "check": "cpu", "severity": "error", "summary": "cpu hot", "time": "2025-12-31T22:00:00Z"},
        {"source": "s", "resource": "srv-c", "check": "login", "severity": "info", "summary": "someone logged in", "time": "2025-12-31T22:00:00Z"}
    ])
    .to_string();
    post(&world, "/api/v1/events", Some(&k), &body).await;
    process(&world).await;
    let fp = |resource: &str, check: &str| {
        let mut e = vigie_core::event::Event::new(
            "s",
            resource,
            check,
            vigie_core::event::Severity::Info,
            t0(),
        );
        e.dedup_key = None;
        vigie_core::event::fingerprint::fingerprint(&e)
    };
    let (cleared, firing, info) = (
        fp("srv-a", "disk"),
        fp("srv-b", "cpu"),
        fp("srv-c", "login"),
    );
    let events = |f: vigie_core::event::fingerprint::Fingerprint| {
        let store = world.store.clone();
        let tenant = a.tenant.id;
        async move {
            store
                .alert_events(tenant, f.as_str(), 10)
                .await
                .expect("events")
                .len()
        }
    };
    assert_eq!(events(cleared.clone()).await, 2);
    // Within the period: nothing goes.
    let processor = world.state.event_processor();
    assert_eq!(
        processor
            .compact_if_due(&world.state)
            .await
            .expect("compact"),
        0
    );
    // 31 days later (and an hour since the last compaction).
    world
        .clock
        .advance(jiff::SignedDuration::from_hours(31 * 24));
    assert_eq!(
        processor
            .compact_if_due(&world.state)
            .await
            .expect("compact"),
        3
    );
    assert_eq!(events(cleared.clone()).await, 0);
    assert_eq!(events(info.clone()).await, 0);
    assert_eq!(
        events(firing.clone()).await,
        1,
        "a firing alert keeps its events"
    );
    // The alerts keep their counts.
    let states = world
        .store
        .alert_states(a.tenant.id, &[cleared.clone(), info])
        .await
        .expect("alerts");
    assert_eq!(states[&cleared].dedup.count, 2);
}

/// A second server in the rack of the tenant's server `alpha-ci-sud`;
/// returns the rack.
async fn second_server_in_the_rack(world: &World, a: &TenantWorld) -> vigie_store::CiRecord {
    let system = Actor::system();
    let sud = world
        .store
        .get_entity(&Scope::Platform, a.sud)
        .await
        .expect("sud");
    let rack = world
        .store
        .find_cis_by_ref(&Scope::Platform, "alpha-ci-sud-rack")
        .await
        .expect("rack")
        .remove(0);
    let second = world
        .store
        .create_ci(
            &system,
            &sud,
            t0(),
            &vigie_store::NewCi {
                ci_type: vigie_core::cmdb::CiType::Server,
                name: "alpha-ci-sud-2".into(),
                status: vigie_core::cmdb::CiStatus::InService,
                criticality: vigie_core::cmdb::Criticality::High,
                owner_group_id: None,
                attributes: Default::default(),
                identifiers: Vec::new(),
            },
        )
        .await
        .expect("server");
    world
        .store
        .add_ci_relation(
            &system,
            &Scope::Platform,
            t0(),
            &vigie_store::NewRelation {
                from: second.id,
                to: rack.id,
                relation: vigie_core::cmdb::RelationType::LocatedIn,
                redundancy: None,
            },
        )
        .await
        .expect("relation");
    rack
}

#[tokio::test]
async fn a_rack_reporting_after_its_servers_gathers_their_groups() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let rack = second_server_in_the_rack(&world, a).await;
    let k = key(&world, a, "scripts").await;
    // Two servers warn, each in its own group; then their rack fails.
    for (resource, check, severity) in [
        ("alpha-ci-sud", "ping", "warning"),
        ("alpha-ci-sud-2", "ping", "warning"),
        ("alpha-ci-sud-rack", "power", "critical"),
    ] {
        let body = json!({"source": "s", "resource": resource, "check": check,
            "severity": severity, "summary": format!("{check} on {resource}"),
            "time": "2025-12-31T22:00:00Z"})
        .to_string();
        let res = post(&world, "/api/v1/events", Some(&k), &body).await;
        assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
        process(&world).await;
        if resource == "alpha-ci-sud-2" {
            assert_eq!(live_groups(&world, a).await.len(), 2);
        }
    }
    let groups = live_groups(&world, a).await;
    assert_eq!(groups.len(), 1, "{groups:#?}");
    assert_eq!(groups[0].root_ci_id, Some(rack.id));
    assert!(
        groups[0].incident_id.is_some(),
        "the rack's failure opens the incident"
    );
    let alerts = world.store.group_alerts(&groups[0]).await.expect("alerts");
    assert_eq!(alerts.len(), 3, "{alerts:#?}");
}

#[tokio::test]
async fn an_incidents_priority_follows_the_criticality_of_its_item() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    for (name, criticality) in [
        ("srv-paie", "critical"),
        ("srv-test", "low"),
        ("srv-intranet", "medium"),
    ] {
        let res = world
            .api(
                axum::http::Method::POST,
                "/api/v1/cis",
                Some(&a.admin.token),
                Some(json!({"entity_id": a.sud.0, "type": "server", "name": name,
                    "criticality": criticality, "identifiers": [format!("hostname:{name}")]})),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    let k = key(&world, a, "nagios").await;
    let body = json!([
        {"source": "nagios", "resource": "srv-paie", "check": "ping", "severity": "error", "summary": "Paie injoignable", "time": "2025-12-31T22:00:00Z"},
        {"source": "nagios", "resource": "srv-test", "check": "ping", "severity": "error", "summary": "Test injoignable", "time": "2025-12-31T22:00:00Z"},
        {"source": "nagios", "resource": "srv-intranet", "check": "ping", "severity": "error", "summary": "Intranet injoignable", "time": "2025-12-31T22:00:00Z"},
        {"source": "nagios", "resource": "srv-unknown", "check": "ping", "severity": "error", "summary": "Inconnu injoignable", "time": "2025-12-31T22:00:00Z"}
    ])
    .to_string();
    let res = post(&world, "/api/v1/events", Some(&k), &body).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let done = process(&world).await;
    assert_eq!(done.incidents_opened, 4, "{done:?}");
    let groups = live_groups(&world, a).await;
    for (title, expected) in [
        ("Paie injoignable", Priority::Critique),
        ("Test injoignable", Priority::Moyen),
        ("Intranet injoignable", Priority::Haut),
        ("Inconnu injoignable", Priority::Haut),
    ] {
        let g = groups.iter().find(|g| g.title == title).expect(title);
        let ticket = world
            .store
            .get_ticket(
                &TicketAccess::of(&Actor::system()),
                g.incident_id.expect("incident"),
            )
            .await
            .expect("ticket");
        assert_eq!(ticket.priority, expected, "{title}");
    }
}

/// Servers fail apart, each opening a group and an incident; their rack
/// reports: one group, whose incident (the first server's, re-rooted at the
/// rack) carries the outage and has the other server's incident as a child,
/// with a note naming it; everything clears: both are resolved.
async fn merged_incidents_story(world: &World) {
    let a = &world.alpha;
    let rack = second_server_in_the_rack(world, a).await;
    let k = key(world, a, "scripts").await;
    let access = TicketAccess::of(&Actor::system());
    let send = |resource: &str, action: &str, time: &str| {
        json!({"source": "s", "resource": resource, "check": "down", "severity": "critical",
            "action": action, "summary": format!("{resource} down"), "time": time})
        .to_string()
    };
    let mut incidents = Vec::new();
    for server in ["alpha-ci-sud", "alpha-ci-sud-2"] {
        let body = send(server, "trigger", "2025-12-31T22:00:00Z");
        let res = post(world, "/api/v1/events", Some(&k), &body).await;
        assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
        let done = process(world).await;
        assert_eq!(done.incidents_opened, 1, "{server}");
        let known: Vec<_> = live_groups(world, a)
            .await
            .into_iter()
            .filter_map(|g| g.incident_id)
            .filter(|i| !incidents.contains(i))
            .collect();
        assert_eq!(known.len(), 1, "{server}");
        incidents.push(known[0]);
    }
    assert_eq!(live_groups(world, a).await.len(), 2);
    let (carrier, absorbed) = (incidents[0], incidents[1]);

    let body = send("alpha-ci-sud-rack", "trigger", "2025-12-31T22:01:00Z");
    let res = post(world, "/api/v1/events", Some(&k), &body).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let done = process(world).await;
    assert_eq!(done.incidents_opened, 0, "the group has its incident");
    let groups = live_groups(world, a).await;
    assert_eq!(groups.len(), 1, "{groups:#?}");
    assert_eq!(groups[0].root_ci_id, Some(rack.id));
    assert_eq!(groups[0].incident_id, Some(carrier));
    let parent = world
        .store
        .get_ticket(&access, carrier)
        .await
        .expect("parent");
    assert_eq!(parent.parent_id, None);
    let child = world
        .store
        .get_ticket(&access, absorbed)
        .await
        .expect("child");
    assert_eq!(child.parent_id, Some(carrier));
    assert!(child.status.is_open());
    let notes = world
        .store
        .list_comments(&access, &child)
        .await
        .expect("notes");
    assert!(
        notes
            .iter()
            .any(|n| !n.public && n.body.contains(&format!("#{}", parent.number))),
        "{notes:#?}"
    );
    // The child's page links to the incident that carries the outage.
    let (agent, _) = world.web_session(a.agent_sud.id).await;
    let page = world
        .page(&agent, &format!("/tickets/{}", absorbed.0))
        .await;
    assert!(
        page.body
            .contains(&format!("href=\"/tickets/{}\"", carrier.0)),
        "{}",
        page.body
    );

    // Everything clears: the carrier and its child resolve together.
    for resource in ["alpha-ci-sud", "alpha-ci-sud-2", "alpha-ci-sud-rack"] {
        let body = send(resource, "resolve", "2025-12-31T22:10:00Z");
        let res = post(world, "/api/v1/events", Some(&k), &body).await;
        assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    }
    let done = process(world).await;
    assert_eq!(done.incidents_resolved, 2, "{done:?}");
    assert!(live_groups(world, a).await.is_empty());
    for id in [carrier, absorbed] {
        let t = world.store.get_ticket(&access, id).await.expect("ticket");
        assert_eq!(t.status, Status::Resolved, "#{}", t.number);
        assert_eq!(t.solution_code.as_deref(), Some(vigie_store::AUTO_RESOLVED));
    }
}

#[tokio::test]
async fn incidents_of_merged_groups_become_children_of_the_carrier_and_resolve_with_it() {
    merged_incidents_story(&World::sqlite().await).await;
}

#[tokio::test]
async fn incidents_of_merged_groups_resolve_with_the_carrier_on_postgres() {
    let Some(store) = vigie_store::testing::postgres().await.expect("postgres") else {
        return;
    };
    merged_incidents_story(&World::on(store).await).await;
}

#[tokio::test]
async fn an_overloaded_writer_answers_503_with_retry_after_and_stores_nothing() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let k = key(&world, a, "alertmanager").await;
    let body = notification(
        "firing",
        vec![
            alert(
                "firing",
                "NodeDown",
                "alpha-ci-sud:9100",
                "critical",
                "2025-12-31T22:00:00Z",
                "0001-01-01T00:00:00Z",
            ),
            alert(
                "firing",
                "DiskFull",
                "alpha-ci-sud:9100",
                "warning",
                "2025-12-31T22:00:00Z",
                "0001-01-01T00:00:00Z",
            ),
        ],
    );
    let path = "/api/v1/integrations/alertmanager";
    // As many writes waiting as the writer's queue takes.
    let held = vigie_store::testing::hold_writer_queue(&world.store);
    let res = post(&world, path, Some(&k), &body).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert_eq!(
        res.headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(res.json()["status"], json!(503), "{}", res.body);
    let res = post(
        &world,
        "/api/v1/events",
        Some(&k),
        &json!({"source": "s",
        "resource": "srv", "check": "c", "severity": "error"})
        .to_string(),
    )
    .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    drop(held);
    assert!(
        world
            .store
            .pending_events(100)
            .await
            .expect("pending")
            .is_empty(),
        "a refused request stores nothing"
    );
    // Once the writer has room, the sender's retry is stored, once.
    let res = post(&world, path, Some(&k), &body).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    assert_eq!(res.json(), json!({"accepted": 2, "duplicates": 0}));
    let done = process(&world).await;
    assert_eq!((done.events, done.incidents_opened), (2, 1));
}
