//! The service level pages, `/admin/sla`: a tenant administrator creates a
//! calendar from a preset, edits its hours and dates, deletes it (refused
//! while a target uses it); creates, edits and deletes a target with its
//! escalation levels; and asks the preview when a ticket opened now would
//! be due. Bad input is refused with 422 and the API's words, the input
//! kept, nothing written and no clock moved. Requesters get 403, an
//! administrator of a sub-entity the read-only view and 403 on the forms,
//! another tenant's administrator 404, forged forms 403; French and English.

use crate::support::{Answer, World};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigie_core::sla::{EscalationAction, PauseOn, Policy, TargetKind};

/// A text as askama writes it into the page.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The form with one field set (added when absent).
fn with(mut form: Vec<(String, String)>, key: &str, value: &str) -> Vec<(String, String)> {
    match form.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value.to_owned(),
        None => form.push((key.to_owned(), value.to_owned())),
    }
    form
}

/// Owned pairs from literals.
fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Posts a form given as owned pairs.
async fn post(world: &World, cookie: &str, path: &str, form: &[(String, String)]) -> Answer {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    world.form(cookie, path, &fields).await
}

/// The edit form of the world's working-hours calendar, as its page fills it.
fn calendar_form(csrf: &str) -> Vec<(String, String)> {
    let day = "08:00-18:00";
    pairs(&[
        ("csrf", csrf),
        ("name", "alpha heures ouvrées"),
        ("time_zone", "Europe/Paris"),
        ("french_holidays", "on"),
        ("hours_monday", day),
        ("hours_tuesday", day),
        ("hours_wednesday", day),
        ("hours_thursday", day),
        ("hours_friday", day),
        ("hours_saturday", ""),
        ("hours_sunday", ""),
        ("holidays", ""),
        ("closures", ""),
        ("openings", ""),
    ])
}

/// A target form as a browser sends it.
fn target_form(csrf: &str, calendar: i64) -> Vec<(String, String)> {
    let calendar = calendar.to_string();
    pairs(&[
        ("csrf", csrf),
        ("name", "OLA messagerie"),
        ("kind", "ola"),
        ("priority", "P3"),
        ("service", "messagerie"),
        ("calendar", &calendar),
        ("time_to_own", "60"),
        ("time_to_resolve", "960"),
        ("pause_customer", "on"),
        ("pause_supplier", "on"),
        ("on_priority_change", "restart"),
        ("on_reopen", "recompute"),
        ("escalations", "75 notify\n90 % alert_manager"),
    ])
}

/// The API's answer to a refused body: the problem's detail.
async fn api_detail(world: &World, method: Method, path: &str, body: Value) -> String {
    let res = world
        .api(method, path, Some(&world.alpha.admin.token), Some(body))
        .await;
    let problem = res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    problem["detail"].as_str().expect("detail").to_owned()
}

/// The clocks of a ticket of the world, as the API shows them.
async fn clocks(world: &World) -> String {
    let path = format!("/api/v1/tickets/{}/clocks", world.alpha.ticket_nord.0);
    world
        .api(Method::GET, &path, Some(&world.alpha.admin.token), None)
        .await
        .body
}

/// Asserts a refused form: 422, the message on the page, nothing written.
async fn assert_refused(world: &World, res: &Answer, detail: &str, audit: usize) {
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"form-error\""), "{}", res.body);
    assert!(
        res.body.contains(&escaped(detail)),
        "{detail:?} not on the page: {}",
        res.body
    );
    assert_eq!(world.audit_count().await, audit, "a refusal wrote nothing");
}

