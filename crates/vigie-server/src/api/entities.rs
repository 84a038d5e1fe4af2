//! `/api/v1/entities`: the entity tree.

use super::page::page_type;
use super::{ApiJson, ApiPath, ApiQuery, PageParams, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::EntityId;
use vigie_core::role::Permission;
use vigie_core::validate;
use vigie_store::{EntityChanges, EntityRecord, NewEntity};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_entities, create_entity))
        .routes(routes!(get_entity, update_entity, delete_entity))
}

/// An entity of the tree.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntityOut {
    id: i64,
    tenant_id: i64,
    parent_id: Option<i64>,
    /// Materialised path of ids from the root, e.g. `/1/4/9/`.
    path: String,
    name: String,
    /// `group`, `region`, `site`, `establishment` or `department`.
    kind: String,
    created_at: String,
    updated_at: String,
}

impl From<EntityRecord> for EntityOut {
    fn from(e: EntityRecord) -> Self {
        EntityOut {
            id: e.id.0,
            tenant_id: e.tenant_id.0,
            parent_id: e.parent_id.map(|p| p.0),
            path: e.path.as_str().to_owned(),
            name: e.name,
            kind: e.kind,
            created_at: e.created_at.to_string(),
            updated_at: e.updated_at.to_string(),
        }
    }
}

page_type!(EntityPage, EntityOut);

/// An entity to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityIn {
    parent_id: i64,
    name: String,
    kind: String,
}

/// Changes to an entity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityPatch {
    name: Option<String>,
    kind: Option<String>,
}

/// Filters of the entity list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityFilter {
    /// Only this entity and its descendants.
    within: Option<i64>,
    /// How many items (1–200, default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The kinds of entity.
pub const ENTITY_KINDS: [&str; 5] = ["group", "region", "site", "establishment", "department"];

pub(crate) fn entity_kind(k: &str) -> Result<String, ApiError> {
    if ENTITY_KINDS.contains(&k) {
        Ok(k.to_owned())
    } else {
        Err(ApiError::invalid(
            "kind",
            format!("`kind` must be one of {}", ENTITY_KINDS.join(", ")),
        ))
    }
}

/// Lists the entities the caller may see.
#[utoipa::path(get, path = "/entities", tag = "entities", params(EntityFilter),
    responses((status = 200, body = EntityPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
async fn list_entities(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(filter): ApiQuery<EntityFilter>,
) -> Result<Json<EntityPage>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewDirectory)?;
    let within = match filter.within {
        Some(id) => Some(state.store().get_entity(&scope, EntityId(id)).await?.path),
        None => None,
    };
    let page = state
        .store()
        .list_entities(
            &scope,
            within.as_ref(),
            PageParams {
                limit: filter.limit,
                cursor: filter.cursor,
            }
            .request()?,
        )
        .await?;
    Ok(Json(EntityPage::from_page(page, EntityOut::from)))
}

/// Reads an entity.
#[utoipa::path(get, path = "/entities/{id}", tag = "entities", params(("id" = i64, Path)),
    responses((status = 200, body = EntityOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_entity(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<EntityOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewDirectory)?;
    Ok(Json(
        state.store().get_entity(&scope, EntityId(id)).await?.into(),
    ))
}

/// Creates an entity under a parent (tenant administrators).
#[utoipa::path(post, path = "/entities", tag = "entities", request_body = EntityIn,
    responses((status = 201, body = EntityOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_entity(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<EntityIn>,
) -> Result<(StatusCode, Json<EntityOut>), ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    let new = NewEntity {
        parent_id: EntityId(body.parent_id),
        name: validate::name("name", &body.name, 200)?,
        kind: entity_kind(&body.kind)?,
    };
    let e = state
        .store()
        .create_entity(&actor, &scope, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

/// Renames or retypes an entity (tenant administrators).
#[utoipa::path(patch, path = "/entities/{id}", tag = "entities", params(("id" = i64, Path)), request_body = EntityPatch,
    responses((status = 200, body = EntityOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn update_entity(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EntityPatch>,
) -> Result<Json<EntityOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    let changes = EntityChanges {
        name: body
            .name
            .as_deref()
            .map(|n| validate::name("name", n, 200))
            .transpose()?,
        kind: body.kind.as_deref().map(entity_kind).transpose()?,
    };
    let e = state
        .store()
        .update_entity(&actor, &scope, state.clock().now(), EntityId(id), &changes)
        .await?;
    Ok(Json(e.into()))
}

/// Deletes an empty entity (tenant administrators).
#[utoipa::path(delete, path = "/entities/{id}", tag = "entities", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_entity(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    state
        .store()
        .delete_entity(&actor, &scope, state.clock().now(), EntityId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
