//! Web sessions: a random cookie whose SHA-256 names a session row holding
//! the user and the CSRF token every form must carry.

use crate::AppState;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{COOKIE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use vigie_core::ids::EntityId;
use vigie_core::tenancy::Actor;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "vigie_session";
/// The cookie that carries the login form's CSRF token before a session exists.
pub const CSRF_COOKIE: &str = "vigie_login_csrf";

/// A logged-in browser.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// Who.
    pub actor: Actor,
    /// The session row's key (hash of the cookie).
    pub id_hash: String,
    /// The token forms must echo.
    pub csrf_token: String,
    /// The entity chosen in the entity switcher.
    pub current_entity: Option<EntityId>,
    /// The user's language preference, if any.
    pub locale: Option<String>,
}

/// Reads a cookie from the request headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when configured;
/// `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Where to go when the browser has no session: the login page.
#[derive(Debug)]
pub struct LoginRedirect;

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response()
    }
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let cookie = cookie_value(&parts.headers, SESSION_COOKIE)
            .ok_or_else(|| LoginRedirect.into_response())?;
        let id_hash = super::sha256_hex(&cookie);
        let now = state.clock().now();
        let failed = |e: vigie_store::StoreError| crate::error::ApiError::from(e).into_response();
        let session = state
            .store()
            .get_session(&id_hash, now)
            .await
            .map_err(failed)?
            .ok_or_else(|| LoginRedirect.into_response())?;
        let actor = state
            .store()
            .load_actor(session.user_id)
            .await
            .map_err(failed)?
            .ok_or_else(|| LoginRedirect.into_response())?;
        let locale = state
            .store()
            .get_user(&vigie_core::tenancy::Scope::Platform, actor.user)
            .await
            .map_err(failed)?
            .locale;
        Ok(WebSession {
            actor,
            id_hash,
            csrf_token: session.csrf_token,
            current_entity: session.current_entity_id,
            locale,
        })
    }
}

impl OptionalFromRequestParts<AppState> for WebSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <WebSession as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}
