//! `/api/v1/tickets/{id}/clocks`, a tenant's `/outages`, `/service-levels`
//! and `/reports/sla` (JSON and CSV): what the clocks say, and the monthly
//! report. The report lists ticket titles from the whole tenant, so it needs
//! the right to read the tickets of the tenant's root entity.

use super::categories::{manageable, readable};
use super::instants::{instant, optional_instant};
use super::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::sla::{self, MonthlyReport};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::Timestamp;
use vigie_core::ids::{TenantId, TicketId};
use vigie_core::role::Permission;
use vigie_core::sla::priority_label;
use vigie_core::sla::report::parse_month;
use vigie_core::tenancy::{Actor, EntityPath, Scope};
use vigie_core::ticket::TicketAccess;
use vigie_store::{NewOutage, OutageRecord, ServiceLevelRecord};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ticket_clocks))
        .routes(routes!(list_outages, create_outage))
        .routes(routes!(update_outage, delete_outage))
        .routes(routes!(list_service_levels, put_service_level))
        .routes(routes!(report))
        .routes(routes!(report_csv))
}

/// One clock of a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockOut {
    target: String,
    /// `sla`, `ola` or `uc`.
    kind: String,
    /// `own` or `resolve`.
    metric: String,
    /// `running`, `paused`, `met` or `breached`.
    state: String,
    /// When it runs out, while it runs.
    deadline: Option<String>,
    /// Minutes of business time allowed.
    allowance_minutes: i64,
    /// Minutes of business time left (negative once breached).
    left_minutes: i64,
    /// When it stopped.
    stopped_at: Option<String>,
}

/// The SLA, OLA and UC clocks of a ticket the caller may read.
#[utoipa::path(get, path = "/tickets/{id}/clocks", tag = "sla", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ClockOut>), (status = 404, body = Problem)))]
async fn ticket_clocks(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ClockOut>>, ApiError> {
    let ticket = state
        .store()
        .get_ticket(&TicketAccess::of(&actor), TicketId(id))
        .await?;
    let views = sla::ticket_clocks(state.store(), &ticket, state.clock().now()).await?;
    Ok(Json(
        views
            .into_iter()
            .map(|v| ClockOut {
                target: v.target,
                kind: v.kind.to_string(),
                metric: v.metric.to_string(),
                state: v.state.to_string(),
                deadline: v.deadline.map(|d| d.to_string()),
                allowance_minutes: v.allowance.as_mins(),
                left_minutes: v.left.as_mins(),
                stopped_at: v.stopped_at.map(|d| d.to_string()),
            })
            .collect(),
    ))
}

/// An outage or maintenance window.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutageOut {
    id: i64,
    service_ref: String,
    /// `outage` or `maintenance`.
    kind: String,
    starts_at: String,
    ends_at: Option<String>,
    ticket_id: Option<i64>,
    note: String,
}

impl From<OutageRecord> for OutageOut {
    fn from(o: OutageRecord) -> Self {
        OutageOut {
            id: o.id,
            service_ref: o.service_ref,
            kind: o.kind,
            starts_at: o.starts_at.to_string(),
            ends_at: o.ends_at.map(|t| t.to_string()),
            ticket_id: o.ticket_id.map(|t| t.0),
            note: o.note,
        }
    }
}

/// An outage to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutageIn {
    service_ref: String,
    /// `outage` (default) or `maintenance` (approved, not counted as downtime).
    kind: Option<String>,
    /// RFC 3339.
    starts_at: String,
    /// RFC 3339; absent while it goes on.
    ends_at: Option<String>,
    /// The incident that records it.
    ticket_id: Option<i64>,
    note: Option<String>,
}

impl OutageIn {
    fn outage(&self) -> Result<NewOutage, ApiError> {
        let kind = self.kind.clone().unwrap_or_else(|| "outage".into());
        if kind != "outage" && kind != "maintenance" {
            return Err(ApiError::invalid(
                "kind",
                "kind: expected `outage` or `maintenance`",
            ));
        }
        let starts_at = instant("starts_at", &self.starts_at)?;
        let ends_at = optional_instant("ends_at", self.ends_at.as_deref())?;
        if ends_at.is_some_and(|e| e <= starts_at) {
            return Err(ApiError::invalid(
                "ends_at",
                "ends_at: the outage ends before it starts",
            ));
        }
        Ok(NewOutage {
            service_ref: vigie_core::validate::name("service_ref", &self.service_ref, 200)?,
            kind,
            starts_at,
            ends_at,
            ticket_id: self.ticket_id.map(TicketId),
            note: self.note.clone().unwrap_or_default(),
        })
    }
}

/// Which month.
#[derive(Debug, Deserialize, IntoParams)]
pub struct MonthQuery {
    /// `YYYY-MM`; default: the current month (UTC).
    month: Option<String>,
    /// Only this service.
    service: Option<String>,
}

