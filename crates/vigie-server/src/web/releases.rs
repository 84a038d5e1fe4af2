//! `/releases` and `/environments`: the release plan of a quarter (the
//! cycle's dates and the releases planned, with their status and green
//! light) and the environments in their order with their hours, the data
//! refresh requests and the planned resets. Both read what the API reads,
//! through the same scope (`ViewReleases`). The plan carries a button per
//! action a release allows (qualify, green light, deploy, cancel), which
//! goes through the same use case as the API ([`crate::releases::act_on`]);
//! other changes go through the API.

use super::common::{
    PageResult, forbidden, frame, narrowed, not_found, parse_id, see_other, store_page, with_status,
};
use super::{Layout, check_csrf, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::releases::{act_on, cycle_of, settings_in_effect, today};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::Deserialize;
use std::collections::BTreeMap;
use vigie_core::environment::rank;
use vigie_core::ids::ReleaseId;
use vigie_core::release::cycle::quarter_of;
use vigie_core::release::lifecycle::{ReleaseAction, ReleaseState, allowed};
use vigie_core::role::Permission;
use vigie_store::ReleaseFilter;

/// The path of the release plan, and its navigation section.
pub(super) const HERE: &str = "/releases";
/// The path of the environments page, and its navigation section.
pub(super) const ENVIRONMENTS: &str = "/environments";

/// The routes of both pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(plan))
        .route("/releases/{id}/{action}", post(act))
        .route(ENVIRONMENTS, get(environments))
}

/// A lifecycle button's form: the CSRF token and the quarter to go back to.
#[derive(Deserialize)]
struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
}

async fn act(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path((raw, action)): Path<(String, String)>,
    Form(form): Form<ActForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "releases-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let (Some(id), Ok(action)) = (parse_id(&raw), action.parse::<ReleaseAction>()) else {
        return Err(not_found(&l));
    };
    match act_on(&state, &session.actor, ReleaseId(id), action).await {
        Ok(_) => {
            // Only a date goes back into the address.
            let back = match form.date.trim().parse::<Date>() {
                Ok(d) => format!("{HERE}?date={d}"),
                Err(_) => HERE.to_owned(),
            };
            Ok(see_other(&back))
        }
        Err(e) => {
            let status = e.kind.status();
            let message = e.detail.unwrap_or_else(|| l.t("forbidden"));
            let page = super::MessagePage { l, message };
            Ok(with_status(render(&page), status))
        }
    }
}

struct ReleaseRow {
    id: i64,
    name: String,
    kind: String,
    status: String,
    date: String,
    versions: String,
    green_light: String,
    /// The buttons: (action, label).
    actions: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "releases.html")]
struct PlanPage {
    l: Layout,
    from: String,
    to: String,
    previous: String,
    next: String,
    cycle: String,
    dates: Vec<String>,
    rows: Vec<ReleaseRow>,
}

/// Which quarter: the one holding `date` (default: today's).
#[derive(Deserialize)]
struct PlanQuery {
    #[serde(default)]
    date: String,
}

