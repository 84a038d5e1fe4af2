//! `/api/v1/tenants/{id}/change-…`: what a tenant's change management is
//! set up with: its CAB and ECAB (members and quorum), freeze periods,
//! change windows and standard-change templates. Those who read changes
//! read these; change managers and tenant administrators change them.

use crate::AppState;
use crate::api::categories::readable;
use crate::api::instants::instant;
use crate::api::{ApiJson, ApiPath};
use crate::auth::ApiActor;
use crate::changes::settings;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::change::approval::BoardKind;
use vigie_core::ids::{FreezeId, GroupId, TenantId, UserId};
use vigie_core::role::Permission;
use vigie_core::tenancy::{Actor, EntityPath, Scope};
use vigie_store::{BoardRecord, FreezeRecord, TemplateRecord};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_board, put_board))
        .routes(routes!(list_freezes, create_freeze))
        .routes(routes!(delete_freeze))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_templates, create_template))
}

/// The tenant `id` if the actor holds `permission` at its root.
async fn tenant_with(
    state: &AppState,
    actor: &Actor,
    id: i64,
    permission: Permission,
) -> Result<TenantId, ApiError> {
    let tenant = readable(actor, id)?;
    let record = state.store().get_tenant(&Scope::Platform, tenant).await?;
    let root = record
        .root_entity_id
        .map(EntityPath::root)
        .ok_or_else(ApiError::not_found)?;
    if actor.can(permission, tenant, &root)
        || (permission == Permission::ViewChanges && actor.can_anywhere(permission))
    {
        Ok(tenant)
    } else {
        Err(crate::api::forbidden(permission))
    }
}

/// A board.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardOut {
    /// `cab` or `ecab`.
    board: String,
    /// Approvals needed.
    quorum: i64,
    /// Members named one by one.
    user_ids: Vec<i64>,
    /// Groups whose members sit on the board.
    group_ids: Vec<i64>,
    /// Everyone who may vote.
    member_ids: Vec<i64>,
}

impl From<BoardRecord> for BoardOut {
    fn from(b: BoardRecord) -> Self {
        BoardOut {
            board: b.kind.to_string(),
            quorum: b.quorum,
            user_ids: b.users.iter().map(|u| u.0).collect(),
            group_ids: b.groups.iter().map(|g| g.0).collect(),
            member_ids: b.members.iter().map(|u| u.0).collect(),
        }
    }
}

/// A board to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardIn {
    /// Approvals needed (1 to the number of members).
    quorum: i64,
    /// Members named one by one.
    #[serde(default)]
    user_ids: Vec<i64>,
    /// Groups whose members sit on the board.
    #[serde(default)]
    group_ids: Vec<i64>,
}

fn board_kind(text: &str) -> Result<BoardKind, ApiError> {
    crate::api::cis::parse_field("board", text)
}

/// Reads a board (404 until it is set up).
#[utoipa::path(get, path = "/tenants/{id}/change-boards/{board}", tag = "changes",
    params(("id" = i64, Path), ("board" = String, Path, description = "`cab` or `ecab`")),
    responses((status = 200, body = BoardOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_board(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, board)): ApiPath<(i64, String)>,
) -> Result<Json<BoardOut>, ApiError> {
    let tenant = tenant_with(&state, &actor, id, Permission::ViewChanges).await?;
    let kind = board_kind(&board)?;
    let b = state
        .store()
        .change_board(tenant, kind)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(b.into()))
}

/// Sets a board's members and quorum. A quorum of zero, or above the
/// number of members (group members counted), is refused.
#[utoipa::path(put, path = "/tenants/{id}/change-boards/{board}", tag = "changes",
    params(("id" = i64, Path), ("board" = String, Path, description = "`cab` or `ecab`")), request_body = BoardIn,
    responses((status = 200, body = BoardOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_board(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, board)): ApiPath<(i64, String)>,
    ApiJson(body): ApiJson<BoardIn>,
) -> Result<Json<BoardOut>, ApiError> {
    let tenant = tenant_with(&state, &actor, id, Permission::ManageChanges).await?;
    let kind = board_kind(&board)?;
    let written = settings::set_board(
        &state,
        &actor,
        tenant,
        kind,
        body.quorum,
        body.user_ids.iter().copied().map(UserId).collect(),
        body.group_ids.iter().copied().map(GroupId).collect(),
    )
    .await?;
    Ok(Json(written.into()))
}

/// A freeze period.
#[derive(Debug, Serialize, ToSchema)]
pub struct FreezeOut {
    id: i64,
    name: String,
    reason: String,
    starts_at: String,
    ends_at: String,
}

impl From<FreezeRecord> for FreezeOut {
    fn from(f: FreezeRecord) -> Self {
        FreezeOut {
            id: f.id.0,
            name: f.name,
            reason: f.reason,
            starts_at: f.starts_at.to_string(),
            ends_at: f.ends_at.to_string(),
        }
    }
}

/// A freeze to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeIn {
    /// Its name, such as "year-end".
    name: String,
    /// Why nothing is changed then.
    #[serde(default)]
    reason: String,
    /// RFC 3339.
    starts_at: String,
    /// RFC 3339, after `starts_at`.
    ends_at: String,
}

