//! Saved views of the ticket queues through the API: created, listed, read
//! and deleted by their owner only, saved in the web queue's canonical
//! form, every bad input refused with nothing written, the portal's queues
//! for requesters, and `view=` on the ticket list selecting what the web
//! queue shows.

use crate::support::{Person, World};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use vigie_core::tenancy::Actor;
use vigie_store::MAX_VIEWS_PER_USER;

const VIEWS: &str = "/api/v1/me/views";

async fn actor(world: &World, who: &Person) -> Actor {
    world
        .store
        .load_actor(who.id)
        .await
        .expect("actor")
        .expect("active")
}

/// The views the store holds for `who`.
async fn stored(world: &World, who: &Person) -> Vec<(String, String)> {
    world
        .store
        .list_saved_views(&actor(world, who).await)
        .await
        .expect("views")
        .into_iter()
        .map(|v| (v.name, v.query))
        .collect()
}

async fn save(world: &World, who: &Person, body: Value) -> Value {
    let res = world
        .api(Method::POST, VIEWS, Some(&who.token), Some(body))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()
}

async fn get(world: &World, who: &Person, path: &str) -> crate::support::Answer {
    world.api(Method::GET, path, Some(&who.token), None).await
}

/// Opens a ticket in an entity and gives its id.
async fn open(world: &World, who: &Person, entity: i64, body: Value) -> i64 {
    let mut body = body;
    body["entity_id"] = json!(entity);
    let res = world
        .api(
            Method::POST,
            "/api/v1/tickets",
            Some(&who.token),
            Some(body),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_i64().expect("id")
}

/// The ids of every ticket a list address gives, page after page.
async fn ids(world: &World, who: &Person, path: &str) -> Vec<i64> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_path = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let res = get(world, who, &page_path).await;
        assert_eq!(res.status, StatusCode::OK, "{page_path}: {}", res.body);
        let page = res.json();
        all.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|t| t["id"].as_i64().expect("id")),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return all,
        }
    }
}

