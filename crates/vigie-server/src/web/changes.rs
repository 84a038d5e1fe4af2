//! `/changes`: the change list with the form to raise one, and the change
//! calendar (`/changes/calendar`): a month of planned changes, day by day
//! in the tenant's change-window time zone, with the freezes and the flags
//! of each window, and the link to its iCalendar export. The change page
//! itself is [`super::change_page`].

use super::common::{
    FormError, PageResult, all_entities, entity_choices, explain, frame, narrowed, see_other,
    store_page, with_status,
};
use super::{Layout, check_csrf, render};
use crate::AppState;
use crate::auth::WebSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::Deserialize;
use vigie_core::change::{ChangeKind, ChangeStatus};
use vigie_core::ids::{ChangeTemplateId, EntityId, UserId};
use vigie_core::role::Permission;
use vigie_store::{
    ChangeFilter, ChangeText, FreezeRecord, NewChange, PageRequest, PlannedRecord, StoreError,
};

/// The path of the list, and its navigation section.
pub(super) const HERE: &str = "/changes";

/// The routes of the list and the calendar.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(list).post(create))
        .route("/changes/calendar", get(calendar))
        .route("/changes/calendar/week", get(week))
        .route("/changes/calendar.ics", get(calendar_ics))
}

/// A label of a change status in the page's language.
pub(super) fn status_label(l: &Layout, s: ChangeStatus) -> String {
    l.t(&format!("change-status-{}", s.as_str().replace('_', "-")))
}

/// A label of a change type in the page's language.
pub(super) fn kind_label(l: &Layout, k: ChangeKind) -> String {
    l.t(&format!("change-kind-{}", k.as_str()))
}

/// The time zone changes are shown and typed in: the change windows'.
pub(super) async fn zone_of(
    state: &AppState,
    session: &WebSession,
) -> Result<TimeZone, StoreError> {
    Ok(crate::changes::window_calendar(state, session.actor.tenant)
        .await?
        .time_zone()
        .clone())
}

/// An instant as `2026-01-20 19:00` in `zone`.
pub(super) fn local(t: Timestamp, zone: &TimeZone) -> String {
    t.to_zoned(zone.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// One change of the list.
struct Row {
    id: i64,
    number: i64,
    title: String,
    kind: String,
    status: String,
    risk: String,
    window: String,
    flagged: bool,
}

/// Changes shown per page of the list.
const LIST_PAGE: u32 = 50;

/// The list's filters and position, as the address gives them (unknown
/// values are dropped: the filter form offers only known ones).
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    caused: String,
    #[serde(default)]
    after: String,
}

impl ListQuery {
    /// The store's filter, newest first.
    fn filter(&self) -> ChangeFilter {
        ChangeFilter {
            status: self.status.parse().ok(),
            kind: self.kind.parse().ok(),
            caused_incidents: self.caused == "1",
            newest_first: true,
            ..ChangeFilter::default()
        }
    }

    /// The address of the page after `after`, with the same filters.
    fn next(&self, after: i64) -> String {
        let f = self.filter();
        super::common::link(
            HERE,
            &[
                (
                    "status",
                    f.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                ),
                (
                    "kind",
                    f.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
                ),
                (
                    "caused",
                    if f.caused_incidents {
                        "1".into()
                    } else {
                        String::new()
                    },
                ),
                ("after", after.to_string()),
            ],
        )
    }
}

#[derive(Template)]
#[template(path = "changes.html")]
struct ListPage {
    l: Layout,
    error: Option<String>,
    rows: Vec<Row>,
    statuses: Vec<(String, String, bool)>,
    kind_filter: Vec<(String, String, bool)>,
    caused: bool,
    next: Option<String>,
    can_raise: bool,
    entities: Vec<super::common::EntityChoice>,
    kinds: Vec<(String, String)>,
    templates: Vec<(i64, String)>,
    form: NewForm,
}

/// The form raising a change (also what is shown back when refused).
#[derive(Debug, Default, Deserialize)]
struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    template_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expected_return: String,
    #[serde(default)]
    risks: String,
    #[serde(default)]
    resources: String,
    #[serde(default)]
    relationship: String,
    #[serde(default)]
    implementation_plan: String,
    #[serde(default)]
    backout_plan: String,
    #[serde(default)]
    backout_tested: Option<String>,
    #[serde(default)]
    ci_ids: String,
}

