//! Walks every operation of the OpenAPI document as users who must not
//! reach the target records: another tenant's administrator, a sibling
//! entity's administrator, and a user whose role is too weak. Each must get
//! 403 or 404, see none of the records in lists, and write nothing. Routes
//! added later are covered without anyone remembering.

use crate::events_support;
use crate::support::{Person, TenantWorld, World};
use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

/// The records an attacker aims at, and strings that must never reach him.
struct Target {
    tenant: i64,
    entity: i64,
    user: i64,
    grant: i64,
    group: i64,
    token: i64,
    ticket: i64,
    category: i64,
    rule: i64,
    attachment: i64,
    absence: i64,
    calendar: i64,
    sla_target: i64,
    ci: i64,
    ci_relation: i64,
    alert_group: i64,
    integration_key: i64,
    maintenance_window: i64,
    release: i64,
    environment: i64,
    data_refresh: i64,
    change: i64,
    checklist_item: i64,
    freeze: i64,
    mailbox: i64,
    outage: i64,
    /// A saved view of the queues (its owner is never an attacker).
    saved_view: i64,
    markers: Vec<String>,
    /// Whether the attacker belongs to the victim's tenant (he may read the
    /// tenant record itself, nothing else).
    same_tenant: bool,
    /// Whether the attacker may read the records (then only his writes are
    /// checked: his role is too weak to change them).
    may_read: bool,
    /// Routes the attacker may legitimately use on the target (his role
    /// covers them): not walked.
    legitimate: &'static [&'static str],
}

fn sibling_target(a: &TenantWorld) -> Target {
    Target {
        tenant: a.tenant.id.0,
        entity: a.sud.0,
        user: a.worker_sud.id.0,
        grant: a.worker_sud_grant,
        group: a.group_sud.0,
        token: a.worker_sud.token_id,
        ticket: a.ticket_sud.0,
        category: a.category.0,
        rule: a.rule,
        attachment: a.attachment,
        absence: a.absence,
        calendar: a.calendar,
        sla_target: a.sla_target,
        ci: a.ci_sud,
        ci_relation: a.ci_relation,
        alert_group: 0,
        integration_key: 0,
        maintenance_window: 0,
        release: 0,
        environment: 0,
        data_refresh: 0,
        change: 0,
        checklist_item: 0,
        freeze: 0,
        mailbox: 0,
        outage: 0,
        saved_view: 0,
        markers: vec![
            "alpha-change-sud".into(),
            "alpha-ci-sud".into(),
            "alpha-sud".into(),
            "alpha.worker-sud".into(),
            "alpha.agent-sud".into(),
            "alpha-group-sud".into(),
            "alpha-ticket-sud".into(),
            "alpha-view-sud".into(),
        ],
        same_tenant: true,
        may_read: false,
        legitimate: &[],
    }
}

fn weak_target(a: &TenantWorld) -> Target {
    Target {
        tenant: a.tenant.id.0,
        entity: a.nord.0,
        user: a.admin_nord.id.0,
        grant: a.worker_sud_grant,
        group: a.group_nord.0,
        token: a.admin_nord.token_id,
        ticket: a.ticket_nord.0,
        category: a.category.0,
        rule: a.rule,
        attachment: a.attachment,
        absence: a.absence,
        calendar: a.calendar,
        sla_target: a.sla_target,
        ci: a.ci_sud,
        ci_relation: a.ci_relation,
        alert_group: 0,
        integration_key: 0,
        maintenance_window: 0,
        release: 0,
        environment: 0,
        data_refresh: 0,
        change: 0,
        checklist_item: 0,
        freeze: 0,
        mailbox: 0,
        outage: 0,
        saved_view: 0,
        markers: vec![
            "alpha-nord".into(),
            "alpha.admin-nord".into(),
            "alpha-group-nord".into(),
            "alpha-ticket-nord".into(),
            "alpha-view-sud".into(),
        ],
        same_tenant: true,
        may_read: false,
        legitimate: &[],
    }
}

/// The agent of Sud may read Sud's directory but change none of it; Sud's
/// tickets and configuration items are his work.
fn readable_target(a: &TenantWorld) -> Target {
    Target {
        markers: Vec::new(),
        may_read: true,
        legitimate: &[
            "/api/v1/tickets",
            "/api/v1/cis",
            "/api/v1/impact",
            "/api/v1/alert-groups",
            // Agents ask for data refreshes in their entities (deciding
            // them is checked in releases.rs).
            "/api/v1/data-refreshes",
            "/api/v1/changes",
        ],
        ..sibling_target(a)
    }
}