async fn plan(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(query): Query<PlanQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "releases-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewReleases) {
        return Err(forbidden(&l));
    }
    let failed = |e| store_page(&l, e);
    let scope = narrowed(&state, &session, actor.scope(Permission::ViewReleases))
        .await
        .map_err(failed)?;
    // An unreadable date is today: the links only write valid ones.
    let day = query
        .date
        .trim()
        .parse::<Date>()
        .unwrap_or_else(|_| today(state.clock().now()));
    let (from, to) = quarter_of(day);
    let (_, settings) = settings_in_effect(&state, actor.tenant)
        .await
        .map_err(|_| forbidden(&l))?;
    let dates = cycle_of(&settings)
        .ok()
        .and_then(|c| c.dates_between(from, to).ok())
        .unwrap_or_default();
    let filter = ReleaseFilter {
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let releases = state
        .store()
        .list_releases(&scope, &filter)
        .await
        .map_err(failed)?;
    let manages = actor.can_anywhere(Permission::ManageReleases);
    let buttons = |r: &vigie_store::ReleaseRecord| -> Vec<(String, String)> {
        let state = ReleaseState {
            kind: r.kind,
            status: r.status,
            green_lit: r.green_light_at.is_some(),
        };
        allowed(state)
            .into_iter()
            .filter(|a| manages || *a == ReleaseAction::GreenLight)
            .map(|a| (a.to_string(), l.t(&format!("release-action-{a}"))))
            .collect()
    };
    let rows = releases
        .into_iter()
        .map(|r| ReleaseRow {
            actions: buttons(&r),
            id: r.id.0,
            kind: l.t(&format!("release-kind-{}", r.kind)),
            status: l.t(&format!("release-status-{}", r.status)),
            date: r.planned_for.to_string(),
            versions: r
                .versions
                .iter()
                .map(|v| format!("{} {}", v.component, v.version))
                .collect::<Vec<_>>()
                .join(", "),
            green_light: r
                .green_light_at
                .map(|t| t.strftime("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            name: r.name,
        })
        .collect();
    let shift = |months: i32| {
        from.checked_add(months.months())
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    Ok(render(&PlanPage {
        cycle: l.lang.t1(
            "releases-cycle",
            "months",
            settings.cycle_months.to_string(),
        ),
        from: from.to_string(),
        to: to.to_string(),
        previous: shift(-3),
        next: shift(3),
        dates: dates.iter().map(Date::to_string).collect(),
        rows,
        l,
    }))
}

struct EnvironmentRow {
    id: i64,
    name: String,
    kind: String,
    rank: String,
    hours: String,
}

struct RefreshRow {
    id: i64,
    source: String,
    target: String,
    date: String,
    anonymise: bool,
    status: String,
}

struct ResetRow {
    id: i64,
    environment: String,
    partner: String,
    date: String,
}

#[derive(Template)]
#[template(path = "environments.html")]
struct EnvironmentsPage {
    l: Layout,
    environments: Vec<EnvironmentRow>,
    refreshes: Vec<RefreshRow>,
    resets: Vec<ResetRow>,
}

async fn environments(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
) -> PageResult {
    let l = frame(
        &state,
        &session,
        &headers,
        "environments-title",
        ENVIRONMENTS,
    )
    .await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewReleases) {
        return Err(forbidden(&l));
    }
    let failed = |e| store_page(&l, e);
    let scope = narrowed(&state, &session, actor.scope(Permission::ViewReleases))
        .await
        .map_err(failed)?;
    let store = state.store();
    let mut envs = store.list_environments(&scope).await.map_err(failed)?;
    envs.sort_by_key(|e| (e.kind.map_or(6, |k| 5 - rank(k)), e.name.clone()));
    let calendars: BTreeMap<i64, String> = store
        .list_calendars(actor.tenant)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let names: BTreeMap<i64, String> = envs.iter().map(|e| (e.id.0, e.name.clone())).collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
    let environments = envs
        .iter()
        .map(|e| EnvironmentRow {
            id: e.id.0,
            name: e.name.clone(),
            kind: e
                .kind
                .map(|k| l.t(&format!("environment-kind-{k}")))
                .unwrap_or_default(),
            rank: e.kind.map(|k| rank(k).to_string()).unwrap_or_default(),
            hours: e
                .calendar_id
                .and_then(|c| calendars.get(&c).cloned())
                .unwrap_or_else(|| l.t("environments-no-hours")),
        })
        .collect();
    let refreshes = store
        .list_data_refreshes(&scope)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|r| RefreshRow {
            id: r.id.0,
            source: name(r.source_id.0),
            target: name(r.target_id.0),
            date: r.requested_for.to_string(),
            anonymise: r.anonymise,
            status: l.t(&format!("refresh-status-{}", r.status)),
        })
        .collect();
    let resets = store
        .list_environment_resets(&scope)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|r| ResetRow {
            id: r.id.0,
            environment: name(r.environment_id.0),
            partner: r.partner,
            date: r.planned_for.to_string(),
        })
        .collect();
    Ok(render(&EnvironmentsPage {
        l,
        environments,
        refreshes,
        resets,
    }))
}
