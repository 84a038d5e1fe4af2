//! `GET /api/v1/changes/report?month=2026-01`: how the changes raised in a
//! month fared, for whoever reads changes: counts by type and outcome, the
//! success rate, the share of emergency changes, and the changes whose
//! review links incidents they caused (the same figures as the web's
//! `/changes/report`, from [`crate::changes::report`]).

use super::super::{ApiQuery, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::changes::report::{MonthReport, month_of, month_report};
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::role::Permission;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(change_report))
}

/// The month of the report.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `YYYY-MM`, in the change windows' time zone; default: this month.
    month: Option<String>,
}

/// A change that caused incidents.
#[derive(Debug, Serialize, ToSchema)]
pub struct CausingOut {
    /// The change's id.
    id: i64,
    /// Its number.
    number: i64,
    /// Its title.
    title: String,
    /// Its status.
    status: String,
    /// Its review's verdict.
    review_success: Option<bool>,
    /// The incidents its review says it caused.
    incident_ids: Vec<i64>,
}

/// The figures of the changes raised in a month that the caller may read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeReportOut {
    /// `YYYY-MM`.
    month: String,
    /// The month's first instant (RFC 3339).
    from: String,
    /// The next month's first instant (RFC 3339).
    to: String,
    /// Changes raised.
    raised: u64,
    /// Of which standard.
    standard: u64,
    /// Of which normal.
    normal: u64,
    /// Of which emergency.
    emergency: u64,
    /// Refused by their board.
    rejected: u64,
    /// Abandoned.
    cancelled: u64,
    /// Still on their way (draft to implementing).
    in_progress: u64,
    /// Carried out: implemented, backed out, reviewed or closed.
    carried_out: u64,
    /// Carried out, neither backed out nor reviewed as unsuccessful.
    succeeded: u64,
    /// Backed out, or reviewed as unsuccessful.
    failed: u64,
    /// `succeeded` among `carried_out`, in whole percent; null when none.
    success_rate_percent: Option<u64>,
    /// `emergency` among `raised`, in whole percent; null when none.
    emergency_share_percent: Option<u64>,
    /// Changes whose review links incidents.
    causing_incidents: u64,
    /// The incidents they caused.
    incidents_caused: u64,
    /// Changes whose planned window was flagged.
    flagged: u64,
    /// True when more changes were raised than one report reads
    /// (20,000): the figures count the first ones.
    cut: bool,
    /// The changes that caused incidents, by number.
    changes_causing_incidents: Vec<CausingOut>,
}

impl From<MonthReport> for ChangeReportOut {
    fn from(r: MonthReport) -> Self {
        let f = &r.figures;
        ChangeReportOut {
            month: r.month.strftime("%Y-%m").to_string(),
            from: r.from.to_string(),
            to: r.to.to_string(),
            raised: f.total,
            standard: f.standard,
            normal: f.normal,
            emergency: f.emergency,
            rejected: f.rejected,
            cancelled: f.cancelled,
            in_progress: f.in_progress,
            carried_out: f.carried_out,
            succeeded: f.succeeded,
            failed: f.failed,
            success_rate_percent: f.success_rate(),
            emergency_share_percent: f.emergency_share(),
            causing_incidents: f.causing_incidents,
            incidents_caused: f.incidents_caused,
            flagged: f.flagged,
            cut: r.cut,
            changes_causing_incidents: r
                .causing
                .into_iter()
                .map(|c| CausingOut {
                    id: c.id.0,
                    number: c.number,
                    title: c.title,
                    status: c.status.to_string(),
                    review_success: c.review_success,
                    incident_ids: c.caused.iter().map(|t| t.0).collect(),
                })
                .collect(),
        }
    }
}

/// The change report of a month: the changes raised then that the caller
/// may read, counted by type and outcome.
#[utoipa::path(get, path = "/changes/report", tag = "changes", params(ReportQuery),
    responses((status = 200, body = ChangeReportOut), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn change_report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Json<ChangeReportOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewChanges)?;
    let windows = crate::changes::window_calendar(&state, actor.tenant).await?;
    let zone = windows.time_zone().clone();
    let today = state.clock().now().to_zoned(zone.clone()).date();
    let month = month_of(q.month.as_deref(), today)
        .ok_or_else(|| ApiError::invalid("month", "`month` is a year and a month: 2026-01"))?;
    let report = month_report(state.store(), &scope, month, &zone).await?;
    Ok(Json(report.into()))
}
