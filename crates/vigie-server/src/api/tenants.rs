//! `/api/v1/tenants`: customer organisations.

use super::page::page_type;
use super::{ApiJson, ApiPath, ApiQuery, PageParams};
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
use vigie_core::ids::TenantId;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::validate;
use vigie_store::{NewTenant, TenantChanges, TenantRecord};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tenants, create_tenant))
        .routes(routes!(get_tenant, update_tenant))
}

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantOut {
    id: i64,
    slug: String,
    name: String,
    /// `customer`, `provider`, `consortium` or `platform`.
    kind: String,
    root_entity_id: Option<i64>,
    created_at: String,
    updated_at: String,
}

impl From<TenantRecord> for TenantOut {
    fn from(t: TenantRecord) -> Self {
        TenantOut {
            id: t.id.0,
            slug: t.slug,
            name: t.name,
            kind: t.kind,
            root_entity_id: t.root_entity_id.map(|e| e.0),
            created_at: t.created_at.to_string(),
            updated_at: t.updated_at.to_string(),
        }
    }
}

page_type!(TenantPage, TenantOut);

/// A tenant to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantIn {
    slug: String,
    name: String,
    kind: Option<String>,
}

/// Changes to a tenant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    name: Option<String>,
    kind: Option<String>,
}

const KINDS: [&str; 4] = ["customer", "provider", "consortium", "platform"];

fn kind(k: &str) -> Result<String, ApiError> {
    if KINDS.contains(&k) {
        Ok(k.to_owned())
    } else {
        Err(ApiError::invalid(
            "kind",
            format!("`kind` must be one of {}", KINDS.join(", ")),
        ))
    }
}

fn tenant_scope(actor: &Actor) -> Scope {
    if actor.platform_admin {
        Scope::Platform
    } else {
        Scope::Tenant {
            tenant: actor.tenant,
            rules: Vec::new(),
        }
    }
}

/// Lists tenants: all of them for platform administrators, one's own otherwise.
#[utoipa::path(get, path = "/tenants", tag = "tenants", params(PageParams),
    responses((status = 200, body = TenantPage), (status = 400, body = Problem), (status = 401, body = Problem)))]
async fn list_tenants(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(page): ApiQuery<PageParams>,
) -> Result<Json<TenantPage>, ApiError> {
    let page = state
        .store()
        .list_tenants(&tenant_scope(&actor), page.request()?)
        .await?;
    Ok(Json(TenantPage::from_page(page, TenantOut::from)))
}

/// Reads a tenant.
#[utoipa::path(get, path = "/tenants/{id}", tag = "tenants", params(("id" = i64, Path)),
    responses((status = 200, body = TenantOut), (status = 404, body = Problem)))]
async fn get_tenant(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TenantOut>, ApiError> {
    let t = state
        .store()
        .get_tenant(&tenant_scope(&actor), TenantId(id))
        .await?;
    Ok(Json(t.into()))
}

/// Creates a tenant with its root entity (platform administrators).
#[utoipa::path(post, path = "/tenants", tag = "tenants", request_body = TenantIn,
    responses((status = 201, body = TenantOut), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_tenant(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<TenantIn>,
) -> Result<(StatusCode, Json<TenantOut>), ApiError> {
    if !actor.platform_admin {
        return Err(ApiError::forbidden(
            "only platform administrators create tenants",
        ));
    }
    let new = NewTenant {
        slug: validate::slug(&body.slug)?,
        name: validate::name("name", &body.name, 200)?,
        kind: kind(body.kind.as_deref().unwrap_or("customer"))?,
    };
    let t = state
        .store()
        .create_tenant(&actor, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// Renames a tenant or changes its kind (platform administrators).
#[utoipa::path(patch, path = "/tenants/{id}", tag = "tenants", params(("id" = i64, Path)), request_body = TenantPatch,
    responses((status = 200, body = TenantOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn update_tenant(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TenantPatch>,
) -> Result<Json<TenantOut>, ApiError> {
    if !actor.platform_admin {
        return Err(ApiError::forbidden(
            "only platform administrators change tenants",
        ));
    }
    let changes = TenantChanges {
        name: body
            .name
            .as_deref()
            .map(|n| validate::name("name", n, 200))
            .transpose()?,
        kind: body.kind.as_deref().map(kind).transpose()?,
    };
    let t = state
        .store()
        .update_tenant(&actor, state.clock().now(), TenantId(id), &changes)
        .await?;
    Ok(Json(t.into()))
}
