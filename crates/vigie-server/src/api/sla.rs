//! `/api/v1/tenants/{id}/calendars`, `/sla-targets`, `/sla/preview` and
//! `/api/v1/calendar-presets`: a tenant's business calendars and service
//! level targets. Every member of the tenant reads them; changing them needs
//! the right to change the tenant's service desk settings. The scope is
//! checked before the body is validated; a refused body changes nothing, so
//! existing clocks are untouched. Bodies are checked and the preview made
//! by [`crate::sla`], which the web pages call too.

use super::categories::{manageable, readable};
use super::sla_wire::{CalendarIn, CalendarOut, TargetIn, TargetOut, calendar_out};
use super::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::sla::preview::{self, PreviewAsk, PreviewError};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::sla::CalendarSpec;
use vigie_core::sla::spec::PRESETS;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(presets))
        .routes(routes!(list_calendars, create_calendar))
        .routes(routes!(get_calendar, update_calendar, delete_calendar))
        .routes(routes!(list_targets, create_target))
        .routes(routes!(get_target, update_target, delete_target))
        .routes(routes!(preview))
}

/// The ready-made calendars: 24/7, working hours (Mon–Fri 8h–18h, French
/// holidays) and environment hours (Mon–Fri 7h–19h, French holidays).
#[utoipa::path(get, path = "/calendar-presets", tag = "sla",
    responses((status = 200, body = Vec<CalendarOut>)))]
async fn presets(ApiActor(_actor): ApiActor) -> Json<Vec<CalendarOut>> {
    let list = PRESETS
        .iter()
        .filter_map(|name| CalendarSpec::preset(name).map(|spec| calendar_out(0, name, &spec)))
        .collect();
    Json(list)
}

/// Lists a tenant's calendars.
#[utoipa::path(get, path = "/tenants/{id}/calendars", tag = "sla", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CalendarOut>), (status = 404, body = Problem)))]
async fn list_calendars(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<CalendarOut>>, ApiError> {
    let list = state.store().list_calendars(readable(&actor, id)?).await?;
    Ok(Json(list.into_iter().map(CalendarOut::from).collect()))
}

/// Creates a calendar (tenant administrators). Overlapping segments, a
/// segment ending before it starts, an unknown time zone or an invalid date
/// are refused with 422 naming the field.
#[utoipa::path(post, path = "/tenants/{id}/calendars", tag = "sla", params(("id" = i64, Path)), request_body = CalendarIn,
    responses((status = 201, body = CalendarOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CalendarIn>,
) -> Result<(StatusCode, Json<CalendarOut>), ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let (name, spec) = body.spec()?;
    let created = state
        .store()
        .create_calendar(&actor, tenant, state.clock().now(), &name, &spec)
        .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Reads a calendar.
#[utoipa::path(get, path = "/tenants/{id}/calendars/{calendar_id}", tag = "sla",
    params(("id" = i64, Path), ("calendar_id" = i64, Path)),
    responses((status = 200, body = CalendarOut), (status = 404, body = Problem)))]
async fn get_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, calendar)): ApiPath<(i64, i64)>,
) -> Result<Json<CalendarOut>, ApiError> {
    let c = state
        .store()
        .get_calendar(readable(&actor, id)?, calendar)
        .await?;
    Ok(Json(c.into()))
}

/// Replaces a calendar (tenant administrators); running clocks counted in
/// it get their deadlines from the new hours.
#[utoipa::path(put, path = "/tenants/{id}/calendars/{calendar_id}", tag = "sla",
    params(("id" = i64, Path), ("calendar_id" = i64, Path)), request_body = CalendarIn,
    responses((status = 200, body = CalendarOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, calendar)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<CalendarIn>,
) -> Result<Json<CalendarOut>, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let (name, spec) = body.spec()?;
    let c = state
        .store()
        .update_calendar(&actor, tenant, state.clock().now(), calendar, &name, &spec)
        .await?;
    Ok(Json(c.into()))
}

