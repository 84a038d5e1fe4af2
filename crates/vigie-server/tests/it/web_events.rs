//! The event pages over HTTP: the console, a group's page and the settings
//! page, in English and French, with escaping, CSRF and isolation.

use crate::events_support::{AlertSpec, Made, group, key};
use crate::support::{World, t0};
use axum::http::StatusCode;
use vigie_core::event::Severity;
use vigie_core::event::correlate::GroupState;
use vigie_core::ids::CiId;

const HOSTILE: &str = "<script>alert(1)</script> down";

async fn hostile_group(world: &World) -> Made {
    let a = &world.alpha;
    let k = key(&world.store, a.sud, "alertmanager", t0()).await;
    group(
        &world.store,
        &k,
        Some(CiId(a.ci_sud)),
        GroupState::Open,
        &[AlertSpec {
            labels: &[("note", "<b>bold</b>")],
            ..AlertSpec::firing("alpha-ci-sud", "ping", Severity::Critical, HOSTILE)
        }],
        Some(a.worker_sud.id),
        t0(),
    )
    .await
}

#[tokio::test]
async fn the_console_lists_live_groups_with_their_item_and_incident_inertly() {
    let world = World::sqlite().await;
    let g = hostile_group(&world).await;
    let k = key(&world.store, world.alpha.sud, "zabbix", t0()).await;
    let old = group(
        &world.store,
        &k,
        None,
        GroupState::Resolved,
        &[AlertSpec::firing(
            "alpha-web",
            "http",
            Severity::Warning,
            "old-slow-answers",
        )],
        None,
        t0(),
    )
    .await;
    let (agent, _) = world.web_session(world.alpha.agent_sud.id).await;
    let page = world.page(&agent, "/events").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("href=\"/events\""), "navigation link");
    assert!(body.contains(&format!("id=\"group-{}\"", g.id.0)), "{body}");
    assert!(
        body.contains(&format!(
            "<a href=\"/cmdb/{}\">alpha-ci-sud</a>",
            world.alpha.ci_sud
        )),
        "{body}"
    );
    let ticket = world
        .store
        .get_ticket(
            &vigie_core::ticket::TicketAccess::of(&vigie_core::tenancy::Actor::system()),
            g.incident.expect("incident"),
        )
        .await
        .expect("ticket");
    assert!(
        body.contains(&format!(
            "<a href=\"/tickets/{}\" class=\"mono\">#{}</a>",
            ticket.id.0, ticket.number
        )),
        "{body}"
    );
    assert!(
        body.contains("&#60;script&#62;alert(1)&#60;/script&#62; down"),
        "{body}"
    );
    assert!(!body.contains(HOSTILE), "a summary must render inert");
    assert!(body.contains(&format!("action=\"/events/{}/acknowledge\"", g.id.0)));
    assert!(body.contains("<script src=\"/assets/events.js\" defer></script>"));
    assert!(body.contains("data-refresh=\"15\""));
    assert!(body.contains(">critical<"), "{body}");
    assert!(
        !body.contains("old-slow-answers"),
        "live groups only by default"
    );
    let all = world.page(&agent, "/events?all=1").await;
    assert!(all.body.contains("old-slow-answers"), "{}", all.body);
    assert!(all.body.contains(&format!("id=\"group-{}\"", old.id.0)));
    let severe = world.page(&agent, "/events?all=1&min_severity=error").await;
    assert!(!severe.body.contains("old-slow-answers"));
    assert!(severe.body.contains(&format!("id=\"group-{}\"", g.id.0)));
    let resolved = world.page(&agent, "/events?state=resolved").await;
    assert!(resolved.body.contains("old-slow-answers"));
    assert!(!resolved.body.contains(&format!("id=\"group-{}\"", g.id.0)));
    // The forms come back to the list with its filters.
    assert!(
        severe
            .body
            .contains("name=\"back\" value=\"/events?all=1&#38;min_severity=error\""),
        "{}",
        severe.body
    );
    let script = world.page(&agent, "/assets/events.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.body.contains("events-list"));

    let fr = world.page_in(&agent, "/events", "fr").await;
    assert!(
        fr.body.contains("<h1>Console des événements</h1>"),
        "{}",
        fr.body
    );
    assert!(fr.body.contains(">Prendre en compte<"), "{}", fr.body);
    assert!(fr.body.contains(">critique<"), "{}", fr.body);
}

