//! The ticket API: opening with the priority matrix, queues, every action
//! with its refusals, the conversation and the history.

use crate::support::World;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn open(world: &World, token: &str, body: Value) -> Value {
    let res = world
        .api(Method::POST, "/api/v1/tickets", Some(token), Some(body))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()
}

async fn act(world: &World, token: &str, id: &Value, body: Value) -> crate::support::Answer {
    world
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{id}/actions"),
            Some(token),
            Some(body),
        )
        .await
}

#[tokio::test]
async fn a_requester_opens_and_the_matrix_sets_the_priority() {
    let world = World::sqlite().await;
    let requester = &world.alpha.requester_nord;
    let t = open(
        &world,
        &requester.token,
        json!({"type": "incident", "entity_id": world.alpha.nord.0, "title": "Plus d'accès au VPN",
               "description": "Depuis ce matin.", "channel": "portal", "impact": "critique", "urgency": "haut"}),
    )
    .await;
    assert_eq!(t["priority"], "critique");
    assert_eq!(t["priority_label"], "P1");
    assert_eq!(t["status"], "new");
    assert_eq!(t["requester_id"], requester.id.0);
    assert_eq!(t["allowed_actions"], json!(["assign", "start", "resolve"]));
    // Defaults: medium impact and urgency, channel api.
    let t = open(
        &world,
        &requester.token,
        json!({"type": "request", "entity_id": world.alpha.nord.0, "title": "Compte"}),
    )
    .await;
    assert_eq!(
        (t["priority"].as_str(), t["channel"].as_str()),
        (Some("moyen"), Some("api"))
    );

    // The tenant admin edits the matrix; new tickets follow it.
    let admin = &world.alpha.admin.token;
    let path = format!("/api/v1/tenants/{}/ticket-settings", world.alpha.tenant.id);
    let mut settings = world
        .api(Method::GET, &path, Some(admin), None)
        .await
        .json();
    // Everything at least P2: a tenant whose every ticket is urgent.
    settings["matrix"] = json!([
        ["critique", "critique", "haut", "haut"],
        ["critique", "haut", "haut", "haut"],
        ["haut", "haut", "haut", "haut"],
        ["haut", "haut", "haut", "haut"]
    ]);
    let put = world
        .api(Method::PUT, &path, Some(admin), Some(settings))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let t = open(
        &world,
        &requester.token,
        json!({"type": "request", "entity_id": world.alpha.nord.0, "title": "Autre"}),
    )
    .await;
    assert_eq!(t["priority"], "haut");
}

#[tokio::test]
async fn bad_values_are_named_and_change_nothing() {
    let world = World::sqlite().await;
    let before = world.audit_count().await;
    let token = &world.alpha.admin.token;
    let nord = world.alpha.nord.0;
    let cases = [
        (
            json!({"type": "problem", "entity_id": nord, "title": "x"}),
            "type",
        ),
        (
            json!({"type": "incident", "entity_id": nord, "title": "x", "impact": "énorme"}),
            "impact",
        ),
        (
            json!({"type": "incident", "entity_id": nord, "title": "x", "channel": "pigeon"}),
            "channel",
        ),
        (
            json!({"type": "incident", "entity_id": nord, "title": ""}),
            "title",
        ),
        (
            json!({"type": "incident", "entity_id": nord, "title": "x", "description": "a\u{0}b"}),
            "description",
        ),
    ];
    for (body, field) in cases {
        let p = world
            .api(Method::POST, "/api/v1/tickets", Some(token), Some(body))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], field, "{p}");
    }
    // An unknown category or one of another tenant.
    let body = json!({"type": "incident", "entity_id": nord, "title": "x", "category_id": world.beta.category.0});
    let p = world
        .api(Method::POST, "/api/v1/tickets", Some(token), Some(body))
        .await;
    p.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    // A matrix that lowers the priority when impact rises.
    let path = format!("/api/v1/tenants/{}/ticket-settings", world.alpha.tenant.id);
    let mut settings = world
        .api(Method::GET, &path, Some(token), None)
        .await
        .json();
    settings["matrix"][0][0] = json!("bas");
    let p = world
        .api(Method::PUT, &path, Some(token), Some(settings))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "matrix");
    assert_eq!(world.audit_count().await, before);
}