#[tokio::test]
async fn web_sla_admin_creates_edits_and_deletes_a_calendar() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let tenant = a.tenant.id;
    let (admin, csrf) = world.web_session(a.admin.id).await;
    let page = world.page(&admin, "/admin/sla").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"calendar-create\""));
    assert!(
        page.body
            .contains(&format!("href=\"/admin/sla/calendars/{}\"", a.calendar))
    );
    assert!(!page.body.contains("id=\"sla-read-only\""));

    // From a preset, with a name that needs escaping.
    let audit = world.audit_count().await;
    let created = post(
        &world,
        &admin,
        "/admin/sla/calendars",
        &pairs(&[
            ("csrf", &csrf),
            ("name", "Astreinte <nuit>"),
            ("preset", "24/7"),
            ("time_zone", "Europe/Paris"),
        ]),
    )
    .await;
    let list = world.store.list_calendars(tenant).await.expect("calendars");
    let c = list
        .iter()
        .find(|c| c.name == "Astreinte <nuit>")
        .expect("created");
    let path = format!("/admin/sla/calendars/{}", c.id);
    assert_eq!(created.location(), path);
    assert_eq!(c.spec.weekly[6].len(), 1, "open on Sundays");
    assert!(!c.spec.french_holidays);
    assert_eq!(world.audit_count().await, audit + 1);
    let edit = world.page(&admin, &path).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    assert!(edit.body.contains("Astreinte &#60;nuit&#62;"), "escaped");
    assert!(!edit.body.contains("Astreinte <nuit>"));
    assert!(
        edit.body
            .contains("name=\"hours_sunday\" value=\"00:00-24:00\"")
    );

    // Empty: closed all week.
    let empty = post(
        &world,
        &admin,
        "/admin/sla/calendars",
        &pairs(&[("csrf", &csrf), ("name", "Vide"), ("preset", "")]),
    )
    .await;
    assert_eq!(empty.status, StatusCode::SEE_OTHER, "{}", empty.body);
    let list = world.store.list_calendars(tenant).await.expect("calendars");
    let closed = list.iter().find(|c| c.name == "Vide").expect("created");
    assert!(closed.spec.weekly.iter().all(Vec::is_empty));

    // Every part edited at once.
    let form = pairs(&[
        ("csrf", &csrf),
        ("name", "Bureau Lyon"),
        ("time_zone", "Europe/Paris"),
        ("french_holidays", "on"),
        ("hours_monday", "08:00-12:00, 14:00-18:00"),
        ("hours_tuesday", "08:00-18:00"),
        ("hours_friday", "08:00 – 17:00"),
        ("holidays", "2026-05-15\n2026-06-05"),
        ("closures", "2026-08-01..2026-08-15"),
        ("openings", "2026-01-03 09:00-12:00\n2026-01-10"),
    ]);
    let saved = post(&world, &admin, &path, &form).await;
    assert_eq!(saved.location(), format!("/admin/sla#calendar-{}", c.id));
    let after = world
        .store
        .get_calendar(tenant, c.id)
        .await
        .expect("calendar");
    assert_eq!(after.name, "Bureau Lyon");
    let s = &after.spec;
    assert!(s.french_holidays);
    assert_eq!(
        s.weekly.iter().map(Vec::len).collect::<Vec<_>>(),
        [2, 1, 0, 0, 1, 0, 0]
    );
    assert_eq!((s.holidays.len(), s.closures.len()), (2, 1));
    assert_eq!(s.openings.len(), 2);
    assert!(s.openings[1].1.is_empty(), "the date alone closes the day");
    assert_eq!(world.audit_count().await, audit + 3);
    let edit = world.page(&admin, &path).await;
    assert!(
        edit.body
            .contains("name=\"hours_monday\" value=\"08:00-12:00, 14:00-18:00\""),
        "{}",
        edit.body
    );
    assert!(edit.body.contains("2026-08-01..2026-08-15</textarea>"));
    let list = world.page(&admin, "/admin/sla").await;
    assert!(list.body.contains("Bureau Lyon"));

    // Deletion needs the box ticked; then the calendar is gone.
    let delete = format!("{path}/delete");
    let unconfirmed = post(&world, &admin, &delete, &pairs(&[("csrf", &csrf)])).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.body.contains("Tick the confirmation box"));
    assert_eq!(world.audit_count().await, audit + 3);
    let deleted = post(
        &world,
        &admin,
        &delete,
        &pairs(&[("csrf", &csrf), ("confirm", "on")]),
    )
    .await;
    assert_eq!(deleted.location(), "/admin/sla");
    assert!(world.store.get_calendar(tenant, c.id).await.is_err());
    assert_eq!(world.audit_count().await, audit + 4);

    // The world's calendar is used by its target: refused, as the API does.
    let used = post(
        &world,
        &admin,
        &format!("/admin/sla/calendars/{}/delete", a.calendar),
        &pairs(&[("csrf", &csrf), ("confirm", "on")]),
    )
    .await;
    assert_eq!(used.status, StatusCode::CONFLICT, "{}", used.body);
    assert!(
        used.body
            .contains("the calendar is used by a target, a service or an environment&#39;s hours"),
        "{}",
        used.body
    );
    assert!(used.body.contains("id=\"calendar-used-by\""));
    assert!(world.store.get_calendar(tenant, a.calendar).await.is_ok());
    assert_eq!(world.audit_count().await, audit + 4);
}

