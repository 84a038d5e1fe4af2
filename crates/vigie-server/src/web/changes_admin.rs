//! `/admin/changes`: what the tenant's change management is set up with,
//! for whoever holds `ManageChanges` on its root entity (change managers,
//! tenant administrators): the change windows (a business calendar of the
//! tenant, or the default 19:00–06:00 in a time zone), the CAB and the
//! ECAB (members one by one or by support group, and the quorum), the
//! freeze periods (added, deleted) and the templates of standard changes.
//! Every value goes through the checks the API uses
//! ([`crate::changes::settings`]).

use super::changes::{local, zone_of};
use super::common::{
    CsrfForm, FormError, PageResult, explain, forbidden, frame, not_found, parse_id, see_other,
    store_page, with_status,
};
use super::{Layout, check_csrf, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::changes::settings::{self, SettingsError};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::collections::HashMap;
use vigie_core::Timestamp;
use vigie_core::change::approval::BoardKind;
use vigie_core::ids::{FreezeId, GroupId, TenantId, UserId};
use vigie_core::role::Permission;
use vigie_store::{PageRequest, StoreError, UserFilter};

/// The path of the page, and its navigation section.
pub(super) const HERE: &str = "/admin/changes";

/// Users and groups offered by the boards' selects.
const PEOPLE_OFFERED: u32 = 500;

/// The routes of the page.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(view))
        .route("/admin/changes/windows", post(set_windows))
        .route("/admin/changes/boards/{board}", post(set_board))
        .route("/admin/changes/freezes", post(create_freeze))
        .route("/admin/changes/freezes/{id}/delete", post(delete_freeze))
        .route("/admin/changes/templates", post(create_template))
}

/// Whether the navigation offers the page: the actor manages changes on
/// the root of his tenant (checked again, exactly, by the page).
pub(super) fn may_manage(actor: &vigie_core::tenancy::Actor) -> bool {
    actor.can_anywhere(Permission::ManageChanges)
}

/// A choice of a select, marked when it is the current value.
struct Pick {
    id: i64,
    label: String,
    selected: bool,
}

/// One board and the form setting it.
struct BoardView {
    kind: &'static str,
    title: String,
    set_up: bool,
    quorum: i64,
    members: Vec<String>,
    users: Vec<Pick>,
    groups: Vec<Pick>,
}

/// One freeze period.
struct FreezeRow {
    id: i64,
    name: String,
    reason: String,
    starts: String,
    ends: String,
    delete_label: String,
}

/// One standard-change template.
struct TemplateRow {
    name: String,
    description: String,
    checklist: Vec<String>,
}

#[derive(Template)]
#[template(path = "changes_admin.html")]
struct AdminPage {
    l: Layout,
    error: Option<String>,
    zone: String,
    calendars: Vec<Pick>,
    default_windows: bool,
    boards: Vec<BoardView>,
    freezes: Vec<FreezeRow>,
    templates: Vec<TemplateRow>,
}

/// The tenant whose change management the actor sets up, if he does.
async fn managed_tenant(
    state: &AppState,
    session: &WebSession,
) -> Result<Option<TenantId>, StoreError> {
    super::common::tenant_managed(state, session, Permission::ManageChanges).await
}

/// The frame and the tenant of a page or a form, or the 403 page.
#[allow(
    clippy::result_large_err,
    reason = "the error is the page to answer with, returned once per request"
)]
async fn tenant_of(
    state: &AppState,
    session: &WebSession,
    l: &Layout,
) -> Result<TenantId, axum::response::Response> {
    managed_tenant(state, session)
        .await
        .map_err(|e| store_page(l, e))?
        .ok_or_else(|| forbidden(l))
}

async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    tenant: TenantId,
    error: Option<String>,
) -> PageResult {
    let failed = |e| store_page(&l, e);
    let store = state.store();
    let actor = &session.actor;
    // Held on the tenant's root: the scope is the whole tenant.
    let scope = actor.scope(Permission::ManageChanges);
    let (calendar, _) = store.change_settings(tenant).await.map_err(failed)?;
    let zone = zone_of(state, session).await.map_err(failed)?;
    let calendars = store
        .list_calendars(tenant)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|c| Pick {
            id: c.id,
            selected: calendar == Some(c.id),
            label: c.name,
        })
        .collect();
    let users = store
        .list_users(
            &scope,
            &UserFilter {
                active: Some(true),
                ..UserFilter::default()
            },
            PageRequest::first(PEOPLE_OFFERED),
        )
        .await
        .map_err(failed)?
        .items;
    let groups = store
        .list_groups(&scope, None, PageRequest::first(PEOPLE_OFFERED))
        .await
        .map_err(failed)?
        .items;
    let names: HashMap<i64, String> = users
        .iter()
        .map(|u| (u.id.0, u.display_name.clone()))
        .collect();
    let mut boards = Vec::new();
    for kind in [BoardKind::Cab, BoardKind::Ecab] {
        let record = store.change_board(tenant, kind).await.map_err(failed)?;
        let (quorum, chosen_users, chosen_groups, members) = match &record {
            Some(b) => (
                b.quorum,
                b.users.iter().map(|u| u.0).collect::<Vec<_>>(),
                b.groups.iter().map(|g| g.0).collect::<Vec<_>>(),
                b.members
                    .iter()
                    .map(|m| names.get(&m.0).cloned().unwrap_or_else(|| format!("#{m}")))
                    .collect(),
            ),
            None => (1, Vec::new(), Vec::new(), Vec::new()),
        };
        boards.push(BoardView {
            kind: kind.as_str(),
            title: l.t(&format!("change-board-{}", kind.as_str())),
            set_up: record.is_some(),
            quorum,
            members,
            users: users
                .iter()
                .map(|u| Pick {
                    id: u.id.0,
                    label: format!("{} ({})", u.display_name, u.login),
                    selected: chosen_users.contains(&u.id.0),
                })
                .collect(),
            groups: groups
                .iter()
                .map(|g| Pick {
                    id: g.id.0,
                    label: g.name.clone(),
                    selected: chosen_groups.contains(&g.id.0),
                })
                .collect(),
        });
    }
    let freezes = store
        .list_freezes(tenant, state.clock().now())
        .await
        .map_err(failed)?
        .into_iter()
        .map(|f| FreezeRow {
            id: f.id.0,
            starts: local(f.starts_at, &zone),
            ends: local(f.ends_at, &zone),
            delete_label: l.lang.t1("delete-named", "name", f.name.clone()),
            name: f.name,
            reason: f.reason,
        })
        .collect();
    let templates = store
        .list_change_templates(tenant)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|t| TemplateRow {
            name: t.name,
            description: t.description,
            checklist: t.checklist,
        })
        .collect();
    Ok(render(&AdminPage {
        error,
        zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        calendars,
        default_windows: calendar.is_none(),
        boards,
        freezes,
        templates,
        l,
    }))
}

