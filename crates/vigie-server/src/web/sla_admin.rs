//! `/admin/sla`: the tenant's business calendars and service level targets,
//! with the preview "a P2 opened now would be due at …".
//!
//! Everyone who reads the service desk settings reads the page and uses
//! the preview (the API's `/sla/preview`, [`crate::sla::preview`]). The
//! forms are the tenant administrators', under the API's rule for writes
//! (`api::sla`): `ManageTicketSettings` on the tenant's root entity. A
//! calendar is created from a preset (or empty) and then edited on its own
//! page (`/admin/sla/calendars/{id}`); a target is created on
//! `/admin/sla/targets/new` and edited on `/admin/sla/targets/{id}`. The
//! forms' text is checked by the functions that check the API's bodies
//! ([`crate::sla::input`], through [`super::sla_form`]): a refusal shows
//! the form again, as typed, with the API's words and a 422, and changes
//! nothing.

use super::common::{
    Choice, EntityChoice, FormError, PageResult, explain, forbidden, frame, named_by_path,
    parse_id, see_other, store_page, utc, with_status,
};
use super::sla_form::{CalendarDraft, CalendarForm, NewCalendarForm, TargetDraft, TargetForm};
use super::{Layout, check_csrf, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::refusal::Refusal;
use crate::sla::input;
use crate::sla::preview::{self, Preview, PreviewAsk, PreviewError};
use crate::sla::show_duration;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use vigie_core::Timestamp;
use vigie_core::sla::spec::PRESETS;
use vigie_core::sla::{Metric, PauseOn, Policy, SlaClock, TargetKind, TicketPhase, priority_label};
use vigie_core::ticket::Status;
use vigie_core::ticket::priority::Priority;
use vigie_store::{CalendarRecord, TargetRecord};

/// The page's address and navigation section.
pub(super) const HERE: &str = "/admin/sla";

/// The routes of the page and its forms.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(admin))
        .route("/admin/sla/calendars", post(create_calendar))
        .route(
            "/admin/sla/calendars/{id}",
            get(calendar_page).post(update_calendar),
        )
        .route("/admin/sla/calendars/{id}/delete", post(delete_calendar))
        .route("/admin/sla/targets", post(create_target))
        .route("/admin/sla/targets/new", get(new_target))
        .route(
            "/admin/sla/targets/{id}",
            get(target_page).post(update_target),
        )
        .route("/admin/sla/targets/{id}/delete", post(delete_target))
}

/// The message key of a preset's label.
fn preset_key(preset: &str) -> &'static str {
    match preset {
        "24/7" => "sla-preset-always",
        "working-hours" => "sla-preset-working-hours",
        _ => "sla-preset-environment-hours",
    }
}

/// A time in a calendar's time zone, `2026-01-02 16:00 (Europe/Paris)`,
/// with its UTC form for the `datetime` attribute.
struct LocalTime {
    utc: String,
    local: String,
}

fn local_time(t: Timestamp, zone: &str) -> LocalTime {
    let (tz, zone) = match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => (tz, zone),
        // Stored calendars have known zones; should one be gone, say UTC.
        Err(_) => (jiff::tz::TimeZone::UTC, "UTC"),
    };
    LocalTime {
        utc: utc(t),
        local: format!("{} ({zone})", t.to_zoned(tz).strftime("%Y-%m-%d %H:%M")),
    }
}

struct CalendarRow {
    id: i64,
    name: String,
    time_zone: String,
    hours: Vec<(String, String)>,
    dates: String,
}

struct TargetRow {
    id: i64,
    name: String,
    kind: String,
    service: String,
    priority: String,
    calendar: String,
    own: String,
    resolve: String,
    escalations: String,
    /// When a ticket opened now would be resolved, in the calendar's zone.
    preview: Option<LocalTime>,
}

/// The preview's answer, in words.
struct PreviewView {
    intro: String,
    own: Option<LocalTime>,
    resolve: Option<LocalTime>,
}

