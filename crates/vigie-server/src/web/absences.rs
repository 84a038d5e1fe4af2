//! Absences on the profile page (one's own) and on the admin user page (for
//! the administrators of that user): those not ended, a form to record one
//! (times typed in Europe/Paris) and a delete button per absence. The same
//! checks as the API: the core's [`absence::check`], then the store's.

use super::common::{
    Choice, EntityChoice, FormError, PageResult, explain, frame, manage_frame, parse_id, see_other,
    with_status,
};
use super::layout::Layout;
use crate::AppState;
use crate::auth::WebSession;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::Deserialize;
use vigie_core::Timestamp;
use vigie_core::ids::UserId;
use vigie_core::role::Permission;
use vigie_core::tenancy::Scope;
use vigie_core::ticket::absence::{self, Absence, AbsenceError, AbsenceKind};
use vigie_store::{PageRequest, StoreError, UserFilter, UserRecord};

/// The routes of the absence forms.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/profile/absences", post(create_own))
        .route("/profile/absences/{absence}/delete", post(delete_own))
        .route("/admin/users/{id}/absences", post(create_for))
        .route(
            "/admin/users/{id}/absences/{absence}/delete",
            post(delete_for),
        )
}

/// Europe/Paris, without needing a time zone database.
fn paris() -> TimeZone {
    TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap_or(TimeZone::UTC)
}

/// A time of a `datetime-local` input, in Europe/Paris.
fn local_time(value: &str) -> Option<Timestamp> {
    let dt = value.trim().parse::<DateTime>().ok()?;
    paris().to_ambiguous_timestamp(dt).compatible().ok()
}

/// A time as shown, in Europe/Paris.
fn shown(t: Timestamp) -> String {
    t.to_zoned(paris()).strftime("%Y-%m-%d %H:%M").to_string()
}

/// One absence as listed.
pub(super) struct AbsenceLine {
    pub id: i64,
    pub kind: String,
    pub starts: String,
    pub ends: String,
    pub backup: String,
}

/// The absences section of a page.
pub(super) struct AbsencesView {
    /// Where its forms post: `/profile/absences` or
    /// `/admin/users/{id}/absences`.
    pub action: String,
    /// The section's title: "My absences", or "Absences" on a user page.
    pub title: String,
    pub items: Vec<AbsenceLine>,
    pub kinds: Vec<Choice>,
    pub backups: Vec<EntityChoice>,
    pub error: Option<String>,
}

/// The section for `user`, whose absences the reader may change.
pub(super) async fn view_of(
    state: &AppState,
    session: &WebSession,
    l: &Layout,
    user: &UserRecord,
    action: String,
    error: Option<String>,
) -> Result<AbsencesView, StoreError> {
    let filter = UserFilter {
        active: Some(true),
        ..Default::default()
    };
    let view = session.actor.scope(Permission::ViewDirectory);
    let mut backups: Vec<EntityChoice> = state
        .store()
        .list_users(&view, &filter, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .filter(|u| u.tenant_id == user.tenant_id && u.id != user.id)
        .map(|u| EntityChoice {
            id: u.id.0,
            label: format!("{} ({})", u.display_name, u.login),
        })
        .collect();
    backups.sort_by_cached_key(|b| b.label.to_lowercase());
    let mut items = Vec::new();
    for r in state
        .store()
        .list_absences(user.id, state.clock().now())
        .await?
    {
        let backup = match r.absence.backup {
            Some(b) => match backups.iter().find(|c| c.id == b.0) {
                Some(c) => c.label.clone(),
                None => match state.store().get_user(&Scope::Platform, b).await {
                    Ok(u) if u.tenant_id == user.tenant_id => u.display_name,
                    Ok(_) | Err(StoreError::NotFound) => format!("#{b}"),
                    Err(e) => return Err(e),
                },
            },
            None => String::new(),
        };
        items.push(AbsenceLine {
            id: r.id,
            kind: l.t(&format!("absence-kind-{}", r.absence.kind)),
            starts: shown(r.absence.starts_at),
            ends: shown(r.absence.ends_at),
            backup,
        });
    }
    let kinds = AbsenceKind::ALL
        .iter()
        .map(|k| Choice::keyed(l, &k.to_string(), &format!("absence-kind-{k}")))
        .collect();
    let title = l.t(if user.id == session.actor.user {
        "absences-title"
    } else {
        "absences-of-user"
    });
    Ok(AbsencesView {
        action,
        title,
        items,
        kinds,
        backups,
        error,
    })
}

/// The absence form's fields.
#[derive(Deserialize)]
pub(super) struct AbsenceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
    #[serde(default)]
    backup: String,
}

/// The delete button's field.
#[derive(Deserialize)]
pub(super) struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

/// Why an absence was refused.
enum Refused {
    Form(FormError),
    Worded(String),
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        Refused::Form(FormError::Store(e))
    }
}

