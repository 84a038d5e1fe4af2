//! The change pages over HTTP: raising a change from the form, the change
//! page and its actions (a CAB member's vote), the month calendar with a
//! freeze, French and English, escaping, CSRF and tenant isolation.

use crate::changes::{cast, ok, prepared, raise};
use crate::support::World;
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_agent_raises_a_change_from_the_form_and_it_renders_inert() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let (cookie, csrf) = world.web_session(a.agent_sud.id).await;
    let list = world.page_in(&cookie, "/changes", "fr").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("href=\"/changes\""),
        "no navigation link"
    );
    assert!(
        list.body.contains("Demander un changement"),
        "{}",
        list.body
    );
    let sud = a.sud.0.to_string();
    let ci = a.ci_sud.to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("entity_id", sud.as_str()),
        ("kind", "normal"),
        ("title", "<script>alert(1)</script> firmware"),
        ("reason", "<img src=x onerror=alert(1)>"),
        ("ci_ids", ci.as_str()),
    ];
    let res = world.form(&cookie, "/changes", &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page_path = res.location();
    let page = world.page_in(&cookie, &page_path, "fr").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Brouillon"), "{}", page.body);
    assert!(
        !page.body.contains("<script>alert(1)</script>"),
        "title not escaped"
    );
    assert!(!page.body.contains("<img src=x"), "reason not escaped");
    assert!(page.body.contains("&#60;script&#62;"), "{}", page.body);
    assert!(page.body.contains("alpha-ci-sud"), "items not named");
    // Submitting it unprepared says, in French, what is missing.
    let id = page_path.trim_start_matches("/changes/");
    let res = world
        .form(
            &cookie,
            &format!("/changes/{id}/act"),
            &[("csrf", csrf.as_str()), ("action", "submit")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("fill in: Expected return"),
        "{}",
        res.body
    );
    // Without the session's token, nothing happens.
    let res = world
        .form(
            &cookie,
            &format!("/changes/{id}/act"),
            &[("csrf", "forged"), ("action", "cancel"), ("reason", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Another tenant's user does not find it.
    let (other, _) = world.web_session(world.beta.admin.id).await;
    assert_eq!(
        world.page(&other, &page_path).await.status,
        StatusCode::NOT_FOUND
    );
    // A form with no entity is refused with the form shown again.
    let res = world
        .form(
            &cookie,
            "/changes",
            &[("csrf", csrf.as_str()), ("kind", "normal"), ("title", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"change-error\""), "{}", res.body);
}

#[tokio::test]
async fn a_cab_member_approves_from_the_page_and_the_calendar_shows_it() {
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let agent = &a.agent_sud.token;
    let mut prep = prepared();
    prep["responsible_id"] = json!(a.agent_sud.id.0);
    let c = raise(&world, agent, "normal", &[a.ci_sud], prep).await;
    let id = c["id"].as_i64().expect("id");
    ok(&world, agent, id, json!({"action": "submit"})).await;
    ok(
        &world,
        &cast.manager.token,
        id,
        json!({"action": "assess", "likelihood": "low"}),
    )
    .await;
    ok(
        &world,
        &cast.cab[0].token,
        id,
        json!({"action": "vote", "decision": "approve"}),
    )
    .await;
    let (cookie, csrf) = world.web_session(cast.cab[1].id).await;
    let page = world
        .page_in(&cookie, &format!("/changes/{id}"), "en")
        .await;
    assert!(page.body.contains("id=\"vote-approve\""), "{}", page.body);
    assert!(
        page.body.contains("1 approval(s) of 2 needed"),
        "{}",
        page.body
    );
    let res = world
        .form(
            &cookie,
            &format!("/changes/{id}/act"),
            &[
                ("csrf", csrf.as_str()),
                ("action", "vote"),
                ("decision", "approve"),
                ("comment", "fine"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = world
        .page_in(&cookie, &format!("/changes/{id}"), "en")
        .await;
    assert!(page.body.contains("Approved"), "{}", page.body);
    assert!(
        !page.body.contains("id=\"vote-approve\""),
        "voted twice offered"
    );
    // The change manager schedules it from the page, in Paris time.
    let (mcookie, mcsrf) = world.web_session(cast.manager.id).await;
    let res = world
        .form(
            &mcookie,
            &format!("/changes/{id}/act"),
            &[
                ("csrf", mcsrf.as_str()),
                ("action", "schedule"),
                ("planned_start", "2026-01-20T20:00"),
                ("planned_end", "2026-01-20T23:00"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let c = world
        .api(
            Method::GET,
            &format!("/api/v1/changes/{id}"),
            Some(agent),
            None,
        )
        .await
        .json();
    assert_eq!(c["planned_start"], "2026-01-20T19:00:00Z");
    // A freeze, and the calendar of January in French.
    let res = world
        .api(
            Method::POST,
            &format!("/api/v1/tenants/{}/change-freezes", a.tenant.id.0),
            Some(&cast.manager.token),
            Some(json!({"name": "gel de fin de mois", "starts_at": "2026-01-29T23:00:00Z", "ends_at": "2026-01-31T23:00:00Z"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let (acookie, _) = world.web_session(a.agent_sud.id).await;
    let cal = world
        .page_in(&acookie, "/changes/calendar?month=2026-01", "fr")
        .await;
    assert_eq!(cal.status, StatusCode::OK);
    assert!(cal.body.contains("janvier 2026"), "{}", cal.body);
    let day = cal
        .body
        .split("id=\"day-2026-01-20\"")
        .nth(1)
        .and_then(|rest| rest.split("</td>").next())
        .unwrap_or("");
    assert!(
        day.contains(&format!("calendar-change-{id}")) && day.contains("20:00"),
        "{day}"
    );
    assert!(cal.body.contains("gel de fin de mois"), "{}", cal.body);
    let frozen = cal.body.split("id=\"day-2026-01-30\"").nth(1).unwrap_or("");
    assert!(
        frozen.starts_with(" class=\"frozen\""),
        "{}",
        &frozen[..frozen.len().min(80)]
    );
    let ics = world
        .page(&acookie, "/changes/calendar.ics?month=2026-01")
        .await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(
        ics.body.contains("BEGIN:VEVENT") && ics.body.contains("DTSTART:20260120T190000Z"),
        "{}",
        ics.body
    );
}