/// The preview form as sent (a GET: it changes nothing).
#[derive(Clone, Debug, Default, Deserialize)]
struct PreviewQuery {
    /// Present when the form was sent.
    #[serde(default)]
    preview: Option<String>,
    #[serde(default)]
    target: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    service: String,
}

#[derive(Template)]
#[template(path = "sla.html")]
struct SlaPage {
    l: Layout,
    error: Option<String>,
    can_manage: bool,
    now: String,
    calendars: Vec<CalendarRow>,
    targets: Vec<TargetRow>,
    presets: Vec<Choice>,
    new_calendar: NewCalendarForm,
    target_choices: Vec<EntityChoice>,
    priorities: Vec<Choice>,
    ask: PreviewQuery,
    preview: Option<PreviewView>,
    preview_error: Option<String>,
}

/// What the main page holds besides the lists.
#[derive(Default)]
struct MainState {
    error: Option<String>,
    new_calendar: NewCalendarForm,
    ask: PreviewQuery,
}

fn priorities(l: &Layout) -> Vec<Choice> {
    Priority::ALL
        .iter()
        .map(|p| Choice {
            value: p.label().to_owned(),
            label: super::tickets::priority_label(l, *p),
        })
        .collect()
}

fn calendar_row(l: &Layout, c: &CalendarRecord) -> CalendarRow {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    CalendarRow {
        id: c.id,
        name: c.name.clone(),
        time_zone: c.spec.time_zone.clone(),
        hours: days
            .iter()
            .zip(&c.spec.weekly)
            .map(|(d, segs)| {
                let text: Vec<String> = segs.iter().map(|s| s.to_string()).collect();
                (l.t(&format!("sla-day-{d}")), text.join(", "))
            })
            .collect(),
        dates: format!(
            "{}{} {} · {} {} · {} {}",
            if c.spec.french_holidays {
                l.t("sla-french-holidays") + " · "
            } else {
                String::new()
            },
            c.spec.holidays.len(),
            l.t("sla-holidays"),
            c.spec.closures.len(),
            l.t("sla-closures"),
            c.spec.openings.len(),
            l.t("sla-openings"),
        ),
    }
}