#[tokio::test]
async fn web_sla_admin_creates_edits_and_deletes_a_target() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let tenant = a.tenant.id;
    let (admin, csrf) = world.web_session(a.admin.id).await;
    let new = world.page(&admin, "/admin/sla/targets/new").await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
    assert!(new.body.contains("id=\"target-form\""));
    assert!(
        new.body
            .contains(&format!("<option value=\"{}\" selected>", a.calendar)),
        "{}",
        new.body
    );
    assert!(!new.body.contains("id=\"target-delete\""));

    let audit = world.audit_count().await;
    let created = post(
        &world,
        &admin,
        "/admin/sla/targets",
        &target_form(&csrf, a.calendar),
    )
    .await;
    let list = world.store.list_targets(tenant).await.expect("targets");
    let r = list
        .iter()
        .find(|r| r.name == "OLA messagerie")
        .expect("created");
    let id = r.target.id;
    assert_eq!(created.location(), format!("/admin/sla#target-{id}"));
    let t = &r.target;
    assert_eq!(t.kind, TargetKind::Ola);
    assert_eq!(t.service_ref.as_deref(), Some("messagerie"));
    assert_eq!(t.time_to_own.map(|d| d.as_mins()), Some(60));
    assert_eq!(t.time_to_resolve.as_mins(), 960);
    assert_eq!(t.pause_on, [PauseOn::Customer, PauseOn::Supplier]);
    assert_eq!(t.on_priority_change, Policy::Restart);
    assert_eq!(
        t.levels
            .iter()
            .map(|l| (l.percent, l.action))
            .collect::<Vec<_>>(),
        [
            (75, EscalationAction::Notify),
            (90, EscalationAction::AlertManager)
        ]
    );
    assert_eq!(world.audit_count().await, audit + 1);
    let list_page = world.page(&admin, "/admin/sla").await;
    assert!(list_page.body.contains(&format!("id=\"target-{id}\"")));
    assert!(list_page.body.contains("OLA messagerie"));

    let path = format!("/admin/sla/targets/{id}");
    let edit = world.page(&admin, &path).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    assert!(edit.body.contains("75 notify\n90 alert_manager</textarea>"));
    assert!(edit.body.contains("name=\"time_to_resolve\" value=\"960\""));
    assert!(edit.body.contains("id=\"target-delete\""));

    let change = with(
        with(
            with(target_form(&csrf, a.calendar), "time_to_own", ""),
            "escalations",
            "50 next_level",
        ),
        "priority",
        "P4",
    );
    let change = with(with(change, "pause_supplier", ""), "kind", "uc");
    let saved = post(&world, &admin, &path, &change).await;
    assert_eq!(saved.location(), format!("/admin/sla#target-{id}"));
    let r = world.store.get_target(tenant, id).await.expect("target");
    assert_eq!(r.target.kind, TargetKind::Uc);
    assert_eq!(r.target.time_to_own, None);
    assert_eq!(r.target.pause_on, [PauseOn::Customer]);
    assert_eq!(r.target.levels.len(), 1);
    assert_eq!(vigie_core::sla::priority_label(r.target.priority), "P4");
    assert_eq!(world.audit_count().await, audit + 2);

    let delete = format!("{path}/delete");
    let unconfirmed = post(&world, &admin, &delete, &pairs(&[("csrf", &csrf)])).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let deleted = post(
        &world,
        &admin,
        &delete,
        &pairs(&[("csrf", &csrf), ("confirm", "on")]),
    )
    .await;
    assert_eq!(deleted.location(), "/admin/sla");
    assert!(world.store.get_target(tenant, id).await.is_err());
    assert_eq!(world.audit_count().await, audit + 3);

    // Tickets have clocks against the world's target: refused.
    let used = post(
        &world,
        &admin,
        &format!("/admin/sla/targets/{}/delete", a.sla_target),
        &pairs(&[("csrf", &csrf), ("confirm", "on")]),
    )
    .await;
    assert_eq!(used.status, StatusCode::CONFLICT, "{}", used.body);
    assert!(
        used.body
            .contains("tickets have clocks against this target")
    );
    assert_eq!(world.audit_count().await, audit + 3);
}