/// Records an absence of `user` after the core's check.
async fn record(
    state: &AppState,
    session: &WebSession,
    l: &Layout,
    user: &UserRecord,
    form: &AbsenceForm,
) -> Result<(), Refused> {
    let kind = form
        .kind
        .parse::<AbsenceKind>()
        .map_err(|_| Refused::Worded(l.t("absence-bad-kind")))?;
    let starts_at =
        local_time(&form.starts).ok_or_else(|| Refused::Worded(l.t("absence-bad-start")))?;
    let ends_at = local_time(&form.ends).ok_or_else(|| Refused::Worded(l.t("absence-bad-end")))?;
    let new = Absence {
        user: user.id,
        kind,
        starts_at,
        ends_at,
        backup: parse_id(&form.backup).map(UserId),
    };
    absence::check(&new).map_err(|e| {
        Refused::Worded(l.t(match e {
            AbsenceError::Reversed => "absence-reversed",
            AbsenceError::TooLong => "absence-too-long",
            AbsenceError::SelfBackup => "absence-self-backup",
        }))
    })?;
    state
        .store()
        .create_absence(&session.actor, state.clock().now(), user, &new)
        .await?;
    Ok(())
}

/// The refusal's status and words, or the error page.
#[allow(
    clippy::result_large_err,
    reason = "the error is the page to answer with, returned once per request"
)]
fn words(l: &Layout, r: Refused) -> Result<(StatusCode, String), axum::response::Response> {
    match r {
        Refused::Form(e) => explain(l, e),
        Refused::Worded(m) => Ok((StatusCode::UNPROCESSABLE_ENTITY, m)),
    }
}

/// Back to the profile, or the profile again with the refusal.
async fn own_outcome(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    result: Result<(), Refused>,
) -> PageResult {
    match result {
        Ok(()) => Ok(see_other("/profile#absences")),
        Err(r) => {
            let (status, message) = words(&l, r)?;
            let page =
                super::profile::show(state, session, l, Some(("absence", message)), false, None)
                    .await?;
            Ok(with_status(page, status))
        }
    }
}

async fn create_own(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<AbsenceForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "profile-title", "/profile").await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let result = async {
        let user = state
            .store()
            .get_user(&Scope::Platform, session.actor.user)
            .await?;
        record(&state, &session, &l, &user, &form).await
    }
    .await;
    own_outcome(&state, &session, l, result).await
}

async fn delete_own(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<DeleteForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "profile-title", "/profile").await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let result = async {
        let id = parse_id(&raw).ok_or(StoreError::NotFound)?;
        let user = state
            .store()
            .get_user(&Scope::Platform, session.actor.user)
            .await?;
        state
            .store()
            .delete_absence(&session.actor, state.clock().now(), &user, id)
            .await?;
        Ok(())
    }
    .await;
    own_outcome(&state, &session, l, result).await
}

/// The user an administrator changes the absences of.
async fn managed(
    state: &AppState,
    session: &WebSession,
    id: UserId,
) -> Result<UserRecord, StoreError> {
    state
        .store()
        .get_user(&session.actor.scope(Permission::ManageDirectory), id)
        .await
}

/// Back to the user page, or the page again with the refusal.
async fn admin_outcome(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    id: UserId,
    result: Result<(), Refused>,
) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}#absences"))),
        Err(r) => {
            let (status, message) = words(&l, r)?;
            let page =
                super::user_page::show(state, session, l, id, Some(message), Default::default())
                    .await?;
            Ok(with_status(page, status))
        }
    }
}

async fn create_for(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<AbsenceForm>,
) -> PageResult {
    let l = manage_frame(
        &state,
        &session,
        &headers,
        "users-title",
        "/admin/users",
        &form.csrf,
    )
    .await?;
    let id = super::user_page::user_id(&l, &raw)?;
    let result = async {
        let user = managed(&state, &session, id).await?;
        record(&state, &session, &l, &user, &form).await
    }
    .await;
    admin_outcome(&state, &session, l, id, result).await
}

async fn delete_for(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path((raw, raw_absence)): Path<(String, String)>,
    Form(form): Form<DeleteForm>,
) -> PageResult {
    let l = manage_frame(
        &state,
        &session,
        &headers,
        "users-title",
        "/admin/users",
        &form.csrf,
    )
    .await?;
    let id = super::user_page::user_id(&l, &raw)?;
    let result = async {
        let absence = parse_id(&raw_absence).ok_or(StoreError::NotFound)?;
        let user = managed(&state, &session, id).await?;
        state
            .store()
            .delete_absence(&session.actor, state.clock().now(), &user, absence)
            .await?;
        Ok(())
    }
    .await;
    admin_outcome(&state, &session, l, id, result).await
}