/// Deletes a calendar no target or service uses (tenant administrators).
#[utoipa::path(delete, path = "/tenants/{id}/calendars/{calendar_id}", tag = "sla",
    params(("id" = i64, Path), ("calendar_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, calendar)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    state
        .store()
        .delete_calendar(&actor, tenant, state.clock().now(), calendar)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists a tenant's service level targets.
#[utoipa::path(get, path = "/tenants/{id}/sla-targets", tag = "sla", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TargetOut>), (status = 404, body = Problem)))]
async fn list_targets(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<TargetOut>>, ApiError> {
    let list = state.store().list_targets(readable(&actor, id)?).await?;
    Ok(Json(list.into_iter().map(TargetOut::from).collect()))
}

/// Creates a target (tenant administrators). A zero or negative time is
/// refused with 422 naming the field.
#[utoipa::path(post, path = "/tenants/{id}/sla-targets", tag = "sla", params(("id" = i64, Path)), request_body = TargetIn,
    responses((status = 201, body = TargetOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_target(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TargetIn>,
) -> Result<(StatusCode, Json<TargetOut>), ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let new = body.target()?;
    let t = state
        .store()
        .create_target(&actor, tenant, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// Reads a target.
#[utoipa::path(get, path = "/tenants/{id}/sla-targets/{target_id}", tag = "sla",
    params(("id" = i64, Path), ("target_id" = i64, Path)),
    responses((status = 200, body = TargetOut), (status = 404, body = Problem)))]
async fn get_target(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, target)): ApiPath<(i64, i64)>,
) -> Result<Json<TargetOut>, ApiError> {
    let t = state
        .store()
        .get_target(readable(&actor, id)?, target)
        .await?;
    Ok(Json(t.into()))
}

/// Replaces a target (tenant administrators). Running clocks keep the
/// allowance they started with.
#[utoipa::path(put, path = "/tenants/{id}/sla-targets/{target_id}", tag = "sla",
    params(("id" = i64, Path), ("target_id" = i64, Path)), request_body = TargetIn,
    responses((status = 200, body = TargetOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_target(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, target)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<TargetIn>,
) -> Result<Json<TargetOut>, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let new = body.target()?;
    let t = state
        .store()
        .update_target(&actor, tenant, state.clock().now(), target, &new)
        .await?;
    Ok(Json(t.into()))
}

/// Deletes a target no clock was started from (tenant administrators).
#[utoipa::path(delete, path = "/tenants/{id}/sla-targets/{target_id}", tag = "sla",
    params(("id" = i64, Path), ("target_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_target(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, target)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    state
        .store()
        .delete_target(&actor, tenant, state.clock().now(), target)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which ticket to preview.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PreviewQuery {
    /// `P1` … `P4`.
    priority: Option<String>,
    /// A target id; default: the SLA target for the priority (and service),
    /// or the tenant's first target when neither is given.
    target: Option<i64>,
    /// The service of the ticket.
    service: Option<String>,
}

/// When a ticket opened now would be due.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewOut {
    target_id: i64,
    target: String,
    /// `P1` … `P4`.
    priority: String,
    /// Now.
    opened_at: String,
    /// When it must be owned, if the target measures it.
    own_due: Option<String>,
    /// When it must be resolved.
    resolve_due: Option<String>,
}

/// "A P2 opened now would be due at …": the deadlines of a ticket opened
/// now against a target of the tenant.
#[utoipa::path(get, path = "/tenants/{id}/sla/preview", tag = "sla", params(("id" = i64, Path), PreviewQuery),
    responses((status = 200, body = PreviewOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn preview(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> Result<Json<PreviewOut>, ApiError> {
    let tenant = readable(&actor, id)?;
    let ask = PreviewAsk {
        target: q.target,
        priority: q.priority,
        service: q.service,
    };
    let p = preview::preview(state.store(), tenant, state.clock().now(), &ask)
        .await
        .map_err(|e| match e {
            PreviewError::Refused(r) => ApiError::from(r),
            PreviewError::Store(e) => ApiError::from(e),
            PreviewError::Calendar(e) => ApiError::internal(e),
        })?;
    Ok(Json(PreviewOut {
        target_id: p.target_id,
        target: p.target,
        priority: vigie_core::sla::priority_label(p.priority).to_owned(),
        opened_at: p.opened_at.to_string(),
        own_due: p.own_due.map(|d| d.to_string()),
        resolve_due: p.resolve_due.map(|d| d.to_string()),
    }))
}
