//! `/profile`: the user's own name, e-mail and language, the notification
//! mails he receives, and the change of his password (which ends his
//! sessions, this one included).

use super::common::{
    Choice, FormError, PageResult, explain, frame, locale_choices, parse_locale, see_other,
    store_page, with_status,
};
use super::users::new_password_hash;
use super::{Layout, check_csrf, render};
use crate::AppState;
use crate::auth::{WebSession, verify_password};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Deserialize;
use vigie_core::auth::{LoginThrottle, MAX_PASSWORD_BYTES};
use vigie_core::notification::NotificationKind;
use vigie_core::tenancy::Scope;
use vigie_core::validate;
use vigie_store::{ThrottleKey, UserChanges};

const HERE: &str = "/profile";

/// What password checks on this page are recorded under, in the log of
/// login attempts (they share the login's throttle).
const ATTEMPT_SOURCE: &str = "web-profile";

/// The routes of the profile page.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(view).post(save))
        .route("/profile/password", post(change_password))
        .route("/profile/notifications", post(save_notifications))
}

/// What the profile form holds.
pub(super) struct Draft {
    display_name: String,
    email: String,
    locale: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    l: Layout,
    error: Option<String>,
    /// Which form the error is about: `profile` or `password`.
    error_of: &'static str,
    saved: bool,
    login: String,
    locales: Vec<Choice>,
    draft: Draft,
    /// The user's absences.
    absences: Option<super::absences::AbsencesView>,
    /// Each kind of notification mail: its name, its label, whether on.
    notifications: Vec<(String, String, bool)>,
}

pub(super) async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    error: Option<(&'static str, String)>,
    saved: bool,
    draft: Option<Draft>,
) -> PageResult {
    let u = state
        .store()
        .get_user(&Scope::Platform, session.actor.user)
        .await
        .map_err(|e| store_page(&l, e))?;
    let draft = draft.unwrap_or(Draft {
        display_name: u.display_name.clone(),
        email: u.email.clone().unwrap_or_default(),
        locale: u.locale.clone().unwrap_or_default(),
    });
    let (error_of, error) = match error {
        Some((of, message)) => (of, Some(message)),
        None => ("", None),
    };
    let (error, absence_error) = if error_of == "absence" {
        (None, error)
    } else {
        (error, None)
    };
    let absences = super::absences::view_of(
        state,
        session,
        &l,
        &u,
        "/profile/absences".to_owned(),
        absence_error,
    )
    .await
    .map_err(|e| store_page(&l, e))?;
    let off = state
        .store()
        .notification_opt_outs(u.id)
        .await
        .map_err(|e| store_page(&l, e))?;
    let notifications = NotificationKind::ALL
        .iter()
        .map(|k| {
            let label = l.t(&format!("notification-{}", k.as_str().replace('_', "-")));
            (k.as_str().to_owned(), label, !off.contains(k))
        })
        .collect();
    Ok(render(&ProfilePage {
        notifications,
        locales: locale_choices(&l),
        l,
        error,
        error_of,
        saved,
        login: u.login,
        draft,
        absences: Some(absences),
    }))
}

/// Whether to say the last change was saved.
#[derive(Deserialize)]
pub(super) struct ViewQuery {
    #[serde(default)]
    saved: String,
}

async fn view(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(query): Query<ViewQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "profile-title", HERE).await?;
    show(&state, &session, l, None, !query.saved.is_empty(), None).await
}

/// The profile form's fields.
#[derive(Deserialize)]
pub(super) struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    locale: String,
}

async fn save(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<ProfileForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "profile-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let actor = &session.actor;
    let result = async {
        let changes = UserChanges {
            display_name: Some(validate::name("display_name", &form.display_name, 200)?),
            email: Some(validate::email(&form.email)?),
            locale: Some(parse_locale(&form.locale)?),
            ..Default::default()
        };
        // Everyone may change these fields of his own account.
        state
            .store()
            .update_user(
                actor,
                &Scope::Platform,
                state.clock().now(),
                actor.user,
                &changes,
            )
            .await?;
        Ok::<_, FormError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(see_other("/profile?saved=1")),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let draft = Draft {
                display_name: form.display_name.clone(),
                email: form.email.clone(),
                locale: form.locale.clone(),
            };
            let page = show(
                &state,
                &session,
                l,
                Some(("profile", message)),
                false,
                Some(draft),
            )
            .await?;
            Ok(with_status(page, status))
        }
    }
}

/// Saves which notification mails the user receives: the form lists the
/// kinds ticked (`on`), every other kind is turned off.
async fn save_notifications(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "profile-title", HERE).await?;
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    check_csrf(&session, &l, csrf)?;
    let on: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "on")
        .map(|(_, v)| v.as_str())
        .collect();
    let off: Vec<NotificationKind> = NotificationKind::ALL
        .iter()
        .copied()
        .filter(|k| !on.contains(&k.as_str()))
        .collect();
    let store = state.store();
    let user = store
        .get_user(&Scope::Platform, session.actor.user)
        .await
        .map_err(|e| store_page(&l, e))?;
    store
        .set_notification_opt_outs(&session.actor, &user, state.clock().now(), &off)
        .await
        .map_err(|e| store_page(&l, e))?;
    Ok(see_other("/profile?saved=1"))
}

/// The password form's fields.
#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// Checks the current password, under the login's throttle.
async fn check_current(state: &AppState, login: &str, password: &str) -> Result<(), FormError> {
    let store = state.store();
    let now = state.clock().now();
    let throttle = LoginThrottle::default();
    let failures = store
        .recent_login_failures(&ThrottleKey::Login(login.to_owned()), now - throttle.window)
        .await?;
    if throttle.check(&failures, now).is_err() {
        return Err(FormError::Refused("password-throttled"));
    }
    let ok = password.len() <= MAX_PASSWORD_BYTES
        && match store.find_user_by_login(login).await? {
            Some((_, Some(hash))) => verify_password(password, &hash),
            _ => false,
        };
    store
        .record_login_attempt(login, ATTEMPT_SOURCE, now, ok)
        .await?;
    if ok {
        Ok(())
    } else {
        Err(FormError::Refused("password-wrong-current"))
    }
}

async fn change_password(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "profile-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let actor = &session.actor;
    let result = async {
        if form.new != form.confirm {
            return Err(FormError::Refused("password-mismatch"));
        }
        vigie_core::auth::check_password_policy(&form.new)?;
        check_current(&state, &actor.login, &form.current).await?;
        let hash = new_password_hash(&form.new)?;
        let changes = UserChanges {
            password_hash: Some(hash),
            ..Default::default()
        };
        state
            .store()
            .update_user(
                actor,
                &Scope::Platform,
                state.clock().now(),
                actor.user,
                &changes,
            )
            .await?;
        Ok(())
    }
    .await;
    match result {
        // A new password ends every session: log in again with it.
        Ok(()) => Ok(see_other("/login")),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = show(
                &state,
                &session,
                l,
                Some(("password", message)),
                false,
                None,
            )
            .await?;
            Ok(with_status(page, status))
        }
    }
}
