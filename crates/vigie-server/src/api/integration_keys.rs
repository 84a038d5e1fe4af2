//! `/api/v1/integration-keys`: the keys monitoring tools send their events
//! with. A key belongs to an entity (where its incidents open); those who
//! configure event management there (`ManageEvents`) list, create and
//! revoke it. The secret is shown once, in the creation's answer.

use super::{ApiJson, ApiPath, scope_for};
use crate::AppState;
use crate::auth::{ApiActor, new_integration_key};
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::{EntityId, IntegrationKeyId};
use vigie_core::role::Permission;
use vigie_core::validate;
use vigie_store::{IntegrationKeyRecord, NewIntegrationKey};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(revoke_key))
}

/// An integration key, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationKeyOut {
    id: i64,
    /// The entity where its incidents open.
    entity_id: i64,
    /// The tool it is for.
    source: String,
    /// The first characters of the secret.
    prefix: String,
    created_at: String,
    /// Last time an event came with it (to the minute).
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

impl From<IntegrationKeyRecord> for IntegrationKeyOut {
    fn from(k: IntegrationKeyRecord) -> Self {
        IntegrationKeyOut {
            id: k.id.0,
            entity_id: k.entity_id.0,
            source: k.source,
            prefix: k.prefix,
            created_at: k.created_at.to_string(),
            last_used_at: k.last_used_at.map(|t| t.to_string()),
            revoked_at: k.revoked_at.map(|t| t.to_string()),
        }
    }
}

/// A new key: the secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedIntegrationKey {
    #[serde(flatten)]
    key: IntegrationKeyOut,
    /// The key to configure in the tool (PagerDuty's `routing_key`, or
    /// `Authorization: Bearer …`). Not shown again.
    secret: String,
}

/// A key to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationKeyIn {
    /// The entity where its incidents open.
    entity_id: i64,
    /// The tool it is for: 1 to 64 of `a-z`, `0-9`, `-`, `_`.
    source: String,
}

/// Lists the keys of the entities where the caller configures event
/// management, newest first.
#[utoipa::path(get, path = "/integration-keys", tag = "events",
    responses((status = 200, body = Vec<IntegrationKeyOut>), (status = 403, body = Problem)))]
async fn list_keys(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<IntegrationKeyOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageEvents)?;
    let keys = state.store().list_integration_keys(&scope).await?;
    Ok(Json(
        keys.into_iter().map(IntegrationKeyOut::from).collect(),
    ))
}

/// Creates a key for an entity; its secret is in the answer and nowhere
/// else.
#[utoipa::path(post, path = "/integration-keys", tag = "events", request_body = IntegrationKeyIn,
    responses((status = 201, body = CreatedIntegrationKey), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_key(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<IntegrationKeyIn>,
) -> Result<(StatusCode, Json<CreatedIntegrationKey>), ApiError> {
    // Scope first: someone who cannot configure there learns nothing from
    // the validation of his request.
    let scope = scope_for(&actor, Permission::ManageEvents)?;
    let entity = state
        .store()
        .get_entity(&scope, EntityId(body.entity_id))
        .await?;
    let source = validate::source_name(&body.source)?;
    let secret = new_integration_key();
    let new = NewIntegrationKey {
        entity_id: entity.id,
        source,
        prefix: secret.prefix,
        secret_hash: secret.hash,
    };
    let key = state
        .store()
        .create_integration_key(&actor, &scope, state.clock().now(), &new)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedIntegrationKey {
            key: key.into(),
            secret: secret.secret,
        }),
    ))
}

/// Revokes a key: events sent with it are refused afterwards. Revoking
/// twice is harmless.
#[utoipa::path(post, path = "/integration-keys/{id}/revoke", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = IntegrationKeyOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn revoke_key(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<IntegrationKeyOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageEvents)?;
    let key = state
        .store()
        .revoke_integration_key(&actor, &scope, state.clock().now(), IntegrationKeyId(id))
        .await?;
    Ok(Json(key.into()))
}
