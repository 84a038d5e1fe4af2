//! The login procedure: throttle, verify, open a session.

use crate::AppState;
use jiff::SignedDuration;
use vigie_core::auth::{LoginThrottle, MAX_PASSWORD_BYTES};
use vigie_store::ThrottleKey;

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown login, wrong password or disabled account: never said apart.
    #[error("wrong login or password")]
    BadCredentials,
    /// Too many failures recently; retry after this many seconds.
    #[error("too many failed attempts; retry in {0} s")]
    Throttled(u64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] vigie_store::StoreError),
}

/// Checks the credentials and opens a session. Returns the session cookie's
/// value (the secret: only its hash is stored).
pub async fn login(
    state: &AppState,
    login: &str,
    password: &str,
    address: &str,
) -> Result<String, LoginError> {
    let store = state.store();
    let now = state.clock().now();
    let throttle = LoginThrottle::default();
    let login = login.trim().to_lowercase();
    let since = now - throttle.window;
    // Failures count per login and, with a larger allowance, per address.
    let by_login = store
        .recent_login_failures(&ThrottleKey::Login(login.clone()), since)
        .await?;
    let by_address = store
        .recent_login_failures(&ThrottleKey::Address(address.to_owned()), since)
        .await?;
    let per_address = LoginThrottle {
        max_failures: throttle.max_failures * 4,
        ..throttle
    };
    if let Err(wait) = throttle
        .check(&by_login, now)
        .and_then(|()| per_address.check(&by_address, now))
    {
        return Err(LoginError::Throttled(seconds(wait)));
    }
    let found = if password.len() > MAX_PASSWORD_BYTES {
        None
    } else {
        store.find_user_by_login(&login).await?
    };
    let ok = match &found {
        Some((user, Some(hash))) if user.active => super::verify_password(password, hash),
        _ => {
            super::secrets::verify_dummy(password);
            false
        }
    };
    store.record_login_attempt(&login, address, now, ok).await?;
    let Some((user, _)) = found.filter(|_| ok) else {
        return Err(LoginError::BadCredentials);
    };
    let secret = super::random_secret();
    let csrf = super::random_secret();
    let expires = now + SignedDuration::from_hours(state.config().session_hours);
    store
        .create_session(&super::sha256_hex(&secret), user.id, &csrf, now, expires)
        .await?;
    Ok(secret)
}

fn seconds(d: SignedDuration) -> u64 {
    u64::try_from(d.as_secs()).unwrap_or(1).max(1)
}