impl MonthQuery {
    fn first_day(&self, now: Timestamp) -> Result<jiff::civil::Date, ApiError> {
        match &self.month {
            Some(m) => parse_month(m).map_err(|e| ApiError::invalid("month", e.to_string())),
            None => {
                let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
                Ok(today.first_of_month())
            }
        }
    }
}

/// The outages and maintenance windows of a tenant in a month.
#[utoipa::path(get, path = "/tenants/{id}/outages", tag = "sla", params(("id" = i64, Path), MonthQuery),
    responses((status = 200, body = Vec<OutageOut>), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list_outages(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<Json<Vec<OutageOut>>, ApiError> {
    let tenant = readable(&actor, id)?;
    let first = q.first_day(state.clock().now())?;
    let zone = jiff::tz::TimeZone::get(vigie_core::calendar::DEFAULT_TIME_ZONE)
        .map_err(ApiError::internal)?;
    let (from, to) = vigie_core::sla::report::month_range(first, &zone)
        .ok_or_else(|| ApiError::invalid("month", "month: out of range"))?;
    let list = state.store().list_outages(tenant, from, to).await?;
    Ok(Json(list.into_iter().map(OutageOut::from).collect()))
}

/// Records an outage or an approved maintenance window (tenant administrators).
#[utoipa::path(post, path = "/tenants/{id}/outages", tag = "sla", params(("id" = i64, Path)), request_body = OutageIn,
    responses((status = 201, body = OutageOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_outage(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<OutageIn>,
) -> Result<(StatusCode, Json<OutageOut>), ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let new = body.outage()?;
    let o = state
        .store()
        .create_outage(&actor, tenant, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(o.into())))
}

/// Corrects or ends an outage (tenant administrators): the whole record is
/// given again. An outage an incident records also ends when the incident
/// is resolved.
#[utoipa::path(put, path = "/tenants/{id}/outages/{outage_id}", tag = "sla",
    params(("id" = i64, Path), ("outage_id" = i64, Path)), request_body = OutageIn,
    responses((status = 200, body = OutageOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_outage(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, outage_id)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<OutageIn>,
) -> Result<Json<OutageOut>, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let new = body.outage()?;
    let o = state
        .store()
        .update_outage(&actor, tenant, state.clock().now(), outage_id, &new)
        .await?;
    Ok(Json(o.into()))
}

/// Deletes an outage recorded by mistake (tenant administrators).
#[utoipa::path(delete, path = "/tenants/{id}/outages/{outage_id}", tag = "sla",
    params(("id" = i64, Path), ("outage_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_outage(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, outage_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    state
        .store()
        .delete_outage(&actor, tenant, state.clock().now(), outage_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a service promises: its service hours and availability targets in
/// basis points (9900 = 99 %).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceLevelIo {
    service_ref: String,
    /// The calendar of its service hours.
    calendar_id: i64,
    /// In service hours, 1–10000.
    availability_bp: i64,
    /// Out of hours, 1–10000.
    out_of_hours_bp: i64,
}

impl From<ServiceLevelRecord> for ServiceLevelIo {
    fn from(s: ServiceLevelRecord) -> Self {
        ServiceLevelIo {
            service_ref: s.service_ref,
            calendar_id: s.calendar_id,
            availability_bp: s.availability_bp,
            out_of_hours_bp: s.out_of_hours_bp,
        }
    }
}

/// The availability promises of a tenant's services.
#[utoipa::path(get, path = "/tenants/{id}/service-levels", tag = "sla", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ServiceLevelIo>), (status = 404, body = Problem)))]
async fn list_service_levels(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ServiceLevelIo>>, ApiError> {
    let list = state
        .store()
        .list_service_levels(readable(&actor, id)?)
        .await?;
    Ok(Json(list.into_iter().map(ServiceLevelIo::from).collect()))
}

/// Sets what a service promises (tenant administrators).
#[utoipa::path(put, path = "/tenants/{id}/service-levels", tag = "sla", params(("id" = i64, Path)), request_body = ServiceLevelIo,
    responses((status = 200, body = ServiceLevelIo), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_service_level(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ServiceLevelIo>,
) -> Result<Json<ServiceLevelIo>, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    for (field, bp) in [
        ("availability_bp", body.availability_bp),
        ("out_of_hours_bp", body.out_of_hours_bp),
    ] {
        if !(1..=10_000).contains(&bp) {
            return Err(ApiError::invalid(
                field,
                format!("{field}: must be between 1 and 10000"),
            ));
        }
    }
    let level = ServiceLevelRecord {
        service_ref: vigie_core::validate::name("service_ref", &body.service_ref, 200)?,
        calendar_id: body.calendar_id,
        availability_bp: body.availability_bp,
        out_of_hours_bp: body.out_of_hours_bp,
    };
    let saved = state
        .store()
        .put_service_level(&actor, tenant, state.clock().now(), &level)
        .await?;
    Ok(Json(saved.into()))
}

/// The tenant `id` if the actor reads the tickets of its whole tree.
pub(crate) async fn report_reader(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<TenantId, ApiError> {
    let tenant = readable(actor, id)?;
    let record = state.store().get_tenant(&Scope::Platform, tenant).await?;
    let root = record
        .root_entity_id
        .map(EntityPath::root)
        .ok_or_else(ApiError::not_found)?;
    if actor.can(Permission::ViewEntityTickets, tenant, &root) {
        Ok(tenant)
    } else {
        Err(ApiError::forbidden(
            "the SLA report needs the right to read all the tenant's tickets",
        ))
    }
}

/// One priority's line.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriorityLineOut {
    priority: String,
    tickets: u64,
    owned_in_time_pct: Option<f64>,
    resolved_in_time_pct: Option<f64>,
}

/// One breach.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreachOut {
    number: i64,
    title: String,
    priority: String,
    service_ref: Option<String>,
    /// `own` or `resolve`.
    clock: String,
    overdue_minutes: i64,
    reason: Option<String>,
}

/// One service's availability.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityOut {
    service_ref: String,
    availability_pct: f64,
    target_pct: f64,
    out_of_hours_pct: f64,
    slo_pct: f64,
}

/// The monthly SLA report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    month: String,
    previous_month: String,
    service: Option<String>,
    tickets: u64,
    by_priority: Vec<PriorityLineOut>,
    owned_in_time_pct: Option<f64>,
    resolved_in_time_pct: Option<f64>,
    previous_resolved_in_time_pct: Option<f64>,
    /// Change of the share resolved in time, in points.
    trend_points: Option<f64>,
    requests_in_time_pct: Option<f64>,
    requests_goal_pct: f64,
    breach_count: u64,
    breaches: Vec<BreachOut>,
    availability: Vec<AvailabilityOut>,
}

impl From<MonthlyReport> for ReportOut {
    fn from(r: MonthlyReport) -> Self {
        let f = &r.figures;
        ReportOut {
            month: r.month.clone(),
            previous_month: r.previous_month.clone(),
            service: r.service.clone(),
            tickets: f.tickets(),
            by_priority: f
                .by_priority
                .iter()
                .map(|p| PriorityLineOut {
                    priority: priority_label(p.priority).to_owned(),
                    tickets: p.tickets,
                    owned_in_time_pct: p.owned.percent(),
                    resolved_in_time_pct: p.resolved.percent(),
                })
                .collect(),
            owned_in_time_pct: f.owned().percent(),
            resolved_in_time_pct: f.resolved().percent(),
            previous_resolved_in_time_pct: r.previous.resolved().percent(),
            trend_points: r.trend,
            requests_in_time_pct: f.requests.percent(),
            requests_goal_pct: r.requests_goal,
            breach_count: f.breach_count,
            breaches: f
                .breaches
                .iter()
                .map(|b| BreachOut {
                    number: b.number,
                    title: b.title.clone(),
                    priority: priority_label(b.priority).to_owned(),
                    service_ref: b.service_ref.clone(),
                    clock: b.metric.to_string(),
                    overdue_minutes: b.overdue.as_mins(),
                    reason: b.reason.clone(),
                })
                .collect(),
            availability: r
                .availability
                .iter()
                .map(|a| AvailabilityOut {
                    service_ref: a.service_ref.clone(),
                    availability_pct: a.in_hours,
                    target_pct: a.target,
                    out_of_hours_pct: a.out_of_hours,
                    slo_pct: a.slo,
                })
                .collect(),
        }
    }
}

async fn build_report(
    state: &AppState,
    actor: &Actor,
    id: i64,
    q: &MonthQuery,
) -> Result<MonthlyReport, ApiError> {
    let tenant = report_reader(state, actor, id).await?;
    let now = state.clock().now();
    let first = q.first_day(now)?;
    Ok(sla::monthly_report(state.store(), tenant, first, q.service.clone(), now).await?)
}

/// The monthly SLA report of a tenant (or one service).
#[utoipa::path(get, path = "/tenants/{id}/reports/sla", tag = "sla", params(("id" = i64, Path), MonthQuery),
    responses((status = 200, body = ReportOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<Json<ReportOut>, ApiError> {
    Ok(Json(build_report(&state, &actor, id, &q).await?.into()))
}

/// The monthly SLA report as CSV.
#[utoipa::path(get, path = "/tenants/{id}/reports/sla.csv", tag = "sla", params(("id" = i64, Path), MonthQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn report_csv(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let report = build_report(&state, &actor, id, &q).await?;
    let name = format!("attachment; filename=\"sla-{}.csv\"", report.month);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        sla::report_csv(&report),
    ))
}