fn foreign_target(a: &TenantWorld) -> Target {
    Target {
        markers: vec!["alpha".into()],
        same_tenant: false,
        ..sibling_target(a)
    }
}

/// Fills a path template with the target's ids.
fn fill_path(template: &str, t: &Target) -> String {
    if !template.contains('{') {
        return template.to_owned();
    }
    let resource = template
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or("");
    let id = match resource {
        "tenants" => t.tenant,
        "entities" => t.entity,
        "users" => t.user,
        "groups" => t.group,
        "tokens" => t.token,
        "tickets" => t.ticket,
        "cis" => t.ci,
        "alert-groups" => t.alert_group,
        "integration-keys" => t.integration_key,
        "releases" => t.release,
        "environments" => t.environment,
        "data-refreshes" => t.data_refresh,
        "changes" => t.change,
        "mailboxes" => t.mailbox,
        // The caller's own records: the target's are another user's.
        "me" => t.saved_view,
        other => panic!(
            "the isolation test does not know the resource `{other}`: teach it which record to aim at"
        ),
    };
    template
        .replace("{id}", &id.to_string())
        .replace("{grant_id}", &t.grant.to_string())
        .replace("{user_id}", &t.user.to_string())
        .replace("{category_id}", &t.category.to_string())
        .replace("{rule_id}", &t.rule.to_string())
        .replace("{child_id}", &t.ticket.to_string())
        .replace("{attachment_id}", &t.attachment.to_string())
        .replace("{absence_id}", &t.absence.to_string())
        .replace("{calendar_id}", &t.calendar.to_string())
        .replace("{target_id}", &t.sla_target.to_string())
        .replace("{relation_id}", &t.ci_relation.to_string())
        .replace("{window_id}", &t.maintenance_window.to_string())
        .replace("{item_id}", &t.checklist_item.to_string())
        .replace("{freeze_id}", &t.freeze.to_string())
        .replace("{outage_id}", &t.outage.to_string())
        .replace("{board}", "cab")
}

/// Query parameters aimed at the target, from the operation's parameters.
fn fill_query(op: &Value, t: &Target) -> String {
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let pairs: Vec<String> = params
        .iter()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| {
            let name = p["name"].as_str()?;
            let value = match name {
                "within" | "record_id" | "entity_id" => t.entity,
                "user_id" | "actor_user_id" => t.user,
                "view" => t.saved_view,
                _ => return None,
            };
            Some(format!("{name}={value}"))
        })
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or("");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// A body that would be valid if the attacker could reach the target: only
/// scope can refuse it.
fn fill_body(doc: &Value, template: &str, op: &Value, t: &Target) -> Option<Value> {
    let tenant_route = template.starts_with("/api/v1/tenants");
    let schema = op["requestBody"]["content"]["application/json"]["schema"].clone();
    if schema.is_null() {
        return None;
    }
    let schema = resolve(doc, &schema);
    if schema["type"] == "array" {
        // A list in the body (a mailbox's rules): empty but well-formed.
        return Some(json!([]));
    }
    fill_object(doc, schema, tenant_route, t)
}

