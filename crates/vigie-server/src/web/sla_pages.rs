//! Service level pages: the monthly report `/reports/sla` (printable) with
//! its CSV download, and the clock lines of the ticket page. The calendars
//! and targets are edited on `/admin/sla` ([`super::sla_admin`]); the
//! figures are the core's, gathered by [`crate::sla`].

use super::common::{PageResult, forbidden, frame, store_page, utc};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::sla::{self, ClockView, MonthlyReport, show_duration};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use vigie_core::role::Permission;
use vigie_core::sla::report::parse_month;
use vigie_core::sla::{ClockState, Metric, priority_label};
use vigie_core::tenancy::{Actor, EntityPath, Scope};
use vigie_store::TicketRecord;

/// The report page's address.
pub(super) const REPORT: &str = "/reports/sla";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(REPORT, get(report))
        .route("/reports/sla.csv", get(report_csv))
}

/// One clock line of the ticket page.
pub(super) struct ClockLine {
    pub label: String,
    pub state: String,
    pub state_class: &'static str,
    pub deadline: Option<String>,
    pub left: String,
}

fn state_class(s: ClockState) -> &'static str {
    match s {
        ClockState::Running => "running",
        ClockState::Paused => "paused",
        ClockState::Met => "met",
        ClockState::Breached => "breached",
    }
}

fn metric_label(l: &Layout, m: Metric) -> String {
    l.t(&format!("sla-metric-{m}"))
}

/// The clock lines of a ticket, at the clock's now.
pub(super) async fn clock_lines(state: &AppState, l: &Layout, t: &TicketRecord) -> Vec<ClockLine> {
    let views: Vec<ClockView> = sla::ticket_clocks(state.store(), t, state.clock().now())
        .await
        .unwrap_or_default();
    views
        .into_iter()
        .map(|v| ClockLine {
            label: format!(
                "{} {} — {}",
                v.kind.as_str().to_uppercase(),
                v.target,
                metric_label(l, v.metric)
            ),
            state: l.t(&format!("sla-state-{}", v.state)),
            state_class: state_class(v.state),
            deadline: v.deadline.map(utc),
            left: show_duration(v.left),
        })
        .collect()
}

/// Whether the actor reads the tickets of his tenant's whole tree.
async fn reads_tenant(state: &AppState, actor: &Actor) -> bool {
    let Ok(record) = state
        .store()
        .get_tenant(&Scope::Platform, actor.tenant)
        .await
    else {
        return false;
    };
    record.root_entity_id.is_some_and(|root| {
        actor.can(
            Permission::ViewEntityTickets,
            actor.tenant,
            &EntityPath::root(root),
        )
    })
}

/// The report's query.
#[derive(Debug, Deserialize)]
struct ReportQuery {
    month: Option<String>,
    service: Option<String>,
}

struct PriorityRow {
    priority: &'static str,
    tickets: u64,
    owned: String,
    resolved: String,
}

struct BreachRow {
    number: i64,
    title: String,
    priority: &'static str,
    clock: String,
    overdue: String,
    reason: String,
}

struct AvailabilityRow {
    service: String,
    in_hours: String,
    target: String,
    meets: bool,
    out_of_hours: String,
    slo: String,
    meets_slo: bool,
}

#[derive(Template)]
#[template(path = "sla_report.html")]
struct ReportPage {
    l: Layout,
    month: String,
    previous_month: String,
    service: String,
    tickets: u64,
    priorities: Vec<PriorityRow>,
    owned: String,
    resolved: String,
    previous_resolved: String,
    trend: String,
    requests: String,
    requests_goal: String,
    requests_met: bool,
    breach_count: u64,
    breaches: Vec<BreachRow>,
    availability: Vec<AvailabilityRow>,
    csv_link: String,
}

fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into())
}

async fn load_report(
    state: &AppState,
    session: &WebSession,
    l: &Layout,
    q: &ReportQuery,
) -> Result<MonthlyReport, Response> {
    if !reads_tenant(state, &session.actor).await {
        return Err(forbidden(l));
    }
    let now = state.clock().now();
    let first = match q.month.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => parse_month(m).map_err(|_| {
            super::common::message(l, StatusCode::UNPROCESSABLE_ENTITY, "sla-bad-month")
        })?,
        None => now
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .first_of_month(),
    };
    let service = q.service.clone().filter(|s| !s.is_empty());
    sla::monthly_report(state.store(), session.actor.tenant, first, service, now)
        .await
        .map_err(|e| store_page(l, e))
}

async fn report(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "sla-report-title", REPORT).await?;
    let r = load_report(&state, &session, &l, &q).await?;
    let f = &r.figures;
    let clock = |m: Metric| metric_label(&l, m);
    let page = ReportPage {
        month: r.month.clone(),
        previous_month: r.previous_month.clone(),
        service: r.service.clone().unwrap_or_default(),
        tickets: f.tickets(),
        priorities: f
            .by_priority
            .iter()
            .map(|p| PriorityRow {
                priority: priority_label(p.priority),
                tickets: p.tickets,
                owned: pct(p.owned.percent()),
                resolved: pct(p.resolved.percent()),
            })
            .collect(),
        owned: pct(f.owned().percent()),
        resolved: pct(f.resolved().percent()),
        previous_resolved: pct(r.previous.resolved().percent()),
        trend: r
            .trend
            .map(|t| format!("{t:+.1}"))
            .unwrap_or_else(|| "—".into()),
        requests: pct(f.requests.percent()),
        requests_goal: format!("{:.0} %", r.requests_goal),
        requests_met: f.requests.percent().is_none_or(|p| p >= r.requests_goal),
        breach_count: f.breach_count,
        breaches: f
            .breaches
            .iter()
            .map(|b| BreachRow {
                number: b.number,
                title: b.title.clone(),
                priority: priority_label(b.priority),
                clock: clock(b.metric),
                overdue: show_duration(b.overdue),
                reason: b.reason.clone().unwrap_or_default(),
            })
            .collect(),
        availability: r
            .availability
            .iter()
            .map(|a| AvailabilityRow {
                service: a.service_ref.clone(),
                in_hours: format!("{:.3} %", a.in_hours),
                target: format!("{:.2} %", a.target),
                meets: a.in_hours >= a.target,
                out_of_hours: format!("{:.3} %", a.out_of_hours),
                slo: format!("{:.2} %", a.slo),
                meets_slo: a.out_of_hours >= a.slo,
            })
            .collect(),
        csv_link: super::common::link(
            "/reports/sla.csv",
            &[
                ("month", r.month.clone()),
                ("service", r.service.clone().unwrap_or_default()),
            ],
        ),
        l,
    };
    Ok(render(&page))
}

async fn report_csv(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "sla-report-title", REPORT).await?;
    let r = load_report(&state, &session, &l, &q).await?;
    let name = format!("attachment; filename=\"sla-{}.csv\"", r.month);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        sla::report_csv(&r),
    )
        .into_response())
}
