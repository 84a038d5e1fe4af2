//! `/api/v1/environments`, `/data-refreshes` and `/environment-resets`:
//! the environment items with their kind, rank and hours; requests to copy
//! data between them; their yearly resets. Environments are configuration
//! items, so they follow their entity's scope: those who read releases
//! there read them; change managers and administrators set their hours,
//! decide refreshes and plan resets; agents and their leads ask for
//! refreshes. Refusals of the rules (upwards, hours wider than production's,
//! notice, season, once a year) are 422 naming the field, with what would
//! be allowed.

use super::releases_wire::{
    DataRefreshIn, DataRefreshOut, EnvironmentOut, EnvironmentResetIn, EnvironmentResetOut,
    HoursIn, ResetSeasonIn, date_field,
};
use super::{ApiJson, ApiPath, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem, ProblemKind};
use crate::releases::{kind_of, plan_reset, request_refresh, set_hours};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::environment::refresh::{RefreshAction, check, transition};
use vigie_core::environment::reset::{ResetRuleError, Season};
use vigie_core::ids::{CiId, DataRefreshId};
use vigie_core::role::Permission;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::validate;
use vigie_store::DataRefreshRecord;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_environments))
        .routes(routes!(get_environment))
        .routes(routes!(put_hours))
        .routes(routes!(put_reset_season))
        .routes(routes!(list_refreshes, create_refresh))
        .routes(routes!(get_refresh))
        .routes(routes!(approve_refresh))
        .routes(routes!(refresh_done))
        .routes(routes!(refuse_refresh))
        .routes(routes!(list_resets, create_reset))
}

/// The environments the caller may read (not retired), by name.
#[utoipa::path(get, path = "/environments", tag = "releases",
    responses((status = 200, body = Vec<EnvironmentOut>), (status = 403, body = Problem)))]
async fn list_environments(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<EnvironmentOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewReleases)?;
    let list = state.store().list_environments(&scope).await?;
    Ok(Json(list.into_iter().map(EnvironmentOut::from).collect()))
}

/// Reads an environment (a configuration item of type `environment`).
#[utoipa::path(get, path = "/environments/{id}", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = EnvironmentOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_environment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<EnvironmentOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewReleases)?;
    Ok(Json(
        state
            .store()
            .get_environment(&scope, CiId(id))
            .await?
            .into(),
    ))
}

/// Sets an environment's opening hours to a calendar of the tenant. Hours
/// open at an instant when production is closed (over the coming year) are
/// refused with 422 naming the first day and segment; production's hours
/// must be set first (409).
#[utoipa::path(put, path = "/environments/{id}/hours", tag = "releases", params(("id" = i64, Path)), request_body = HoursIn,
    responses((status = 200, body = EnvironmentOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn put_hours(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<HoursIn>,
) -> Result<Json<EnvironmentOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageReleases)?;
    let env = state.store().get_environment(&scope, CiId(id)).await?;
    Ok(Json(
        set_hours(&state, &actor, &env, body.calendar_id)
            .await?
            .into(),
    ))
}

/// Gives an environment its own reset season (months), or takes it away
/// (both null) so that the tenant's applies.
#[utoipa::path(put, path = "/environments/{id}/reset-season", tag = "releases", params(("id" = i64, Path)), request_body = ResetSeasonIn,
    responses((status = 200, body = EnvironmentOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_reset_season(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ResetSeasonIn>,
) -> Result<Json<EnvironmentOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageReleases)?;
    let env = state.store().get_environment(&scope, CiId(id)).await?;
    let season = match (body.first_month, body.last_month) {
        (None, None) => None,
        (Some(first), Some(last)) => {
            let season = Season::new(first, last).map_err(|e| {
                let field = match e {
                    ResetRuleError::Month { field, .. } => field.replace("season_", ""),
                    _ => "first_month".to_owned(),
                };
                ApiError::invalid(&field, e.to_string())
            })?;
            Some((
                i64::from(season.first_month()),
                i64::from(season.last_month()),
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::invalid(
                "first_month",
                "give both months, or neither to use the tenant's season",
            ));
        }
        (Some(_), None) => {
            return Err(ApiError::invalid(
                "last_month",
                "give both months, or neither to use the tenant's season",
            ));
        }
    };
    let after = state
        .store()
        .set_environment_settings(&actor, state.clock().now(), &env, env.calendar_id, season)
        .await?;
    Ok(Json(after.into()))
}

/// The data refresh requests the caller may read, newest first.
#[utoipa::path(get, path = "/data-refreshes", tag = "releases",
    responses((status = 200, body = Vec<DataRefreshOut>), (status = 403, body = Problem)))]
async fn list_refreshes(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<DataRefreshOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewReleases)?;
    let list = state.store().list_data_refreshes(&scope).await?;
    Ok(Json(list.into_iter().map(DataRefreshOut::from).collect()))
}

/// Reads a data refresh request.
#[utoipa::path(get, path = "/data-refreshes/{id}", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = DataRefreshOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_refresh(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DataRefreshOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewReleases)?;
    Ok(Json(
        state
            .store()
            .get_data_refresh(&scope, DataRefreshId(id))
            .await?
            .into(),
    ))
}

