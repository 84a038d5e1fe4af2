//! The change management settings page (`/admin/changes`: windows, CAB and
//! ECAB, freezes, templates) and the week view of the change calendar,
//! over HTTP: the same refusals as the API, nothing stored by a refused
//! form, CSRF, who may see the page, and another tenant's settings unseen.

use crate::changes::{approved, cast, ok, prepared, raise, schedule};
use crate::support::World;
use axum::http::{Method, StatusCode};
use serde_json::json;

/// What the API answers to a GET of `path`.
async fn read(world: &World, token: &str, path: &str) -> serde_json::Value {
    world.api(Method::GET, path, Some(token), None).await.json()
}

#[tokio::test]
async fn a_change_manager_sets_up_boards_freezes_templates_and_windows() {
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let tenant = a.tenant.id.0;
    let (cookie, csrf) = world.web_session(cast.manager.id).await;
    let page = world.page_in(&cookie, "/admin/changes", "fr").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("Paramètres de la gestion des changements")
            && page.body.contains("href=\"/admin/changes\""),
        "{}",
        page.body
    );
    // The board set up by the API shows with its quorum.
    assert!(
        page.body.contains("2 approbation(s) nécessaire(s) parmi"),
        "{}",
        page.body
    );
    // An agent without ManageChanges has neither the link nor the page.
    let (agent, _) = world.web_session(a.agent_sud.id).await;
    let home = world.page(&agent, "/changes").await;
    assert!(!home.body.contains("href=\"/admin/changes\""));
    assert_eq!(
        world.page(&agent, "/admin/changes").await.status,
        StatusCode::FORBIDDEN
    );

    // A quorum above the members is refused as the API refuses it.
    let (u0, u1) = (cast.cab[0].id.0.to_string(), cast.cab[1].id.0.to_string());
    let board = |quorum: &'static str| {
        vec![
            ("csrf", csrf.as_str()),
            ("user", u0.as_str()),
            ("user", u1.as_str()),
            ("quorum", quorum),
        ]
    };
    let res = world
        .form(&cookie, "/admin/changes/boards/cab", &board("3"))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"form-error\""), "{}", res.body);
    assert_eq!(
        read(
            &world,
            &cast.manager.token,
            &format!("/api/v1/tenants/{tenant}/change-boards/cab")
        )
        .await["member_ids"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let res = world
        .form(&cookie, "/admin/changes/boards/cab", &board("two"))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("The quorum is a whole number."));
    let res = world
        .form(&cookie, "/admin/changes/boards/cab", &board("2"))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let written = read(
        &world,
        &cast.manager.token,
        &format!("/api/v1/tenants/{tenant}/change-boards/cab"),
    )
    .await;
    assert_eq!(written["member_ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(written["quorum"], 2);
    let res = world
        .form(
            &cookie,
            "/admin/changes/boards/board-of-nobody",
            &board("1"),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Freezes: typed in the windows' zone (Paris), an empty one refused
    // and nothing stored.
    let res = world
        .form(
            &cookie,
            "/admin/changes/freezes",
            &[
                ("csrf", csrf.as_str()),
                ("name", "fin d'année"),
                ("starts_at", "2026-12-20T00:00"),
                ("ends_at", "2026-12-20T00:00"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("ends_at"), "{}", res.body);
    assert_eq!(
        read(
            &world,
            &cast.manager.token,
            &format!("/api/v1/tenants/{tenant}/change-freezes")
        )
        .await
        .as_array()
        .map(Vec::len),
        Some(0)
    );
    let res = world
        .form(
            &cookie,
            "/admin/changes/freezes",
            &[
                ("csrf", csrf.as_str()),
                ("name", "<b>fin d'année</b>"),
                ("reason", "clôture des comptes"),
                ("starts_at", "2026-12-20T00:00"),
                ("ends_at", "2027-01-04T00:00"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let list = read(
        &world,
        &cast.manager.token,
        &format!("/api/v1/tenants/{tenant}/change-freezes"),
    )
    .await;
    assert_eq!(list[0]["starts_at"], "2026-12-19T23:00:00Z", "{list}");
    let freeze_id = list[0]["id"].as_i64().expect("id");
    let page = world.page_in(&cookie, "/admin/changes", "fr").await;
    assert!(
        page.body.contains("&#60;b&#62;fin d&#39;année") && !page.body.contains("<b>fin"),
        "{}",
        page.body
    );
    let res = world
        .form(
            &cookie,
            &format!("/admin/changes/freezes/{freeze_id}/delete"),
            &[("csrf", "forged")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = world
        .form(
            &cookie,
            &format!("/admin/changes/freezes/{freeze_id}/delete"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        read(
            &world,
            &cast.manager.token,
            &format!("/api/v1/tenants/{tenant}/change-freezes")
        )
        .await
        .as_array()
        .map(Vec::len),
        Some(0)
    );

    // Templates: both plans needed; the checklist is one item per line.
    let res = world
        .form(
            &cookie,
            "/admin/changes/templates",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Correctif mensuel"),
                ("implementation_plan", "appliquer"),
                ("backout_plan", "  "),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("backout_plan"), "{}", res.body);
    let res = world
        .form(
            &cookie,
            "/admin/changes/templates",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Correctif mensuel"),
                ("implementation_plan", "appliquer le correctif"),
                ("backout_plan", "désinstaller"),
                ("checklist", "instantané pris\r\n\r\nfenêtre annoncée\n"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let templates = world
        .api(
            Method::GET,
            &format!("/api/v1/tenants/{tenant}/change-templates"),
            Some(&cast.manager.token),
            None,
        )
        .await
        .json();
    let mine = templates
        .as_array()
        .and_then(|l| l.iter().find(|t| t["name"] == "Correctif mensuel"))
        .expect("template");
    assert_eq!(
        mine["checklist"],
        serde_json::json!(["instantané pris", "fenêtre annoncée"])
    );

    // Windows: an unknown zone is refused, a known one kept.
    let res = world
        .form(
            &cookie,
            "/admin/changes/windows",
            &[
                ("csrf", csrf.as_str()),
                ("calendar", ""),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let res = world
        .form(
            &cookie,
            "/admin/changes/windows",
            &[
                ("csrf", csrf.as_str()),
                ("calendar", ""),
                ("time_zone", "Europe/London"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let settings = world
        .api(
            Method::GET,
            &format!("/api/v1/tenants/{tenant}/change-settings"),
            Some(&cast.manager.token),
            None,
        )
        .await
        .json();
    assert_eq!(settings["time_zone"], "Europe/London");

    // Another tenant's administrator sees his own settings, not these.
    let (other, _) = world.web_session(world.beta.admin.id).await;
    let theirs = world.page(&other, "/admin/changes").await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
    assert!(!theirs.body.contains("Correctif mensuel"));
    assert!(!theirs.body.contains("alpha.cab-1"));
}

#[tokio::test]
async fn the_week_view_cuts_a_night_change_to_each_day_and_shows_the_windows() {
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let id = approved(&world, &cast, &[a.ci_sud]).await;
    // 22:00 to 02:00 in Paris, from Tuesday to Wednesday.
    ok(
        &world,
        &cast.manager.token,
        id,
        schedule("2026-01-20T21:00:00Z", "2026-01-21T01:00:00Z"),
    )
    .await;
    let (cookie, _) = world.web_session(a.agent_sud.id).await;
    let month = world
        .page_in(&cookie, "/changes/calendar?month=2026-01", "en")
        .await;
    assert!(
        month
            .body
            .contains("href=\"/changes/calendar/week?day=2026-01-19\""),
        "{}",
        month.body
    );
    let week = world
        .page_in(&cookie, "/changes/calendar/week?day=2026-01-22", "en")
        .await;
    assert_eq!(week.status, StatusCode::OK, "{}", week.body);
    assert!(
        week.body.contains("Week of 2026-01-19 to 2026-01-25"),
        "{}",
        week.body
    );
    let day = |date: &str| {
        week.body
            .split(&format!("id=\"day-{date}\""))
            .nth(1)
            .and_then(|rest| rest.split("</td>").next())
            .unwrap_or("")
            .to_owned()
    };
    let tuesday = day("2026-01-20");
    assert!(
        tuesday.contains(&format!("week-change-{id}-2026-01-20"))
            && tuesday.contains("22:00–24:00"),
        "{tuesday}"
    );
    assert!(
        tuesday.contains("Change windows: 00:00–06:00, 19:00–24:00"),
        "{tuesday}"
    );
    let wednesday = day("2026-01-21");
    assert!(wednesday.contains("00:00–02:00"), "{wednesday}");
    assert!(
        day("2026-01-24").contains("Change windows: 00:00–24:00"),
        "{}",
        day("2026-01-24")
    );
    assert!(!day("2026-01-22").contains("week-change-"));
    // In French, and a nonsense day falls back to this week.
    let fr = world
        .page_in(&cookie, "/changes/calendar/week?day=nonsense", "fr")
        .await;
    assert_eq!(fr.status, StatusCode::OK);
    assert!(fr.body.contains("Semaine du"), "{}", fr.body);
    // Another tenant's user sees no change of alpha's that week.
    let (other, _) = world.web_session(world.beta.admin.id).await;
    let theirs = world
        .page(&other, "/changes/calendar/week?day=2026-01-20")
        .await;
    assert!(!theirs.body.contains(&format!("week-change-{id}-")));
}

#[tokio::test]
async fn the_change_report_counts_outcomes_and_names_the_changes_that_caused_incidents() {
    let world = World::sqlite().await;
    let cast = cast(&world).await;
    let a = &world.alpha;
    let agent = &a.agent_sud.token;
    // One carried out, failed, and the cause of an incident.
    let failed = approved(&world, &cast, &[a.ci_sud]).await;
    ok(
        &world,
        &cast.manager.token,
        failed,
        schedule("2026-01-20T21:00:00Z", "2026-01-21T01:00:00Z"),
    )
    .await;
    ok(&world, agent, failed, json!({"action": "start"})).await;
    ok(&world, agent, failed, json!({"action": "complete"})).await;
    ok(
        &world,
        agent,
        failed,
        json!({"action": "review", "success": false, "problems": "ports flapped",
               "lessons": "check the profile", "caused_incidents": [a.ticket_sud.0]}),
    )
    .await;
    // One cancelled, one emergency still in draft.
    let c = raise(&world, agent, "normal", &[a.ci_sud], prepared()).await;
    let cancelled = c["id"].as_i64().expect("id");
    ok(
        &world,
        agent,
        cancelled,
        json!({"action": "cancel", "reason": "no longer needed"}),
    )
    .await;
    raise(&world, agent, "emergency", &[a.ci_sud], prepared()).await;

    let r = read(&world, agent, "/api/v1/changes/report").await;
    assert_eq!(r["month"], "2026-01", "{r}");
    assert_eq!(r["raised"], 3, "{r}");
    assert_eq!(
        (r["normal"].clone(), r["emergency"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(r["cancelled"], 1);
    assert_eq!(r["in_progress"], 1);
    assert_eq!(r["carried_out"], 1);
    assert_eq!(
        (r["succeeded"].clone(), r["failed"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(r["success_rate_percent"], 0);
    assert_eq!(r["emergency_share_percent"], 33);
    assert_eq!(
        (
            r["causing_incidents"].clone(),
            r["incidents_caused"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(r["changes_causing_incidents"][0]["id"], failed);
    assert_eq!(
        r["changes_causing_incidents"][0]["incident_ids"],
        json!([a.ticket_sud.0])
    );
    // Another month holds none of them; a month that is not one is refused.
    let before = read(&world, agent, "/api/v1/changes/report?month=2025-12").await;
    assert_eq!(before["raised"], 0, "{before}");
    assert_eq!(before["success_rate_percent"], serde_json::Value::Null);
    world
        .api(
            Method::GET,
            "/api/v1/changes/report?month=2026-13",
            Some(agent),
            None,
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    world
        .api(
            Method::GET,
            "/api/v1/changes/report?from=2026-01-01",
            Some(agent),
            None,
        )
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    // The list filters on the same dates.
    let month = read(
        &world,
        agent,
        "/api/v1/changes?raised_from=2026-01-01T00:00:00Z&raised_before=2026-02-01T00:00:00Z",
    )
    .await;
    assert_eq!(month["items"].as_array().map(Vec::len), Some(3), "{month}");
    let earlier = read(
        &world,
        agent,
        "/api/v1/changes?raised_before=2026-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(earlier["items"].as_array().map(Vec::len), Some(0));
    let p = world
        .api(
            Method::GET,
            "/api/v1/changes?raised_from=yesterday",
            Some(agent),
            None,
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(p["field"], "raised_from");
    // Another tenant counts nothing of alpha's.
    let theirs = read(
        &world,
        &world.beta.admin.token,
        "/api/v1/changes/report?month=2026-01",
    )
    .await;
    assert_eq!(theirs["raised"], 0, "{theirs}");

    // The page, in French, links the change and its incident.
    let (cookie, _) = world.web_session(a.agent_sud.id).await;
    let list = world.page_in(&cookie, "/changes", "fr").await;
    assert!(list.body.contains("href=\"/changes/report\""));
    let page = world
        .page_in(&cookie, "/changes/report?month=2026-01", "fr")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Bilan des changements"), "{}", page.body);
    assert!(page.body.contains("janvier 2026"), "{}", page.body);
    let row = page
        .body
        .split(&format!("id=\"causing-{failed}\""))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or("");
    assert!(
        row.contains(&format!("href=\"/changes/{failed}\""))
            && row.contains(&format!("href=\"/tickets/{}\"", a.ticket_sud.0)),
        "{row}"
    );
    let en = world
        .page_in(&cookie, "/changes/report?month=2025-12", "en")
        .await;
    assert!(en.body.contains("id=\"causing-empty\""), "{}", en.body);
    assert!(en.body.contains("Success rate of those carried out"));
}

#[tokio::test]
async fn the_change_list_shows_the_newest_first_filters_and_pages() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let agent = &a.agent_sud.token;
    let mut ids = Vec::new();
    for _ in 0..52 {
        let c = raise(&world, agent, "normal", &[a.ci_sud], prepared()).await;
        ids.push(c["id"].as_i64().expect("id"));
    }
    let (first, newest) = (ids[0], ids[51]);
    ok(
        &world,
        agent,
        first,
        json!({"action": "cancel", "reason": "superseded"}),
    )
    .await;
    let (cookie, _) = world.web_session(a.agent_sud.id).await;
    let page = world.page_in(&cookie, "/changes", "en").await;
    assert_eq!(page.status, StatusCode::OK);
    let at = |body: &str, id: i64| body.find(&format!("id=\"change-{id}\""));
    // The newest is on the first page, above the next; the oldest is not.
    assert!(at(&page.body, newest) < at(&page.body, ids[50]));
    assert!(at(&page.body, newest).is_some(), "{}", page.body);
    assert!(at(&page.body, first).is_none());
    let next = page
        .body
        .split("id=\"changes-next\"")
        .next()
        .and_then(|head| head.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .expect("a next page")
        .replace("&amp;", "&");
    let older = world.page_in(&cookie, &next, "en").await;
    assert!(at(&older.body, first).is_some(), "{next}: {}", older.body);
    assert!(at(&older.body, newest).is_none());
    assert!(!older.body.contains("id=\"changes-next\""));
    // Filters: the cancelled one alone; unknown values are dropped.
    let cancelled = world
        .page_in(&cookie, "/changes?status=cancelled&kind=normal", "en")
        .await;
    assert!(at(&cancelled.body, first).is_some());
    assert!(at(&cancelled.body, newest).is_none());
    assert!(cancelled.body.contains("value=\"cancelled\" selected"));
    let none = world
        .page_in(&cookie, "/changes?caused=1&status=bogus", "en")
        .await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(none.body.contains("id=\"changes-empty\""), "{}", none.body);
}
