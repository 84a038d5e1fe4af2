//! The queues in the web UI over HTTP: the sort and the "recently updated"
//! queue, saved views (personal, canonical, deleted by their owner only),
//! and bulk actions over ticked rows (CSRF, each ticket decided alone,
//! refusals explained).

use crate::support::World;
use axum::http::{Method, StatusCode};
use serde_json::json;

/// Opens `n` incidents of Sud through the API; their ids.
async fn open_sud(world: &World, n: usize, title: &str) -> Vec<i64> {
    let tickets: Vec<_> = (0..n)
        .map(|i| {
            json!({"type": "incident", "entity_id": world.alpha.sud.0,
                   "title": format!("{title} {i}"), "impact": "moyen", "urgency": "moyen"})
        })
        .collect();
    let res = world
        .api(
            Method::POST,
            "/api/v1/tickets/batch",
            Some(&world.alpha.agent_sud.token),
            Some(json!({ "tickets": tickets })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn saved_views_are_personal_and_canonical() {
    let world = World::sqlite().await;
    let (cookie, csrf) = world.web_session(world.alpha.agent_sud.id).await;
    let save = |name: &'static str, fields: Vec<(&'static str, &'static str)>| {
        let mut all = vec![("csrf", csrf.as_str()), ("name", name)];
        all.extend(fields);
        let cookie = cookie.clone();
        let world = &world;
        async move { world.form(&cookie, "/tickets/views", &all).await }
    };
    // Saved without a CSRF token: refused, nothing saved.
    let refused = world
        .form(
            &cookie,
            "/tickets/views",
            &[("name", "x"), ("queue", "open")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // Unknown values are dropped: the view keeps what the selects offer.
    let saved = save(
        "Urgent ouverts",
        vec![
            ("queue", "open"),
            ("priority", "critique"),
            ("sort", "nonsense"),
            ("status", "<script>"),
        ],
    )
    .await;
    assert_eq!(saved.location(), "/tickets?queue=open&priority=critique");
    let page = world
        .page(&cookie, "/tickets?queue=open&priority=critique")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Urgent ouverts"), "{}", page.body);
    assert!(page.body.contains("aria-current=\"page\">Urgent ouverts"));
    // The same name twice is a conflict; an empty name is invalid.
    assert_eq!(
        save("Urgent ouverts", vec![("queue", "all")]).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        save("  ", vec![("queue", "all")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Another user sees none of it and cannot delete it.
    let (other, other_csrf) = world.web_session(world.alpha.admin.id).await;
    let theirs = world.page(&other, "/tickets").await;
    assert!(!theirs.body.contains("Urgent ouverts"));
    let views = world
        .store
        .list_saved_views(
            &world
                .store
                .load_actor(world.alpha.agent_sud.id)
                .await
                .expect("actor")
                .expect("active"),
        )
        .await
        .expect("views");
    let id = views[0].id;
    let stolen = world
        .form(
            &other,
            &format!("/tickets/views/{id}/delete"),
            &[("csrf", other_csrf.as_str())],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);
    // Its owner deletes it.
    let deleted = world
        .form(
            &cookie,
            &format!("/tickets/views/{id}/delete"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(deleted.location(), "/tickets");
    assert!(
        !world
            .page(&cookie, "/tickets")
            .await
            .body
            .contains("Urgent ouverts")
    );
}

#[tokio::test]
async fn bulk_actions_from_the_queue() {
    let world = World::sqlite().await;
    let ids = open_sud(&world, 3, "Imprimante").await;
    let (cookie, csrf) = world.web_session(world.alpha.agent_sud.id).await;
    let queue = world.page(&cookie, "/tickets?queue=unassigned").await;
    assert!(
        queue.body.contains(&format!("id=\"tick-{}\"", ids[0])),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("id=\"bulk-form\""));

    let id0 = ids[0].to_string();
    let id1 = ids[1].to_string();
    let nord = world.alpha.ticket_nord.0.to_string();
    // Without CSRF: refused, nothing changes.
    let refused = world
        .form(
            &cookie,
            "/tickets/bulk",
            &[("action", "take"), ("id", &id0)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // Nothing ticked, or no group for "assign": explained.
    let none = world
        .form(
            &cookie,
            "/tickets/bulk",
            &[("csrf", &csrf), ("action", "take")],
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no_group = world
        .form(
            &cookie,
            "/tickets/bulk",
            &[("csrf", &csrf), ("action", "assign"), ("id", &id0)],
        )
        .await;
    assert_eq!(no_group.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Take two and one out of reach: two change, one is explained.
    let taken = world
        .form(
            &cookie,
            "/tickets/bulk",
            &[
                ("csrf", &csrf),
                ("action", "take"),
                ("id", &id0),
                ("id", &id1),
                ("id", &nord),
                ("back", "/tickets?queue=unassigned"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.body);
    assert!(taken.body.contains("id=\"bulk-summary\""));
    assert!(
        taken.body.contains(&format!("id=\"bulk-refused-{nord}\"")),
        "{}",
        taken.body
    );
    assert!(taken.body.contains("href=\"/tickets?queue=unassigned\""));
    let t = world
        .api(
            Method::GET,
            &format!("/api/v1/tickets/{id0}"),
            Some(&world.alpha.agent_sud.token),
            None,
        )
        .await
        .json();
    assert_eq!(t["assignee_id"], world.alpha.agent_sud.id.0);

    // Priority for all three, then resolve them.
    let id2 = ids[2].to_string();
    let changed = world
        .form(
            &cookie,
            "/tickets/bulk",
            &[
                ("csrf", &csrf),
                ("action", "priority"),
                ("priority", "haut"),
                ("id", &id0),
                ("id", &id1),
                ("id", &id2),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let resolved = world
        .form(
            &cookie,
            "/tickets/bulk",
            &[
                ("csrf", &csrf),
                ("action", "resolve"),
                ("solution", "Toner remplacé"),
                ("code", "fixed"),
                ("id", &id0),
                ("id", &id1),
                ("id", &id2),
            ],
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.body);
    for id in &ids {
        let t = world
            .api(
                Method::GET,
                &format!("/api/v1/tickets/{id}"),
                Some(&world.alpha.agent_sud.token),
                None,
            )
            .await
            .json();
        assert_eq!(
            (t["status"].as_str(), t["priority"].as_str()),
            (Some("resolved"), Some("haut"))
        );
    }
    // All refused (already resolved): the answer's status says so.
    let again = world
        .form(
            &cookie,
            "/tickets/bulk",
            &[
                ("csrf", &csrf),
                ("action", "resolve"),
                ("solution", "x"),
                ("code", "fixed"),
                ("id", &id0),
                ("back", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    // A hostile "back" address is not offered: the link goes to the queues.
    assert!(!again.body.contains("evil.example"));
    assert!(
        again.body.contains("href=\"/tickets\" id=\"bulk-back\""),
        "{}",
        again.body
    );
}

#[tokio::test]
async fn the_recent_queue_and_the_sort_are_offered() {
    let world = World::sqlite().await;
    open_sud(&world, 2, "Tri").await;
    let (cookie, _) = world.web_session(world.alpha.agent_sud.id).await;
    let page = world.page(&cookie, "/tickets?queue=recent").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("id=\"queue-recent\" aria-current=\"page\""),
        "{}",
        page.body
    );
    let sorted = world.page(&cookie, "/tickets?queue=all&sort=updated").await;
    assert!(
        sorted.body.contains("<option value=\"updated\" selected>"),
        "{}",
        sorted.body
    );
    // A requester's portal has no bulk form nor tick boxes.
    let (req, _) = world.web_session(world.alpha.requester_nord.id).await;
    let portal = world.page(&req, "/tickets").await;
    assert!(!portal.body.contains("bulk-form"));
}