/// The freezes that have not ended, by start.
#[utoipa::path(get, path = "/tenants/{id}/change-freezes", tag = "changes", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<FreezeOut>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_freezes(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<FreezeOut>>, ApiError> {
    let tenant = tenant_with(&state, &actor, id, Permission::ViewChanges).await?;
    let list = state
        .store()
        .list_freezes(tenant, state.clock().now())
        .await?;
    Ok(Json(list.into_iter().map(FreezeOut::from).collect()))
}

/// Creates a freeze period. An end not after the start is refused.
#[utoipa::path(post, path = "/tenants/{id}/change-freezes", tag = "changes", params(("id" = i64, Path)), request_body = FreezeIn,
    responses((status = 201, body = FreezeOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_freeze(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<FreezeIn>,
) -> Result<(StatusCode, Json<FreezeOut>), ApiError> {
    let tenant = tenant_with(&state, &actor, id, Permission::ManageChanges).await?;
    let new = settings::freeze(
        &body.name,
        &body.reason,
        instant("starts_at", &body.starts_at)?,
        instant("ends_at", &body.ends_at)?,
    )?;
    let f = state
        .store()
        .create_freeze(&actor, tenant, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(f.into())))
}

/// Deletes a freeze period.
#[utoipa::path(delete, path = "/tenants/{id}/change-freezes/{freeze_id}", tag = "changes",
    params(("id" = i64, Path), ("freeze_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_freeze(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, freeze)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let tenant = tenant_with(&state, &actor, id, Permission::ManageChanges).await?;
    state
        .store()
        .delete_freeze(&actor, tenant, state.clock().now(), FreezeId(freeze))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The change windows: a business calendar of the tenant whose open hours
/// are when changes may run, or the default (19:00–06:00 on working days
/// and the whole weekend) in a time zone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSettingsIo {
    /// A calendar of the tenant, or null for the default windows.
    window_calendar_id: Option<i64>,
    /// The time zone of the default windows (IANA), e.g. `Europe/Paris`.
    time_zone: String,
}

/// Reads the change windows setting.
#[utoipa::path(get, path = "/tenants/{id}/change-settings", tag = "changes", params(("id" = i64, Path)),
    responses((status = 200, body = ChangeSettingsIo), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ChangeSettingsIo>, ApiError> {
    let tenant = tenant_with(&state, &actor, id, Permission::ViewChanges).await?;
    let (calendar, zone) = state.store().change_settings(tenant).await?;
    Ok(Json(ChangeSettingsIo {
        window_calendar_id: calendar,
        time_zone: zone.unwrap_or_else(|| vigie_core::calendar::DEFAULT_TIME_ZONE.to_owned()),
    }))
}

/// Sets the change windows. An unknown time zone or a calendar of
/// another tenant is refused.
#[utoipa::path(put, path = "/tenants/{id}/change-settings", tag = "changes", params(("id" = i64, Path)), request_body = ChangeSettingsIo,
    responses((status = 200, body = ChangeSettingsIo), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ChangeSettingsIo>,
) -> Result<Json<ChangeSettingsIo>, ApiError> {
    let tenant = tenant_with(&state, &actor, id, Permission::ManageChanges).await?;
    let zone = settings::set_windows(
        &state,
        &actor,
        tenant,
        body.window_calendar_id,
        &body.time_zone,
    )
    .await?;
    Ok(Json(ChangeSettingsIo {
        window_calendar_id: body.window_calendar_id,
        time_zone: zone,
    }))
}

/// A standard-change template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateOut {
    id: i64,
    name: String,
    description: String,
    implementation_plan: String,
    backout_plan: String,
    checklist: Vec<String>,
}

impl From<TemplateRecord> for TemplateOut {
    fn from(t: TemplateRecord) -> Self {
        TemplateOut {
            id: t.id.0,
            name: t.name,
            description: t.description,
            implementation_plan: t.implementation_plan,
            backout_plan: t.backout_plan,
            checklist: t.checklist,
        }
    }
}

/// A template to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateIn {
    name: String,
    #[serde(default)]
    description: String,
    implementation_plan: String,
    backout_plan: String,
    #[serde(default)]
    checklist: Vec<String>,
}

/// The tenant's standard-change templates, by name.
#[utoipa::path(get, path = "/tenants/{id}/change-templates", tag = "changes", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TemplateOut>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_templates(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<TemplateOut>>, ApiError> {
    let tenant = tenant_with(&state, &actor, id, Permission::ViewChanges).await?;
    let list = state.store().list_change_templates(tenant).await?;
    Ok(Json(list.into_iter().map(TemplateOut::from).collect()))
}

/// Creates a template of pre-approved changes. Both plans are required.
#[utoipa::path(post, path = "/tenants/{id}/change-templates", tag = "changes", params(("id" = i64, Path)), request_body = TemplateIn,
    responses((status = 201, body = TemplateOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_template(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TemplateIn>,
) -> Result<(StatusCode, Json<TemplateOut>), ApiError> {
    let tenant = tenant_with(&state, &actor, id, Permission::ManageChanges).await?;
    let new = settings::template(
        &body.name,
        &body.description,
        &body.implementation_plan,
        &body.backout_plan,
        &body.checklist,
    )?;
    let t = state
        .store()
        .create_change_template(&actor, tenant, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}
