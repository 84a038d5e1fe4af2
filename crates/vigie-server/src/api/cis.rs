//! `/api/v1/cis`: configuration items. Anyone who may read the CMDB of an
//! entity reads its items; agents, their leads and administrators change
//! them. Relations, impact, import and export are in [`graph`].

use super::audit::AuditOut;
use super::{ApiJson, ApiPath, ApiQuery, PageParams, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::cmdb::{CiStatus, CiType, Criticality};
use vigie_core::ids::{CiId, EntityId, GroupId};
use vigie_core::role::Permission;
use vigie_core::validate;
use vigie_store::{CiChanges, CiFilter, NewCi};

mod graph;
mod wire;
pub(crate) use wire::parse as parse_field;
pub use wire::{CiIn, CiOut, CiPage, CiPatch, CiQuery, ImpactIn, RelationIn, RelationOut};
use wire::{attributes, criticality, identifiers, parse, status};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cis, create_ci))
        .routes(routes!(get_ci, update_ci))
        .routes(routes!(retire_ci))
        .routes(routes!(ci_history))
        .merge(graph::routes())
}

/// Lists the configuration items the caller may read, by id.
#[utoipa::path(get, path = "/cis", tag = "cmdb", params(CiQuery),
    responses((status = 200, body = CiPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
async fn list_cis(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CiQuery>,
) -> Result<Json<CiPage>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewCmdb)?;
    let within = match q.within {
        Some(id) => Some(state.store().get_entity(&scope, EntityId(id)).await?.path),
        None => None,
    };
    let filter = CiFilter {
        ci_type: q
            .ci_type
            .as_deref()
            .map(|v| parse::<CiType>("type", v))
            .transpose()?,
        status: status(q.status.as_deref())?,
        criticality: criticality(q.criticality.as_deref())?,
        within,
        q: q.q.clone(),
    };
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .request()?;
    let page = state.store().list_cis(&scope, &filter, page).await?;
    Ok(Json(CiPage::from_page(page, CiOut::from)))
}

/// Reads an item.
#[utoipa::path(get, path = "/cis/{id}", tag = "cmdb", params(("id" = i64, Path)),
    responses((status = 200, body = CiOut), (status = 404, body = Problem)))]
async fn get_ci(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CiOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewCmdb)?;
    Ok(Json(state.store().get_ci(&scope, CiId(id)).await?.into()))
}

/// Creates an item in an entity.
#[utoipa::path(post, path = "/cis", tag = "cmdb", request_body = CiIn,
    responses((status = 201, body = CiOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_ci(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<CiIn>,
) -> Result<(StatusCode, Json<CiOut>), ApiError> {
    // Scope first: someone who cannot write there learns nothing from the
    // validation of his request.
    let scope = scope_for(&actor, Permission::ManageCmdb)?;
    let entity = state
        .store()
        .get_entity(&scope, EntityId(body.entity_id))
        .await?;
    let ci_type: CiType = parse("type", &body.ci_type)?;
    let new = NewCi {
        ci_type,
        name: validate::name("name", &body.name, 200)?,
        status: status(body.status.as_deref())?.unwrap_or(CiStatus::InService),
        criticality: criticality(body.criticality.as_deref())?.unwrap_or(Criticality::Medium),
        owner_group_id: body.owner_group_id.map(GroupId),
        attributes: attributes(ci_type, body.attributes.as_ref())?,
        identifiers: identifiers(&body.identifiers)?,
    };
    if let Some(g) = new.owner_group_id {
        state.store().get_group(&actor.reach(), g).await?;
    }
    let ci = state
        .store()
        .create_ci(&actor, &entity, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(ci.into())))
}

/// Changes an item's fields.
#[utoipa::path(patch, path = "/cis/{id}", tag = "cmdb", params(("id" = i64, Path)), request_body = CiPatch,
    responses((status = 200, body = CiOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_ci(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CiPatch>,
) -> Result<Json<CiOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageCmdb)?;
    let before = state.store().get_ci(&scope, CiId(id)).await?;
    if let Some(Some(g)) = body.owner_group_id {
        state.store().get_group(&actor.reach(), GroupId(g)).await?;
    }
    let changes = CiChanges {
        name: body
            .name
            .as_deref()
            .map(|v| validate::name("name", v, 200))
            .transpose()?,
        status: status(body.status.as_deref())?,
        criticality: criticality(body.criticality.as_deref())?,
        owner_group_id: body.owner_group_id.map(|g| g.map(GroupId)),
        attributes: body
            .attributes
            .as_ref()
            .map(|a| attributes(before.ci_type, Some(a)))
            .transpose()?,
        identifiers: body.identifiers.as_deref().map(identifiers).transpose()?,
    };
    let ci = state
        .store()
        .update_ci(&actor, &scope, state.clock().now(), before.id, &changes)
        .await?;
    Ok(Json(ci.into()))
}

/// Retires an item: it stays for history, out of impact analyses.
#[utoipa::path(post, path = "/cis/{id}/retire", tag = "cmdb", params(("id" = i64, Path)),
    responses((status = 200, body = CiOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn retire_ci(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CiOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageCmdb)?;
    let changes = CiChanges {
        status: Some(CiStatus::Retired),
        ..Default::default()
    };
    let ci = state
        .store()
        .update_ci(&actor, &scope, state.clock().now(), CiId(id), &changes)
        .await?;
    Ok(Json(ci.into()))
}

/// Every change of the item and of its outgoing relations, oldest first.
#[utoipa::path(get, path = "/cis/{id}/history", tag = "cmdb", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AuditOut>), (status = 404, body = Problem)))]
async fn ci_history(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AuditOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewCmdb)?;
    let ci = state.store().get_ci(&scope, CiId(id)).await?;
    let lines = state.store().ci_history(&ci).await?;
    Ok(Json(lines.into_iter().map(AuditOut::from).collect()))
}
