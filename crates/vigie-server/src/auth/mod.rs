//! Authentication: API bearer tokens, web sessions with CSRF tokens, and the
//! login procedure with its throttling.

mod bearer;
mod login;
mod secrets;
mod session;

pub use bearer::ApiActor;
pub use login::{LoginError, login};
pub use secrets::{
    HashError, INTEGRATION_KEY_PREFIX, NewTokenSecret, TOKEN_PREFIX, hash_password, new_api_token,
    new_integration_key, random_secret, sha256_hex, verify_password,
};
pub use session::{CSRF_COOKIE, SESSION_COOKIE, WebSession, cookie_value, set_cookie};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use std::net::SocketAddr;

/// The client's address as seen by this server, for throttling and logs.
pub fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}