async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    error: Option<String>,
    form: NewForm,
    query: &ListQuery,
) -> PageResult {
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewChanges) {
        return Err(super::common::forbidden(&l));
    }
    let store = state.store();
    let scope = narrowed(state, session, actor.scope(Permission::ViewChanges))
        .await
        .map_err(|e| store_page(&l, e))?;
    let zone = zone_of(state, session)
        .await
        .map_err(|e| store_page(&l, e))?;
    let filter = query.filter();
    let page = store
        .list_changes(
            &scope,
            &filter,
            PageRequest {
                after: super::common::parse_id(&query.after),
                limit: LIST_PAGE,
            },
        )
        .await
        .map_err(|e| store_page(&l, e))?;
    let next = page.next_after.map(|after| query.next(after));
    let statuses = ChangeStatus::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_owned(),
                status_label(&l, *s),
                filter.status == Some(*s),
            )
        })
        .collect();
    let kind_filter = ChangeKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str().to_owned(),
                kind_label(&l, *k),
                filter.kind == Some(*k),
            )
        })
        .collect();
    let rows = page
        .items
        .into_iter()
        .map(|c| Row {
            id: c.id.0,
            number: c.number,
            title: c.title.clone(),
            kind: kind_label(&l, c.kind),
            status: status_label(&l, c.status),
            risk: c
                .risk
                .map(|r| l.t(&format!("change-risk-{}", r.as_str().replace('_', "-"))))
                .unwrap_or_default(),
            window: match (c.planned_start, c.planned_end) {
                (Some(a), Some(b)) => format!("{} → {}", local(a, &zone), local(b, &zone)),
                _ => String::new(),
            },
            flagged: !c.flags.is_empty(),
        })
        .collect();
    let can_raise = actor.can_anywhere(Permission::WorkChanges);
    let entities = if can_raise {
        let list = all_entities(state, &actor.scope(Permission::WorkChanges))
            .await
            .map_err(|e| store_page(&l, e))?;
        entity_choices(&list)
    } else {
        Vec::new()
    };
    let templates = store
        .list_change_templates(actor.tenant)
        .await
        .map_err(|e| store_page(&l, e))?
        .into_iter()
        .map(|t| (t.id.0, t.name))
        .collect();
    let kinds = ChangeKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), kind_label(&l, *k)))
        .collect();
    Ok(render(&ListPage {
        l,
        error,
        rows,
        statuses,
        kind_filter,
        caused: filter.caused_incidents,
        next,
        can_raise,
        entities,
        kinds,
        templates,
        form,
    }))
}

async fn list(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-title", HERE).await?;
    show(&state, &session, l, None, NewForm::default(), &query).await
}

fn ids_of(text: &str) -> Result<Vec<i64>, FormError> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| FormError::Refused("change-bad-ci-ids"))
        })
        .collect()
}