#[tokio::test]
async fn the_lifecycle_through_the_api() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let agent = &a.admin.token;
    let requester = &a.requester_nord.token;
    let opened = open(
        &world,
        requester,
        json!({"type": "incident", "entity_id": a.nord.0, "title": "Imprimante"}),
    )
    .await;
    let id = opened["id"].clone();
    // The requester cannot work his own ticket.
    act(&world, requester, &id, json!({"action": "start"}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let member = world
        .api(
            Method::PUT,
            &format!(
                "/api/v1/groups/{}/members/{}",
                a.group_nord.0, a.admin_nord.id
            ),
            Some(agent),
            None,
        )
        .await;
    assert_eq!(member.status, StatusCode::NO_CONTENT, "{}", member.body);
    // Refused actions say what is allowed.
    let p = act(&world, agent, &id, json!({"action": "close"}))
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains("allowed: assign, start, resolve"),
        "{p}"
    );
    // Assign to a group and one of its members.
    let res = act(
        &world,
        agent,
        &id,
        json!({"action": "assign", "group_id": a.group_nord.0, "assignee_id": a.admin_nord.id.0}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["assignee_id"], a.admin_nord.id.0);
    // Someone outside the group cannot hold it.
    let res = act(
        &world,
        agent,
        &id,
        json!({"action": "assign", "group_id": a.group_nord.0, "assignee_id": a.agent_sud.id.0}),
    )
    .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let res = act(
        &world,
        agent,
        &id,
        json!({"action": "pend", "reason": "weather"}),
    )
    .await;
    assert_eq!(
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "reason"
    );
    assert_eq!(
        act(
            &world,
            agent,
            &id,
            json!({"action": "pend", "reason": "supplier"})
        )
        .await
        .json()["pending_reason"],
        "supplier"
    );
    assert_eq!(
        act(&world, agent, &id, json!({"action": "resume"}))
            .await
            .json()["status"],
        "in_progress"
    );
    let res = act(
        &world,
        agent,
        &id,
        json!({"action": "resolve", "solution": "", "code": "fixed"}),
    )
    .await;
    assert_eq!(
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "solution"
    );
    let resolved = act(
        &world,
        agent,
        &id,
        json!({"action": "resolve", "solution": "Redémarrage du service", "code": "fixed"}),
    )
    .await
    .json();
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["allowed_actions"], json!(["reopen", "close"]));
    // The requester may close his own resolved ticket.
    let closed = act(&world, requester, &id, json!({"action": "close"})).await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    // A closed ticket takes no reply and no change.
    let reply = world
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            Some(requester),
            Some(json!({"body": "Merci"})),
        )
        .await;
    reply.assert_problem(StatusCode::CONFLICT, "conflict");
    let patch = world
        .api(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            Some(agent),
            Some(json!({"title": "x"})),
        )
        .await;
    patch.assert_problem(StatusCode::CONFLICT, "conflict");
    // The history tells the whole story.
    let statuses: Vec<String> = history(&world, requester, &id)
        .await
        .iter()
        .flat_map(|h| h["changes"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["field"] == "status")
        .filter_map(|c| c["after"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        statuses,
        vec![
            "new",
            "assigned",
            "pending",
            "in_progress",
            "resolved",
            "closed"
        ]
    );
}

/// A ticket's history, oldest line first.
async fn history(world: &World, token: &str, id: &Value) -> Vec<Value> {
    let h = world
        .api(
            Method::GET,
            &format!("/api/v1/tickets/{id}/history"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    h.json().as_array().cloned().expect("array")
}

#[tokio::test]
async fn the_history_keeps_each_text_of_the_description_once() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let agent = &a.admin.token;
    let opened = open(
        &world,
        &a.requester_nord.token,
        json!({"type": "incident", "entity_id": a.nord.0, "title": "Imprimante",
               "description": "Bourrage papier au 2e étage."}),
    )
    .await;
    let id = opened["id"].clone();
    // The creation line lists the fields, not the text the ticket holds.
    let created = history(&world, agent, &id).await;
    let fields: Vec<&str> = created[0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert!(fields.contains(&"title"), "{fields:?}");
    assert!(!fields.contains(&"description"), "{fields:?}");
    // An edit records the first text and the new one.
    let patch = world
        .api(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            Some(agent),
            Some(json!({"description": "Bourrage papier au 3e étage."})),
        )
        .await;
    assert_eq!(patch.status, StatusCode::OK, "{}", patch.body);
    let edited = history(&world, agent, &id).await;
    let change = edited
        .iter()
        .flat_map(|h| h["changes"].as_array().cloned().unwrap_or_default())
        .find(|c| c["field"] == "description")
        .expect("the edit's line");
    assert_eq!(change["before"], "Bourrage papier au 2e étage.");
    assert_eq!(change["after"], "Bourrage papier au 3e étage.");
}

#[tokio::test]
async fn requesters_reply_agents_also_write_notes_the_requester_never_sees() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let (requester, agent) = (a.requester_nord.token.as_str(), a.admin_nord.token.as_str());
    let t = open(
        &world,
        requester,
        json!({"type": "incident", "entity_id": a.nord.0, "title": "Écran noir"}),
    )
    .await;
    let path = format!("/api/v1/tickets/{}/comments", t["id"]);
    let reply = world
        .api(
            Method::POST,
            &path,
            Some(requester),
            Some(json!({"body": "Toujours en panne"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let note = world
        .api(
            Method::POST,
            &path,
            Some(requester),
            Some(json!({"body": "note", "public": false})),
        )
        .await;
    note.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let note = world
        .api(
            Method::POST,
            &path,
            Some(agent),
            Some(json!({"body": "Voir le pare-feu", "public": false})),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    let empty = world
        .api(
            Method::POST,
            &path,
            Some(agent),
            Some(json!({"body": "   "})),
        )
        .await;
    empty.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let requester_view = world
        .api(Method::GET, &path, Some(requester), None)
        .await
        .json();
    assert_eq!(requester_view.as_array().map(Vec::len), Some(1));
    assert!(!requester_view.to_string().contains("pare-feu"));
    let agent_view = world
        .api(Method::GET, &path, Some(agent), None)
        .await
        .json();
    assert_eq!(agent_view.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn queues_filter_and_page() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let agent = &a.admin.token;
    for i in 0..5 {
        let urgency = if i % 2 == 0 { "critique" } else { "bas" };
        open(&world, agent, json!({"type": "incident", "entity_id": a.sud.0, "title": format!("Panne {i}"), "urgency": urgency, "impact": "haut", "requester_id": a.worker_sud.id.0})).await;
    }
    let world = &world;
    let get = |q: &str| {
        let path = format!("/api/v1/tickets?{q}");
        async move { world.api(Method::GET, &path, Some(agent), None).await }
    };
    let page = get("open=true&sort=priority&limit=3").await.json();
    let priorities: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["priority"].as_str())
        .collect();
    assert_eq!(priorities, vec!["critique", "critique", "critique"]);
    let cursor = page["next_cursor"].as_str().expect("more").to_owned();
    let rest = get(&format!("open=true&sort=priority&limit=3&cursor={cursor}"))
        .await
        .json();
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        get("unassigned=true&q=panne").await.json()["items"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );
    // Impact haut with urgency bas gives moyen (P3) in the default matrix.
    assert_eq!(
        get("priority=moyen").await.json()["items"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    get("status=bogus")
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    get("sort=random")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    // The Nord administrator's queue holds none of Sud's tickets.
    let nord = world
        .api(
            Method::GET,
            "/api/v1/tickets",
            Some(&a.admin_nord.token),
            None,
        )
        .await
        .json();
    assert!(!nord.to_string().contains("Panne"));
}

#[tokio::test]
async fn escalations_go_up_a_level_or_alert_the_manager() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let admin = &a.admin.token;
    let id = a.ticket_sud.0;
    let path = format!("/api/v1/tickets/{id}/escalations");
    let escalate = |body: Value| world.api(Method::POST, &path, Some(admin), Some(body));
    // Put the ticket with the level-2 group of Sud.
    let assign = json!({"action": "assign", "group_id": a.group_sud.0});
    assert_eq!(
        act(&world, admin, &json!(id), assign).await.status,
        StatusCode::OK
    );
    // Sideways is not an escalation; a reason is required.
    let p =
        escalate(json!({"kind": "functional", "group_id": a.group_nord.0, "reason": "DBA"})).await;
    assert_eq!(
        p.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "group_id"
    );
    let n3 = world
        .api(
            Method::POST,
            "/api/v1/groups",
            Some(admin),
            Some(json!({"entity_id": a.root.0, "name": "Experts N3", "level": 3})),
        )
        .await
        .json();
    let p = escalate(json!({"kind": "functional", "group_id": n3["id"], "reason": "  "})).await;
    assert_eq!(
        p.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "reason"
    );
    let up = escalate(json!({"kind": "functional", "group_id": n3["id"], "reason": "Corruption de base suspectée"})).await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.body);
    assert_eq!(
        (
            up.json()["group_name"].as_str(),
            up.json()["assignee_id"].is_null()
        ),
        (Some("Experts N3"), true)
    );
    // The group has no manager yet: nobody to alert.
    escalate(json!({"kind": "hierarchical", "reason": "SLA en danger"}))
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let manager = json!({"manager_id": a.admin_nord.id.0});
    let set = world
        .api(
            Method::PATCH,
            &format!("/api/v1/groups/{}", n3["id"]),
            Some(admin),
            Some(manager),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(
        escalate(json!({"kind": "hierarchical", "reason": "SLA en danger"}))
            .await
            .status,
        StatusCode::OK
    );
    // Both are in the timeline, as internal notes the requester does not see.
    let notes = world
        .api(
            Method::GET,
            &format!("/api/v1/tickets/{id}/comments"),
            Some(admin),
            None,
        )
        .await
        .json();
    let text = notes.to_string();
    assert!(
        text.contains("Escalated to Experts N3 (level 3): Corruption de base suspectée"),
        "{text}"
    );
    assert!(
        text.contains("Manager Person alpha.admin-nord of Experts N3 alerted: SLA en danger"),
        "{text}"
    );
    escalate(json!({"kind": "sideways", "reason": "x"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

#[tokio::test]
async fn assignment_rules_place_new_tickets() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let admin = &a.admin.token;
    // The fixture's rule: requests of Sud go to Sud's group.
    let request = open(&world, admin, json!({"type": "request", "entity_id": a.sud.0, "title": "Nouveau poste", "requester_id": a.worker_sud.id.0})).await;
    assert_eq!(
        (request["status"].as_str(), request["group_id"].as_i64()),
        (Some("assigned"), Some(a.group_sud.0))
    );
    let incident = open(&world, admin, json!({"type": "incident", "entity_id": a.sud.0, "title": "Panne", "requester_id": a.worker_sud.id.0})).await;
    assert_eq!(
        (incident["status"].as_str(), incident["group_id"].as_i64()),
        (Some("new"), None)
    );
    // A rule on the category, tried first, wins over the entity rule.
    let path = format!("/api/v1/tenants/{}/assignment-rules", a.tenant.id);
    let rule = json!({"position": 1, "category_id": a.category.0, "group_id": a.group_nord.0});
    let created = world
        .api(Method::POST, &path, Some(admin), Some(rule))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let t = open(&world, admin, json!({"type": "request", "entity_id": a.sud.0, "title": "Accès", "category_id": a.category.0, "requester_id": a.worker_sud.id.0})).await;
    assert_eq!(t["group_id"].as_i64(), Some(a.group_nord.0));
    let rules = world
        .api(Method::GET, &path, Some(&a.requester_nord.token), None)
        .await
        .json();
    assert_eq!(
        rules.as_array().map(Vec::len),
        Some(2),
        "everyone in the tenant reads them"
    );
    // Bad rules are named; only the tenant's administrators change them.
    let bad = json!({"position": 2, "group_id": world.beta.group_sud.0});
    world
        .api(Method::POST, &path, Some(admin), Some(bad))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let bad = json!({"position": 2, "group_id": a.group_sud.0, "channel": "pigeon"});
    let p = world
        .api(Method::POST, &path, Some(admin), Some(bad))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "channel");
    let id = created.json()["id"].clone();
    let del = format!("{path}/{id}");
    world
        .api(Method::DELETE, &del, Some(&a.admin_nord.token), None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        world
            .api(Method::DELETE, &del, Some(admin), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_major_incident_gathers_children_and_logs_communications() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let admin = &a.admin.token;
    let p1 = open(
        &world,
        admin,
        json!({"type": "incident", "entity_id": a.sud.0, "title": "Coupure électrique salle B",
        "impact": "critique", "urgency": "critique", "requester_id": a.worker_sud.id.0}),
    )
    .await;
    let minor = open(
        &world,
        admin,
        json!({"type": "incident", "entity_id": a.sud.0, "title": "Serveur de fichiers injoignable",
        "requester_id": a.worker_sud.id.0}),
    )
    .await;
    let major = |id: &Value, on: bool| {
        let path = format!("/api/v1/tickets/{id}/major");
        let world = &world;
        async move {
            world
                .api(
                    Method::PUT,
                    &path,
                    Some(admin),
                    Some(json!({ "major": on })),
                )
                .await
        }
    };
    // Only a P1 incident becomes major.
    major(&minor["id"], true)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let declared = major(&p1["id"], true).await;
    assert_eq!(declared.status, StatusCode::OK, "{}", declared.body);
    assert_eq!(declared.json()["major"], true);
    // Link a child; someone who cannot work the tickets cannot.
    let link = format!("/api/v1/tickets/{}/children/{}", p1["id"], minor["id"]);
    world
        .api(Method::PUT, &link, Some(&a.requester_nord.token), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(
        world
            .api(Method::PUT, &link, Some(admin), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let back = format!("/api/v1/tickets/{}/children/{}", minor["id"], p1["id"]);
    world
        .api(Method::PUT, &back, Some(admin), None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let children = world
        .api(
            Method::GET,
            &format!("/api/v1/tickets/{}/children", p1["id"]),
            Some(admin),
            None,
        )
        .await
        .json();
    assert_eq!(children["items"][0]["id"], minor["id"]);
    // Communications: only on a major incident, audience and text required.
    let comms = format!("/api/v1/tickets/{}/communications", p1["id"]);
    let said = json!({"audience": "Direction", "body": "Rétablissement prévu à 15 h."});
    assert_eq!(
        world
            .api(Method::POST, &comms, Some(admin), Some(said))
            .await
            .status,
        StatusCode::CREATED
    );
    let p = world
        .api(
            Method::POST,
            &comms,
            Some(admin),
            Some(json!({"audience": " ", "body": "x"})),
        )
        .await;
    assert_eq!(
        p.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation")["field"],
        "audience"
    );
    let elsewhere = format!("/api/v1/tickets/{}/communications", minor["id"]);
    world
        .api(
            Method::POST,
            &elsewhere,
            Some(admin),
            Some(json!({"audience": "a", "body": "b"})),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let log = world
        .api(Method::GET, &comms, Some(admin), None)
        .await
        .json();
    assert_eq!(log[0]["audience"], "Direction");
    // Stopping the major incident unlinks its children, with history.
    assert_eq!(major(&p1["id"], false).await.json()["major"], false);
    let child = world
        .api(
            Method::GET,
            &format!("/api/v1/tickets/{}", minor["id"]),
            Some(admin),
            None,
        )
        .await
        .json();
    assert!(child["parent_id"].is_null());
    let parent_changes = history(&world, admin, &minor["id"])
        .await
        .iter()
        .filter(|h| h.to_string().contains("parent_id"))
        .count();
    assert_eq!(parent_changes, 2, "linked, then unlinked");
}