/// Asks for a data refresh. Only downwards (production → qualification,
/// acceptance, development…; qualification → development); an upward or
/// sideways request is refused with 422 saying why and which targets (and
/// sources) would be allowed. From production the data is anonymised.
#[utoipa::path(post, path = "/data-refreshes", tag = "releases", request_body = DataRefreshIn,
    responses((status = 201, body = DataRefreshOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_refresh(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<DataRefreshIn>,
) -> Result<(StatusCode, Json<DataRefreshOut>), ApiError> {
    let scope = scope_for(&actor, Permission::RequestDataRefresh)?;
    let source = state
        .store()
        .get_environment(&scope, CiId(body.source_environment_id))
        .await?;
    let target = state
        .store()
        .get_environment(&scope, CiId(body.target_environment_id))
        .await?;
    let requested_for = date_field("requested_for", &body.requested_for)?;
    let note = match body.note.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => validate::name("note", n, 2000)?,
        _ => String::new(),
    };
    let created = request_refresh(
        &state,
        &actor,
        &source,
        &target,
        requested_for,
        body.anonymise,
        note,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

async fn decide(
    state: &AppState,
    actor: &Actor,
    id: i64,
    action: RefreshAction,
) -> Result<Json<DataRefreshOut>, ApiError> {
    let scope = scope_for(actor, Permission::ManageReleases)?;
    let before = state
        .store()
        .get_data_refresh(&scope, DataRefreshId(id))
        .await?;
    let status = transition(before.status, action)
        .map_err(|e| ApiError::new(ProblemKind::Conflict, e.to_string()))?;
    if action == RefreshAction::Approve {
        recheck_direction(state, &before).await?;
    }
    Ok(Json(
        state
            .store()
            .move_data_refresh(actor, state.clock().now(), &before, status, None)
            .await?
            .into(),
    ))
}

/// Decides the direction again at approval: an item's kind may have
/// changed since the request (the environments are read tenant-wide, as
/// the rule is the tenant's, whatever the approver's scope).
async fn recheck_direction(state: &AppState, r: &DataRefreshRecord) -> Result<(), ApiError> {
    let mut kinds = Vec::with_capacity(2);
    for id in [r.source_id, r.target_id] {
        let env = state.store().get_environment(&Scope::Platform, id).await?;
        if env.tenant_id != r.tenant_id {
            return Err(ApiError::not_found());
        }
        kinds.push(kind_of(&env, "id")?);
    }
    check(kinds[0], kinds[1], Some(r.anonymise)).map_err(|e| {
        ApiError::new(
            ProblemKind::Conflict,
            format!("the environments changed since the request: {e}"),
        )
    })?;
    Ok(())
}

/// Approves a requested refresh; the direction is checked again.
#[utoipa::path(post, path = "/data-refreshes/{id}/approve", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = DataRefreshOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn approve_refresh(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DataRefreshOut>, ApiError> {
    decide(&state, &actor, id, RefreshAction::Approve).await
}

/// Records that an approved refresh was carried out.
#[utoipa::path(post, path = "/data-refreshes/{id}/done", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = DataRefreshOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn refresh_done(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DataRefreshOut>, ApiError> {
    decide(&state, &actor, id, RefreshAction::Done).await
}

/// Refuses a refresh that is requested or approved.
#[utoipa::path(post, path = "/data-refreshes/{id}/refuse", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = DataRefreshOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn refuse_refresh(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DataRefreshOut>, ApiError> {
    decide(&state, &actor, id, RefreshAction::Refuse).await
}

/// The planned resets the caller may read, by date.
#[utoipa::path(get, path = "/environment-resets", tag = "releases",
    responses((status = 200, body = Vec<EnvironmentResetOut>), (status = 403, body = Problem)))]
async fn list_resets(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<EnvironmentResetOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewReleases)?;
    let list = state.store().list_environment_resets(&scope).await?;
    Ok(Json(
        list.into_iter().map(EnvironmentResetOut::from).collect(),
    ))
}

/// Plans a yearly reset of an environment for a partner: in the season
/// (the environment's own, else the tenant's), with the notice required,
/// once a year per environment and partner. A refusal (422 naming
/// `planned_for`) gives the earliest date allowed.
#[utoipa::path(post, path = "/environment-resets", tag = "releases", request_body = EnvironmentResetIn,
    responses((status = 201, body = EnvironmentResetOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_reset(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<EnvironmentResetIn>,
) -> Result<(StatusCode, Json<EnvironmentResetOut>), ApiError> {
    let scope = scope_for(&actor, Permission::ManageReleases)?;
    let env = state
        .store()
        .get_environment(&scope, CiId(body.environment_id))
        .await?;
    let partner = validate::name("partner", &body.partner, 200)?;
    let planned_for = date_field("planned_for", &body.planned_for)?;
    let created = plan_reset(&state, &actor, &env, partner, planned_for).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}
