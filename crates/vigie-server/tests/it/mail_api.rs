//! `/api/v1/mailboxes`: tenant administrators create and change mailboxes
//! (the password is never shown back), their rules are checked with the
//! path of a bad field, and the rule tester shows what a pasted mail would
//! become without storing anything.

use crate::mail_support::{PROVIDER_RULES, corpus};
use crate::support::World;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

fn body(world: &World) -> Value {
    json!({
        "entity_id": world.alpha.root.0, "name": "support", "host": "imap.example.org",
        "port": 993, "login": "support", "password": "secret-imap",
        "address": "support@vigie.example"
    })
}

#[tokio::test]
async fn mail_api_mailboxes_hide_their_password_and_check_their_rules() {
    let world = World::sqlite().await;
    let admin = world.alpha.admin.token.clone();
    let res = world
        .api(
            Method::POST,
            "/api/v1/mailboxes",
            Some(&admin),
            Some(body(&world)),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created = res.json();
    assert!(!res.body.contains("secret-imap"), "{}", res.body);
    assert_eq!(created["password_set"], true);
    assert_eq!(
        (
            created["security"].as_str(),
            created["after_action"].as_str()
        ),
        (Some("tls"), Some("move"))
    );
    let id = created["id"].as_i64().expect("id");

    let bad = json!([{"name": "x", "conditions": [{"field": "body", "pattern": "(unclosed"}], "action": {"kind": "ignore"}}]);
    let res = world
        .api(
            Method::PUT,
            &format!("/api/v1/mailboxes/{id}/rules"),
            Some(&admin),
            Some(bad),
        )
        .await;
    let problem = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(
        problem
            .to_string()
            .contains("rules[0].conditions[0].pattern"),
        "{problem}"
    );

    let rules: Value = serde_json::from_str(PROVIDER_RULES).expect("rules");
    let res = world
        .api(
            Method::PUT,
            &format!("/api/v1/mailboxes/{id}/rules"),
            Some(&admin),
            Some(rules.clone()),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = world
        .api(
            Method::GET,
            &format!("/api/v1/mailboxes/{id}/rules"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(res.json().as_array().map(Vec::len), Some(2));

    // The tester: an alert mail would become this event; nothing stored.
    let raw = String::from_utf8(corpus("provider_alert.eml")).expect("utf-8");
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/mailboxes/{id}/test"),
            Some(&admin),
            Some(json!({"raw": raw})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let out = res.json();
    assert_eq!(out["outcome"], "event", "{out}");
    assert_eq!(out["event"]["resource"], "srv-erp-01");
    assert_eq!(out["event"]["severity"], "critical");
    assert_eq!(out["event"]["labels"]["rack"], "B12");
    let raw = String::from_utf8(corpus("bounce.eml")).expect("utf-8");
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/mailboxes/{id}/test"),
            Some(&admin),
            Some(json!({"raw": raw})),
        )
        .await;
    assert_eq!(res.json()["outcome"], "ignored");
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/mailboxes/{id}/test"),
            Some(&admin),
            Some(json!({"raw": "pas un mail"})),
        )
        .await;
    assert_eq!(res.json()["outcome"], "unreadable", "{}", res.body);
    assert!(
        world
            .store
            .list_received_mails(
                world.alpha.tenant.id,
                Some(vigie_core::ids::MailboxId(id)),
                10
            )
            .await
            .expect("received")
            .is_empty(),
        "the tester stores nothing"
    );

    // A change without password keeps it; a bad value names its field.
    let mut change = body(&world);
    change["password"] = Value::Null;
    change["security"] = json!("starttls");
    let res = world
        .api(
            Method::PUT,
            &format!("/api/v1/mailboxes/{id}"),
            Some(&admin),
            Some(change.clone()),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        world
            .store
            .mailbox_password(vigie_core::ids::MailboxId(id))
            .await
            .expect("password"),
        "secret-imap"
    );
    change["security"] = json!("ssl3");
    let res = world
        .api(
            Method::PUT,
            &format!("/api/v1/mailboxes/{id}"),
            Some(&admin),
            Some(change),
        )
        .await;
    let problem = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert!(problem.to_string().contains("security"), "{problem}");

    // An agent may not; the name is unique in the tenant.
    let agent = world.alpha.agent_sud.token.clone();
    let res = world
        .api(Method::GET, "/api/v1/mailboxes", Some(&agent), None)
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = world
        .api(
            Method::POST,
            "/api/v1/mailboxes",
            Some(&admin),
            Some(body(&world)),
        )
        .await;
    res.assert_problem(StatusCode::CONFLICT, "conflict");
    let res = world
        .api(
            Method::DELETE,
            &format!("/api/v1/mailboxes/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
}
