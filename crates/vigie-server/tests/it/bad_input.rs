//! Malformed, oversized and hostile input gets a clear problem document, or
//! is stored and shown verbatim and inert; a refused request writes nothing.

use crate::support::World;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

fn raw(path: &str, token: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn malformed_bodies_are_problems_and_write_nothing() {
    let world = World::sqlite().await;
    let token = &world.alpha.admin.token;
    let before = world.audit_count().await;
    let json_ct = "application/json";
    let cases: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
        (
            b"{\"parent_id\": 1, \"name\":".to_vec(),
            json_ct,
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            b"[1, 2, 3]".to_vec(),
            json_ct,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            b"{\"parent_id\": 1, \"name\": \"\xff\xfe\", \"kind\": \"site\"}".to_vec(),
            json_ct,
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            b"parent_id=1&name=x".to_vec(),
            "application/x-www-form-urlencoded",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            format!(
                "{{\"parent_id\": 1, \"name\": \"{}\", \"kind\": \"site\"}}",
                "x".repeat(2 * 1024 * 1024)
            )
            .into_bytes(),
            json_ct,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
        ),
    ];
    for (body, ct, status, code) in cases {
        let res = world.send(raw("/api/v1/entities", token, ct, body)).await;
        let p = res.assert_problem(status, code);
        assert!(
            p["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{}",
            res.body
        );
        assert!(
            !res.body.contains("panicked") && !res.body.contains("src/"),
            "{}",
            res.body
        );
    }
    assert_eq!(world.audit_count().await, before);
}

#[tokio::test]
async fn unknown_fields_wrong_types_and_invalid_values_are_named() {
    let world = World::sqlite().await;
    let token = Some(world.alpha.admin.token.as_str());
    let sud = world.alpha.sud.0;
    let post = |body| world.api(Method::POST, "/api/v1/entities", token, Some(body));
    let p = post(json!({"parent_id": sud, "name": "X", "kind": "site", "tenant_id": 99}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        p["detail"].as_str().unwrap_or("").contains("tenant_id"),
        "{p}"
    );
    post(json!({"parent_id": "one", "name": "X", "kind": "site"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let p = post(json!({"parent_id": sud, "name": "X", "kind": "planet"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "kind");
    let p = post(json!({"parent_id": sud, "name": "   ", "kind": "site"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "name");
    let p = post(json!({"parent_id": sud, "name": "a\u{0}b", "kind": "site"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "name");
    let user = json!({"entity_id": sud, "login": "Bad Login!", "display_name": "X"});
    let p = world
        .api(Method::POST, "/api/v1/users", token, Some(user))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "login");
    let user =
        json!({"entity_id": sud, "login": "short.pw", "display_name": "X", "password": "123"});
    let p = world
        .api(Method::POST, "/api/v1/users", token, Some(user))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "password");
}

#[tokio::test]
async fn bad_pagination_and_paths_are_clear() {
    let world = World::sqlite().await;
    let token = Some(world.alpha.admin.token.as_str());
    for query in [
        "cursor=not-a-cursor",
        "limit=0",
        "limit=201",
        "limit=-1",
        "limit=abc",
        "cursor=%FF%FE",
    ] {
        let res = world
            .api(Method::GET, &format!("/api/v1/users?{query}"), token, None)
            .await;
        res.assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    }
    world
        .api(Method::GET, "/api/v1/users/abc", token, None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    world
        .api(
            Method::GET,
            "/api/v1/users/99999999999999999999",
            token,
            None,
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    // A cursor walks the list to its end.
    let first = world
        .api(Method::GET, "/api/v1/users?limit=2", token, None)
        .await
        .json();
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more pages")
        .to_owned();
    let second = world
        .api(
            Method::GET,
            &format!("/api/v1/users?limit=2&cursor={cursor}"),
            token,
            None,
        )
        .await
        .json();
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
}

#[tokio::test]
async fn markup_and_sql_are_stored_verbatim_and_shown_inert() {
    let world = World::sqlite().await;
    let token = Some(world.alpha.admin.token.as_str());
    let hostile = "<script>alert(1)</script>'; DROP TABLE users;--";
    let created = world
        .api(
            Method::POST,
            "/api/v1/entities",
            token,
            Some(json!({"parent_id": world.alpha.sud.0, "name": hostile, "kind": "site"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_i64().expect("id");
    let read = world
        .api(Method::GET, &format!("/api/v1/entities/{id}"), token, None)
        .await
        .json();
    assert_eq!(read["name"], hostile);
    // The users table is still there.
    assert_eq!(
        world
            .api(Method::GET, "/api/v1/users", token, None)
            .await
            .status,
        StatusCode::OK
    );
    // Searching with LIKE metacharacters matches them literally.
    let found = world
        .api(Method::GET, "/api/v1/users?q=%25", token, None)
        .await
        .json();
    assert_eq!(found["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn conflicts_are_409_and_leave_no_partial_rows() {
    let world = World::sqlite().await;
    let token = Some(world.platform.token.as_str());
    let before = world.audit_count().await;
    let p = world
        .api(
            Method::POST,
            "/api/v1/tenants",
            token,
            Some(json!({"slug": "alpha", "name": "Again"})),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(p["detail"].as_str().unwrap_or("").contains("slug"));
    let dup = json!({"entity_id": world.alpha.sud.0, "login": world.alpha.admin.login, "display_name": "Twin"});
    world
        .api(Method::POST, "/api/v1/users", token, Some(dup))
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    world
        .api(
            Method::DELETE,
            &format!("/api/v1/entities/{}", world.alpha.sud.0),
            token,
            None,
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    assert_eq!(world.audit_count().await, before, "nothing half-written");
    let tenants = world
        .api(Method::GET, "/api/v1/tenants", token, None)
        .await
        .json();
    assert_eq!(
        tenants["items"].as_array().map(Vec::len),
        Some(2),
        "no orphan tenant"
    );
}

#[tokio::test]
async fn every_write_is_audited_with_before_and_after() {
    let world = World::sqlite().await;
    let token = Some(world.alpha.admin.token.as_str());
    let path = format!("/api/v1/entities/{}", world.alpha.nord.0);
    let res = world
        .api(
            Method::PATCH,
            &path,
            token,
            Some(json!({"name": "Nord-Est"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let audit = world
        .api(
            Method::GET,
            &format!(
                "/api/v1/audit?record_type=entity&record_id={}",
                world.alpha.nord.0
            ),
            token,
            None,
        )
        .await
        .json();
    let last = audit["items"]
        .as_array()
        .and_then(|a| a.last())
        .expect("entry")
        .clone();
    assert_eq!(last["action"], "update");
    assert_eq!(last["actor"], world.alpha.admin.login);
    assert_eq!(
        last["changes"],
        json!([{"field": "name", "before": "alpha-nord", "after": "Nord-Est"}])
    );
}

#[tokio::test]
async fn operations_endpoints_answer() {
    let world = World::sqlite().await;
    for (path, needle) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let res = world
            .send(Request::get(path).body(Body::empty()).expect("req"))
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.contains(needle));
    }
    world
        .api(
            Method::GET,
            "/api/v1/me",
            Some(&world.alpha.admin.token),
            None,
        )
        .await;
    let metrics = world
        .send(Request::get("/metrics").body(Body::empty()).expect("req"))
        .await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.body.contains("vigie_http_requests_total"),
        "{}",
        metrics.body
    );
}