#[tokio::test]
async fn web_sla_bad_calendars_are_refused_with_the_apis_words() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let tenant = a.tenant.id;
    let (admin, csrf) = world.web_session(a.admin.id).await;
    let path = format!("/admin/sla/calendars/{}", a.calendar);
    let api = format!("/api/v1/tenants/{}/calendars/{}", tenant.0, a.calendar);
    let before = world
        .store
        .get_calendar(tenant, a.calendar)
        .await
        .expect("calendar");
    let clocks_before = clocks(&world).await;
    let seg = |s: &str, e: &str| json!({"start": s, "end": e});
    let name = "alpha heures ouvrées";
    let cases = [
        (
            "hours_monday",
            "08:00-12:30, 12:00-14:00",
            json!({"name": name, "weekly_hours": {"monday": [seg("08:00", "12:30"), seg("12:00", "14:00")]}}),
            "overlap",
        ),
        (
            "hours_friday",
            "18:00-08:00",
            json!({"name": name, "weekly_hours": {"friday": [seg("18:00", "08:00")]}}),
            "ends at or before its start",
        ),
        (
            "hours_tuesday",
            "8h-18:00",
            json!({"name": name, "weekly_hours": {"tuesday": [seg("8h", "18:00")]}}),
            "weekly_hours.tuesday[0].start",
        ),
        (
            "time_zone",
            "Europe/Lutece",
            json!({"name": name, "time_zone": "Europe/Lutece"}),
            "is not a known IANA time zone",
        ),
        (
            "holidays",
            "2026-02-30",
            json!({"name": name, "holidays": ["2026-02-30"]}),
            "holidays[0]",
        ),
        (
            "closures",
            "2026-08-15..2026-08-01",
            json!({"name": name, "closures": [{"first": "2026-08-15", "last": "2026-08-01"}]}),
            "closures[0]",
        ),
        (
            "openings",
            "2026-01-03 12:00-09:00",
            json!({"name": name, "exceptional_openings": [{"date": "2026-01-03", "segments": [seg("12:00", "09:00")]}]}),
            "exceptional_openings.2026-01-03",
        ),
    ];
    let audit = world.audit_count().await;
    for (key, value, body, words) in cases {
        let detail = api_detail(&world, Method::PUT, &api, body).await;
        assert!(detail.contains(words), "{detail}");
        let res = post(
            &world,
            &admin,
            &path,
            &with(calendar_form(&csrf), key, value),
        )
        .await;
        assert_refused(&world, &res, &detail, audit).await;
        // What was typed is shown again.
        assert!(
            res.body.contains(&escaped(value)),
            "{value:?} kept: {}",
            res.body
        );
    }
    // A line the form cannot read names its field too.
    let res = post(
        &world,
        &admin,
        &path,
        &with(calendar_form(&csrf), "hours_monday", "0800"),
    )
    .await;
    assert_refused(&world, &res, "weekly_hours.monday[0]", audit).await;
    // Creation: an unknown zone, the typed values kept, nothing created.
    let count = world
        .store
        .list_calendars(tenant)
        .await
        .expect("list")
        .len();
    let res = post(
        &world,
        &admin,
        "/admin/sla/calendars",
        &pairs(&[
            ("csrf", &csrf),
            ("name", "Mars"),
            ("preset", "working-hours"),
            ("time_zone", "Mars/Olympus"),
        ]),
    )
    .await;
    let detail = api_detail(
        &world,
        Method::POST,
        &format!("/api/v1/tenants/{}/calendars", tenant.0),
        json!({"name": "Mars", "preset": "working-hours", "time_zone": "Mars/Olympus"}),
    )
    .await;
    assert_refused(&world, &res, &detail, audit).await;
    assert!(res.body.contains("value=\"Mars/Olympus\""));
    assert!(
        res.body
            .contains("<option value=\"working-hours\" selected>")
    );
    assert_eq!(
        world
            .store
            .list_calendars(tenant)
            .await
            .expect("list")
            .len(),
        count
    );
    // Nothing changed, no clock moved.
    let after = world
        .store
        .get_calendar(tenant, a.calendar)
        .await
        .expect("calendar");
    assert_eq!(after.spec, before.spec);
    assert_eq!(after.updated_at, before.updated_at);
    assert_eq!(clocks(&world).await, clocks_before);
}

