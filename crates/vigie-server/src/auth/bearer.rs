//! The API's authentication: `Authorization: Bearer TOKEN`.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use vigie_core::tenancy::Actor;

/// The actor behind a valid, unrevoked API token of an active user.
#[derive(Debug, Clone)]
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("send an API token as `Authorization: Bearer TOKEN`")
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer TOKEN`")
            })?;
        let now = state.clock().now();
        let user = state
            .store()
            .authenticate_token(&super::sha256_hex(token), now)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the token is unknown or revoked"))?;
        let actor = state
            .store()
            .load_actor(user)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the token's user is disabled"))?;
        Ok(ApiActor(actor))
    }
}
