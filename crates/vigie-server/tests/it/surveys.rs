//! Satisfaction surveys: opened at resolution, answered once without
//! logging in, summed up per group and month for supervisors.

use crate::support::World;
use axum::http::{Method, StatusCode};
use serde_json::json;

async fn resolve(world: &World, ticket: i64) {
    let a = &world.alpha;
    let path = format!("/api/v1/tickets/{ticket}/actions");
    let assign = json!({"action": "assign", "group_id": a.group_sud.0});
    assert_eq!(
        world
            .api(Method::POST, &path, Some(&a.admin.token), Some(assign))
            .await
            .status,
        StatusCode::OK
    );
    let resolve = json!({"action": "resolve", "solution": "Service relancé", "code": "fixed"});
    let res = world
        .api(Method::POST, &path, Some(&a.admin.token), Some(resolve))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test]
async fn the_requester_rates_once_through_the_link() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    resolve(&world, a.ticket_sud.0).await;
    // The requester finds the link on his ticket; an agent does not.
    let (requester, _) = world.web_session(a.worker_sud.id).await;
    let page = world
        .page(&requester, &format!("/tickets/{}", a.ticket_sud.0))
        .await;
    let link = page
        .body
        .split("href=\"/survey/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("survey link")
        .to_owned();
    let (admin, _) = world.web_session(a.admin.id).await;
    assert!(
        !world
            .page(&admin, &format!("/tickets/{}", a.ticket_sud.0))
            .await
            .body
            .contains("/survey/")
    );
    // The link needs no session.
    let path = format!("/survey/{link}");
    let form = world.form("", &path, &[]).await;
    assert_eq!(form.status, StatusCode::UNPROCESSABLE_ENTITY);
    let shown = world.page("", &path).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("name=\"rating\""));
    assert_eq!(
        world.form("", &path, &[("rating", "6")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let thanks = world
        .form(
            "",
            &path,
            &[("rating", "4"), ("comment", "Rapide <b>et</b> efficace")],
        )
        .await;
    assert_eq!(thanks.status, StatusCode::OK, "{}", thanks.body);
    assert!(thanks.body.contains("Thank you"));
    assert_eq!(
        world.form("", &path, &[("rating", "1")]).await.status,
        StatusCode::CONFLICT,
        "single use"
    );
    assert_eq!(
        world.page("", "/survey/not-a-token").await.status,
        StatusCode::NOT_FOUND
    );
    // Answered: the link is gone from the ticket page.
    assert!(
        !world
            .page(&requester, &format!("/tickets/{}", a.ticket_sud.0))
            .await
            .body
            .contains("/survey/")
    );

    // Results per group and month, for supervisors and administrators only.
    let results = format!(
        "/api/v1/tenants/{}/survey-results?from=2026-01&to=2026-01",
        a.tenant.id
    );
    let r = world
        .api(Method::GET, &results, Some(&a.admin.token), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json(),
        json!([{"group": "alpha-group-sud", "month": "2026-01", "answers": 1, "average": 4.0}])
    );
    world
        .api(Method::GET, &results, Some(&a.agent_sud.token), None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    world
        .api(Method::GET, &results, Some(&world.beta.admin.token), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    let bad = format!(
        "/api/v1/tenants/{}/survey-results?from=janvier",
        a.tenant.id
    );
    let p = world
        .api(Method::GET, &bad, Some(&a.admin.token), None)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "from");
    let default = format!("/api/v1/tenants/{}/survey-results", a.tenant.id);
    assert_eq!(
        world
            .api(Method::GET, &default, Some(&a.admin.token), None)
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn a_reopened_and_resolved_ticket_keeps_its_one_survey() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    resolve(&world, a.ticket_sud.0).await;
    let path = format!("/api/v1/tickets/{}/actions", a.ticket_sud.0);
    let reopen = world
        .api(
            Method::POST,
            &path,
            Some(&a.admin.token),
            Some(json!({"action": "reopen"})),
        )
        .await;
    assert_eq!(reopen.status, StatusCode::OK, "{}", reopen.body);
    let again = json!({"action": "resolve", "solution": "Pour de bon", "code": "fixed"});
    assert_eq!(
        world
            .api(Method::POST, &path, Some(&a.admin.token), Some(again))
            .await
            .status,
        StatusCode::OK
    );
    let (requester, _) = world.web_session(a.worker_sud.id).await;
    let page = world
        .page(&requester, &format!("/tickets/{}", a.ticket_sud.0))
        .await;
    assert_eq!(page.body.matches("/survey/").count(), 1);
}
