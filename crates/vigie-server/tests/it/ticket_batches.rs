//! Many tickets at once through the API: batches opened all or none, many
//! clients opening at the same moment (the group commit), bulk actions
//! reported ticket by ticket, and the "recently updated" order.

use crate::support::World;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

fn incident(world: &World, title: &str) -> Value {
    json!({"type": "incident", "entity_id": world.alpha.sud.0, "title": title,
           "impact": "haut", "urgency": "moyen"})
}

/// Every ticket `path` lists, walking its pages.
async fn walk(world: &World, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let page = world.api(Method::GET, &url, Some(token), None).await.json();
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

async fn ticket_count(world: &World, token: &str) -> usize {
    walk(world, token, "/api/v1/tickets?limit=200").await.len()
}

#[tokio::test]
async fn a_batch_opens_every_ticket_or_none() {
    let world = World::sqlite().await;
    let admin = &world.alpha.admin.token;
    let before = ticket_count(&world, admin).await;
    let audit_before = world.audit_count().await;
    // The third ticket has no title: nothing is stored, the field is named.
    let tickets = vec![
        incident(&world, "Disque plein"),
        incident(&world, "Sauvegarde en échec"),
        json!({"type": "incident", "entity_id": world.alpha.sud.0, "title": ""}),
    ];
    let res = world
        .api(
            Method::POST,
            "/api/v1/tickets/batch",
            Some(admin),
            Some(json!({ "tickets": tickets })),
        )
        .await;
    let p = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "tickets[2].title", "{p}");
    // An entity out of reach is a 404 for the whole batch.
    let tickets = vec![
        incident(&world, "Ok"),
        json!({"type": "incident", "entity_id": world.beta.sud.0, "title": "Ailleurs"}),
    ];
    world
        .api(
            Method::POST,
            "/api/v1/tickets/batch",
            Some(admin),
            Some(json!({ "tickets": tickets })),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    // Empty and oversized batches are refused.
    for n in [0, 1001] {
        let tickets: Vec<Value> = (0..n).map(|i| incident(&world, &format!("T{i}"))).collect();
        let p = world
            .api(
                Method::POST,
                "/api/v1/tickets/batch",
                Some(admin),
                Some(json!({ "tickets": tickets })),
            )
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], "tickets");
    }
    assert_eq!(ticket_count(&world, admin).await, before);
    assert_eq!(world.audit_count().await, audit_before);

    // A good batch: every ticket, in order, numbered one after the other,
    // each with its priority from the matrix and its audit line.
    let tickets: Vec<Value> = (0..25)
        .map(|i| incident(&world, &format!("Alerte {i}")))
        .collect();
    let res = world
        .api(
            Method::POST,
            "/api/v1/tickets/batch",
            Some(admin),
            Some(json!({ "tickets": tickets })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let opened = res.json()["tickets"].as_array().cloned().expect("tickets");
    assert_eq!(opened.len(), 25);
    let numbers: Vec<i64> = opened
        .iter()
        .map(|t| t["number"].as_i64().expect("number"))
        .collect();
    let first = numbers[0];
    assert_eq!(numbers, (first..first + 25).collect::<Vec<_>>());
    assert_eq!(opened[7]["title"], "Alerte 7");
    assert_eq!(opened[7]["priority"], "haut");
    assert_eq!(ticket_count(&world, admin).await, before + 25);
    assert_eq!(world.audit_count().await, audit_before + 25);
    // Every ticket of the batch runs its service level clocks (the tenant's
    // P2 target), read and built once for the batch but started for each.
    let clocks = |id: &Value| {
        let path = format!("/api/v1/tickets/{id}/clocks");
        let world = &world;
        async move {
            world
                .api(Method::GET, &path, Some(admin), None)
                .await
                .json()
        }
    };
    let first_clocks = clocks(&opened[0]["id"]).await;
    let metrics = |c: &Value| -> Vec<Value> {
        c.as_array()
            .expect("clocks")
            .iter()
            .map(|k| k["metric"].clone())
            .collect()
    };
    assert_eq!(
        metrics(&first_clocks),
        [json!("own"), json!("resolve")],
        "{first_clocks}"
    );
    assert_eq!(
        metrics(&clocks(&opened[24]["id"]).await),
        metrics(&first_clocks)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_at_once_each_get_their_own_committed_ticket() {
    let world = std::sync::Arc::new(World::sqlite().await);
    let admin = world.alpha.admin.token.clone();
    let before = ticket_count(&world, &admin).await;
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..40 {
        let world = world.clone();
        let admin = admin.clone();
        clients.spawn(async move {
            let body = incident(&world, &format!("Client {c}"));
            let res = world
                .api(Method::POST, "/api/v1/tickets", Some(&admin), Some(body))
                .await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
            let t = res.json();
            (
                t["id"].as_i64().expect("id"),
                t["number"].as_i64().expect("number"),
            )
        });
    }
    let mut numbers = Vec::new();
    while let Some(done) = clients.join_next().await {
        let (id, number) = done.expect("client");
        // What was answered is there to read.
        let t = world
            .api(
                Method::GET,
                &format!("/api/v1/tickets/{id}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(t.status, StatusCode::OK);
        numbers.push(number);
    }
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 40, "every ticket has its own number");
    assert_eq!(numbers[39] - numbers[0], 39, "numbers stay dense");
    assert_eq!(ticket_count(&world, &admin).await, before + 40);
}

async fn bulk(world: &World, token: &str, body: Value) -> crate::support::Answer {
    world
        .api(
            Method::POST,
            "/api/v1/tickets/bulk",
            Some(token),
            Some(body),
        )
        .await
}

#[tokio::test]
async fn bulk_actions_report_each_ticket() {
    let world = World::sqlite().await;
    let agent = &world.alpha.agent_sud;
    let tickets: Vec<Value> = (0..3)
        .map(|i| incident(&world, &format!("Lot {i}")))
        .collect();
    let opened = world
        .api(
            Method::POST,
            "/api/v1/tickets/batch",
            Some(&agent.token),
            Some(json!({ "tickets": tickets })),
        )
        .await
        .json();
    let ids: Vec<i64> = opened["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    let nord = world.alpha.ticket_nord.0;
    let other_tenant = world.beta.ticket_sud.0;

    // Take them: the Sud agent may not touch Nord's nor another tenant's.
    let mut all = ids.clone();
    all.extend([nord, other_tenant, ids[0]]);
    let res = bulk(
        &world,
        &agent.token,
        json!({"ids": all, "action": "assign"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let out = res.json();
    assert_eq!(
        (out["succeeded"].as_i64(), out["failed"].as_i64()),
        (Some(3), Some(2)),
        "{out}"
    );
    let results = out["results"].as_array().expect("results");
    assert_eq!(results.len(), 5, "a repeated id is taken once");
    assert_eq!(results[0]["ticket"]["assignee_id"], agent.id.0);
    assert_eq!(results[0]["ticket"]["status"], "assigned");
    assert_eq!(results[3]["id"], nord);
    assert_eq!(results[3]["ok"], false);
    assert!(
        results[3]["problem"]["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("/problems/"))
    );
    assert_eq!(results[4]["problem"]["status"], 404);

    // Priority, then resolution; the history keeps each change.
    let out = bulk(
        &world,
        &agent.token,
        json!({"ids": ids, "action": "priority", "priority": "critique"}),
    )
    .await
    .json();
    assert_eq!(out["succeeded"], 3);
    assert_eq!(out["results"][1]["ticket"]["priority"], "critique");
    let out = bulk(
        &world,
        &agent.token,
        json!({"ids": ids, "action": "resolve", "solution": "Disque étendu", "code": "fixed"}),
    )
    .await
    .json();
    assert_eq!(out["succeeded"], 3, "{out}");
    assert_eq!(out["results"][2]["ticket"]["status"], "resolved");
    // Resolving again: each refused by the lifecycle, with a 409 inside.
    let out = bulk(
        &world,
        &agent.token,
        json!({"ids": ids, "action": "resolve", "solution": "Encore", "code": "fixed"}),
    )
    .await
    .json();
    assert_eq!(
        (out["succeeded"].as_i64(), out["failed"].as_i64()),
        (Some(0), Some(3))
    );
    assert_eq!(out["results"][0]["problem"]["status"], 409);
    let history = world
        .api(
            Method::GET,
            &format!("/api/v1/tickets/{}/history", ids[0]),
            Some(&agent.token),
            None,
        )
        .await
        .json();
    assert!(history.as_array().expect("history").len() >= 4, "{history}");

    // Refused outright, changing nothing.
    for (body, field) in [
        (json!({"ids": [], "action": "assign"}), "ids"),
        (
            json!({"ids": (1..=201).collect::<Vec<i64>>(), "action": "assign"}),
            "ids",
        ),
        (json!({"ids": ids, "action": "delete"}), "action"),
        (
            json!({"ids": ids, "action": "priority", "priority": "P0"}),
            "priority",
        ),
        (
            json!({"ids": ids, "action": "resolve", "code": "fixed"}),
            "solution",
        ),
    ] {
        let p = bulk(&world, &agent.token, body)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], field, "{p}");
    }
}

#[tokio::test]
async fn recently_updated_lists_the_last_changed_first_and_pages() {
    let world = World::sqlite().await;
    let admin = &world.alpha.admin.token;
    let tickets: Vec<Value> = (0..5).map(|i| incident(&world, &format!("R{i}"))).collect();
    let opened = world
        .api(
            Method::POST,
            "/api/v1/tickets/batch",
            Some(admin),
            Some(json!({ "tickets": tickets })),
        )
        .await
        .json();
    let first_id = opened["tickets"][0]["id"].as_i64().expect("id");
    world.clock.advance(jiff::SignedDuration::from_mins(5));
    let res = world
        .api(
            Method::PATCH,
            &format!("/api/v1/tickets/{first_id}"),
            Some(admin),
            Some(json!({"title": "R0 modifié"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let page = world
        .api(
            Method::GET,
            "/api/v1/tickets?sort=updated&limit=2",
            Some(admin),
            None,
        )
        .await
        .json();
    assert_eq!(page["items"][0]["title"], "R0 modifié");
    // Walking the pages gives every ticket once, in order of last change.
    let seen: Vec<(String, i64)> = walk(&world, admin, "/api/v1/tickets?sort=updated&limit=2")
        .await
        .iter()
        .map(|t| {
            (
                t["updated_at"].as_str().expect("u").to_owned(),
                t["id"].as_i64().expect("id"),
            )
        })
        .collect();
    let total = ticket_count(&world, admin).await;
    assert_eq!(seen.len(), total);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted);
    world
        .api(
            Method::GET,
            "/api/v1/tickets?sort=sideways",
            Some(admin),
            None,
        )
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
}
