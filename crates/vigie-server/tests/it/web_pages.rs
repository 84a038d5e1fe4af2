//! The admin pages over HTTP: scope, roles, CSRF, escaping and the
//! Post/Redirect/Get round trip.

use crate::support::World;
use axum::http::{StatusCode, header};

#[tokio::test]
async fn pages_show_the_scope_and_nothing_else() {
    let world = World::sqlite().await;
    let (admin, _) = world.web_session(world.alpha.admin.id).await;
    let page = world.page(&admin, "/admin/entities").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"entities-table\"") && page.body.contains("alpha-nord"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("beta"),
        "another tenant leaked into the page"
    );
    let users = world.page(&admin, "/admin/users").await;
    assert!(
        users.body.contains("alpha.worker-sud") && !users.body.contains("beta."),
        "{}",
        users.body
    );

    // The sibling region's administrator sees his region only.
    let (nord, _) = world.web_session(world.alpha.admin_nord.id).await;
    let users = world.page(&nord, "/admin/users").await;
    assert!(users.body.contains("alpha.requester-nord"));
    assert!(!users.body.contains("alpha.worker-sud"), "{}", users.body);
}

#[tokio::test]
async fn records_of_other_tenants_and_siblings_are_404_and_weak_roles_403() {
    let world = World::sqlite().await;
    let (admin, _) = world.web_session(world.alpha.admin.id).await;
    let (nord, _) = world.web_session(world.alpha.admin_nord.id).await;
    let (requester, _) = world.web_session(world.alpha.requester_nord.id).await;
    let (agent, _) = world.web_session(world.alpha.agent_sud.id).await;
    let b = &world.beta;
    for path in [
        format!("/admin/users/{}", b.worker_sud.id),
        format!("/admin/groups/{}", b.group_sud.0),
    ] {
        assert_eq!(
            world.page(&admin, &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let sud_user = format!("/admin/users/{}", world.alpha.worker_sud.id);
    assert_eq!(
        world.page(&nord, &sud_user).await.status,
        StatusCode::NOT_FOUND
    );
    for path in ["/admin/entities", "/admin/users", "/admin/groups", "/audit"] {
        assert_eq!(
            world.page(&requester, path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        world.page(&agent, "/audit").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        world.page(&agent, "/admin/users").await.status,
        StatusCode::OK
    );
    // Everyone has his own token page.
    assert_eq!(
        world.page(&requester, "/tokens").await.status,
        StatusCode::OK
    );
}

async fn post_entity(
    world: &World,
    cookie: &str,
    parent: &str,
    csrf: &str,
) -> crate::support::Answer {
    let fields = [
        ("parent", parent),
        ("name", "Marseille"),
        ("kind", "site"),
        ("csrf", csrf),
    ];
    world.form(cookie, "/admin/entities", &fields).await
}

#[tokio::test]
async fn forms_check_csrf_then_role_then_scope_and_write_nothing_when_refused() {
    let world = World::sqlite().await;
    let before = world.audit_count().await;
    let (admin, csrf) = world.web_session(world.alpha.admin.id).await;
    let (agent, agent_csrf) = world.web_session(world.alpha.agent_sud.id).await;
    let sud = world.alpha.sud.0.to_string();
    let beta_root = world.beta.root.0.to_string();
    assert_eq!(
        post_entity(&world, &admin, &sud, "forged").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_entity(&world, &agent, &sud, &agent_csrf).await.status,
        StatusCode::FORBIDDEN
    );
    let foreign = post_entity(&world, &admin, &beta_root, &csrf).await;
    assert!(
        matches!(
            foreign.status,
            StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{}",
        foreign.status
    );
    assert_eq!(
        world.audit_count().await,
        before,
        "a refused form wrote something"
    );

    // The right form: 303 back to the page, which shows the new entity.
    let ok = post_entity(&world, &admin, &sud, &csrf).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(
        ok.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/admin/entities")
    );
    assert!(
        world
            .page(&admin, "/admin/entities")
            .await
            .body
            .contains("Marseille")
    );
    assert_eq!(world.audit_count().await, before + 1);
}

#[tokio::test]
async fn hostile_names_are_shown_escaped() {
    let world = World::sqlite().await;
    let (admin, csrf) = world.web_session(world.alpha.admin.id).await;
    let sud = world.alpha.sud.0.to_string();
    let hostile = "<script>alert('x')</script>";
    let res = world
        .form(
            &admin,
            "/admin/entities",
            &[
                ("parent", &sud),
                ("name", hostile),
                ("kind", "site"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = world.page(&admin, "/admin/entities").await;
    assert!(!page.body.contains(hostile), "markup went out raw");
    assert!(page.body.contains("&#60;script&#62;"), "{}", page.body);
    let csp = page
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(csp.contains("default-src 'self'"), "{csp}");
}

#[tokio::test]
async fn a_token_made_in_the_page_is_shown_once_and_works() {
    let world = World::sqlite().await;
    let (agent, csrf) = world.web_session(world.alpha.agent_sud.id).await;
    let res = world
        .form(&agent, "/tokens", &[("name", "laptop"), ("csrf", &csrf)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let secret = res
        .body
        .split("vig_")
        .nth(1)
        .map(|s| {
            format!(
                "vig_{}",
                s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .next()
                    .unwrap_or("")
            )
        })
        .expect("secret in page");
    let me = world
        .api(axum::http::Method::GET, "/api/v1/me", Some(&secret), None)
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let again = world.page(&agent, "/tokens").await;
    assert!(
        !again.body.contains(&secret),
        "the secret is shown once only"
    );
}