fn target_row(
    l: &Layout,
    r: &TargetRecord,
    calendars: &[CalendarRecord],
    now: Timestamp,
) -> TargetRow {
    let calendar = calendars.iter().find(|c| c.id == r.calendar_id);
    let phase = TicketPhase::of(Status::New, None, false);
    let preview = calendar.and_then(|c| {
        let cal = c.spec.build().ok()?;
        let due = SlaClock::start(&r.target, Metric::Resolve, &phase, now, &cal)?.deadline?;
        Some(local_time(due, &c.spec.time_zone))
    });
    let t = &r.target;
    TargetRow {
        id: t.id,
        name: r.name.clone(),
        kind: t.kind.as_str().to_uppercase(),
        service: t
            .service_ref
            .clone()
            .unwrap_or_else(|| l.t("sla-any-service")),
        priority: priority_label(t.priority).to_owned(),
        calendar: calendar.map(|c| c.name.clone()).unwrap_or_default(),
        own: t
            .time_to_own
            .map(show_duration)
            .unwrap_or_else(|| "—".into()),
        resolve: show_duration(t.time_to_resolve),
        escalations: t
            .levels
            .iter()
            .map(|lv| {
                format!(
                    "{} % {}",
                    lv.percent,
                    l.t(&format!("sla-action-{}", lv.action))
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        preview,
    }
}

fn preview_view(l: &Layout, p: &Preview) -> PreviewView {
    let opened = local_time(p.opened_at, &p.time_zone);
    PreviewView {
        intro: l.lang.tn(
            "sla-preview-result",
            [
                ("priority", priority_label(p.priority).to_owned()),
                ("opened", opened.local),
                ("target", p.target.clone()),
            ],
        ),
        own: p.own_due.map(|t| local_time(t, &p.time_zone)),
        resolve: p.resolve_due.map(|t| local_time(t, &p.time_zone)),
    }
}

async fn show_main(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    page: MainState,
) -> PageResult {
    let actor = &session.actor;
    let failed = |l: &Layout, e| store_page(l, e);
    let can_manage = super::desk_settings::may_manage(state, actor)
        .await
        .map_err(|e| failed(&l, e))?;
    let tenant = actor.tenant;
    let store = state.store();
    let calendars = store
        .list_calendars(tenant)
        .await
        .map_err(|e| failed(&l, e))?;
    let targets = store
        .list_targets(tenant)
        .await
        .map_err(|e| failed(&l, e))?;
    let now = state.clock().now();
    let (preview, preview_error) = if page.ask.preview.is_some() {
        let ask = PreviewAsk {
            target: parse_id(&page.ask.target),
            priority: Some(page.ask.priority.trim().to_owned()).filter(|p| !p.is_empty()),
            service: Some(page.ask.service.trim().to_owned()).filter(|s| !s.is_empty()),
        };
        match preview::preview(store, tenant, now, &ask).await {
            Ok(p) => (Some(preview_view(&l, &p)), None),
            Err(PreviewError::Refused(r)) => (
                None,
                Some(l.lang.t1("sla-preview-refused", "detail", r.message)),
            ),
            Err(PreviewError::Store(e)) => return Err(failed(&l, e)),
            Err(PreviewError::Calendar(e)) => {
                tracing::error!(cause = %e, "stored calendar does not build");
                return Err(super::common::message(
                    &l,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error-internal",
                ));
            }
        }
    } else {
        (None, None)
    };
    let status = if preview_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let sla = SlaPage {
        error: page.error,
        can_manage,
        now: utc(now),
        calendars: calendars.iter().map(|c| calendar_row(&l, c)).collect(),
        targets: targets
            .iter()
            .map(|r| target_row(&l, r, &calendars, now))
            .collect(),
        presets: PRESETS
            .iter()
            .map(|p| Choice::keyed(&l, p, preset_key(p)))
            .collect(),
        new_calendar: page.new_calendar,
        target_choices: targets
            .iter()
            .map(|r| EntityChoice {
                id: r.target.id,
                label: format!(
                    "{} ({} {})",
                    r.name,
                    r.target.kind.as_str().to_uppercase(),
                    priority_label(r.target.priority)
                ),
            })
            .collect(),
        priorities: priorities(&l),
        ask: page.ask,
        preview,
        preview_error,
        l,
    };
    Ok(with_status(render(&sla), status))
}

/// The frame of the pages: reading them needs what the service desk
/// settings page needs (403 page otherwise).
async fn read_frame(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
) -> Result<Layout, Response> {
    let l = frame(state, session, headers, "sla-title", HERE).await?;
    if !super::desk_settings::may_read_anywhere(&session.actor) {
        return Err(forbidden(&l));
    }
    Ok(l)
}

/// The frame of the edit pages: the API's rule for writes, the permission
/// on the tenant's root entity (403 page otherwise).
async fn manage_frame(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
) -> Result<Layout, Response> {
    let l = frame(state, session, headers, "sla-title", HERE).await?;
    match super::desk_settings::may_manage(state, &session.actor).await {
        Ok(true) => Ok(l),
        Ok(false) => Err(forbidden(&l)),
        Err(e) => Err(store_page(&l, e)),
    }
}

/// The frame of a form: the CSRF token first, then the permission.
async fn form_frame(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Layout, Response> {
    let l = frame(state, session, headers, "sla-title", HERE).await?;
    check_csrf(session, &l, csrf)?;
    match super::desk_settings::may_manage(state, &session.actor).await {
        Ok(true) => Ok(l),
        Ok(false) => Err(forbidden(&l)),
        Err(e) => Err(store_page(&l, e)),
    }
}

async fn admin(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(ask): Query<PreviewQuery>,
) -> PageResult {
    let l = read_frame(&state, &session, &headers).await?;
    let page = MainState {
        ask,
        new_calendar: NewCalendarForm {
            time_zone: vigie_core::calendar::DEFAULT_TIME_ZONE.to_owned(),
            ..NewCalendarForm::default()
        },
        ..MainState::default()
    };
    show_main(&state, &session, l, page).await
}

/// A refusal of the shared checks, as a form error.
fn invalid(r: Refusal) -> FormError {
    FormError::Invalid(r.message)
}

async fn create_calendar(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<NewCalendarForm>,
) -> PageResult {
    let l = form_frame(&state, &session, &headers, &form.csrf).await?;
    let result = async {
        let (name, spec) = input::check_calendar(&form.text()).map_err(invalid)?;
        let created = state
            .store()
            .create_calendar(
                &session.actor,
                session.actor.tenant,
                state.clock().now(),
                &name,
                &spec,
            )
            .await?;
        Ok::<_, FormError>(created.id)
    }
    .await;
    match result {
        Ok(id) => Ok(see_other(&format!("{HERE}/calendars/{id}"))),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = MainState {
                error: Some(message),
                new_calendar: form,
                ..MainState::default()
            };
            let res = show_main(&state, &session, l, page).await?;
            Ok(with_status(res, status))
        }
    }
}

/// One weekday's line of the calendar form.
struct DayField {
    /// The field's name, `hours_monday`.
    name: String,
    label: String,
    value: String,
}

#[derive(Template)]
#[template(path = "sla_calendar.html")]
struct CalendarPage {
    l: Layout,
    error: Option<String>,
    id: i64,
    name: String,
    draft: CalendarDraft,
    days: Vec<DayField>,
    /// The targets counted in it.
    used_by: Vec<String>,
}

/// The calendar a path names, in the user's tenant (404 page otherwise).
async fn calendar_of(
    state: &AppState,
    session: &WebSession,
    l: &Layout,
    raw: &str,
) -> Result<CalendarRecord, Response> {
    named_by_path(l, raw, |id| {
        state.store().get_calendar(session.actor.tenant, id)
    })
    .await
}

async fn show_calendar(
    state: &AppState,
    session: &WebSession,
    mut l: Layout,
    c: &CalendarRecord,
    error: Option<String>,
    draft: Option<CalendarDraft>,
) -> PageResult {
    l.title = l.lang.t1("sla-calendar-title", "name", c.name.clone());
    l.here = format!("{HERE}/calendars/{}", c.id);
    let used_by = state
        .store()
        .list_targets(session.actor.tenant)
        .await
        .map_err(|e| store_page(&l, e))?
        .into_iter()
        .filter(|t| t.calendar_id == c.id)
        .map(|t| t.name)
        .collect();
    let draft = draft.unwrap_or_else(|| CalendarDraft::of(c));
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .zip(input::WEEKDAY_FIELDS)
        .zip(&draft.hours)
        .map(|((short, day), value)| DayField {
            name: format!("hours_{day}"),
            label: l.t(&format!("sla-day-{short}")),
            value: value.clone(),
        })
        .collect();
    Ok(render(&CalendarPage {
        error,
        id: c.id,
        name: c.name.clone(),
        draft,
        days,
        used_by,
        l,
    }))
}

async fn calendar_page(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> PageResult {
    let l = manage_frame(&state, &session, &headers).await?;
    let c = calendar_of(&state, &session, &l, &raw).await?;
    show_calendar(&state, &session, l, &c, None, None).await
}

/// Shows a calendar's page again with a refusal and its status.
async fn calendar_refused(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    c: &CalendarRecord,
    e: FormError,
    draft: Option<CalendarDraft>,
) -> PageResult {
    let (status, message) = explain(&l, e)?;
    let res = show_calendar(state, session, l, c, Some(message), draft).await?;
    Ok(with_status(res, status))
}

async fn update_calendar(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CalendarForm>,
) -> PageResult {
    let l = form_frame(&state, &session, &headers, &form.csrf).await?;
    let c = calendar_of(&state, &session, &l, &raw).await?;
    let result = async {
        let (name, spec) = form.checked().map_err(invalid)?;
        state
            .store()
            .update_calendar(
                &session.actor,
                session.actor.tenant,
                state.clock().now(),
                c.id,
                &name,
                &spec,
            )
            .await?;
        Ok::<_, FormError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!("{HERE}#calendar-{}", c.id))),
        Err(e) => {
            let draft = Some(CalendarDraft::typed(&form));
            calendar_refused(&state, &session, l, &c, e, draft).await
        }
    }
}

/// The deletion form: its box must be ticked.
#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

async fn delete_calendar(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<DeleteForm>,
) -> PageResult {
    let l = form_frame(&state, &session, &headers, &form.csrf).await?;
    let c = calendar_of(&state, &session, &l, &raw).await?;
    if form.confirm.is_empty() {
        let why = FormError::Refused("sla-delete-unconfirmed");
        return calendar_refused(&state, &session, l, &c, why, None).await;
    }
    match state
        .store()
        .delete_calendar(
            &session.actor,
            session.actor.tenant,
            state.clock().now(),
            c.id,
        )
        .await
    {
        Ok(()) => Ok(see_other(HERE)),
        Err(e) => calendar_refused(&state, &session, l, &c, FormError::Store(e), None).await,
    }
}

#[derive(Template)]
#[template(path = "sla_target.html")]
struct TargetPage {
    l: Layout,
    error: Option<String>,
    /// `None` for a new target.
    id: Option<i64>,
    name: String,
    draft: TargetDraft,
    kinds: Vec<Choice>,
    priorities: Vec<Choice>,
    calendars: Vec<EntityChoice>,
    policies: Vec<Choice>,
    pauses: Vec<Choice>,
}

/// The target a path names, in the user's tenant (404 page otherwise).
async fn target_of(
    state: &AppState,
    session: &WebSession,
    l: &Layout,
    raw: &str,
) -> Result<TargetRecord, Response> {
    named_by_path(l, raw, |id| {
        state.store().get_target(session.actor.tenant, id)
    })
    .await
}

async fn show_target(
    state: &AppState,
    session: &WebSession,
    mut l: Layout,
    target: Option<&TargetRecord>,
    error: Option<String>,
    draft: Option<TargetDraft>,
) -> PageResult {
    let calendars = state
        .store()
        .list_calendars(session.actor.tenant)
        .await
        .map_err(|e| store_page(&l, e))?;
    match target {
        Some(t) => {
            l.title = l.lang.t1("sla-target-title", "name", t.name.clone());
            l.here = format!("{HERE}/targets/{}", t.target.id);
        }
        None => {
            l.title = l.t("sla-target-new-title");
            l.here = format!("{HERE}/targets/new");
        }
    }
    let draft = draft.unwrap_or_else(|| match target {
        Some(t) => TargetDraft::of(t),
        None => TargetDraft::new_target(calendars.first().map_or(0, |c| c.id)),
    });
    let page = TargetPage {
        error,
        id: target.map(|t| t.target.id),
        name: target.map(|t| t.name.clone()).unwrap_or_default(),
        draft,
        kinds: TargetKind::ALL
            .iter()
            .map(|k| Choice::keyed(&l, k.as_str(), &format!("sla-kind-{k}")))
            .collect(),
        priorities: priorities(&l),
        calendars: calendars
            .iter()
            .map(|c| EntityChoice {
                id: c.id,
                label: c.name.clone(),
            })
            .collect(),
        policies: Policy::ALL
            .iter()
            .map(|p| Choice::keyed(&l, p.as_str(), &format!("sla-policy-{p}")))
            .collect(),
        pauses: PauseOn::ALL
            .iter()
            .map(|p| Choice::keyed(&l, p.as_str(), &format!("sla-pause-{p}")))
            .collect(),
        l,
    };
    Ok(render(&page))
}

async fn new_target(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
) -> PageResult {
    let l = manage_frame(&state, &session, &headers).await?;
    show_target(&state, &session, l, None, None, None).await
}

async fn target_page(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> PageResult {
    let l = manage_frame(&state, &session, &headers).await?;
    let t = target_of(&state, &session, &l, &raw).await?;
    show_target(&state, &session, l, Some(&t), None, None).await
}

/// Shows a target's form again with a refusal and its status.
async fn target_refused(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    target: Option<&TargetRecord>,
    e: FormError,
    draft: Option<TargetDraft>,
) -> PageResult {
    let (status, message) = explain(&l, e)?;
    let res = show_target(state, session, l, target, Some(message), draft).await?;
    Ok(with_status(res, status))
}

async fn create_target(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<TargetForm>,
) -> PageResult {
    let l = form_frame(&state, &session, &headers, &form.csrf).await?;
    let result = async {
        let new = form.checked().map_err(invalid)?;
        let created = state
            .store()
            .create_target(
                &session.actor,
                session.actor.tenant,
                state.clock().now(),
                &new,
            )
            .await?;
        Ok::<_, FormError>(created.target.id)
    }
    .await;
    match result {
        Ok(id) => Ok(see_other(&format!("{HERE}#target-{id}"))),
        Err(e) => {
            let draft = Some(TargetDraft::typed(&form));
            target_refused(&state, &session, l, None, e, draft).await
        }
    }
}

async fn update_target(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<TargetForm>,
) -> PageResult {
    let l = form_frame(&state, &session, &headers, &form.csrf).await?;
    let t = target_of(&state, &session, &l, &raw).await?;
    let result = async {
        let new = form.checked().map_err(invalid)?;
        state
            .store()
            .update_target(
                &session.actor,
                session.actor.tenant,
                state.clock().now(),
                t.target.id,
                &new,
            )
            .await?;
        Ok::<_, FormError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!("{HERE}#target-{}", t.target.id))),
        Err(e) => {
            let draft = Some(TargetDraft::typed(&form));
            target_refused(&state, &session, l, Some(&t), e, draft).await
        }
    }
}

async fn delete_target(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<DeleteForm>,
) -> PageResult {
    let l = form_frame(&state, &session, &headers, &form.csrf).await?;
    let t = target_of(&state, &session, &l, &raw).await?;
    if form.confirm.is_empty() {
        let why = FormError::Refused("sla-delete-unconfirmed");
        return target_refused(&state, &session, l, Some(&t), why, None).await;
    }
    match state
        .store()
        .delete_target(
            &session.actor,
            session.actor.tenant,
            state.clock().now(),
            t.target.id,
        )
        .await
    {
        Ok(()) => Ok(see_other(HERE)),
        Err(e) => target_refused(&state, &session, l, Some(&t), FormError::Store(e), None).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_calendars_zone() {
        let t = Timestamp::from_second(1_767_366_000).expect("time");
        let shown = local_time(t, "Europe/Paris");
        assert_eq!(shown.utc, "2026-01-02T15:00:00Z");
        assert_eq!(shown.local, "2026-01-02 16:00 (Europe/Paris)");
        assert_eq!(
            local_time(t, "Nowhere/Else").local,
            "2026-01-02 15:00 (UTC)"
        );
    }

    #[test]
    fn every_preset_has_a_label() {
        let keys: Vec<_> = PRESETS.iter().map(|p| preset_key(p)).collect();
        assert_eq!(
            keys,
            [
                "sla-preset-always",
                "sla-preset-working-hours",
                "sla-preset-environment-hours"
            ]
        );
    }
}
