//! `/api/v1/tenants/{id}/categories` and `/api/v1/tenants/{id}/ticket-settings`:
//! how a tenant's service desk is set up. Everyone in the tenant reads them;
//! changing them needs the permission on the tenant's root entity.

use super::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::{CategoryId, TenantId};
use vigie_core::role::Permission;
use vigie_core::tenancy::{Actor, EntityPath, Scope};
use vigie_core::ticket::priority::{Priority, PriorityMatrix};
use vigie_core::validate;
use vigie_store::{CategoryInput, CategoryRecord, TicketSettings};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category))
        .routes(routes!(get_settings, put_settings))
}

/// A ticket category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryOut {
    id: i64,
    parent_id: Option<i64>,
    name: String,
    /// `incident`, `request` or `both`.
    applies_to: String,
    active: bool,
}

impl From<CategoryRecord> for CategoryOut {
    fn from(c: CategoryRecord) -> Self {
        CategoryOut {
            id: c.id.0,
            parent_id: c.parent_id.map(|p| p.0),
            name: c.name,
            applies_to: c.applies_to,
            active: c.active,
        }
    }
}

/// A category to create, or its new values.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryIn {
    parent_id: Option<i64>,
    name: String,
    /// `incident`, `request` or `both` (default).
    applies_to: Option<String>,
    /// Default `true`.
    active: Option<bool>,
}

impl CategoryIn {
    fn input(&self) -> Result<CategoryInput, ApiError> {
        let applies_to = self.applies_to.as_deref().unwrap_or("both");
        if !["incident", "request", "both"].contains(&applies_to) {
            return Err(ApiError::invalid(
                "applies_to",
                "`applies_to` must be `incident`, `request` or `both`",
            ));
        }
        Ok(CategoryInput {
            parent_id: self.parent_id.map(CategoryId),
            name: validate::name("name", &self.name, 200)?,
            applies_to: applies_to.to_owned(),
            active: self.active.unwrap_or(true),
        })
    }
}

/// The service desk settings of the caller's tenant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsIo {
    /// Priorities by impact (rows) and urgency (columns), both in the order
    /// `critique`, `haut`, `moyen`, `bas`.
    matrix: Vec<Vec<String>>,
    /// How long after resolution a ticket may be reopened, in hours (1–8760).
    reopen_hours: i64,
}

impl From<TicketSettings> for SettingsIo {
    fn from(s: TicketSettings) -> Self {
        SettingsIo {
            matrix: s
                .matrix
                .cells
                .iter()
                .map(|row| row.iter().map(|p| p.to_string()).collect())
                .collect(),
            reopen_hours: s.reopen_hours,
        }
    }
}

impl SettingsIo {
    fn settings(&self) -> Result<TicketSettings, ApiError> {
        let bad = || ApiError::invalid("matrix", "`matrix` must have 4 rows of 4 priorities");
        if self.matrix.len() != 4 || self.matrix.iter().any(|r| r.len() != 4) {
            return Err(bad());
        }
        let mut matrix = PriorityMatrix::default();
        for (i, row) in self.matrix.iter().enumerate() {
            for (u, cell) in row.iter().enumerate() {
                matrix.cells[i][u] = cell
                    .parse::<Priority>()
                    .map_err(|e| ApiError::invalid("matrix", e.to_string()))?;
            }
        }
        matrix
            .validate()
            .map_err(|e| ApiError::invalid("matrix", e.to_string()))?;
        if !(1..=8760).contains(&self.reopen_hours) {
            return Err(ApiError::invalid(
                "reopen_hours",
                "`reopen_hours` must be between 1 and 8760",
            ));
        }
        Ok(TicketSettings {
            matrix,
            reopen_hours: self.reopen_hours,
        })
    }
}

/// The tenant `id` if the actor belongs to it (or administers the platform).
fn readable(actor: &Actor, id: i64) -> Result<TenantId, ApiError> {
    if actor.platform_admin || actor.tenant.0 == id {
        Ok(TenantId(id))
    } else {
        Err(ApiError::not_found())
    }
}

/// The tenant `id` if the actor may change its service desk settings.
async fn manageable(state: &AppState, actor: &Actor, id: i64) -> Result<TenantId, ApiError> {
    let tenant = readable(actor, id)?;
    let record = state.store().get_tenant(&Scope::Platform, tenant).await?;
    let root = record
        .root_entity_id
        .map(EntityPath::root)
        .ok_or_else(ApiError::not_found)?;
    if actor.can(Permission::ManageTicketSettings, tenant, &root) {
        Ok(tenant)
    } else {
        Err(ApiError::forbidden(
            "only the tenant's administrators change its service desk settings",
        ))
    }
}

/// Lists the categories of a tenant.
#[utoipa::path(get, path = "/tenants/{id}/categories", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CategoryOut>), (status = 404, body = Problem)))]
async fn list_categories(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<CategoryOut>>, ApiError> {
    let list = state.store().list_categories(readable(&actor, id)?).await?;
    Ok(Json(list.into_iter().map(CategoryOut::from).collect()))
}

/// Creates a category (tenant administrators).
#[utoipa::path(post, path = "/tenants/{id}/categories", tag = "tickets", params(("id" = i64, Path)), request_body = CategoryIn,
    responses((status = 201, body = CategoryOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_category(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CategoryIn>,
) -> Result<(StatusCode, Json<CategoryOut>), ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let c = state
        .store()
        .create_category(&actor, tenant, state.clock().now(), &body.input()?)
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Changes a category (tenant administrators); every field is replaced.
#[utoipa::path(patch, path = "/tenants/{id}/categories/{category_id}", tag = "tickets",
    params(("id" = i64, Path), ("category_id" = i64, Path)), request_body = CategoryIn,
    responses((status = 200, body = CategoryOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_category(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, category)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<CategoryIn>,
) -> Result<Json<CategoryOut>, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let c = state
        .store()
        .update_category(
            &actor,
            tenant,
            state.clock().now(),
            CategoryId(category),
            &body.input()?,
        )
        .await?;
    Ok(Json(c.into()))
}

/// The priority matrix and reopen delay of a tenant.
#[utoipa::path(get, path = "/tenants/{id}/ticket-settings", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = SettingsIo), (status = 404, body = Problem)))]
async fn get_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SettingsIo>, ApiError> {
    Ok(Json(
        state
            .store()
            .ticket_settings(readable(&actor, id)?)
            .await?
            .into(),
    ))
}

/// Replaces the priority matrix and reopen delay (tenant administrators).
/// A matrix where a higher impact or urgency gives a lower priority is refused.
#[utoipa::path(put, path = "/tenants/{id}/ticket-settings", tag = "tickets", params(("id" = i64, Path)), request_body = SettingsIo,
    responses((status = 200, body = SettingsIo), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SettingsIo>,
) -> Result<Json<SettingsIo>, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let settings = body.settings()?;
    let saved = state
        .store()
        .put_ticket_settings(&actor, tenant, state.clock().now(), &settings)
        .await?;
    Ok(Json(saved.into()))
}