#[tokio::test]
async fn web_sla_bad_targets_are_refused_with_the_apis_words() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let tenant = a.tenant.id;
    let (admin, csrf) = world.web_session(a.admin.id).await;
    let path = format!("/admin/sla/targets/{}", a.sla_target);
    let api = format!("/api/v1/tenants/{}/sla-targets", tenant.0);
    let before = world
        .store
        .get_target(tenant, a.sla_target)
        .await
        .expect("target");
    let clocks_before = clocks(&world).await;
    let base = |resolve: i64, own: Option<i64>| {
        json!({"name": "P2", "kind": "sla", "priority": "P2", "calendar_id": a.calendar,
               "time_to_resolve": resolve, "time_to_own": own})
    };
    let mut bad_level = base(60, None);
    bad_level["escalations"] = json!([{"percent": 75, "action": "shout"}]);
    let mut bad_percent = base(60, None);
    bad_percent["escalations"] = json!([{"percent": 0, "action": "notify"}]);
    let cases = [
        ("time_to_resolve", "0", base(0, None), "time_to_resolve"),
        ("time_to_resolve", "-60", base(-60, None), "time_to_resolve"),
        ("time_to_own", "0", base(240, Some(0)), "time_to_own"),
        (
            "escalations",
            "75 shout",
            bad_level,
            "escalations[0].action",
        ),
        (
            "escalations",
            "0 notify",
            bad_percent,
            "escalations[0].percent",
        ),
    ];
    let form = || {
        with(
            with(target_form(&csrf, a.calendar), "kind", "sla"),
            "priority",
            "P2",
        )
    };
    let audit = world.audit_count().await;
    for (key, value, body, field) in cases {
        let detail = api_detail(&world, Method::POST, &api, body).await;
        assert!(detail.starts_with(field), "{detail}");
        let res = post(&world, &admin, &path, &with(form(), key, value)).await;
        assert_refused(&world, &res, &detail, audit).await;
        assert!(res.body.contains(&escaped(value)), "{value:?} kept");
        // The same on creation.
        let res = post(
            &world,
            &admin,
            "/admin/sla/targets",
            &with(form(), key, value),
        )
        .await;
        assert_refused(&world, &res, &detail, audit).await;
    }
    let res = post(
        &world,
        &admin,
        &path,
        &with(form(), "time_to_resolve", "huit heures"),
    )
    .await;
    assert_refused(&world, &res, "time_to_resolve: \"huit heures\"", audit).await;
    assert_eq!(
        world.store.list_targets(tenant).await.expect("list").len(),
        1,
        "nothing created"
    );
    let after = world
        .store
        .get_target(tenant, a.sla_target)
        .await
        .expect("target");
    assert_eq!(after.target, before.target);
    assert_eq!(after.updated_at, before.updated_at);
    assert_eq!(clocks(&world).await, clocks_before);
}

