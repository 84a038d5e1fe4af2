//! Notification mails of ticket changes: who is told what, in which
//! language, with which links, once; and the preferences that turn kinds
//! off.

use crate::support::{World, t0};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigie_core::tenancy::{Actor, Scope};
use vigie_server::mail::notifier::write_pending;
use vigie_store::{NewGroup, OutboxRecord, UserChanges};

/// Writes what is pending and gives the outbox (oldest first).
async fn outbox(world: &World) -> Vec<OutboxRecord> {
    write_pending(&world.state).await.expect("notifier");
    let mut all = world
        .store
        .list_outbox(world.alpha.tenant.id, 1000)
        .await
        .expect("outbox");
    all.sort_by_key(|r| r.id);
    all
}

/// The (kind, recipient) of the mails after `seen`.
fn told(mails: &[OutboxRecord], seen: usize) -> Vec<(String, String)> {
    let mut t: Vec<(String, String)> = mails[seen..]
        .iter()
        .map(|m| (m.mail.kind.clone(), m.mail.recipient.clone()))
        .collect();
    t.sort();
    t
}

async fn post(world: &World, token: &str, path: &str, body: Value) -> Value {
    let res = world.api(Method::POST, path, Some(token), Some(body)).await;
    assert!(res.status.is_success(), "{path}: {}", res.body);
    res.json()
}

fn address(login: &str) -> String {
    format!("{login}@example.org")
}

