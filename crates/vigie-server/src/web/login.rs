//! The login and logout pages.

use super::{Layout, render};
use crate::AppState;
use crate::auth::{
    self, CSRF_COOKIE, LoginError, SESSION_COOKIE, WebSession, cookie_value, set_cookie,
};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    login: String,
    error: Option<String>,
}

/// The login form's fields.
#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// Shows the login form, with a fresh CSRF cookie when there is none.
pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Option<WebSession>,
) -> Response {
    if session.is_some() {
        return (StatusCode::SEE_OTHER, [(LOCATION, "/")]).into_response();
    }
    let (csrf, cookie) = match cookie_value(&headers, CSRF_COOKIE).filter(|c| c.len() >= 32) {
        Some(c) => (c, None),
        None => {
            let c = auth::random_secret();
            let header = set_cookie(CSRF_COOKIE, &c, 3600, state.config().cookie_secure);
            (c, Some(header))
        }
    };
    let page = LoginPage {
        l: Layout::anonymous(&headers, "login-title", csrf),
        login: String::new(),
        error: None,
    };
    let mut res = render(&page);
    if let Some(c) = cookie.and_then(|c| c.parse().ok()) {
        res.headers_mut().insert(SET_COOKIE, c);
    }
    res
}

/// Checks the form's CSRF token and the credentials; opens a session.
pub(crate) async fn submit(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<LoginForm>,
) -> Response {
    let headers = &parts.headers;
    let csrf = cookie_value(headers, CSRF_COOKIE).unwrap_or_default();
    let layout = Layout::anonymous(headers, "login-title", csrf.clone());
    let again = |status: StatusCode, error: String| {
        let page = LoginPage {
            l: layout.clone(),
            login: form.login.clone(),
            error: Some(error),
        };
        (status, render(&page)).into_response()
    };
    if csrf.is_empty() || !super::constant_time_eq(csrf.as_bytes(), form.csrf.as_bytes()) {
        return again(StatusCode::FORBIDDEN, layout.t("login-csrf"));
    }
    let address = auth::client_address(&parts);
    match auth::login(&state, &form.login, &form.password, &address).await {
        Ok(secret) => {
            let max_age = state.config().session_hours * 3600;
            let secure = state.config().cookie_secure;
            let mut res = (StatusCode::SEE_OTHER, [(LOCATION, "/")]).into_response();
            for c in [
                set_cookie(SESSION_COOKIE, &secret, max_age, secure),
                set_cookie(CSRF_COOKIE, "", 0, secure),
            ] {
                if let Ok(v) = c.parse() {
                    res.headers_mut().append(SET_COOKIE, v);
                }
            }
            res
        }
        Err(LoginError::BadCredentials) => {
            again(StatusCode::UNAUTHORIZED, layout.t("login-bad-credentials"))
        }
        Err(LoginError::Throttled(secs)) => {
            let minutes = secs.div_ceil(60).to_string();
            let mut res = again(
                StatusCode::TOO_MANY_REQUESTS,
                layout.lang.t1("login-throttled", "minutes", minutes),
            );
            if let Ok(v) = secs.to_string().parse() {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            res
        }
        Err(LoginError::Store(e)) => crate::error::ApiError::from(e).into_response(),
    }
}

/// The logout form's fields.
#[derive(Deserialize)]
pub(crate) struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Ends the session.
pub(crate) async fn logout(
    State(state): State<AppState>,
    session: WebSession,
    Form(form): Form<LogoutForm>,
) -> Response {
    if !super::constant_time_eq(form.csrf.as_bytes(), session.csrf_token.as_bytes()) {
        return (StatusCode::FORBIDDEN, "CSRF").into_response();
    }
    if let Err(e) = state.store().delete_session(&session.id_hash).await {
        return crate::error::ApiError::from(e).into_response();
    }
    let cookie = set_cookie(SESSION_COOKIE, "", 0, state.config().cookie_secure);
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, "/login".to_owned()), (SET_COOKIE, cookie)],
    )
        .into_response()
}
