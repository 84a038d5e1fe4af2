//! `/api/v1/tenants/{id}/survey-results`: satisfaction per group and per
//! month, for those who read the tenant's audit (supervisors, managers,
//! administrators).

use super::{ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::Timestamp;
use vigie_core::ids::TenantId;
use vigie_core::role::Permission;
use vigie_core::tenancy::{EntityPath, Scope};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(survey_results))
}

/// The answers of one group in one month.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyResultOut {
    /// The group that held the tickets (absent: none).
    group: Option<String>,
    /// `YYYY-MM`, UTC.
    month: String,
    answers: i64,
    /// Average rating, 1 to 5.
    average: f64,
}

/// The months to sum up (default: the last twelve, this one included).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    /// First month, `YYYY-MM` (UTC).
    from: Option<String>,
    /// Last month, included, `YYYY-MM`.
    to: Option<String>,
}

fn month_start(field: &str, value: &str, next: bool) -> Result<Timestamp, ApiError> {
    let bad = || ApiError::invalid(field, format!("`{field}` must be a month as YYYY-MM"));
    let date: jiff::civil::Date = format!("{value}-01").parse().map_err(|_| bad())?;
    let date = if next {
        date.checked_add(jiff::Span::new().months(1))
            .map_err(|_| bad())?
    } else {
        date
    };
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

/// Satisfaction per support group and per month.
#[utoipa::path(get, path = "/tenants/{id}/survey-results", tag = "tickets", params(("id" = i64, Path), ResultsQuery),
    responses((status = 200, body = Vec<SurveyResultOut>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn survey_results(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ResultsQuery>,
) -> Result<Json<Vec<SurveyResultOut>>, ApiError> {
    if !actor.platform_admin && actor.tenant.0 != id {
        return Err(ApiError::not_found());
    }
    let tenant = state
        .store()
        .get_tenant(&Scope::Platform, TenantId(id))
        .await?;
    let root = tenant
        .root_entity_id
        .map(EntityPath::root)
        .ok_or_else(ApiError::not_found)?;
    if !actor.can(Permission::ViewAudit, tenant.id, &root) {
        return Err(ApiError::forbidden(
            "the tenant's satisfaction is for its supervisors and administrators",
        ));
    }
    let this_month = state
        .clock()
        .now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m")
        .to_string();
    let to = month_start("to", q.to.as_deref().unwrap_or(&this_month), true)?;
    let from = match q.from.as_deref() {
        Some(m) => month_start("from", m, false)?,
        None => to
            .to_zoned(jiff::tz::TimeZone::UTC)
            .checked_sub(jiff::Span::new().months(12))
            .map(|z| z.timestamp())
            .map_err(|_| ApiError::invalid("to", "`to` is out of range"))?,
    };
    if to <= from {
        return Err(ApiError::invalid("to", "`to` must not be before `from`"));
    }
    let results = state.store().survey_results(tenant.id, from, to).await?;
    Ok(Json(
        results
            .into_iter()
            .map(|r| SurveyResultOut {
                group: r.group_name,
                month: r.month,
                answers: r.answers,
                average: r.average,
            })
            .collect(),
    ))
}