#[tokio::test]
async fn views_are_created_listed_read_and_deleted_in_canonical_form() {
    let world = World::sqlite().await;
    let agent = &world.alpha.agent_sud;
    assert_eq!(get(&world, agent, VIEWS).await.json(), json!([]));
    let view = save(
        &world,
        agent,
        json!({"name": "  Critiques ouverts ", "priority": "critique", "queue": "open", "q": "  vpn  ", "status": ""}),
    )
    .await;
    assert_eq!(view["name"], "Critiques ouverts");
    assert_eq!(view["query"], "queue=open&priority=critique&q=vpn");
    assert_eq!(view["queue"], "open");
    assert_eq!(view["priority"], "critique");
    assert_eq!(view["q"], "vpn");
    assert_eq!(view["status"], Value::Null);
    assert_eq!(view["type"], Value::Null);
    assert_eq!(view["sort"], Value::Null);
    assert!(view["created_at"].is_string(), "{view}");
    let id = view["id"].as_i64().expect("id");
    // Without a queue: the agent's first, `mine`.
    let mine = save(
        &world,
        agent,
        json!({"name": "Les miens", "sort": "updated"}),
    )
    .await;
    assert_eq!(mine["query"], "queue=mine&sort=updated");

    // Listed by name, read one by one.
    let list = get(&world, agent, VIEWS).await.json();
    let names: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|v| v["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Critiques ouverts", "Les miens"]);
    let one = get(&world, agent, &format!("{VIEWS}/{id}")).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.json(), view);

    // The web queue shows the same view, as current on its address.
    let (cookie, csrf) = world.web_session(agent.id).await;
    let page = world
        .page(&cookie, "/tickets?queue=open&priority=critique&q=vpn")
        .await;
    assert!(
        page.body
            .contains("aria-current=\"page\">Critiques ouverts"),
        "{}",
        page.body
    );
    // And a view saved in the web queue reads the same through the API.
    let saved = world
        .form(
            &cookie,
            "/tickets/views",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Demandes"),
                ("queue", "all"),
                ("type", "request"),
            ],
        )
        .await;
    assert_eq!(saved.location(), "/tickets?queue=all&type=request");
    let list = get(&world, agent, VIEWS).await.json();
    let web = list
        .as_array()
        .expect("list")
        .iter()
        .find(|v| v["name"] == "Demandes")
        .expect("the web's view");
    assert_eq!(web["query"], "queue=all&type=request");
    assert_eq!(web["type"], "request");

    // Deleted: 204, then not found.
    let path = format!("{VIEWS}/{id}");
    let deleted = world
        .api(Method::DELETE, &path, Some(&agent.token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    get(&world, agent, &path)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    world
        .api(Method::DELETE, &path, Some(&agent.token), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    assert_eq!(stored(&world, agent).await.len(), 2);
}

#[tokio::test]
async fn another_users_or_tenants_view_is_not_found() {
    let world = World::sqlite().await;
    let owner = &world.alpha.agent_sud;
    let view = save(
        &world,
        owner,
        json!({"name": "vue-secrete", "queue": "all"}),
    )
    .await;
    let id = view["id"].as_i64().expect("id");
    let path = format!("{VIEWS}/{id}");
    for other in [
        &world.alpha.admin,
        &world.alpha.requester_nord,
        &world.beta.admin,
    ] {
        get(&world, other, &path)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        world
            .api(Method::DELETE, &path, Some(&other.token), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        let theirs = get(&world, other, VIEWS).await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert!(!theirs.body.contains("vue-secrete"), "{}", theirs.body);
        get(&world, other, &format!("/api/v1/tickets?view={id}"))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        // The same name is free for someone else.
        save(&world, other, json!({"name": "vue-secrete"})).await;
    }
    assert_eq!(
        stored(&world, owner).await,
        [("vue-secrete".to_owned(), "queue=all".to_owned())]
    );
}

fn raw(token: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(VIEWS)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    let world = World::sqlite().await;
    let agent = &world.alpha.agent_sud;
    save(&world, agent, json!({"name": "Ouverts", "queue": "open"})).await;
    let before = stored(&world, agent).await;
    let audit = world.audit_count().await;

    // Values refused with the field at fault.
    let long_name = "n".repeat(81);
    let long_q = "q".repeat(201);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": long_name}), "name"),
        (json!({"name": "a\u{7}b"}), "name"),
        (json!({"name": "x", "queue": "nonsense"}), "queue"),
        (json!({"name": "x", "queue": "Open"}), "queue"),
        (json!({"name": "x", "status": "open"}), "status"),
        (json!({"name": "x", "priority": "P1"}), "priority"),
        (json!({"name": "x", "type": "problem"}), "type"),
        (json!({"name": "x", "sort": "random"}), "sort"),
        (json!({"name": "x", "q": long_q}), "q"),
    ];
    for (body, field) in cases {
        let p = world
            .api(Method::POST, VIEWS, Some(&agent.token), Some(body.clone()))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], field, "{body}: {p}");
        assert!(p["detail"].is_string(), "{p}");
    }
    // 80 characters is the longest name.
    let longest = "n".repeat(80);
    let saved = save(&world, agent, json!({"name": longest})).await;
    let longest_id = saved["id"].as_i64().expect("id");
    world
        .api(
            Method::DELETE,
            &format!("{VIEWS}/{longest_id}"),
            Some(&agent.token),
            None,
        )
        .await;

    // Bodies that are not a view.
    let json_ct = "application/json";
    let bodies: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
        (
            b"{\"name\": ".to_vec(),
            json_ct,
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            b"[\"x\"]".to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            b"{\"name\": \"x\", \"queue\": 5}".to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            b"{\"name\": \"x\", \"owner\": 1}".to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            b"{\"queue\": \"open\"}".to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            b"name=x&queue=open".to_vec(),
            "application/x-www-form-urlencoded",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024)).into_bytes(),
            json_ct,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
        ),
    ];
    for (body, ct, status, code) in bodies {
        world
            .send(raw(&agent.token, ct, body))
            .await
            .assert_problem(status, code);
    }

    // The same name twice is a conflict, whatever the filters.
    let p = world
        .api(
            Method::POST,
            VIEWS,
            Some(&agent.token),
            Some(json!({"name": "Ouverts", "queue": "all"})),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    assert_eq!(p["detail"], "you already have a view with this name");

    // Ids that are not numbers, or not views.
    for path in [
        format!("{VIEWS}/abc"),
        format!("{VIEWS}/-1"),
        format!("{VIEWS}/99999"),
    ] {
        get(&world, agent, &path)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
        world
            .api(Method::DELETE, &path, Some(&agent.token), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not-found");
    }
    // The ticket list's `view`: not a number, or with other filters.
    get(&world, agent, "/api/v1/tickets?view=abc")
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    let id = world
        .store
        .list_saved_views(&actor(&world, agent).await)
        .await
        .expect("views")[0]
        .id;
    let p = get(
        &world,
        agent,
        &format!("/api/v1/tickets?view={id}&priority=haut&open=true"),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    let detail = p["detail"].as_str().expect("detail");
    assert!(detail.contains("`open`, `priority`"), "{detail}");
    // Without a token, nothing.
    world
        .api(Method::POST, VIEWS, None, Some(json!({"name": "x"})))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

    assert_eq!(stored(&world, agent).await, before);
    assert_eq!(world.audit_count().await, audit);
}

#[tokio::test]
async fn views_stop_at_the_per_user_limit() {
    let world = World::sqlite().await;
    let agent = &world.alpha.agent_sud;
    let me = actor(&world, agent).await;
    for i in 0..MAX_VIEWS_PER_USER {
        world
            .store
            .create_saved_view(&me, crate::support::t0(), &format!("v{i}"), "queue=all")
            .await
            .expect("view");
    }
    let p = world
        .api(
            Method::POST,
            VIEWS,
            Some(&agent.token),
            Some(json!({"name": "one too many"})),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        p["detail"].as_str().expect("detail").contains("at most 50"),
        "{p}"
    );
    let count = stored(&world, agent).await.len();
    assert_eq!(i64::try_from(count).expect("count"), MAX_VIEWS_PER_USER);
    // Someone else still saves his.
    save(&world, &world.alpha.admin, json!({"name": "one too many"})).await;
}

#[tokio::test]
async fn a_requester_gets_only_the_portal_queues() {
    let world = World::sqlite().await;
    let requester = &world.alpha.requester_nord;
    for queue in ["mine", "groups", "unassigned", "recent"] {
        let p = world
            .api(
                Method::POST,
                VIEWS,
                Some(&requester.token),
                Some(json!({"name": "x", "queue": queue})),
            )
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(p["field"], "queue");
        assert_eq!(p["detail"], "`queue` must be one of `open`, `all`");
    }
    assert!(stored(&world, requester).await.is_empty());
    let default = save(&world, requester, json!({"name": "Mes demandes"})).await;
    assert_eq!(default["query"], "queue=open");
    let all = save(
        &world,
        requester,
        json!({"name": "Tout", "queue": "all", "sort": "updated"}),
    )
    .await;
    assert_eq!(all["queue"], "all");

    // Applied, the view gives his own tickets, as his portal does.
    let nord = world.alpha.nord.0;
    let mine = open(
        &world,
        requester,
        nord,
        json!({"type": "request", "title": "portail-demande"}),
    )
    .await;
    let id = all["id"].as_i64().expect("id");
    let through_view = ids(
        &world,
        requester,
        &format!("/api/v1/tickets?view={id}&limit=200"),
    )
    .await;
    assert!(through_view.contains(&mine), "{through_view:?}");
    let explicit = ids(&world, requester, "/api/v1/tickets?sort=updated&limit=200").await;
    assert_eq!(through_view, explicit);
    assert!(!through_view.contains(&world.alpha.ticket_nord.0));
}

#[tokio::test]
async fn a_view_on_the_ticket_list_selects_what_its_web_queue_shows() {
    let world = World::sqlite().await;
    let agent = &world.alpha.agent_sud;
    let sud = world.alpha.sud.0;
    let incident = |title: &str, level: &str| json!({"type": "incident", "title": title, "impact": level, "urgency": level});
    let first = open(&world, agent, sud, incident("vue-critique-un", "critique")).await;
    let second = open(
        &world,
        agent,
        sud,
        incident("vue-critique-deux", "critique"),
    )
    .await;
    let low = open(&world, agent, sud, incident("vue-basse", "bas")).await;
    let request = open(
        &world,
        agent,
        sud,
        json!({"type": "request", "title": "vue-demande-critique", "impact": "critique", "urgency": "critique"}),
    )
    .await;
    let view = save(
        &world,
        agent,
        json!({"name": "P1", "queue": "open", "priority": "critique", "type": "incident"}),
    )
    .await;
    let id = view["id"].as_i64().expect("id");

    // Page after page, the view gives the same tickets as its filters.
    let through_view = ids(&world, agent, &format!("/api/v1/tickets?view={id}&limit=1")).await;
    assert!(
        through_view.contains(&first) && through_view.contains(&second),
        "{through_view:?}"
    );
    assert!(!through_view.contains(&low) && !through_view.contains(&request));
    let explicit = ids(
        &world,
        agent,
        "/api/v1/tickets?open=true&priority=critique&type=incident&sort=priority&limit=200",
    )
    .await;
    assert_eq!(through_view, explicit);

    // The web queue of the view's address shows those, and only those.
    let (cookie, _) = world.web_session(agent.id).await;
    let page = world
        .page(
            &cookie,
            &format!("/tickets?{}", view["query"].as_str().expect("query")),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("vue-critique-un") && page.body.contains("vue-critique-deux"));
    assert!(!page.body.contains("vue-basse") && !page.body.contains("vue-demande-critique"));

    // Resolved, a ticket leaves the open queue and the view.
    let resolved = world
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{first}/actions"),
            Some(&agent.token),
            Some(json!({"action": "resolve", "solution": "redémarré", "code": "fixed"})),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.body);
    let after = ids(
        &world,
        agent,
        &format!("/api/v1/tickets?view={id}&limit=200"),
    )
    .await;
    assert!(
        !after.contains(&first) && after.contains(&second),
        "{after:?}"
    );

    // `within` goes with a view: an entity outside his reach is not found,
    // as without one; his own entity's subtree gives the view's tickets.
    let nord = world.alpha.nord.0;
    get(
        &world,
        agent,
        &format!("/api/v1/tickets?view={id}&within={nord}"),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let here = ids(
        &world,
        agent,
        &format!("/api/v1/tickets?view={id}&within={sud}&limit=200"),
    )
    .await;
    assert_eq!(here, after);

    // `mine`: what he holds.
    let mine = save(&world, agent, json!({"name": "À moi", "queue": "mine"})).await;
    let assigned = world
        .api(
            Method::POST,
            &format!("/api/v1/tickets/{low}/actions"),
            Some(&agent.token),
            Some(json!({"action": "assign", "assignee_id": agent.id.0})),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    let mine_id = mine["id"].as_i64().expect("id");
    let held = ids(
        &world,
        agent,
        &format!("/api/v1/tickets?view={mine_id}&limit=200"),
    )
    .await;
    assert_eq!(
        held,
        ids(
            &world,
            agent,
            "/api/v1/tickets?assignee=me&open=true&sort=priority&limit=200"
        )
        .await
    );
    assert!(held.contains(&low), "{held:?}");
}