/// The fields of one object schema, each filled with a value pointing at
/// the target.
fn fill_object(doc: &Value, schema: &Value, tenant_route: bool, t: &Target) -> Option<Value> {
    let mut body = Map::new();
    // Properties of the schema itself and of the parts it is made of
    // (`allOf`, as flattened fields are documented).
    let mut properties = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for part in schema["allOf"].as_array().cloned().unwrap_or_default() {
        if let Some(p) = resolve(doc, &part)["properties"].as_object() {
            properties.extend(p.clone());
        }
    }
    for (name, prop) in properties {
        let prop = resolve(doc, &prop);
        let types: Vec<String> = match &prop["type"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => vec![],
        };
        // Nested SLA parts: empty but well-formed, so that only scope refuses.
        let nested = match name.as_str() {
            "weekly_hours" => Some(json!({})),
            "closures" | "exceptional_openings" | "escalations" => Some(json!([])),
            // A mailbox's rules: empty but well-formed.
            "rules" => Some(json!([])),
            _ => None,
        };
        let value = if let Some(v) = nested {
            v
        } else if types.iter().any(|x| x == "integer") {
            match name.as_str() {
                "user_id" | "manager_id" | "requester_id" | "assignee_id" => json!(t.user),
                "group_id" => json!(t.group),
                "category_id" => json!(t.category),
                "to_id" => json!(t.ci),
                "source_environment_id" | "target_environment_id" | "environment_id" => {
                    json!(t.environment)
                }
                "level" => json!(2),
                "position" => json!(1),
                "reopen_hours" => json!(48),
                _ => json!(t.entity),
            }
        } else if types.iter().any(|x| x == "boolean") {
            json!(true)
        } else if types.iter().any(|x| x == "object") {
            json!({})
        } else if types.iter().any(|x| x == "array") {
            let items = resolve(doc, &prop["items"]);
            match name.as_str() {
                "ids" => json!([t.ticket]),
                _ if items["type"] == "object" => {
                    json!([fill_object(doc, items, tenant_route, t)])
                }
                "failing" | "ci_ids" => json!([t.ci]),
                "related_changes" => json!([t.change]),
                "resolves" | "caused_incidents" => json!([t.ticket]),
                "user_ids" => json!([t.user]),
                "group_ids" => json!([t.group]),
                _ if items["type"] == "integer" => json!([t.entity]),
                "matrix" => json!([
                    ["critique", "critique", "critique", "critique"],
                    ["haut", "haut", "haut", "haut"],
                    ["moyen", "moyen", "moyen", "moyen"],
                    ["bas", "bas", "bas", "bas"]
                ]),
                _ => json!(["Intruder"]),
            }
        } else {
            match name.as_str() {
                "login" => json!("intruder.login"),
                "slug" => json!("intruder"),
                "role" => json!("tenant_admin"),
                "kind" if tenant_route => json!("customer"),
                "type" => json!("incident"),
                "action" => json!("resolve"),
                "reason" => json!("customer"),
                "applies_to" => json!("both"),
                "channel" => json!("portal"),
                "impact" | "urgency" => json!("haut"),
                "code" => json!("fixed"),
                "audience" => json!("Direction"),
                "kind" => json!("region"),
                "locale" => json!("fr"),
                "password" => json!("intruder-password-1"),
                "email" => json!("intruder@example.org"),
                _ => json!("Intruder"),
            }
        };
        body.insert(name, value);
    }
    Some(Value::Object(body))
}

fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let method = match method.as_str() {
                "get" => Method::GET,
                "post" => Method::POST,
                "put" => Method::PUT,
                "patch" => Method::PATCH,
                "delete" => Method::DELETE,
                _ => continue,
            };
            ops.push((method, path.clone(), op.clone()));
        }
    }
    ops
}