#[tokio::test]
async fn web_sla_preview_says_when_a_ticket_opened_now_would_be_due() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let (admin, _) = world.web_session(a.admin.id).await;
    let page = world.page(&admin, "/admin/sla").await;
    assert!(page.body.contains("id=\"preview-form\""));
    assert!(!page.body.contains("id=\"sla-preview-result\""));
    // Opened on 1 January (a holiday): owned by Friday 08:30, resolved by
    // 16:00, Paris time — as the API says.
    let api = world
        .api(
            Method::GET,
            &format!("/api/v1/tenants/{}/sla/preview?priority=P2", a.tenant.id.0),
            Some(&a.admin.token),
            None,
        )
        .await
        .json();
    assert_eq!(api["resolve_due"], "2026-01-02T15:00:00Z");
    let target = a.sla_target.to_string();
    for query in [
        "preview=1&target=&priority=P2&service=".to_owned(),
        format!("preview=1&target={target}&priority=P4&service="),
    ] {
        let res = world.page(&admin, &format!("/admin/sla?{query}")).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(
            res.body.contains("id=\"sla-preview-result\""),
            "{}",
            res.body
        );
        assert!(res.body.contains("A P2 ticket opened now"), "{}", res.body);
        assert!(res.body.contains(
            "<time id=\"sla-preview-own\" datetime=\"2026-01-02T07:30:00Z\">2026-01-02 08:30 (Europe/Paris)</time>"
        ));
        assert!(res.body.contains(
            "<time id=\"sla-preview-resolve\" datetime=\"2026-01-02T15:00:00Z\">2026-01-02 16:00 (Europe/Paris)</time>"
        ));
    }
    let fr = world
        .page_in(&admin, "/admin/sla?preview=1&priority=P2", "fr")
        .await;
    assert!(
        fr.body.contains("Un ticket P2 ouvert maintenant"),
        "{}",
        fr.body
    );
    // No SLA target for P1: the API's words.
    let res = world
        .page(&admin, "/admin/sla?preview=1&target=&priority=P1&service=")
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"preview-error\""));
    assert!(res.body.contains("priority: no SLA target covers it"));
    // Readers who cannot change the targets still preview them.
    let (reader, _) = world.web_session(a.admin_nord.id).await;
    let res = world
        .page(&reader, "/admin/sla?preview=1&priority=P2")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("id=\"sla-preview-resolve\""));
}