async fn create(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<NewForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::WorkChanges) {
        return Err(super::common::forbidden(&l));
    }
    let result = async {
        let store = state.store();
        let entity_id = super::common::required_id(&form.entity_id, "entity_id")?;
        let entity = store
            .get_entity(&actor.scope(Permission::WorkChanges), EntityId(entity_id))
            .await?;
        let kind: ChangeKind = form
            .kind
            .parse()
            .map_err(|e: vigie_core::ticket::UnknownName| FormError::Invalid(e.to_string()))?;
        let mut text = ChangeText {
            title: vigie_core::validate::name("title", &form.title, 200)?,
            description: form.description.trim().to_owned(),
            reason: form.reason.trim().to_owned(),
            expected_return: form.expected_return.trim().to_owned(),
            risks: form.risks.trim().to_owned(),
            resources: form.resources.trim().to_owned(),
            responsible_id: Some(UserId(actor.user.0)),
            relationship: form.relationship.trim().to_owned(),
            implementation_plan: form.implementation_plan.trim().to_owned(),
            backout_plan: form.backout_plan.trim().to_owned(),
            backout_tested: form.backout_tested.is_some(),
        };
        let mut checklist = Vec::new();
        let template_id = match (kind, super::common::parse_id(&form.template_id)) {
            (ChangeKind::Standard, None) => {
                return Err(FormError::Refused("change-needs-template"));
            }
            (ChangeKind::Standard, Some(t)) => {
                let t = store
                    .get_change_template(actor.tenant, ChangeTemplateId(t))
                    .await?;
                text.implementation_plan = t.implementation_plan;
                text.backout_plan = t.backout_plan;
                checklist = t.checklist;
                Some(t.id)
            }
            _ => None,
        };
        let new = NewChange {
            kind,
            text,
            template_id,
            items: ids_of(&form.ci_ids)?
                .into_iter()
                .map(vigie_core::ids::CiId)
                .collect(),
            related_changes: Vec::new(),
            resolves: Vec::new(),
            checklist,
        };
        Ok::<_, FormError>(
            store
                .create_change(actor, &entity, state.clock().now(), &new)
                .await?,
        )
    }
    .await;
    match result {
        Ok(c) => Ok(see_other(&format!("/changes/{}", c.id))),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = show(
                &state,
                &session,
                l,
                Some(message),
                form,
                &ListQuery::default(),
            )
            .await?;
            Ok(with_status(page, status))
        }
    }
}

/// The first instant of `d` in `zone`.
fn day_start(d: Date, zone: &TimeZone) -> Timestamp {
    d.to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// What a calendar of `[from, to)` shows: the changes the reader may see
/// holding a window then, and the freezes that have not ended by `from`.
async fn planned_between(
    state: &AppState,
    session: &WebSession,
    from: Timestamp,
    to: Timestamp,
) -> Result<(Vec<PlannedRecord>, Vec<FreezeRecord>), StoreError> {
    let actor = &session.actor;
    let scope = narrowed(state, session, actor.scope(Permission::ViewChanges)).await?;
    let store = state.store();
    let changes = store
        .planned_changes(actor.tenant, from, to, Some(&scope))
        .await?;
    let freezes = store.list_freezes(actor.tenant, from).await?;
    Ok((changes, freezes))
}

/// The month asked for, `2026-01`.
#[derive(Debug, Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

/// The week asked for: any of its days, `2026-01-21`.
#[derive(Debug, Deserialize)]
struct WeekQuery {
    day: Option<String>,
}

/// A change on a day of the calendar.
struct DayChange {
    id: i64,
    number: i64,
    title: String,
    time: String,
    status: String,
    status_class: String,
    flagged: bool,
}

/// A day of the calendar grid.
struct Day {
    date: String,
    day: i8,
    in_month: bool,
    frozen: Vec<String>,
    changes: Vec<DayChange>,
}

/// A row of the month grid and the address of its week view.
struct Week {
    link: String,
    days: Vec<Day>,
}

#[derive(Template)]
#[template(path = "change_calendar.html")]
struct CalendarPage {
    l: Layout,
    month_label: String,
    previous: String,
    next: String,
    weeks: Vec<Week>,
    weekdays: Vec<String>,
    ics: String,
    zone: String,
}

async fn calendar(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(q): Query<MonthQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-calendar-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewChanges) {
        return Err(super::common::forbidden(&l));
    }
    let zone = zone_of(&state, &session)
        .await
        .map_err(|e| store_page(&l, e))?;
    let today = state.clock().now().to_zoned(zone.clone()).date();
    let first = q
        .month
        .as_deref()
        .and_then(|m| format!("{m}-01").parse::<Date>().ok())
        .unwrap_or_else(|| today.first_of_month());
    let next_month = first.saturating_add(1.month());
    let previous_month = first.saturating_sub(1.month());
    // The grid: from the Monday on or before the 1st to the Sunday on or
    // after the last day.
    let offset = i64::from(first.weekday().to_monday_zero_offset());
    let grid_start = first.saturating_sub(offset.days());
    let last = next_month.saturating_sub(1.day());
    let tail = 6 - i64::from(last.weekday().to_monday_zero_offset());
    let grid_end = last.saturating_add((tail + 1).days());
    let instant = |d: Date| day_start(d, &zone);
    let (from, to) = (instant(grid_start), instant(grid_end));
    let (changes, freezes) = planned_between(&state, &session, from, to)
        .await
        .map_err(|e| store_page(&l, e))?;
    let mut days = Vec::new();
    let mut d = grid_start;
    while d < grid_end {
        let (start, end) = (instant(d), instant(d.saturating_add(1.day())));
        let frozen = freezes
            .iter()
            .filter(|f| f.starts_at < end && start < f.ends_at)
            .map(|f| f.name.clone())
            .collect();
        let on_day = changes
            .iter()
            .filter(|c| c.start < end && start < c.end && (c.start >= start || d == grid_start))
            .map(|c| DayChange {
                id: c.id.0,
                number: c.number,
                title: c.title.clone(),
                time: c.start.to_zoned(zone.clone()).strftime("%H:%M").to_string(),
                status: status_label(&l, c.status),
                status_class: c.status.as_str().replace('_', "-"),
                flagged: !c.flags.is_empty(),
            })
            .collect();
        days.push(Day {
            date: d.to_string(),
            day: d.day(),
            in_month: d.month() == first.month(),
            frozen,
            changes: on_day,
        });
        d = d.saturating_add(1.day());
    }
    let mut weeks = Vec::new();
    let mut rest = days.into_iter();
    loop {
        let days: Vec<Day> = rest.by_ref().take(7).collect();
        let Some(monday) = days.first() else {
            break;
        };
        weeks.push(Week {
            link: format!("/changes/calendar/week?day={}", monday.date),
            days,
        });
    }
    let weekdays = weekday_names(&l);
    let month_label = format!(
        "{} {}",
        l.t(&format!("month-{}", first.month())),
        first.year()
    );
    let ics = format!("/changes/calendar.ics?month={}", first.strftime("%Y-%m"));
    Ok(render(&CalendarPage {
        month_label,
        previous: format!(
            "/changes/calendar?month={}",
            previous_month.strftime("%Y-%m")
        ),
        next: format!("/changes/calendar?month={}", next_month.strftime("%Y-%m")),
        weeks,
        weekdays,
        ics,
        zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        l,
    }))
}

