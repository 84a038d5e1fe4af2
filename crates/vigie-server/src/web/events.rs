//! `/events`: the event console, live alert groups by default (or all),
//! filtered by state and minimum severity, refreshed every 15 seconds by a
//! small script that reloads the list in place (the address keeps the
//! filters); and `/events/{id}`, a group with its alerts and their latest
//! raw events. Configuration is in [`super::events_admin`].

use super::common::{
    PAGE_SIZE, PageResult, explain, forbidden, frame, link, not_found, parse_id, store_page, utc,
};
use super::layout::safe_back;
use super::{Layout, check_csrf, render};
use crate::AppState;
use crate::auth::WebSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Deserialize;
use vigie_core::event::correlate::GroupState;
use vigie_core::event::{EventAction, Severity};
use vigie_core::ids::AlertGroupId;
use vigie_core::role::Permission;
use vigie_store::{AlertGroupFilter, AlertGroupRecord, PageRequest};

/// The path of the console, and its navigation section.
pub(super) const HERE: &str = "/events";

/// Seconds between two reloads of the list.
const REFRESH_SECONDS: u32 = 15;

/// Raw events shown per alert on the group page.
const EVENTS_SHOWN: u32 = 5;

/// The routes of the console.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(list))
        .route("/events/{id}", get(group_page))
        .route("/events/{id}/acknowledge", post(acknowledge))
}

/// A severity in the page's language.
pub(super) fn severity_label(l: &Layout, s: Severity) -> String {
    l.t(&format!("event-severity-{}", s.as_str()))
}

/// `firing` or `cleared`, from an alert's last action.
fn alert_status(action: EventAction) -> &'static str {
    match action {
        EventAction::Resolve => "cleared",
        EventAction::Trigger | EventAction::Acknowledge => "firing",
    }
}

/// A group state in the page's language.
fn state_label(l: &Layout, s: GroupState) -> String {
    l.t(&format!("event-state-{}", s.as_str()))
}

/// One line of the console.
struct GroupRow {
    id: i64,
    severity: String,
    severity_class: &'static str,
    title: String,
    root: Option<(i64, String)>,
    event_count: i64,
    last_event: String,
    state: String,
    incident: Option<(i64, i64)>,
    can_acknowledge: bool,
    acknowledge_label: String,
}

impl GroupRow {
    fn of(l: &Layout, g: AlertGroupRecord) -> GroupRow {
        GroupRow {
            id: g.id.0,
            severity: severity_label(l, g.severity),
            severity_class: g.severity.as_str(),
            root: g
                .root_ci_id
                .map(|c| (c.0, g.root_ci_name.unwrap_or_default())),
            event_count: g.event_count,
            last_event: utc(g.last_event_at),
            state: state_label(l, g.state),
            incident: g.incident_id.zip(g.incident_number).map(|(t, n)| (t.0, n)),
            can_acknowledge: g.state == GroupState::Open,
            acknowledge_label: l
                .lang
                .t1("event-acknowledge-named", "title", g.title.clone()),
            title: g.title,
        }
    }
}

#[derive(Template)]
#[template(path = "events.html")]
struct ConsolePage {
    l: Layout,
    rows: Vec<GroupRow>,
    all: bool,
    state: String,
    min_severity: String,
    states: Vec<(String, String)>,
    severities: Vec<(String, String)>,
    /// The address of this very list, for the forms to come back to.
    back: String,
    live_link: String,
    all_link: String,
    refresh: u32,
    next: Option<String>,
    first: Option<String>,
}

/// The console's filters and position.
#[derive(Deserialize)]
pub(super) struct ConsoleQuery {
    #[serde(default)]
    all: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    min_severity: String,
    #[serde(default)]
    after: String,
}

async fn list(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(query): Query<ConsoleQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "events-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::WorkEvents) {
        return Err(forbidden(&l));
    }
    // Unknown values are no filter: the selects only offer known ones.
    let group_state = query.state.trim().parse::<GroupState>().ok();
    let min_severity = query.min_severity.trim().parse::<Severity>().ok();
    let all = query.all == "1" || group_state.is_some();
    let filter = AlertGroupFilter {
        state: group_state,
        live_only: !all,
        min_severity,
    };
    let after = parse_id(&query.after);
    let page = state
        .store()
        .list_alert_groups(
            &actor.scope(Permission::WorkEvents),
            &filter,
            PageRequest {
                after,
                limit: PAGE_SIZE,
            },
        )
        .await
        .map_err(|e| store_page(&l, e))?;
    let rows = page
        .items
        .into_iter()
        .map(|g| GroupRow::of(&l, g))
        .collect();
    let state_value = group_state
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let severity_value = min_severity
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let params = |all: bool, after: String| {
        vec![
            ("all", if all { "1".to_owned() } else { String::new() }),
            (
                "state",
                if all {
                    state_value.clone()
                } else {
                    String::new()
                },
            ),
            ("min_severity", severity_value.clone()),
            ("after", after),
        ]
    };
    let next = page
        .next_after
        .map(|n| link(HERE, &params(all, n.to_string())));
    let first = after.map(|_| link(HERE, &params(all, String::new())));
    let back = link(
        HERE,
        &params(all, after.map(|a| a.to_string()).unwrap_or_default()),
    );
    let states = GroupState::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), state_label(&l, *s)))
        .collect();
    let severities = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), severity_label(&l, *s)))
        .collect();
    Ok(render(&ConsolePage {
        rows,
        all,
        state: state_value.clone(),
        min_severity: severity_value.clone(),
        states,
        severities,
        back,
        live_link: link(HERE, &params(false, String::new())),
        all_link: link(HERE, &params(true, String::new())),
        refresh: REFRESH_SECONDS,
        next,
        first,
        l,
    }))
}

