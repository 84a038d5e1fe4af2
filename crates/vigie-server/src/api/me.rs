//! `/api/v1/me`: who the caller is and what he may do.

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::tenancy::Scope;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

/// A role held on an entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyGrant {
    entity_id: i64,
    role: String,
    recursive: bool,
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    user_id: i64,
    login: String,
    display_name: String,
    tenant_id: i64,
    tenant_slug: String,
    platform_admin: bool,
    locale: Option<String>,
    roles: Vec<MyGrant>,
}

/// Tells who the token belongs to, his tenant and his roles.
#[utoipa::path(get, path = "/me", tag = "me", responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Me>, ApiError> {
    let user = state.store().get_user(&Scope::Platform, actor.user).await?;
    let tenant = state
        .store()
        .get_tenant(&Scope::Platform, actor.tenant)
        .await?;
    Ok(Json(Me {
        user_id: user.id.0,
        login: user.login,
        display_name: user.display_name,
        tenant_id: tenant.id.0,
        tenant_slug: tenant.slug,
        platform_admin: actor.platform_admin,
        locale: user.locale,
        roles: actor
            .grants
            .iter()
            .map(|g| MyGrant {
                entity_id: g.entity.0,
                role: g.role.to_string(),
                recursive: g.recursive,
            })
            .collect(),
    }))
}
