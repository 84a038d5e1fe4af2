//! `/changes/report?month=2026-01`: the change report of a month for
//! whoever reads changes — the changes raised that month in his reach,
//! counted by type and outcome, the success rate, the share of emergency
//! changes, and the changes whose review links the incidents they caused,
//! each linked. The figures are the API's ([`crate::changes::report`]).

use super::changes::{HERE, status_label, zone_of};
use super::common::{PageResult, frame, narrowed, store_page};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::changes::report::{month_of, month_report};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use jiff::ToSpan;
use serde::Deserialize;
use vigie_core::role::Permission;

/// The routes of the page.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/changes/report", get(report))
}

/// The month asked for.
#[derive(Debug, Deserialize)]
struct ReportQuery {
    month: Option<String>,
}

/// A change that caused incidents, as listed.
struct Causing {
    id: i64,
    number: i64,
    title: String,
    status: String,
    incidents: Vec<i64>,
}

#[derive(Template)]
#[template(path = "change_report.html")]
struct ReportPage {
    l: Layout,
    month_label: String,
    previous: String,
    next: String,
    rows: Vec<(String, String)>,
    causing: Vec<Causing>,
    cut: bool,
    zone: String,
}

async fn report(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "change-report-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewChanges) {
        return Err(super::common::forbidden(&l));
    }
    let failed = |e| store_page(&l, e);
    let zone = zone_of(&state, &session).await.map_err(failed)?;
    let today = state.clock().now().to_zoned(zone.clone()).date();
    // A month that is not one shows this month, as the calendar does.
    let month = month_of(q.month.as_deref(), today).unwrap_or_else(|| today.first_of_month());
    let scope = narrowed(&state, &session, actor.scope(Permission::ViewChanges))
        .await
        .map_err(failed)?;
    let r = month_report(state.store(), &scope, month, &zone)
        .await
        .map_err(failed)?;
    let f = &r.figures;
    let percent = |p: Option<u64>| p.map(|p| format!("{p} %")).unwrap_or_else(|| "—".into());
    let rows = [
        ("change-report-raised", f.total.to_string()),
        ("change-kind-standard", f.standard.to_string()),
        ("change-kind-normal", f.normal.to_string()),
        ("change-kind-emergency", f.emergency.to_string()),
        (
            "change-report-emergency-share",
            percent(f.emergency_share()),
        ),
        ("change-status-rejected", f.rejected.to_string()),
        ("change-status-cancelled", f.cancelled.to_string()),
        ("change-report-in-progress", f.in_progress.to_string()),
        ("change-report-carried-out", f.carried_out.to_string()),
        ("change-report-succeeded", f.succeeded.to_string()),
        ("change-report-failed", f.failed.to_string()),
        ("change-report-success-rate", percent(f.success_rate())),
        ("change-report-causing", f.causing_incidents.to_string()),
        ("change-report-incidents", f.incidents_caused.to_string()),
        ("change-report-flagged", f.flagged.to_string()),
    ]
    .into_iter()
    .map(|(key, value)| (l.t(key), value))
    .collect();
    let causing = r
        .causing
        .iter()
        .map(|c| Causing {
            id: c.id.0,
            number: c.number,
            title: c.title.clone(),
            status: status_label(&l, c.status),
            incidents: c.caused.iter().map(|t| t.0).collect(),
        })
        .collect();
    let link = |d: jiff::civil::Date| format!("/changes/report?month={}", d.strftime("%Y-%m"));
    Ok(render(&ReportPage {
        month_label: format!(
            "{} {}",
            l.t(&format!("month-{}", month.month())),
            month.year()
        ),
        previous: link(month.saturating_sub(1.month())),
        next: link(month.saturating_add(1.month())),
        rows,
        causing,
        cut: r.cut,
        zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        l,
    }))
}