/// The names of the days, Monday first, in the page's language.
fn weekday_names(l: &Layout) -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| l.t(&format!("sla-day-{d}")))
        .collect()
}

/// A change's part of one day of the week view.
struct WeekChange {
    id: i64,
    number: i64,
    title: String,
    from: String,
    to: String,
    status: String,
    status_class: String,
    flagged: bool,
}

/// A day of the week view: its freezes, its change windows and the
/// changes that run during it.
struct WeekDay {
    date: String,
    name: String,
    today: bool,
    frozen: Vec<String>,
    windows: Vec<String>,
    changes: Vec<WeekChange>,
}

#[derive(Template)]
#[template(path = "change_week.html")]
struct WeekPage {
    l: Layout,
    week_label: String,
    previous: String,
    next: String,
    month: String,
    days: Vec<WeekDay>,
    ics: String,
    zone: String,
}

/// `hh:mm` of `t` in `zone`, `24:00` for the end of `day`.
fn clock_time(t: Timestamp, day_end: Timestamp, zone: &TimeZone) -> String {
    if t >= day_end {
        "24:00".to_owned()
    } else {
        t.to_zoned(zone.clone()).strftime("%H:%M").to_string()
    }
}

/// `/changes/calendar/week?day=2026-01-21`: the week (Monday to Sunday)
/// holding that day, each day with its freezes, the hours its change
/// windows are open and every change running during it, cut to the day (a
/// change from 22:00 to 02:00 shows on both days).
async fn week(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(q): Query<WeekQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-calendar-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewChanges) {
        return Err(super::common::forbidden(&l));
    }
    let windows = crate::changes::window_calendar(&state, actor.tenant)
        .await
        .map_err(|e| store_page(&l, e))?;
    let zone = windows.time_zone().clone();
    let today = state.clock().now().to_zoned(zone.clone()).date();
    let asked = q
        .day
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
        .unwrap_or(today);
    let monday = asked.saturating_sub(i64::from(asked.weekday().to_monday_zero_offset()).days());
    let instant = |d: Date| day_start(d, &zone);
    let (from, to) = (instant(monday), instant(monday.saturating_add(7.days())));
    let (changes, freezes) = planned_between(&state, &session, from, to)
        .await
        .map_err(|e| store_page(&l, e))?;
    let names = weekday_names(&l);
    let mut days = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let d = monday.saturating_add((i as i64).days());
        let (start, end) = (instant(d), instant(d.saturating_add(1.day())));
        let open = windows.open_intervals(start, end).unwrap_or_default();
        // Touching intervals (open across midnight) read as one stretch.
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::new();
        for (a, b) in open {
            match merged.last_mut() {
                Some(last) if last.1 >= a => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        days.push(WeekDay {
            date: d.to_string(),
            name: format!("{name} {}", d.day()),
            today: d == today,
            frozen: freezes
                .iter()
                .filter(|f| f.starts_at < end && start < f.ends_at)
                .map(|f| f.name.clone())
                .collect(),
            windows: merged
                .iter()
                .map(|(a, b)| {
                    format!(
                        "{}–{}",
                        clock_time(*a, end, &zone),
                        clock_time(*b, end, &zone)
                    )
                })
                .collect(),
            changes: changes
                .iter()
                .filter(|c| c.start < end && start < c.end)
                .map(|c| WeekChange {
                    id: c.id.0,
                    number: c.number,
                    title: c.title.clone(),
                    from: clock_time(c.start.max(start), end, &zone),
                    to: clock_time(c.end.min(end), end, &zone),
                    status: status_label(&l, c.status),
                    status_class: c.status.as_str().replace('_', "-"),
                    flagged: !c.flags.is_empty(),
                })
                .collect(),
        });
    }
    let sunday = monday.saturating_add(6.days());
    let week_label = l.lang.t2(
        "calendar-week-of",
        ("from", monday.to_string()),
        ("to", sunday.to_string()),
    );
    let link = |d: Date| format!("/changes/calendar/week?day={d}");
    Ok(render(&WeekPage {
        week_label,
        previous: link(monday.saturating_sub(7.days())),
        next: link(monday.saturating_add(7.days())),
        month: format!("/changes/calendar?month={}", monday.strftime("%Y-%m")),
        days,
        ics: format!("/changes/calendar.ics?month={}", monday.strftime("%Y-%m")),
        zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        l,
    }))
}

/// The calendar as iCalendar, for the person logged in: the month asked
/// for and the two after it.
async fn calendar_ics(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(q): Query<MonthQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-calendar-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewChanges) {
        return Err(super::common::forbidden(&l));
    }
    let now = state.clock().now();
    let from = q
        .month
        .as_deref()
        .and_then(|m| format!("{m}-01T00:00:00Z").parse::<Timestamp>().ok())
        .unwrap_or(now - SignedDuration::from_hours(24 * 31));
    let to = from + SignedDuration::from_hours(24 * 92);
    let scope = narrowed(&state, &session, actor.scope(Permission::ViewChanges))
        .await
        .map_err(|e| store_page(&l, e))?;
    let store = state.store();
    let changes = store
        .planned_changes(actor.tenant, from, to, Some(&scope))
        .await
        .map_err(|e| store_page(&l, e))?;
    let tenant = store
        .get_tenant(&vigie_core::tenancy::Scope::Platform, actor.tenant)
        .await
        .map_err(|e| store_page(&l, e))?;
    let body = crate::changes::ics::calendar(&tenant.name, &tenant.slug, now, &changes);
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/calendar; charset=utf-8",
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"changes.ics\"",
            ),
        ],
        body,
    )
        .into_response())
}