#[tokio::test]
async fn notifications_tell_each_side_once_in_its_language() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let (admin, agent, requester) = (&a.admin, &a.admin_nord, &a.requester_nord);
    // The requester reads English; the others get the default, French.
    world
        .store
        .update_user(
            &Actor::system(),
            &Scope::Platform,
            t0(),
            requester.id,
            &UserChanges {
                locale: Some(Some("en".into())),
                ..Default::default()
            },
        )
        .await
        .expect("locale");
    world
        .store
        .set_group_member(
            &Actor::system(),
            &Scope::Platform,
            t0(),
            a.group_nord,
            agent.id,
            true,
        )
        .await
        .expect("member");
    let opened = post(
        &world,
        &requester.token,
        "/api/v1/tickets",
        json!({"type": "incident", "entity_id": a.nord.0, "title": "Imprimante bloquée"}),
    )
    .await;
    let id = opened["id"].as_i64().expect("id");
    let number = opened["number"].as_i64().expect("number");
    let actions = format!("/api/v1/tickets/{id}/actions");
    let comments = format!("/api/v1/tickets/{id}/comments");
    assert!(
        outbox(&world).await.is_empty(),
        "opening by API tells nobody"
    );

    // The administrator gives it to an agent: the agent and the requester
    // are told, the administrator is not.
    post(
        &world,
        &admin.token,
        &actions,
        json!({"action": "assign", "group_id": a.group_nord.0, "assignee_id": agent.id.0}),
    )
    .await;
    let mails = outbox(&world).await;
    assert_eq!(
        told(&mails, 0),
        vec![
            ("assigned_to_you".into(), address(&agent.login)),
            ("assignment".into(), address(&requester.login)),
        ]
    );
    let to_agent = mails
        .iter()
        .find(|m| m.mail.kind == "assigned_to_you")
        .expect("agent's mail");
    assert!(
        to_agent
            .mail
            .subject
            .starts_with(&format!("[VIGIE#{number}]"))
            && to_agent.mail.subject.contains("attribué"),
        "{}",
        to_agent.mail.subject
    );
    assert!(
        to_agent
            .mail
            .body_text
            .contains(&format!("http://127.0.0.1:8080/tickets/{id}")),
        "{}",
        to_agent.mail.body_text
    );
    let to_requester = mails
        .iter()
        .find(|m| m.mail.kind == "assignment")
        .expect("requester's mail");
    assert!(
        to_requester
            .mail
            .body_text
            .contains("is now handled by Person"),
        "{}",
        to_requester.mail.body_text
    );

    // The agent replies publicly: the requester reads the reply.
    let seen = mails.len();
    post(
        &world,
        &agent.token,
        &comments,
        json!({"body": "Pouvez-vous redémarrer l'imprimante ?", "public": true}),
    )
    .await;
    // An internal note tells nobody.
    post(
        &world,
        &agent.token,
        &comments,
        json!({"body": "Toner commandé", "public": false}),
    )
    .await;
    let mails = outbox(&world).await;
    assert_eq!(
        told(&mails, seen),
        vec![("public_reply".into(), address(&requester.login))]
    );
    assert!(
        mails[seen]
            .mail
            .body_text
            .contains("redémarrer l'imprimante")
    );
    assert!(!mails[seen].mail.body_text.contains("Toner"));

    // The requester answers: his agent is told; then the agent turns that
    // kind off and the next answer tells nobody.
    let seen = mails.len();
    post(
        &world,
        &requester.token,
        &comments,
        json!({"body": "Done, still blocked.", "public": true}),
    )
    .await;
    let mails = outbox(&world).await;
    assert_eq!(
        told(&mails, seen),
        vec![("requester_reply".into(), address(&agent.login))]
    );
    let prefs = world
        .api(
            Method::PUT,
            "/api/v1/me/notifications",
            Some(&agent.token),
            Some(json!({"off": ["requester_reply"]})),
        )
        .await;
    assert_eq!(prefs.status, StatusCode::OK, "{}", prefs.body);
    let kinds = prefs.json()["kinds"].clone();
    let off: Vec<&Value> = kinds
        .as_array()
        .expect("kinds")
        .iter()
        .filter(|k| k["enabled"] == false)
        .map(|k| &k["kind"])
        .collect();
    assert_eq!(off, vec![&json!("requester_reply")]);
    let seen = mails.len();
    post(
        &world,
        &requester.token,
        &comments,
        json!({"body": "Still blocked.", "public": true}),
    )
    .await;
    let mails = outbox(&world).await;
    assert!(told(&mails, seen).is_empty(), "turned off");

    // A refused action tells nobody (nothing was written).
    let refused = world
        .api(
            Method::POST,
            &actions,
            Some(&agent.token),
            Some(json!({"action": "close"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        world
            .store
            .pending_notifications(10)
            .await
            .expect("pending")
            .is_empty()
    );

    // Resolved: the requester gets the solution and a survey link that works.
    post(
        &world,
        &agent.token,
        &actions,
        json!({"action": "resolve", "solution": "Tambour remplacé", "code": "fixed"}),
    )
    .await;
    let mails = outbox(&world).await;
    assert_eq!(
        told(&mails, seen),
        vec![("resolved".into(), address(&requester.login))]
    );
    let resolved = &mails[seen].mail;
    assert!(
        resolved.subject.contains("resolved"),
        "{}",
        resolved.subject
    );
    assert!(resolved.body_text.contains("Tambour remplacé"));
    let link = resolved
        .body_text
        .split_whitespace()
        .find(|w| w.contains("/survey/"))
        .expect("survey link");
    let path = link.trim_start_matches("http://127.0.0.1:8080");
    let page = world
        .send(
            axum::http::Request::get(path)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{path}");

    // Every mail has its own Message-ID; all are automatic and tagged.
    let mut ids: Vec<&str> = mails.iter().map(|m| m.mail.message_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), mails.len());
    assert!(
        mails
            .iter()
            .all(|m| m.mail.subject.contains(&format!("[VIGIE#{number}]")))
    );
}

#[tokio::test]
async fn escalations_tell_the_new_group_and_the_manager() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let admin = &a.admin;
    let store = &world.store;
    let system = Actor::system();
    let experts = store
        .create_group(
            &system,
            &Scope::Platform,
            t0(),
            &NewGroup {
                entity_id: a.root,
                name: "Experts N3".into(),
                level: 3,
                manager_id: Some(a.admin_nord.id),
                email: None,
                description: String::new(),
            },
        )
        .await
        .expect("group");
    for member in [a.worker_sud.id, a.agent_sud.id, admin.id] {
        store
            .set_group_member(&system, &Scope::Platform, t0(), experts.id, member, true)
            .await
            .expect("member");
    }
    let id = a.ticket_sud.0;
    post(
        &world,
        &admin.token,
        &format!("/api/v1/tickets/{id}/actions"),
        json!({"action": "assign", "group_id": a.group_sud.0}),
    )
    .await;
    let seen = outbox(&world).await.len();
    let path = format!("/api/v1/tickets/{id}/escalations");
    post(
        &world,
        &admin.token,
        &path,
        json!({"kind": "functional", "group_id": experts.id.0, "reason": "Base corrompue"}),
    )
    .await;
    let mails = outbox(&world).await;
    // The members of the group, but not the administrator who escalated.
    assert_eq!(
        told(&mails, seen),
        vec![
            ("escalation".into(), address(&a.agent_sud.login)),
            ("escalation".into(), address(&a.worker_sud.login)),
        ]
    );
    assert!(
        mails[seen].mail.body_text.contains("Experts N3")
            && mails[seen].mail.body_text.contains("Base corrompue"),
        "{}",
        mails[seen].mail.body_text
    );
    let seen = mails.len();
    post(
        &world,
        &admin.token,
        &path,
        json!({"kind": "hierarchical", "reason": "Client en colère"}),
    )
    .await;
    let mails = outbox(&world).await;
    assert_eq!(
        told(&mails, seen),
        vec![("manager_alert".into(), address(&a.admin_nord.login))]
    );
    assert!(mails[seen].mail.body_text.contains("Client en colère"));
}

/// Two notifiers at once write each notification once.
async fn written_once(world: World) {
    let a = &world.alpha;
    for t in [a.ticket_sud, a.ticket_nord] {
        post(
            &world,
            &a.admin.token,
            &format!("/api/v1/tickets/{}/comments", t.0),
            json!({"body": "Nous regardons.", "public": true}),
        )
        .await;
    }
    let pending = world
        .store
        .pending_notifications(100)
        .await
        .expect("pending");
    assert_eq!(pending.len(), 2, "{pending:?}");
    let (x, y) = tokio::join!(write_pending(&world.state), write_pending(&world.state));
    let queued = x.expect("x").queued + y.expect("y").queued;
    let mails = world
        .store
        .list_outbox(a.tenant.id, 100)
        .await
        .expect("outbox");
    assert_eq!(mails.len(), 2);
    assert_eq!(queued, 2);
    assert!(
        world
            .store
            .pending_notifications(100)
            .await
            .expect("pending")
            .is_empty()
    );
}

#[tokio::test]
async fn notifications_are_written_once_by_concurrent_notifiers() {
    written_once(World::sqlite().await).await;
}

#[tokio::test]
async fn notifications_are_written_once_on_postgres() {
    if let Some(store) = vigie_store::testing::postgres().await.expect("postgres") {
        written_once(World::on(store).await).await;
    }
}

#[tokio::test]
async fn notification_preferences_refuse_unknown_kinds_and_show_on_the_profile() {
    let world = World::sqlite().await;
    let agent = &world.alpha.admin_nord;
    let bad = world
        .api(
            Method::PUT,
            "/api/v1/me/notifications",
            Some(&agent.token),
            Some(json!({"off": ["storm"]})),
        )
        .await;
    let p = bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "off");
    assert!(p["detail"].as_str().unwrap_or_default().contains("storm"));
    let bad = world
        .api(
            Method::PUT,
            "/api/v1/me/notifications",
            Some(&agent.token),
            Some(json!({"off": "public_reply"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let unauthenticated = world
        .api(Method::GET, "/api/v1/me/notifications", None, None)
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);

    // The profile form: unticked kinds are turned off.
    let (cookie, csrf) = world.web_session(agent.id).await;
    let page = world.page_in(&cookie, "/profile", "fr").await;
    assert!(
        page.body.contains("id=\"notify-assigned_to_you\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("un ticket est escaladé vers mon groupe"));
    let page = world.page_in(&cookie, "/profile", "en").await;
    assert!(page.body.contains("a ticket is escalated to my group"));
    let saved = world
        .form(
            &cookie,
            "/profile/notifications",
            &[("csrf", &csrf), ("on", "public_reply"), ("on", "resolved")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let off = world
        .store
        .notification_opt_outs(agent.id)
        .await
        .expect("prefs");
    assert_eq!(
        off.len(),
        vigie_core::notification::NotificationKind::ALL.len() - 2
    );
    let forged = world
        .form(&cookie, "/profile/notifications", &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        world
            .store
            .notification_opt_outs(agent.id)
            .await
            .expect("prefs")
            .len(),
        off.len(),
        "a forged form changes nothing"
    );
}

#[tokio::test]
async fn sla_levels_warn_the_agent_and_alert_the_manager() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let admin = &a.admin;
    let path = format!(
        "/api/v1/tenants/{}/sla-targets/{}",
        a.tenant.id.0, a.sla_target
    );
    let target = json!({"name": "P2", "kind": "sla", "priority": "P2", "calendar_id": a.calendar,
        "time_to_resolve": 480, "time_to_own": 30,
        "escalations": [{"percent": 75, "action": "notify"}, {"percent": 90, "action": "alert_manager"}]});
    let res = world
        .api(Method::PUT, &path, Some(&admin.token), Some(target))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let store = &world.store;
    let system = Actor::system();
    let desk = store
        .create_group(
            &system,
            &Scope::Platform,
            t0(),
            &NewGroup {
                entity_id: a.root,
                name: "Exploitation".into(),
                level: 1,
                manager_id: Some(a.admin_nord.id),
                email: None,
                description: String::new(),
            },
        )
        .await
        .expect("group");
    store
        .set_group_member(
            &system,
            &Scope::Platform,
            t0(),
            desk.id,
            a.agent_sud.id,
            true,
        )
        .await
        .expect("member");
    // Friday 2 January 08:00 Paris, within service hours.
    world.clock.advance(jiff::SignedDuration::from_hours(31));
    let ticket = post(
        &world,
        &admin.token,
        "/api/v1/tickets",
        json!({"type": "incident", "entity_id": a.nord, "title": "ERP lent",
            "impact": "haut", "urgency": "haut", "channel": "phone"}),
    )
    .await;
    let id = ticket["id"].as_i64().expect("id");
    post(
        &world,
        &admin.token,
        &format!("/api/v1/tickets/{id}/actions"),
        json!({"action": "assign", "group_id": desk.id.0, "assignee_id": a.agent_sud.id.0}),
    )
    .await;
    let seen = outbox(&world).await.len();
    // Monday: both levels of the resolution clock are due.
    world.clock.advance(jiff::SignedDuration::from_hours(72));
    vigie_server::jobs::fire_due_escalations(&world.state, "one")
        .await
        .expect("escalations");
    let mails = outbox(&world).await;
    let ours: Vec<&OutboxRecord> = mails[seen..]
        .iter()
        .filter(|m| m.mail.ticket_id.map(|t| t.0) == Some(id))
        .collect();
    let mut kinds: Vec<(&str, &str)> = ours
        .iter()
        .map(|m| (m.mail.kind.as_str(), m.mail.recipient.as_str()))
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        vec![
            ("manager_alert", address(&a.admin_nord.login).as_str()),
            ("sla_warning", address(&a.agent_sud.login).as_str()),
        ]
    );
    assert!(
        ours.iter().all(|m| m.mail.body_text.contains("SLA P2")),
        "{:?}",
        ours.iter().map(|m| &m.mail.body_text).collect::<Vec<_>>()
    );
}
