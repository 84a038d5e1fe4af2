//! The CMDB pages over HTTP: the list, the item page with its graph and
//! impact, tenant isolation and escaping.

use crate::support::World;
use axum::http::{Method, StatusCode};
use serde_json::json;

/// The id of the rack the world's server of Sud is located in.
async fn rack_of(world: &World) -> i64 {
    let res = world
        .api(
            Method::GET,
            &format!("/api/v1/cis/{}/relations", world.alpha.ci_sud),
            Some(&world.alpha.admin.token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json()[0]["to_id"].as_i64().expect("rack")
}

#[tokio::test]
async fn the_list_shows_the_items_in_scope_and_filters_them() {
    let world = World::sqlite().await;
    let (agent, _) = world.web_session(world.alpha.agent_sud.id).await;
    let page = world.page(&agent, "/cmdb").await;
    assert_eq!(page.status, StatusCode::OK);
    let href = format!("href=\"/cmdb/{}\"", world.alpha.ci_sud);
    assert!(
        page.body.contains("id=\"cmdb-table\"") && page.body.contains(&href),
        "{}",
        page.body
    );
    assert!(page.body.contains("href=\"/cmdb\""), "no navigation link");
    assert!(!page.body.contains("beta-ci-sud"), "another tenant leaked");
    let racks = world.page(&agent, "/cmdb?type=rack").await;
    assert!(racks.body.contains("alpha-ci-sud-rack"), "{}", racks.body);
    assert!(!racks.body.contains(&href), "{}", racks.body);
    let none = world.page(&agent, "/cmdb?q=nothing-like-this").await;
    assert!(none.body.contains("id=\"cmdb-empty\""), "{}", none.body);
}

#[tokio::test]
async fn the_item_page_draws_the_neighbourhood_and_the_impact() {
    let world = World::sqlite().await;
    let rack = rack_of(&world).await;
    let (agent, _) = world.web_session(world.alpha.agent_sud.id).await;
    let page = world
        .page(&agent, &format!("/cmdb/{}", world.alpha.ci_sud))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let svg = page
        .body
        .split("<svg id=\"ci-graph\"")
        .nth(1)
        .and_then(|s| s.split("</svg>").next())
        .unwrap_or_else(|| panic!("no graph: {}", page.body));
    assert!(
        svg.contains(&format!("<a href=\"/cmdb/{rack}\"")) && svg.contains("located in"),
        "{svg}"
    );
    assert!(page.body.contains("id=\"ci-impact\""), "{}", page.body);
    assert!(
        page.body.contains("<dd id=\"ci-type\">Server</dd>"),
        "types are named in the page's language: {}",
        page.body
    );
    assert!(page.body.contains("id=\"ci-tickets\""), "{}", page.body);

    // A business service of a customer that needs the server: touched.
    let token = &world.alpha.admin.token;
    let res = world
        .api(
            Method::POST,
            "/api/v1/cis",
            Some(token),
            Some(
                json!({"entity_id": world.alpha.sud.0, "type": "business_service",
                "name": "Ventes en ligne", "attributes": {"customers": "cachemire", "sla": "Or"}}),
            ),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let service = res.json()["id"].as_i64().expect("service");
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/cis/{service}/relations"),
            Some(token),
            Some(json!({"type": "depends_on", "to_id": world.alpha.ci_sud})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let page = world
        .page(&agent, &format!("/cmdb/{}", world.alpha.ci_sud))
        .await;
    let customers = page
        .body
        .split("id=\"impact-customers\"")
        .nth(1)
        .and_then(|s| s.split("</table>").next())
        .unwrap_or_else(|| panic!("no customers: {}", page.body));
    assert!(
        customers.contains("<td>cachemire</td><td>Or</td>")
            && customers.contains(&format!("href=\"/cmdb/{service}\"")),
        "{customers}"
    );

    // A ticket naming the item appears on its page; the same page in French.
    let res = world
        .api(
            Method::POST,
            "/api/v1/tickets",
            Some(&world.alpha.admin.token),
            Some(json!({"type": "incident", "entity_id": world.alpha.sud.0,
                "title": "Disque plein sur le serveur", "ci_refs": ["ALPHA-CI-SUD"]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let ticket = res.json()["id"].as_i64().expect("ticket id");
    let page = world
        .page_in(&agent, &format!("/cmdb/{}", world.alpha.ci_sud), "fr")
        .await;
    let tickets = page
        .body
        .split("id=\"ci-tickets\"")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .unwrap_or_default();
    assert!(
        tickets.contains(&format!("href=\"/tickets/{ticket}\"")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<dd id=\"ci-type\">Serveur</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("situé dans"), "{}", page.body);

    // The rack's failure takes its server down.
    let rack_page = world.page(&agent, &format!("/cmdb/{rack}")).await;
    let down = rack_page
        .body
        .split("id=\"impact-down\"")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .unwrap_or_default();
    assert!(down.contains("alpha-ci-sud"), "{}", rack_page.body);
}

#[tokio::test]
async fn another_tenant_gets_404_and_a_bad_id_too() {
    let world = World::sqlite().await;
    let (beta, _) = world.web_session(world.beta.agent_sud.id).await;
    let page = world
        .page(&beta, &format!("/cmdb/{}", world.alpha.ci_sud))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("alpha-ci-sud"), "{}", page.body);
    let bad = world.page(&beta, "/cmdb/x").await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn names_are_escaped_in_the_list_the_page_and_the_graph() {
    let world = World::sqlite().await;
    let token = &world.alpha.admin.token;
    let rack = rack_of(&world).await;
    let res = world
        .api(
            Method::POST,
            "/api/v1/cis",
            Some(token),
            Some(json!({"entity_id": world.alpha.sud.0, "type": "room", "name": "<script>alert(1)</script>"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let evil = res.json()["id"].as_i64().expect("id");
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/cis/{rack}/relations"),
            Some(token),
            Some(json!({"type": "located_in", "to_id": evil})),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    let (agent, _) = world.web_session(world.alpha.agent_sud.id).await;
    for path in [
        "/cmdb".to_owned(),
        format!("/cmdb/{evil}"),
        format!("/cmdb/{rack}"),
    ] {
        let page = world.page(&agent, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: {}",
            page.body
        );
        assert!(
            page.body.contains("&#60;script&#62;alert(1)"),
            "{path}: {}",
            page.body
        );
    }
}
