//! The monthly service level report: the core's figures for the month and
//! the previous one, and each service's availability, gathered from the
//! store; and the same as CSV.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use vigie_core::Timestamp;
use vigie_core::calendar::DEFAULT_TIME_ZONE;
use vigie_core::ids::TenantId;
use vigie_core::sla::availability::{Interval, availability};
use vigie_core::sla::report::{MonthFigures, month_range, previous_month, trend};
use vigie_core::sla::{TargetKind, priority_label};
use vigie_store::{ReportQuery, Store, StoreError};

use super::{Calendars, show_duration};

/// The share of requests to resolve in time (percent).
pub const REQUESTS_GOAL: f64 = 95.0;

/// How many breaches the report lists.
const BREACH_LIMIT: usize = 200;

/// Availability of one service over the month.
#[derive(Clone, Debug)]
pub struct ServiceAvailability {
    /// The service.
    pub service_ref: String,
    /// In service hours, percent.
    pub in_hours: f64,
    /// Out of hours, percent.
    pub out_of_hours: f64,
    /// The promise in service hours, percent.
    pub target: f64,
    /// The objective out of hours, percent.
    pub slo: f64,
}

/// The report of one month.
#[derive(Clone, Debug)]
pub struct MonthlyReport {
    /// `YYYY-MM`.
    pub month: String,
    /// The previous month, `YYYY-MM`.
    pub previous_month: String,
    /// Only this service, if asked.
    pub service: Option<String>,
    /// The month's figures.
    pub figures: MonthFigures,
    /// The previous month's.
    pub previous: MonthFigures,
    /// Change of the share resolved in time, in points.
    pub trend: Option<f64>,
    /// The goal for requests, percent.
    pub requests_goal: f64,
    /// Availability per service.
    pub availability: Vec<ServiceAvailability>,
}

fn label(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The report of the month starting on `first` for `tenant`, with the
/// verdicts taken at `now`. Months are cut in the zone of the tenant's first
/// calendar (Europe/Paris when it has none).
pub async fn monthly_report(
    store: &Store,
    tenant: TenantId,
    first: Date,
    service: Option<String>,
    now: Timestamp,
) -> Result<MonthlyReport, StoreError> {
    let calendars = store.list_calendars(tenant).await?;
    let zone_name = calendars
        .first()
        .map(|c| c.spec.time_zone.clone())
        .unwrap_or_else(|| DEFAULT_TIME_ZONE.to_owned());
    let zone = TimeZone::get(&zone_name).unwrap_or(TimeZone::UTC);
    let before =
        previous_month(first).ok_or_else(|| StoreError::Invalid("month: out of range".into()))?;
    let range = |d: Date| {
        month_range(d, &zone).ok_or_else(|| StoreError::Invalid("month: out of range".into()))
    };
    let (from, to) = range(first)?;
    let (previous_from, _) = range(before)?;
    let figures = |from: Timestamp, to: Timestamp| {
        let query = ReportQuery {
            tenant,
            kind: TargetKind::Sla,
            from,
            to,
            service: service.clone(),
            now,
        };
        async move {
            store
                .sla_report_rows(&query)
                .await
                .map(|rows| MonthFigures::of(&rows, BREACH_LIMIT))
        }
    };
    let current = figures(from, to).await?;
    let previous = figures(previous_from, from).await?;
    let mut services = Vec::new();
    let outages = store.list_outages(tenant, from, to).await?;
    let mut hours = Calendars::new(store, tenant);
    for level in store.list_service_levels(tenant).await? {
        if service.as_ref().is_some_and(|s| *s != level.service_ref) {
            continue;
        }
        let interval = |o: &vigie_store::OutageRecord| {
            Interval::new(o.starts_at, o.ends_at.unwrap_or(now).min(to))
        };
        let of_kind = |kind: &str| -> Vec<Interval> {
            outages
                .iter()
                .filter(|o| o.service_ref == level.service_ref && o.kind == kind)
                .map(interval)
                .collect()
        };
        let calendar = hours.get(level.calendar_id).await?;
        let a = availability(
            calendar,
            Interval::new(from, to),
            &of_kind("outage"),
            &of_kind("maintenance"),
        );
        services.push(ServiceAvailability {
            service_ref: level.service_ref.clone(),
            in_hours: a.in_hours_percent(),
            out_of_hours: a.out_of_hours_percent(),
            target: level.availability_bp as f64 / 100.0,
            slo: level.out_of_hours_bp as f64 / 100.0,
        });
    }
    Ok(MonthlyReport {
        month: label(first),
        previous_month: label(before),
        service,
        trend: trend(&current, &previous),
        figures: current,
        previous,
        requests_goal: REQUESTS_GOAL,
        availability: services,
    })
}

fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}")).unwrap_or_default()
}

/// The report as CSV: one section per table, each with its header line.
pub fn report_csv(r: &MonthlyReport) -> String {
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    let s = |t: &str| t.to_owned();
    line(&[
        s("month"),
        s("priority"),
        s("tickets"),
        s("owned_in_time_pct"),
        s("resolved_in_time_pct"),
    ]);
    for p in &r.figures.by_priority {
        line(&[
            r.month.clone(),
            s(priority_label(p.priority)),
            p.tickets.to_string(),
            pct(p.owned.percent()),
            pct(p.resolved.percent()),
        ]);
    }
    line(&[]);
    line(&[s("requests_in_time_pct"), s("goal_pct"), s("trend_points")]);
    line(&[
        pct(r.figures.requests.percent()),
        format!("{:.1}", r.requests_goal),
        pct(r.trend),
    ]);
    line(&[]);
    line(&[
        s("breach_ticket"),
        s("title"),
        s("priority"),
        s("service"),
        s("clock"),
        s("overdue"),
        s("reason"),
    ]);
    for b in &r.figures.breaches {
        line(&[
            b.number.to_string(),
            b.title.clone(),
            s(priority_label(b.priority)),
            b.service_ref.clone().unwrap_or_default(),
            b.metric.to_string(),
            show_duration(b.overdue),
            b.reason.clone().unwrap_or_default(),
        ]);
    }
    line(&[]);
    line(&[
        s("service"),
        s("availability_pct"),
        s("target_pct"),
        s("out_of_hours_pct"),
        s("slo_pct"),
    ]);
    for a in &r.availability {
        line(&[
            a.service_ref.clone(),
            format!("{:.3}", a.in_hours),
            format!("{:.2}", a.target),
            format!("{:.3}", a.out_of_hours),
            format!("{:.2}", a.slo),
        ]);
    }
    out
}
