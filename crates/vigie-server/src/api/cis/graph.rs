//! `/api/v1/cis/{id}/relations`, `/api/v1/cis/{id}/impact`,
//! `/api/v1/impact`, `/api/v1/cis/import` and `/api/v1/cis/export`: the
//! graph of items, what a failure takes down, and files in and out.

use super::wire::{ExportQuery, ImportQuery, parse};
use super::{ImpactIn, RelationIn, RelationOut};
use crate::AppState;
use crate::api::{ApiJson, ApiPath, ApiQuery, scope_for};
use crate::auth::ApiActor;
use crate::cmdb::{self, ImpactReport, ImportReport, file};
use crate::error::{ApiError, Problem, ProblemKind};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::cmdb::RelationType;
use vigie_core::ids::{CiId, CiRelationId, EntityId};
use vigie_core::role::Permission;
use vigie_store::{CiFilter, NewRelation};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_relations, add_relation))
        .routes(routes!(delete_relation))
        .routes(routes!(ci_impact))
        .routes(routes!(impact))
        .routes(routes!(import_cis))
        .routes(routes!(export_cis))
}

/// Lists the relations of an item whose other end the caller may read.
#[utoipa::path(get, path = "/cis/{id}/relations", tag = "cmdb", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RelationOut>), (status = 404, body = Problem)))]
async fn list_relations(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<RelationOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewCmdb)?;
    let relations = state.store().list_ci_relations(&scope, CiId(id)).await?;
    Ok(Json(relations.into_iter().map(RelationOut::from).collect()))
}

/// Adds a relation from the item to `to_id`. The types must fit (a rack is
/// located in a room, not the reverse) and `located_in`, `part_of`,
/// `runs_on` and `hosted_by` must stay free of cycles.
#[utoipa::path(post, path = "/cis/{id}/relations", tag = "cmdb", params(("id" = i64, Path)), request_body = RelationIn,
    responses((status = 201, body = RelationOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_relation(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RelationIn>,
) -> Result<(StatusCode, Json<RelationOut>), ApiError> {
    let scope = scope_for(&actor, Permission::ManageCmdb)?;
    let from = state.store().get_ci(&scope, CiId(id)).await?;
    let relation: RelationType = parse("type", &body.relation)?;
    let redundancy = match body.redundancy_group.as_deref().map(str::trim) {
        Some(g) if !g.is_empty() => Some((
            vigie_core::validate::name("redundancy_group", g, 64)?,
            body.redundancy_needs.unwrap_or(1).max(1),
        )),
        _ => None,
    };
    let new = NewRelation {
        from: from.id,
        to: CiId(body.to_id),
        relation,
        redundancy,
    };
    let r = state
        .store()
        .add_ci_relation(&actor, &scope, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// Deletes a relation of the item.
#[utoipa::path(delete, path = "/cis/{id}/relations/{relation_id}", tag = "cmdb",
    params(("id" = i64, Path), ("relation_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_relation(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, relation_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let scope = scope_for(&actor, Permission::ManageCmdb)?;
    state
        .store()
        .delete_ci_relation(
            &actor,
            &scope,
            state.clock().now(),
            CiId(id),
            CiRelationId(relation_id),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What this item's failure would take down or degrade.
#[utoipa::path(get, path = "/cis/{id}/impact", tag = "cmdb", params(("id" = i64, Path)),
    responses((status = 200, body = ImpactReport), (status = 404, body = Problem)))]
async fn ci_impact(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ImpactReport>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewCmdb)?;
    Ok(Json(
        cmdb::impact(state.store(), &scope, &[CiId(id)]).await?,
    ))
}

/// What the failure of these items takes down or degrades, redundancy
/// counted, and which customers and agreements it touches.
#[utoipa::path(post, path = "/impact", tag = "cmdb", request_body = ImpactIn,
    responses((status = 200, body = ImpactReport), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn impact(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<ImpactIn>,
) -> Result<Json<ImpactReport>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewCmdb)?;
    if body.failing.is_empty() || body.failing.len() > 100 {
        return Err(ApiError::invalid("failing", "name 1 to 100 failing items"));
    }
    let failing: Vec<CiId> = body.failing.iter().copied().map(CiId).collect();
    Ok(Json(cmdb::impact(state.store(), &scope, &failing).await?))
}

/// Imports items and relations from a CSV (`text/csv`) or JSON
/// (`application/json`) file into an entity. With `dry_run=true` (the
/// default) nothing is written: the answer previews what each line would
/// create, update or merge, with the conflicts to decide and the refused
/// lines. Otherwise the file goes in whole, or not at all: a file with a
/// refused line answers 422 with the same report.
#[utoipa::path(post, path = "/cis/import", tag = "cmdb", params(ImportQuery),
    request_body(description = "JSON, or the CSV format as `text/csv`",
        content((file::CmdbFile = "application/json"), (String = "text/csv"))),
    responses((status = 200, body = ImportReport), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 415, body = Problem), (status = 422, body = ImportReport)))]
async fn import_cis(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let scope = scope_for(&actor, Permission::ManageCmdb)?;
    let entity = state
        .store()
        .get_entity(&scope, EntityId(q.entity_id))
        .await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let parsed = if content_type.starts_with("application/json") {
        file::parse_json(&body)
    } else if content_type.starts_with("text/csv") {
        file::parse_csv(&body)
    } else {
        return Err(ApiError::new(
            ProblemKind::UnsupportedMediaType,
            "send the file as text/csv or application/json",
        ));
    };
    let dry_run = q.dry_run.unwrap_or(true);
    let job = cmdb::ImportJob {
        actor: &actor,
        scope: &scope,
        entity: &entity,
        now: state.clock().now(),
    };
    let report = cmdb::import(state.store(), &job, parsed, dry_run, &|_| {}).await?;
    let status = if !dry_run && !report.applied {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)).into_response())
}

/// Exports the items the caller may read, and the relations between them,
/// in the import formats (CSV by default).
#[utoipa::path(get, path = "/cis/export", tag = "cmdb", params(ExportQuery),
    responses((status = 200, description = "The file",
        content((String = "text/csv"), (file::CmdbFile = "application/json"))),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn export_cis(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let scope = scope_for(&actor, Permission::ViewCmdb)?;
    let within = match q.within {
        Some(id) => Some(state.store().get_entity(&scope, EntityId(id)).await?.path),
        None => None,
    };
    let filter = CiFilter {
        within,
        ..Default::default()
    };
    let exported = cmdb::export(state.store(), &scope, &filter).await?;
    let (body, content_type, name) = match q.format.as_deref().unwrap_or("csv") {
        "csv" => (
            file::write_csv(&exported).map_err(ApiError::internal)?,
            "text/csv; charset=utf-8",
            "cmdb.csv",
        ),
        "json" => (
            serde_json::to_vec_pretty(&exported).map_err(ApiError::internal)?,
            "application/json",
            "cmdb.json",
        ),
        _ => return Err(ApiError::bad_request("`format` is `csv` or `json`")),
    };
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
