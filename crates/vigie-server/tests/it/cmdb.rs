//! The CMDB through the API: items, relations under the rules, impact with
//! redundancy, import previews and idempotence, export, bad files.

use crate::support::World;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

async fn create(
    world: &World,
    token: &str,
    entity: i64,
    ci_type: &str,
    name: &str,
    ids: &[&str],
) -> i64 {
    let res = world
        .api(
            Method::POST,
            "/api/v1/cis",
            Some(token),
            Some(json!({"entity_id": entity, "type": ci_type, "name": name, "identifiers": ids})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()["id"].as_i64().expect("id")
}

async fn relate(
    world: &World,
    token: &str,
    from: i64,
    relation: &str,
    to: i64,
) -> crate::support::Answer {
    world
        .api(
            Method::POST,
            &format!("/api/v1/cis/{from}/relations"),
            Some(token),
            Some(json!({"type": relation, "to_id": to})),
        )
        .await
}

async fn import(
    world: &World,
    token: &str,
    entity: i64,
    dry_run: bool,
    csv: &str,
) -> crate::support::Answer {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!(
            "/api/v1/cis/import?entity_id={entity}&dry_run={dry_run}"
        ))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv.to_owned()))
        .expect("request");
    world.send(req).await
}

fn states(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap_or("").to_owned(),
                i["state"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn items_relations_and_impact_through_the_api() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let token = a.agent_sud.token.as_str();
    let sud = a.sud.0;
    let room = create(&world, token, sud, "room", "Salle 1", &[]).await;
    let feed_a = create(&world, token, sud, "power_feed", "Voie A", &[]).await;
    let feed_b = create(&world, token, sud, "power_feed", "Voie B", &[]).await;
    let double = create(
        &world,
        token,
        sud,
        "server",
        "srv-double",
        &["hostname:srv-double"],
    )
    .await;
    let single = create(&world, token, sud, "server", "srv-single", &[]).await;
    for (from, rel, to) in [
        (feed_a, "located_in", room),
        (double, "powered_by", feed_a),
        (double, "powered_by", feed_b),
        (single, "powered_by", feed_a),
    ] {
        let res = relate(&world, token, from, rel, to).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    relate(&world, token, room, "located_in", room)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    relate(&world, token, room, "powered_by", feed_a)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    // A second item with the same identifier is refused.
    world
        .api(
            Method::POST,
            "/api/v1/cis",
            Some(token),
            Some(json!({"entity_id": sud, "type": "server", "name": "copy", "identifiers": ["hostname:SRV-DOUBLE"]})),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");

    let res = world
        .api(
            Method::GET,
            &format!("/api/v1/cis/{feed_a}/impact"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        states(&res.json()),
        vec![
            ("Voie A".to_owned(), "down".to_owned()),
            ("srv-double".to_owned(), "degraded".to_owned()),
            ("srv-single".to_owned(), "down".to_owned()),
        ]
    );
    let res = world
        .api(
            Method::POST,
            "/api/v1/impact",
            Some(token),
            Some(json!({"failing": [feed_a, feed_b]})),
        )
        .await;
    assert!(states(&res.json()).contains(&("srv-double".to_owned(), "down".to_owned())));

    // Lists, filters and history.
    let res = world
        .api(
            Method::GET,
            "/api/v1/cis?type=server&limit=1",
            Some(token),
            None,
        )
        .await;
    let page = res.json();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    assert!(page["next_cursor"].is_string());
    let res = world
        .api(Method::GET, "/api/v1/cis?q=srv-double", Some(token), None)
        .await;
    assert_eq!(res.json()["items"][0]["id"], double);
    let res = world
        .api(
            Method::PATCH,
            &format!("/api/v1/cis/{double}"),
            Some(token),
            Some(json!({"criticality": "critical"})),
        )
        .await;
    assert_eq!(res.json()["criticality"], "critical");
    let res = world
        .api(
            Method::GET,
            &format!("/api/v1/cis/{double}/history"),
            Some(token),
            None,
        )
        .await;
    let history = res.json();
    assert_eq!(history.as_array().map(Vec::len), Some(4), "{history}");
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/cis/{single}/retire"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(res.json()["status"], "retired");
    let res = world
        .api(
            Method::GET,
            &format!("/api/v1/cis/{double}/relations"),
            Some(token),
            None,
        )
        .await;
    let relations = res.json();
    assert_eq!(relations.as_array().map(Vec::len), Some(2));
    let relation = relations[0]["id"].as_i64().expect("id");
    let res = world
        .api(
            Method::DELETE,
            &format!("/api/v1/cis/{double}/relations/{relation}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    // Requesters do not read the CMDB.
    world
        .api(
            Method::GET,
            "/api/v1/cis",
            Some(&a.requester_nord.token),
            None,
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

const HEADER: &str = "record,type,name,status,criticality,identifiers,attributes,target,redundancy_group,redundancy_needs\n";

#[tokio::test]
async fn imports_preview_merge_and_change_nothing_the_second_time() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let token = a.admin.token.as_str();
    let root = a.root.0;
    create(
        &world,
        token,
        root,
        "server",
        "srv-erp-01",
        &["serial:CZ100"],
    )
    .await;
    let file = format!(
        "{HEADER}ci,site,Campus,,,,,,,\n\
         ci,room,Salle 1,,,,,,,\n\
         ci,server,SRVERP1,,high,serial:cz100;ip:10.0.0.5,os=RHEL 9,,,\n\
         ci,application,ERP,,,,,,,\n\
         ci,application,CRM,,,,,,,\n\
         ci,business_service,Ventes,,,,customers=cachemire;sla=Or,,,\n\
         relation,located_in,Salle 1,,,,,Campus,,\n\
         relation,runs_on,ERP,,,,,srv-erp-01,,\n\
         relation,depends_on,Ventes,,,,,ERP,apps,1\n\
         relation,depends_on,Ventes,,,,,CRM,apps,1\n"
    );
    let res = import(&world, token, root, true, &file).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let report = res.json();
    assert_eq!(report["applied"], false);
    assert_eq!(
        (report["created"].as_i64(), report["merged"].as_i64()),
        (Some(5), Some(1))
    );
    let merge = report["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["action"] == "merge")
        .expect("merge");
    assert_eq!(merge["name"], "srv-erp-01");
    assert_eq!(merge["conflicts"][0]["field"], "name");
    // The preview wrote nothing.
    let res = world
        .api(Method::GET, "/api/v1/cis?q=Campus", Some(token), None)
        .await;
    assert_eq!(res.json()["items"].as_array().map(Vec::len), Some(0));

    let res = import(&world, token, root, false, &file).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["applied"], true);
    let before = world.audit_count().await;
    let res = import(&world, token, root, false, &file).await;
    let again = res.json();
    assert_eq!(
        (
            again["created"].as_i64(),
            again["relations_created"].as_i64()
        ),
        (Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(
        world.audit_count().await,
        before,
        "the second import changed something"
    );

    // The ERP's failure degrades the service that needs one of two apps.
    let res = world
        .api(Method::GET, "/api/v1/cis?q=ERP", Some(token), None)
        .await;
    let erp = res.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["name"] == "ERP")
        .expect("erp")["id"]
        .clone();
    let res = world
        .api(
            Method::POST,
            "/api/v1/impact",
            Some(token),
            Some(json!({"failing": [erp]})),
        )
        .await;
    let report = res.json();
    assert_eq!(
        report["business_services"][0]["state"], "degraded",
        "{report}"
    );
    assert_eq!(report["customers"][0]["customer"], "cachemire");
    assert_eq!(report["customers"][0]["sla"], "Or");

    // Export, then import the export: nothing to do.
    let res = world
        .api(
            Method::GET,
            "/api/v1/cis/export?format=csv",
            Some(token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body.contains("relation,depends_on,Ventes"),
        "{}",
        res.body
    );
    let round = import(&world, token, root, true, &res.body).await.json();
    assert_eq!(
        (
            round["created"].as_i64(),
            round["relations_created"].as_i64()
        ),
        (Some(0), Some(0)),
        "{round}"
    );
    let res = world
        .api(
            Method::GET,
            "/api/v1/cis/export?format=json",
            Some(token),
            None,
        )
        .await;
    assert!(res.json()["items"].as_array().is_some_and(|i| i.len() >= 7));
}

#[tokio::test]
async fn bad_files_are_refused_line_by_line_and_nothing_is_half_imported() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let token = a.admin.token.as_str();
    let root = a.root.0;
    let file = format!(
        "{HEADER}ci,rack,Baie A,,,serial:R1,,,,\n\
         ci,mainframe,Big,,,,,,,\n\
         ci,rack,Baie B,,,serial:r1,,,,\n\
         relation,located_in,Baie A,,,,,Nowhere,,\n\
         relation,located_in,Baie A,,,,,Baie A,,\n"
    );
    let res = import(&world, token, root, false, &file).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let report = res.json();
    let lines: Vec<i64> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["line"].as_i64())
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 6], "{report}");
    let res = world
        .api(Method::GET, "/api/v1/cis?q=Baie", Some(token), None)
        .await;
    assert_eq!(res.json()["items"].as_array().map(Vec::len), Some(0));

    let res = import(&world, token, root, true, "record;type;name\nci;rack;A\n").await;
    assert!(
        res.json()["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`;`"))
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/cis/import?entity_id={root}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from("<x/>"))
        .expect("request");
    world
        .send(req)
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
}
