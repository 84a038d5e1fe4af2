//! Authentication: tokens, roles, sessions, CSRF and login throttling.

use crate::support::{Answer, World, t0};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use vigie_core::tenancy::{Actor, Scope};
use vigie_server::auth::hash_password;
use vigie_store::UserChanges;

const PASSWORD: &str = "correct horse battery";

/// Gives alpha's admin a password and returns his login.
async fn with_password(world: &World) -> String {
    let changes = UserChanges {
        password_hash: Some(hash_password(PASSWORD).expect("hash")),
        ..Default::default()
    };
    world
        .store
        .update_user(
            &Actor::system(),
            &Scope::Platform,
            t0(),
            world.alpha.admin.id,
            &changes,
        )
        .await
        .expect("password");
    world.alpha.admin.login.clone()
}

fn set_cookies(a: &Answer) -> Vec<String> {
    a.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or("").to_owned()
}

/// Opens the login page: the CSRF cookie pair and the token of the form.
async fn login_form(world: &World) -> (String, String) {
    let page = world
        .send(Request::get("/login").body(Body::empty()).expect("req"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = set_cookies(&page)
        .into_iter()
        .find(|c| c.starts_with("vigie_login_csrf="))
        .expect("csrf cookie");
    let token = cookie_pair(&cookie)
        .trim_start_matches("vigie_login_csrf=")
        .to_owned();
    assert!(
        page.body.contains(&format!("value=\"{token}\"")),
        "the form carries the token"
    );
    (cookie_pair(&cookie), token)
}

async fn post_login(
    world: &World,
    cookie: &str,
    csrf: &str,
    login: &str,
    password: &str,
) -> Answer {
    let body =
        serde_urlencoded::to_string([("login", login), ("password", password), ("csrf", csrf)])
            .expect("form");
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .expect("req");
    world.send(req).await
}

#[tokio::test]
async fn tokens_missing_malformed_unknown_or_revoked_get_401() {
    let world = World::sqlite().await;
    let me = "/api/v1/me";
    world
        .api(Method::GET, me, None, None)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    world
        .api(Method::GET, me, Some("vig_nope"), None)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let basic = Request::get(me)
        .header(header::AUTHORIZATION, "Basic YTpi")
        .body(Body::empty())
        .expect("req");
    world
        .send(basic)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

    let admin = &world.alpha.admin;
    let ok = world.api(Method::GET, me, Some(&admin.token), None).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["login"], admin.login);

    // The owner lists and revokes his token; it is dead at once.
    let list = world
        .api(Method::GET, "/api/v1/tokens", Some(&admin.token), None)
        .await
        .json();
    let listed = list.as_array().expect("array");
    assert!(listed.iter().any(|t| t["id"] == admin.token_id));
    assert!(
        !list.to_string().contains(&admin.token),
        "secrets are never listed"
    );
    let revoke = world
        .api(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", admin.token_id),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT, "{}", revoke.body);
    world
        .api(Method::GET, me, Some(&admin.token), None)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn an_admin_revokes_his_users_tokens_and_disabling_a_user_kills_his_token() {
    let world = World::sqlite().await;
    let (admin, worker) = (&world.alpha.admin, &world.alpha.worker_sud);
    let r = world
        .api(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", worker.token_id),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    world
        .api(Method::GET, "/api/v1/me", Some(&worker.token), None)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");

    let agent = &world.alpha.agent_sud;
    let off = world
        .api(
            Method::PATCH,
            &format!("/api/v1/users/{}", agent.id),
            Some(&admin.token),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    world
        .api(Method::GET, "/api/v1/me", Some(&agent.token), None)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn a_new_token_is_shown_once_and_works() {
    let world = World::sqlite().await;
    let created = world
        .api(
            Method::POST,
            "/api/v1/tokens",
            Some(&world.alpha.agent_sud.token),
            Some(json!({"name": "scripts"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let secret = created.json()["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let me = world
        .api(Method::GET, "/api/v1/me", Some(&secret), None)
        .await;
    assert_eq!(me.json()["login"], world.alpha.agent_sud.login);
}

#[tokio::test]
async fn roles_too_weak_get_403() {
    let world = World::sqlite().await;
    let agent = &world.alpha.agent_sud;
    let body = json!({"parent_id": world.alpha.sud.0, "name": "Marseille", "kind": "site"});
    world
        .api(
            Method::POST,
            "/api/v1/entities",
            Some(&agent.token),
            Some(body.clone()),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    world
        .api(Method::GET, "/api/v1/audit", Some(&agent.token), None)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    world
        .api(
            Method::GET,
            "/api/v1/users",
            Some(&world.alpha.requester_nord.token),
            None,
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let tenant = json!({"slug": "gamma", "name": "Gamma"});
    world
        .api(
            Method::POST,
            "/api/v1/tenants",
            Some(&world.alpha.admin.token),
            Some(tenant.clone()),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // The right roles succeed with the same requests.
    let ok = world
        .api(
            Method::POST,
            "/api/v1/entities",
            Some(&world.alpha.admin.token),
            Some(body),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let ok = world
        .api(
            Method::POST,
            "/api/v1/tenants",
            Some(&world.platform.token),
            Some(tenant),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert!(ok.json()["root_entity_id"].is_i64());
}

#[tokio::test]
async fn web_login_sets_a_hardened_session_cookie_and_logout_ends_it() {
    let world = World::sqlite().await;
    let login = with_password(&world).await;
    // No session: the home page sends to the login page.
    let home = world
        .send(Request::get("/").body(Body::empty()).expect("req"))
        .await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(
        home.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/login")
    );

    let (cookie, csrf) = login_form(&world).await;
    let res = post_login(&world, &cookie, &csrf, &login, PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let session = set_cookies(&res)
        .into_iter()
        .find(|c| c.starts_with("vigie_session="))
        .expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    let session = cookie_pair(&session);
    let home = world
        .send(
            Request::get("/")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Person alpha.admin"), "{}", home.body);

    // Logout without the CSRF token is refused; with it, the session ends.
    let form = |csrf: &str| {
        Request::post("/logout")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &session)
            .body(Body::from(format!("csrf={csrf}")))
            .expect("req")
    };
    assert_eq!(
        world.send(form("forged")).await.status,
        StatusCode::FORBIDDEN
    );
    let page_csrf = home
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf in page")
        .to_owned();
    assert_eq!(
        world.send(form(&page_csrf)).await.status,
        StatusCode::SEE_OTHER
    );
    let after = world
        .send(
            Request::get("/")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "the session is gone");
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_rejected() {
    let world = World::sqlite().await;
    let login = with_password(&world).await;
    let (cookie, csrf) = login_form(&world).await;
    // Missing or wrong token, or a token without its cookie: refused, no session.
    for (cookie, token) in [
        (cookie.as_str(), ""),
        (cookie.as_str(), "forged"),
        ("", csrf.as_str()),
    ] {
        let res = post_login(&world, cookie, token, &login, PASSWORD).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
        assert!(
            set_cookies(&res)
                .iter()
                .all(|c| !c.starts_with("vigie_session="))
        );
    }
    // The language switcher and the entity switcher check it too.
    for path in ["/lang", "/entity"] {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &cookie)
            .body(Body::from("lang=fr&entity=&csrf=forged"))
            .expect("req");
        let res = world.send(req).await;
        assert!(
            matches!(res.status, StatusCode::FORBIDDEN | StatusCode::SEE_OTHER),
            "{path}: {}",
            res.status
        );
        assert!(
            set_cookies(&res)
                .iter()
                .all(|c| !c.starts_with("vigie_lang=")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn repeated_failures_throttle_logins_with_a_clear_message() {
    let world = World::sqlite().await;
    let login = with_password(&world).await;
    let (cookie, csrf) = login_form(&world).await;
    for _ in 0..5 {
        let res = post_login(&world, &cookie, &csrf, &login, "wrong password").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert!(res.body.contains("Wrong login or password"), "{}", res.body);
    }
    // Even the right password is refused now, with the wait stated.
    let res = post_login(&world, &cookie, &csrf, &login, PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert!(
        res.body
            .contains("Too many failed attempts. Try again in 15 minute(s)."),
        "{}",
        res.body
    );
    assert!(res.headers.get(header::RETRY_AFTER).is_some());
    // Unknown logins are refused like wrong passwords, without telling them apart.
    let res = post_login(&world, &cookie, &csrf, "nobody", PASSWORD).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // After the window, the right password works again.
    world.clock.advance(jiff::SignedDuration::from_mins(16));
    let res = post_login(&world, &cookie, &csrf, &login, PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

#[tokio::test]
async fn the_login_page_speaks_the_browsers_language() {
    let world = World::sqlite().await;
    let fr = Request::get("/login")
        .header(header::ACCEPT_LANGUAGE, "fr-FR,fr;q=0.9,en;q=0.5")
        .body(Body::empty())
        .expect("req");
    let page = world.send(fr).await;
    assert!(
        page.body.contains("<html lang=\"fr\">") && page.body.contains("Mot de passe"),
        "{}",
        page.body
    );
    let en = Request::get("/login")
        .header(header::ACCEPT_LANGUAGE, "en-GB")
        .body(Body::empty())
        .expect("req");
    let page = world.send(en).await;
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Password"));
}