#[tokio::test]
async fn web_sla_is_refused_to_requesters_other_tenants_and_forged_forms() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let tenant = a.tenant.id;
    let audit = world.audit_count().await;
    let calendar_path = format!("/admin/sla/calendars/{}", a.calendar);
    let target_path = format!("/admin/sla/targets/{}", a.sla_target);
    let new_calendar = |csrf: &str| pairs(&[("csrf", csrf), ("name", "X"), ("preset", "24/7")]);

    // A requester has no page and no form.
    let (requester, r_csrf) = world.web_session(a.requester_nord.id).await;
    for path in ["/admin/sla", "/admin/sla/targets/new", &calendar_path] {
        assert_eq!(
            world.page(&requester, path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let res = post(
        &world,
        &requester,
        "/admin/sla/calendars",
        &new_calendar(&r_csrf),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = post(&world, &requester, &calendar_path, &calendar_form(&r_csrf)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // An administrator of a sub-entity reads, as the API lets him, but
    // changes nothing (the API's rule: the tenant's root entity).
    let (nord, n_csrf) = world.web_session(a.admin_nord.id).await;
    let page = world.page(&nord, "/admin/sla").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"sla-read-only\""));
    assert!(!page.body.contains("id=\"calendar-create\""));
    assert!(!page.body.contains(&format!("href=\"{target_path}\"")));
    assert_eq!(
        world.page(&nord, &target_path).await.status,
        StatusCode::FORBIDDEN
    );
    let api = world
        .api(
            Method::POST,
            &format!("/api/v1/tenants/{}/calendars", tenant.0),
            Some(&a.admin_nord.token),
            Some(json!({"name": "X", "preset": "24/7"})),
        )
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN, "the API refuses him too");
    let res = post(
        &world,
        &nord,
        "/admin/sla/calendars",
        &new_calendar(&n_csrf),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = post(
        &world,
        &nord,
        &target_path,
        &target_form(&n_csrf, a.calendar),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // Another tenant's administrator sees his own, and not ours.
    let (beta, b_csrf) = world.web_session(world.beta.admin.id).await;
    let page = world.page(&beta, "/admin/sla").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("beta heures ouvrées"));
    assert!(!page.body.contains("alpha"), "another tenant leaked");
    for path in [&calendar_path, &target_path] {
        assert_eq!(world.page(&beta, path).await.status, StatusCode::NOT_FOUND);
    }
    let res = post(&world, &beta, &calendar_path, &calendar_form(&b_csrf)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = post(
        &world,
        &beta,
        &format!("{target_path}/delete"),
        &pairs(&[("csrf", &b_csrf), ("confirm", "on")]),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = post(
        &world,
        &beta,
        &format!("{calendar_path}/delete"),
        &pairs(&[("csrf", &b_csrf), ("confirm", "on")]),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // Nor count his target in our calendar.
    let res = post(
        &world,
        &beta,
        "/admin/sla/targets",
        &target_form(&b_csrf, a.calendar),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("calendar_id: there is no calendar"));

    // Forged or missing tokens, even the administrator's.
    let (admin, _) = world.web_session(a.admin.id).await;
    for token in ["forged", ""] {
        let res = post(&world, &admin, "/admin/sla/calendars", &new_calendar(token)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{token:?}");
        let res = post(&world, &admin, &calendar_path, &calendar_form(token)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = post(
            &world,
            &admin,
            "/admin/sla/targets",
            &target_form(token, a.calendar),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = post(
            &world,
            &admin,
            &format!("{target_path}/delete"),
            &pairs(&[("csrf", token), ("confirm", "on")]),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(world.audit_count().await, audit, "nothing was written");
    assert_eq!(
        world
            .store
            .list_calendars(tenant)
            .await
            .expect("list")
            .len(),
        1
    );
}

#[tokio::test]
async fn web_sla_pages_speak_french_and_english() {
    let world = World::sqlite().await;
    let a = &world.alpha;
    let (admin, csrf) = world.web_session(a.admin.id).await;
    let calendar = format!("/admin/sla/calendars/{}", a.calendar);
    let target = format!("/admin/sla/targets/{}", a.sla_target);
    let expected = [
        (
            "fr",
            [
                ("/admin/sla", "Nouveau calendrier"),
                ("/admin/sla", "Aperçu des échéances"),
                (calendar.as_str(), "Heures de service par jour"),
                (calendar.as_str(), "Fermé les jours fériés français"),
                (target.as_str(), "Délai de résolution, en minutes ouvrées"),
                (
                    "/admin/sla/targets/new",
                    "Nouvelle cible de niveau de service",
                ),
            ],
        ),
        (
            "en",
            [
                ("/admin/sla", "New calendar"),
                ("/admin/sla", "Deadline preview"),
                (calendar.as_str(), "Service hours per day"),
                (calendar.as_str(), "Closed on French public holidays"),
                (target.as_str(), "Time to resolve, in business minutes"),
                ("/admin/sla/targets/new", "New service level target"),
            ],
        ),
    ];
    for (lang, pages) in expected {
        for (path, text) in pages {
            let res = world.page_in(&admin, path, lang).await;
            assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
            assert!(
                res.body.contains(&escaped(text)),
                "{lang} {path}: {text:?} missing"
            );
            assert!(
                res.body.contains(&format!("<html lang=\"{lang}\"")),
                "{lang}"
            );
        }
    }
    // A refusal in French: the API's detail inside the French sentence.
    let form = with(calendar_form(&csrf), "time_zone", "Europe/Lutece");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let body = serde_urlencoded::to_string(&fields).expect("form");
    let req = axum::http::Request::post(calendar.as_str())
        .header(axum::http::header::COOKIE, &admin)
        .header(axum::http::header::ACCEPT_LANGUAGE, "fr")
        .header(
            axum::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(axum::body::Body::from(body))
        .expect("request");
    let res = world.send(req).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains(&escaped(
            "Valeur refusée : time_zone: \"Europe/Lutece\" is not a known IANA time zone"
        )),
        "{}",
        res.body
    );
}