#[tokio::test]
async fn acknowledging_from_the_console_needs_the_token_and_goes_back() {
    let world = World::sqlite().await;
    let g = hostile_group(&world).await;
    let (agent, csrf) = world.web_session(world.alpha.agent_sud.id).await;
    let path = format!("/events/{}/acknowledge", g.id.0);
    let refused = world
        .form(&agent, &path, &[("csrf", "nope"), ("back", "/events")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let done = world
        .form(
            &agent,
            &path,
            &[("csrf", &csrf), ("back", "/events?min_severity=error")],
        )
        .await;
    assert_eq!(done.location(), "/events?min_severity=error");
    let page = world.page(&agent, &format!("/events/{}", g.id.0)).await;
    assert!(
        page.body
            .contains("<dd id=\"group-state\">acknowledged</dd>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("by alpha.agent-sud"), "{}", page.body);
    // An outside address is not followed.
    let k = key(&world.store, world.alpha.sud, "zabbix", t0()).await;
    let other = group(
        &world.store,
        &k,
        None,
        GroupState::Open,
        &[AlertSpec::firing("x", "y", Severity::Warning, "z")],
        None,
        t0(),
    )
    .await;
    let away = world
        .form(
            &agent,
            &format!("/events/{}/acknowledge", other.id.0),
            &[("csrf", &csrf), ("back", "//evil.example")],
        )
        .await;
    assert_eq!(away.location(), "/");
}

#[tokio::test]
async fn the_group_page_shows_alerts_and_escaped_raw_events() {
    let world = World::sqlite().await;
    let g = hostile_group(&world).await;
    let (agent, _) = world.web_session(world.alpha.agent_sud.id).await;
    let page = world.page(&agent, &format!("/events/{}", g.id.0)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("<td>alertmanager</td>"), "{body}");
    assert!(body.contains("<td>ping</td>"), "{body}");
    assert!(body.contains("firing"), "{body}");
    assert!(body.contains("<pre class=\"payload\">"), "{body}");
    assert!(
        body.contains("&#60;b&#62;bold&#60;/b&#62;"),
        "payload escaped: {body}"
    );
    assert!(!body.contains("<b>bold</b>"));
    assert!(!body.contains(HOSTILE));
    let fr = world
        .page_in(&agent, &format!("/events/{}", g.id.0), "fr")
        .await;
    assert!(fr.body.contains("active"), "{}", fr.body);
    assert!(
        fr.body.contains("Derniers événements bruts (1)"),
        "{}",
        fr.body
    );

    // Another tenant's agent and a requester do not see it.
    let (beta, _) = world.web_session(world.beta.agent_sud.id).await;
    let other = world.page(&beta, &format!("/events/{}", g.id.0)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(!other.body.contains("alpha-ci-sud"));
    let (requester, _) = world.web_session(world.alpha.requester_nord.id).await;
    assert_eq!(
        world.page(&requester, "/events").await.status,
        StatusCode::FORBIDDEN
    );
    let home = world.page(&requester, "/").await;
    assert!(
        !home.body.contains("href=\"/events\""),
        "no link without the permission"
    );
}

#[tokio::test]
async fn the_settings_page_creates_and_revokes_keys_and_manages_windows() {
    let world = World::sqlite().await;
    let (admin, csrf) = world.web_session(world.alpha.admin.id).await;
    let page = world.page(&admin, "/admin/events").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("href=\"/admin/events\""));
    assert!(page.body.contains("id=\"keys-empty\""));
    assert!(
        page.body
            .contains("Critical and error events open incidents"),
        "{}",
        page.body
    );
    assert!(page.body.contains("The default rules apply."));

    let sud = world.alpha.sud.0.to_string();
    let created = world
        .form(
            &admin,
            "/admin/events/keys",
            &[("csrf", &csrf), ("entity", &sud), ("source", "zabbix")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let secret = created
        .body
        .split("id=\"key-secret\" class=\"mono wide\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("secret shown")
        .to_owned();
    assert!(secret.starts_with("vgk_"), "{secret}");
    let again = world.page(&admin, "/admin/events").await;
    assert!(!again.body.contains(&secret), "shown once");
    assert!(again.body.contains("<td>zabbix</td>"));
    let keys = world
        .store
        .list_integration_keys(&vigie_core::tenancy::Scope::Platform)
        .await
        .expect("keys");
    let id = keys[0].id.0;
    let bad = world
        .form(
            &admin,
            "/admin/events/keys",
            &[("csrf", &csrf), ("entity", &sud), ("source", "<Zabbix>")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"form-error\""));
    let no_csrf = world
        .form(
            &admin,
            "/admin/events/keys",
            &[("entity", &sud), ("source", "zabbix")],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let revoked = world
        .form(
            &admin,
            &format!("/admin/events/keys/{id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(revoked.location(), "/admin/events");
    let after = world.page(&admin, "/admin/events").await;
    assert!(
        after.body.contains("Revoked on 2026-01-01T00:00:00Z"),
        "{}",
        after.body
    );

    let ci = world.alpha.ci_sud.to_string();
    let window = world
        .form(
            &admin,
            "/admin/events/windows",
            &[
                ("csrf", &csrf),
                ("name", "Baie <B2>"),
                ("starts_at", "2025-12-31T23:00"),
                ("ends_at", "2026-01-01T03:00"),
                ("ci", &ci),
                ("include_children", "on"),
            ],
        )
        .await;
    assert_eq!(window.location(), "/admin/events");
    let listed = world.page(&admin, "/admin/events").await;
    assert!(
        listed.body.contains("<td>Baie &#60;B2&#62;</td>"),
        "{}",
        listed.body
    );
    assert!(
        listed.body.contains("<td>alpha-ci-sud</td>"),
        "{}",
        listed.body
    );
    assert!(listed.body.contains(">Running<"), "{}", listed.body);
    let backwards = world
        .form(
            &admin,
            "/admin/events/windows",
            &[
                ("csrf", &csrf),
                ("name", "Backwards"),
                ("starts_at", "2026-01-02T00:00"),
                ("ends_at", "2026-01-01T00:00"),
            ],
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        backwards.body.contains("must end after it starts"),
        "{}",
        backwards.body
    );
    let windows = world
        .store
        .list_maintenance_windows(world.alpha.tenant.id)
        .await
        .expect("windows");
    assert_eq!(windows.len(), 1);
    let wid = windows[0].1.id.0;
    let ended = world
        .form(
            &admin,
            &format!("/admin/events/windows/{wid}/end"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(ended.location(), "/admin/events");
    let fr = world.page_in(&admin, "/admin/events", "fr").await;
    assert!(
        fr.body.contains("<h1>Réglages des événements</h1>"),
        "{}",
        fr.body
    );
    assert!(fr.body.contains(">Terminée<"), "{}", fr.body);
    assert!(
        fr.body.contains("Les règles par défaut s&#39;appliquent."),
        "{}",
        fr.body
    );

    // Agents work events but do not configure them.
    let (agent, _) = world.web_session(world.alpha.agent_sud.id).await;
    assert_eq!(
        world.page(&agent, "/admin/events").await.status,
        StatusCode::FORBIDDEN
    );
}