/// The acknowledge button's form: the token and the list to go back to.
#[derive(Deserialize)]
pub(super) struct AckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: String,
}

async fn acknowledge(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<AckForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "events-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::WorkEvents) {
        return Err(forbidden(&l));
    }
    let Some(id) = parse_id(&raw) else {
        return Err(not_found(&l));
    };
    match state
        .store()
        .acknowledge_alert_group(
            actor,
            &actor.scope(Permission::WorkEvents),
            state.clock().now(),
            AlertGroupId(id),
        )
        .await
    {
        Ok(_) => Ok(super::common::see_other(&safe_back(&form.back))),
        Err(e) => {
            let (status, message) = explain(&l, e.into())?;
            let page = super::MessagePage { l, message };
            Ok(super::common::with_status(render(&page), status))
        }
    }
}

/// An alert of the group page, with its latest raw events.
struct AlertView {
    source: String,
    resource: String,
    check: String,
    summary: String,
    severity: String,
    severity_class: &'static str,
    status: String,
    count: i64,
    first_seen: String,
    last_seen: String,
    flapping: bool,
    ci_id: Option<i64>,
    events: Vec<EventView>,
}

/// A raw event, its payload as indented JSON.
struct EventView {
    id: i64,
    action: String,
    severity: String,
    summary: String,
    occurred: String,
    received: String,
    payload: String,
}

/// A payload stored as JSON, indented for reading.
fn pretty(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| payload.to_owned())
}

#[derive(Template)]
#[template(path = "event_group.html")]
struct GroupPage {
    l: Layout,
    group: GroupRow,
    opened: String,
    acknowledged: Option<String>,
    resolved: Option<String>,
    alerts: Vec<AlertView>,
    back: String,
}

async fn group_page(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> PageResult {
    let mut l = frame(&state, &session, &headers, "events-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::WorkEvents) {
        return Err(forbidden(&l));
    }
    let Some(id) = parse_id(&raw) else {
        return Err(not_found(&l));
    };
    let failed = |e| store_page(&l, e);
    let store = state.store();
    let group = store
        .get_alert_group(&actor.scope(Permission::WorkEvents), AlertGroupId(id))
        .await
        .map_err(failed)?;
    let alerts = store.group_alerts(&group).await.map_err(failed)?;
    let mut views = Vec::with_capacity(alerts.len());
    for a in alerts {
        let events = store
            .alert_events(group.tenant_id, &a.fingerprint, EVENTS_SHOWN)
            .await
            .map_err(failed)?
            .into_iter()
            .map(|e| EventView {
                id: e.id,
                action: l.t(&format!("event-action-{}", e.action.as_str())),
                severity: severity_label(&l, e.severity),
                summary: e.summary,
                occurred: utc(e.occurred_at),
                received: utc(e.received_at),
                payload: pretty(&e.payload),
            })
            .collect();
        views.push(AlertView {
            severity: severity_label(&l, a.severity),
            severity_class: a.severity.as_str(),
            status: l.t(&format!("event-alert-{}", alert_status(a.last_action))),
            source: a.source,
            resource: a.resource,
            check: a.check,
            summary: a.summary,
            count: a.count,
            first_seen: utc(a.first_seen),
            last_seen: utc(a.last_seen),
            flapping: a.flapping,
            ci_id: a.ci_id.map(|c| c.0),
            events,
        });
    }
    l.title = group.title.clone();
    let opened = utc(group.opened_at);
    let acknowledged = group.acknowledged_at.map(|t| {
        l.lang.t2(
            "event-acknowledged-by",
            ("at", utc(t)),
            ("by", group.acknowledged_by.clone().unwrap_or_default()),
        )
    });
    let resolved = group.resolved_at.map(utc);
    let back = format!("/events/{}", group.id.0);
    Ok(render(&GroupPage {
        group: GroupRow::of(&l, group),
        opened,
        acknowledged,
        resolved,
        alerts: views,
        back,
        l,
    }))
}
