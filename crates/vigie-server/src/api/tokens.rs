//! `/api/v1/tokens`: API tokens, listed and revoked by their owner or an
//! administrator of the owner.

use super::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;
use crate::auth::{ApiActor, new_api_token};
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::{TokenId, UserId};
use vigie_core::role::Permission;
use vigie_core::validate;
use vigie_store::{NewToken, TokenRecord};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// A token, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    id: i64,
    user_id: i64,
    name: String,
    /// The first characters of the secret.
    prefix: String,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

impl From<TokenRecord> for TokenOut {
    fn from(t: TokenRecord) -> Self {
        TokenOut {
            id: t.id.0,
            user_id: t.user_id.0,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at.to_string(),
            last_used_at: t.last_used_at.map(|x| x.to_string()),
            revoked_at: t.revoked_at.map(|x| x.to_string()),
        }
    }
}

/// A new token: the secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    token: TokenOut,
    /// The secret to send as `Authorization: Bearer …`. Not shown again.
    secret: String,
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    /// What the token is for.
    name: String,
    /// Whose token (default: the caller's own). Administrators only.
    user_id: Option<i64>,
}

/// Filters of the token list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// Only this user's tokens.
    user_id: Option<i64>,
}

/// Lists the caller's tokens and those of the users he administers.
#[utoipa::path(get, path = "/tokens", tag = "tokens", params(TokenQuery),
    responses((status = 200, body = Vec<TokenOut>), (status = 401, body = Problem)))]
async fn list_tokens(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> Result<Json<Vec<TokenOut>>, ApiError> {
    let manage = actor.scope(Permission::ManageDirectory);
    let tokens = state
        .store()
        .list_tokens(&actor, &manage, q.user_id.map(UserId))
        .await?;
    Ok(Json(tokens.into_iter().map(TokenOut::from).collect()))
}

/// Creates a token; its secret is in the answer and nowhere else.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = TokenIn,
    responses((status = 201, body = CreatedToken), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_token(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<TokenIn>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let manage = actor.scope(Permission::ManageDirectory);
    let secret = new_api_token();
    let new = NewToken {
        user_id: body.user_id.map(UserId).unwrap_or(actor.user),
        name: validate::name("name", &body.name, 100)?,
        prefix: secret.prefix,
        secret_hash: secret.hash,
    };
    let token = state
        .store()
        .create_token(&actor, &manage, state.clock().now(), &new)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: token.into(),
            secret: secret.secret,
        }),
    ))
}

/// Revokes a token; it authenticates nothing afterwards.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn revoke_token(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let manage = actor.scope(Permission::ManageDirectory);
    state
        .store()
        .revoke_token(&actor, &manage, state.clock().now(), TokenId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