async fn attack(
    world: &World,
    doc: &Value,
    who: &str,
    attacker: &Person,
    target: &Target,
) -> usize {
    // The attacker's token works: refusals below are about scope.
    let me = world
        .api(Method::GET, "/api/v1/me", Some(&attacker.token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK, "{who}: {}", me.body);
    let mut checked = 0;
    for (method, template, op) in operations(doc) {
        let path = format!(
            "{}{}",
            fill_path(&template, target),
            fill_query(&op, target)
        );
        let body = fill_body(doc, &template, &op, target);
        let legitimate = target.legitimate.iter().any(|p| template.starts_with(p));
        if legitimate || (target.may_read && method == Method::GET) {
            checked += 1;
            continue;
        }
        let res = world
            .api(method.clone(), &path, Some(&attacker.token), body.clone())
            .await;
        let what = format!(
            "{who}: {method} {path} {body:?} → {} {}",
            res.status, res.body
        );
        for marker in &target.markers {
            assert!(
                !res.body.contains(marker.as_str()),
                "leak of {marker:?}: {what}"
            );
        }
        let has_params = template.contains('{');
        // A member of the tenant reads the tenant itself and its service
        // desk settings, nothing else of it.
        let own_tenant_read = target.same_tenant
            && method == Method::GET
            && matches!(
                template.as_str(),
                "/api/v1/tenants/{id}"
                    | "/api/v1/tenants/{id}/categories"
                    | "/api/v1/tenants/{id}/ticket-settings"
                    | "/api/v1/tenants/{id}/assignment-rules"
                    | "/api/v1/tenants/{id}/calendars"
                    | "/api/v1/tenants/{id}/calendars/{calendar_id}"
                    | "/api/v1/tenants/{id}/sla-targets"
                    | "/api/v1/tenants/{id}/sla-targets/{target_id}"
                    | "/api/v1/tenants/{id}/service-levels"
                    | "/api/v1/tenants/{id}/outages"
                    | "/api/v1/tenants/{id}/sla/preview"
                    | "/api/v1/tenants/{id}/release-settings"
            );
        // Change management's setup is read by whoever reads changes in
        // the tenant, anywhere in it; a board not set up is not found.
        let change_setup_read = target.same_tenant
            && method == Method::GET
            && template.starts_with("/api/v1/tenants/{id}/change-");
        if own_tenant_read {
            assert_eq!(res.status, StatusCode::OK, "{what}");
        } else if change_setup_read {
            assert!(
                matches!(
                    res.status,
                    StatusCode::OK | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
                ),
                "{what}"
            );
        } else if template == "/api/v1/events" || template.starts_with("/api/v1/integrations/") {
            // Ingestion takes integration keys, never a user's API token
            // (PagerDuty's key is in the body, absent here).
            assert!(
                matches!(
                    res.status,
                    StatusCode::UNAUTHORIZED | StatusCode::BAD_REQUEST
                ),
                "{what}"
            );
        } else if template == "/api/v1/me/views/{id}" {
            // Another user's saved view does not exist for the caller.
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{what}");
        } else if template.starts_with("/api/v1/me/") {
            // The caller's own settings: no target to reach, whoever calls
            // (the filled body is refused as invalid, or it is his own).
            assert!(
                matches!(
                    res.status,
                    StatusCode::OK | StatusCode::UNPROCESSABLE_ENTITY
                ),
                "{what}"
            );
        } else if template == "/api/v1/tickets/bulk" {
            // A bulk action answers ticket by ticket: every one refused.
            assert_eq!(res.status, StatusCode::OK, "{what}");
            let out = res.json();
            assert_eq!(out["succeeded"], 0, "{what}");
            for r in out["results"].as_array().expect("results") {
                assert!(
                    matches!(r["problem"]["status"].as_u64(), Some(403 | 404)),
                    "{what}"
                );
            }
        } else if has_params || method != Method::GET {
            assert!(
                matches!(res.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{what}"
            );
            assert_eq!(
                res.headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some("application/problem+json"),
                "{what}"
            );
        } else {
            assert!(
                matches!(
                    res.status,
                    StatusCode::OK | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
                ),
                "{what}"
            );
        }
        checked += 1;
    }
    checked
}

/// The event records of the victim: a key of Sud, a group rooted at the
/// server of Sud, a maintenance window of the tenant.
struct EventRecords {
    alert_group: i64,
    integration_key: i64,
    maintenance_window: i64,
    release: i64,
    environment: i64,
    data_refresh: i64,
    change: i64,
    checklist_item: i64,
    freeze: i64,
    mailbox: i64,
    outage: i64,
    saved_view: i64,
}

async fn event_records(world: &World, a: &TenantWorld) -> EventRecords {
    use vigie_core::event::Severity;
    use vigie_core::event::correlate::GroupState;
    let now = crate::support::t0();
    let key = events_support::key(&world.store, a.sud, "alertmanager", now).await;
    let group = events_support::group(
        &world.store,
        &key,
        Some(vigie_core::ids::CiId(a.ci_sud)),
        GroupState::Open,
        &[events_support::AlertSpec::firing(
            "alpha-ci-sud",
            "ping",
            Severity::Critical,
            "alpha-ci-sud is down",
        )],
        None,
        now,
    )
    .await;
    let window = world
        .store
        .create_maintenance_window(
            &vigie_core::tenancy::Actor::system(),
            a.tenant.id,
            now,
            &vigie_store::NewMaintenanceWindow {
                name: "alpha-window".into(),
                starts_at: now,
                ends_at: now + jiff::SignedDuration::from_hours(2),
                ci_ids: vec![vigie_core::ids::CiId(a.ci_sud)],
                include_children: true,
            },
        )
        .await
        .expect("window");
    let (release, environment, data_refresh) = release_records(world, a, now).await;
    let (change, checklist_item, freeze) = change_records(world, a).await;
    let mailbox = world
        .store
        .create_mailbox(
            &vigie_core::tenancy::Actor::system(),
            &vigie_core::tenancy::Scope::Platform,
            now,
            &vigie_store::MailboxInput {
                entity_id: a.sud,
                ..crate::mail_support::input(a, "alpha-mailbox", "[]")
            },
        )
        .await
        .expect("mailbox");
    let outage = world
        .store
        .create_outage(
            &vigie_core::tenancy::Actor::system(),
            a.tenant.id,
            now,
            &vigie_store::NewOutage {
                service_ref: "alpha-service".into(),
                kind: "outage".into(),
                starts_at: now,
                ends_at: None,
                ticket_id: None,
                note: "alpha-outage".into(),
            },
        )
        .await
        .expect("outage");
    let saved_view = world
        .store
        .create_saved_view(
            &world
                .store
                .load_actor(a.worker_sud.id)
                .await
                .expect("actor")
                .expect("active"),
            now,
            "alpha-view-sud",
            "queue=all",
        )
        .await
        .expect("view");
    EventRecords {
        alert_group: group.id.0,
        integration_key: key.id.0,
        maintenance_window: window.id.0,
        release,
        environment,
        data_refresh,
        change,
        checklist_item,
        freeze,
        mailbox: mailbox.id.0,
        outage: outage.id,
        saved_view: saved_view.id,
    }
}

/// A change of Sud touching the server of Sud, with a checklist item, and a
/// freeze of the tenant.
async fn change_records(world: &World, a: &TenantWorld) -> (i64, i64, i64) {
    let res = world
        .api(
            Method::POST,
            "/api/v1/changes",
            Some(&a.admin.token),
            Some(json!({
                "entity_id": a.sud.0, "type": "normal", "title": "alpha-change-sud",
                "ci_ids": [a.ci_sud], "checklist": ["alpha-change-sud snapshot"]
            })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let change = res.json()["id"].as_i64().expect("id");
    let items = world
        .api(
            Method::GET,
            &format!("/api/v1/changes/{change}/checklist"),
            Some(&a.admin.token),
            None,
        )
        .await
        .json();
    let freeze = world
        .api(
            Method::POST,
            &format!("/api/v1/tenants/{}/change-freezes", a.tenant.id.0),
            Some(&a.admin.token),
            Some(json!({"name": "year-end freeze", "starts_at": "2027-12-20T00:00:00Z", "ends_at": "2028-01-04T00:00:00Z"})),
        )
        .await;
    assert_eq!(freeze.status, StatusCode::CREATED, "{}", freeze.body);
    (
        change,
        items[0]["id"].as_i64().expect("item"),
        freeze.json()["id"].as_i64().expect("freeze"),
    )
}

/// The target with the victim's event records. Alert groups belong to the
/// tenant: whoever works events anywhere in it reads and acknowledges them,
/// so for a member of the tenant holding that permission they are his work.
fn with_events(t: Target, e: &EventRecords) -> Target {
    Target {
        alert_group: e.alert_group,
        integration_key: e.integration_key,
        maintenance_window: e.maintenance_window,
        release: e.release,
        environment: e.environment,
        data_refresh: e.data_refresh,
        change: e.change,
        checklist_item: e.checklist_item,
        freeze: e.freeze,
        mailbox: e.mailbox,
        outage: e.outage,
        saved_view: e.saved_view,
        ..t
    }
}

/// The victim's release records, all in Sud: a release, two environments
/// (the target is the qualification one) and a refresh request between them.
async fn release_records(world: &World, a: &TenantWorld, now: jiff::Timestamp) -> (i64, i64, i64) {
    use vigie_core::cmdb::{CiStatus, CiType, Criticality};
    let system = vigie_core::tenancy::Actor::system();
    let all = vigie_core::tenancy::Scope::Platform;
    let sud = world.store.get_entity(&all, a.sud).await.expect("sud");
    let env = |name: &str, kind: &str| vigie_store::NewCi {
        ci_type: CiType::Environment,
        name: name.into(),
        status: CiStatus::InService,
        criticality: Criticality::Medium,
        owner_group_id: None,
        attributes: [("kind".to_owned(), kind.to_owned())].into_iter().collect(),
        identifiers: Vec::new(),
    };
    let prod = world
        .store
        .create_ci(&system, &sud, now, &env("alpha-sud-prod", "production"))
        .await
        .expect("prod");
    let qualif = world
        .store
        .create_ci(
            &system,
            &sud,
            now,
            &env("alpha-sud-qualif", "qualification"),
        )
        .await
        .expect("qualif");
    let release = world
        .store
        .create_release(
            &system,
            &sud,
            now,
            &vigie_store::NewRelease {
                name: "alpha-sud-release".into(),
                kind: vigie_core::release::ReleaseKind::Patch,
                planned_for: jiff::civil::date(2026, 1, 20),
                description: String::new(),
                versions: Vec::new(),
            },
        )
        .await
        .expect("release");
    let prod = world
        .store
        .get_environment(&all, prod.id)
        .await
        .expect("env");
    let qualif_env = world
        .store
        .get_environment(&all, qualif.id)
        .await
        .expect("env");
    let refresh = world
        .store
        .create_data_refresh(
            &system,
            now,
            &vigie_store::NewDataRefresh {
                source: &prod,
                target: &qualif_env,
                requested_for: jiff::civil::date(2026, 1, 20),
                anonymise: true,
                note: "alpha-sud-refresh".into(),
            },
        )
        .await
        .expect("refresh");
    (release.id.0, qualif.id.0, refresh.id.0)
}

async fn walk_every_route(world: World) {
    let doc = world
        .api(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    let events = event_records(&world, &world.alpha).await;
    let before = world.audit_count().await;
    let a = &world.alpha;
    let mut checked = 0;
    checked += attack(
        &world,
        &doc,
        "other tenant's admin",
        &world.beta.admin,
        &with_events(foreign_target(a), &events),
    )
    .await;
    checked += attack(
        &world,
        &doc,
        "other tenant's agent",
        &world.beta.agent_sud,
        &with_events(foreign_target(a), &events),
    )
    .await;
    checked += attack(
        &world,
        &doc,
        "sibling entity's admin",
        &a.admin_nord,
        &with_events(
            Target {
                legitimate: &["/api/v1/alert-groups"],
                ..sibling_target(a)
            },
            &events,
        ),
    )
    .await;
    checked += attack(
        &world,
        &doc,
        "requester (weak role)",
        &a.requester_nord,
        &with_events(weak_target(a), &events),
    )
    .await;
    checked += attack(
        &world,
        &doc,
        "agent (too weak to write)",
        &a.agent_sud,
        &with_events(readable_target(a), &events),
    )
    .await;
    let operations = operations(&doc).len();
    assert!(operations >= 25, "only {operations} operations documented");
    assert_eq!(checked, operations * 5);
    assert_eq!(
        world.audit_count().await,
        before,
        "a refused request wrote something"
    );
}

#[tokio::test]
async fn every_route_refuses_other_tenants_siblings_and_weak_roles_on_sqlite() {
    walk_every_route(World::sqlite().await).await;
}

#[tokio::test]
async fn every_route_refuses_other_tenants_siblings_and_weak_roles_on_postgres() {
    if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
        walk_every_route(World::on(store).await).await;
    }
}

/// Every documented operation is routed: without a token it answers 401,
/// not the fallback's 404 nor 405.
#[tokio::test]
async fn the_document_and_the_router_agree() {
    let world = World::sqlite().await;
    let doc = world
        .api(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    assert_eq!(doc["openapi"], "3.1.0");
    let target = sibling_target(&world.alpha);
    for (method, template, op) in operations(&doc) {
        let path = fill_path(&template, &target);
        let res = world
            .api(
                method.clone(),
                &path,
                None,
                fill_body(&doc, &template, &op, &target),
            )
            .await;
        // PagerDuty's key is in the body: without one the event is invalid.
        let expected = if template == "/api/v1/integrations/pagerduty/v2/enqueue" {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(res.status, expected, "{method} {path}: {}", res.body);
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {template}"
        );
    }
    // And an undocumented path is a problem document, not an HTML page.
    world
        .api(
            Method::GET,
            "/api/v1/nothing-here",
            Some(&world.platform.token),
            None,
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
}