async fn view(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-admin-title", HERE).await?;
    let tenant = tenant_of(&state, &session, &l).await?;
    show(&state, &session, l, tenant, None).await
}

/// After a form: back to the page, or the page again with the refusal.
async fn answer(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    tenant: TenantId,
    result: Result<(), FormError>,
) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(HERE)),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = show(state, session, l, tenant, Some(message)).await?;
            Ok(with_status(page, status))
        }
    }
}

impl From<SettingsError> for FormError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Refused(r) => FormError::Invalid(r.message),
            SettingsError::Store(e) => FormError::Store(e),
        }
    }
}

/// The value of `name` in a form whose selects may repeat.
fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The ids chosen in a repeated select.
fn ids(pairs: &[(String, String)], name: &str) -> Vec<i64> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .filter_map(|(_, v)| parse_id(v))
        .collect()
}

/// A `datetime-local` value read in the change windows' zone.
fn local_time(field: &str, text: &str, zone: &TimeZone) -> Result<Timestamp, FormError> {
    text.trim()
        .parse::<DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(zone.clone()).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| FormError::Invalid(format!("`{field}` must be a date and a time")))
}

/// The window form.
#[derive(Deserialize)]
struct WindowsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    calendar: String,
    #[serde(default)]
    time_zone: String,
}

async fn set_windows(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<WindowsForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-admin-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let tenant = tenant_of(&state, &session, &l).await?;
    let result = settings::set_windows(
        &state,
        &session.actor,
        tenant,
        parse_id(&form.calendar),
        &form.time_zone,
    )
    .await
    .map(|_| ())
    .map_err(FormError::from);
    answer(&state, &session, l, tenant, result).await
}

async fn set_board(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(board): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-admin-title", HERE).await?;
    check_csrf(&session, &l, field(&pairs, "csrf"))?;
    let tenant = tenant_of(&state, &session, &l).await?;
    let Ok(kind) = board.parse::<BoardKind>() else {
        return Err(not_found(&l));
    };
    let result = async {
        let quorum = field(&pairs, "quorum")
            .trim()
            .parse::<i64>()
            .map_err(|_| FormError::Refused("change-board-bad-quorum"))?;
        settings::set_board(
            &state,
            &session.actor,
            tenant,
            kind,
            quorum,
            ids(&pairs, "user").into_iter().map(UserId).collect(),
            ids(&pairs, "group").into_iter().map(GroupId).collect(),
        )
        .await?;
        Ok::<_, FormError>(())
    }
    .await;
    answer(&state, &session, l, tenant, result).await
}

/// The freeze form.
#[derive(Deserialize)]
struct FreezeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
}

async fn create_freeze(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<FreezeForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-admin-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let tenant = tenant_of(&state, &session, &l).await?;
    let result = async {
        let zone = zone_of(&state, &session).await?;
        let new = settings::freeze(
            &form.name,
            &form.reason,
            local_time("starts_at", &form.starts_at, &zone)?,
            local_time("ends_at", &form.ends_at, &zone)?,
        )
        .map_err(SettingsError::from)?;
        state
            .store()
            .create_freeze(&session.actor, tenant, state.clock().now(), &new)
            .await?;
        Ok::<_, FormError>(())
    }
    .await;
    answer(&state, &session, l, tenant, result).await
}

async fn delete_freeze(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-admin-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let tenant = tenant_of(&state, &session, &l).await?;
    let Some(id) = parse_id(&raw) else {
        return Err(not_found(&l));
    };
    match state
        .store()
        .delete_freeze(&session.actor, tenant, state.clock().now(), FreezeId(id))
        .await
    {
        Ok(()) => Ok(see_other(HERE)),
        Err(StoreError::NotFound) => Err(not_found(&l)),
        Err(e) => Err(store_page(&l, e)),
    }
}

/// The template form; its checklist is one item per line.
#[derive(Deserialize)]
struct TemplateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    implementation_plan: String,
    #[serde(default)]
    backout_plan: String,
    #[serde(default)]
    checklist: String,
}

async fn create_template(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<TemplateForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "changes-admin-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let tenant = tenant_of(&state, &session, &l).await?;
    let result = async {
        let checklist: Vec<String> = form
            .checklist
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let new = settings::template(
            &form.name,
            &form.description,
            &form.implementation_plan,
            &form.backout_plan,
            &checklist,
        )
        .map_err(SettingsError::from)?;
        state
            .store()
            .create_change_template(&session.actor, tenant, state.clock().now(), &new)
            .await?;
        Ok::<_, FormError>(())
    }
    .await;
    answer(&state, &session, l, tenant, result).await
}
