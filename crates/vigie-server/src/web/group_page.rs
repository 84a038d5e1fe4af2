//! `/admin/groups/{id}`: a support group's details and members; for
//! administrators the forms to edit or delete it and to add or remove
//! members.

use super::common::{
    Choice, CsrfForm, FormError, PageResult, entity_name, entity_names_of, explain, forbidden,
    frame, manage_frame, not_found, parse_id, see_other, store_page, utc, with_status,
};
use super::groups::{description, level, level_choices};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use vigie_core::ids::{GroupId, UserId};
use vigie_core::role::Permission;
use vigie_core::validate;
use vigie_store::{GroupChanges, PageRequest, UserFilter};

const SECTION: &str = "/admin/groups";

/// The routes of the group page and its forms.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/groups/{id}", get(view).post(edit))
        .route("/admin/groups/{id}/delete", post(delete))
        .route("/admin/groups/{id}/members", post(add_member))
        .route(
            "/admin/groups/{id}/members/{user}/delete",
            post(remove_member),
        )
}

/// The group as shown.
struct GroupView {
    id: i64,
    name: String,
    level: String,
    entity: String,
    email: String,
    description: String,
    manager: String,
    created: String,
    updated: String,
}

/// A member.
struct MemberRow {
    id: i64,
    login: String,
    display_name: String,
    remove_label: String,
}

/// What the edit form holds.
struct EditDraft {
    name: String,
    level: String,
    email: String,
    description: String,
    manager: String,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    l: Layout,
    error: Option<String>,
    group: GroupView,
    can_manage: bool,
    members: Vec<MemberRow>,
    /// Users who may join: visible, active, not yet members.
    candidates: Vec<Choice>,
    /// Users who may manage the group.
    people: Vec<Choice>,
    levels: Vec<Choice>,
    edit: EditDraft,
}

async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    id: GroupId,
    error: Option<String>,
    draft: Option<EditDraft>,
) -> PageResult {
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewDirectory) {
        return Err(forbidden(&l));
    }
    let view = actor.scope(Permission::ViewDirectory);
    let failed = |e| store_page(&l, e);
    let g = state.store().get_group(&view, id).await.map_err(failed)?;
    let members = state
        .store()
        .list_group_members(&view, id)
        .await
        .map_err(failed)?;
    let names = entity_names_of(state, &view, vec![g.entity_id])
        .await
        .map_err(failed)?;
    let can_manage = actor.can(Permission::ManageDirectory, g.tenant_id, &g.entity_path);
    let mut people = Vec::new();
    let mut candidates = Vec::new();
    if can_manage {
        let filter = UserFilter {
            active: Some(true),
            ..Default::default()
        };
        let users = state
            .store()
            .list_users(
                &actor.scope(Permission::ManageDirectory),
                &filter,
                PageRequest::first(500),
            )
            .await
            .map_err(failed)?;
        for u in users
            .items
            .into_iter()
            .filter(|u| u.tenant_id == g.tenant_id)
        {
            let choice = Choice {
                value: u.id.0.to_string(),
                label: format!("{} ({})", u.display_name, u.login),
            };
            if !members.iter().any(|m| m.id == u.id) {
                candidates.push(choice.clone());
            }
            people.push(choice);
        }
    }
    let manager = match g.manager_id {
        None => String::new(),
        Some(m) => match members.iter().find(|u| u.id == m) {
            Some(u) => u.display_name.clone(),
            None => state
                .store()
                .get_user(&view, m)
                .await
                .map(|u| u.display_name)
                .unwrap_or_else(|_| format!("#{m}")),
        },
    };
    let edit = draft.unwrap_or_else(|| EditDraft {
        name: g.name.clone(),
        level: g.level.to_string(),
        email: g.email.clone().unwrap_or_default(),
        description: g.description.clone(),
        manager: g.manager_id.map(|m| m.0.to_string()).unwrap_or_default(),
    });
    let members = members
        .into_iter()
        .map(|u| MemberRow {
            id: u.id.0,
            remove_label: l.lang.t1("remove-named", "name", u.display_name.clone()),
            login: u.login,
            display_name: u.display_name,
        })
        .collect();
    let group = GroupView {
        id: g.id.0,
        level: l.lang.t1("level-n", "level", g.level.to_string()),
        entity: entity_name(&names, g.entity_id),
        email: g.email.unwrap_or_default(),
        description: g.description,
        manager,
        created: utc(g.created_at),
        updated: utc(g.updated_at),
        name: g.name,
    };
    let mut l = l;
    l.title = l.lang.t1("group-title", "name", group.name.clone());
    Ok(render(&GroupPage {
        levels: level_choices(&l),
        l,
        error,
        group,
        can_manage,
        members,
        candidates,
        people,
        edit,
    }))
}

/// The group's id from the path, or the 404 page.
#[allow(
    clippy::result_large_err,
    reason = "the error is the page to answer with, returned once per request"
)]
fn group_id(l: &Layout, raw: &str) -> Result<GroupId, Response> {
    parse_id(raw).map(GroupId).ok_or_else(|| not_found(l))
}

async fn view(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "groups-title", SECTION).await?;
    let id = group_id(&l, &raw)?;
    show(&state, &session, l, id, None, None).await
}

/// Checks the CSRF token and the permission to manage, before any form.
async fn guard(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
    raw_id: &str,
    csrf: &str,
) -> Result<(Layout, GroupId), Response> {
    let l = manage_frame(state, session, headers, "groups-title", SECTION, csrf).await?;
    let id = group_id(&l, raw_id)?;
    Ok((l, id))
}

/// Redirects to the group page, or shows it again with the refusal.
async fn outcome(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    id: GroupId,
    result: Result<(), FormError>,
    draft: Option<EditDraft>,
) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/groups/{id}"))),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = show(state, session, l, id, Some(message), draft).await?;
            Ok(with_status(page, status))
        }
    }
}

/// The edit form's fields; an empty `manager` means none.
#[derive(Deserialize)]
pub(super) struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    manager: String,
}

async fn edit(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<EditForm>,
) -> PageResult {
    let (l, id) = guard(&state, &session, &headers, &raw, &form.csrf).await?;
    let actor = &session.actor;
    let result = async {
        let changes = GroupChanges {
            name: Some(validate::name("name", &form.name, 200)?),
            level: Some(level(&form.level)?),
            manager_id: Some(parse_id(&form.manager).map(UserId)),
            email: Some(validate::email(&form.email)?),
            description: Some(description(&form.description)?),
        };
        let manage = actor.scope(Permission::ManageDirectory);
        state
            .store()
            .update_group(actor, &manage, state.clock().now(), id, &changes)
            .await?;
        Ok(())
    }
    .await;
    let draft = EditDraft {
        name: form.name.clone(),
        level: form.level.clone(),
        email: form.email.clone(),
        description: form.description.clone(),
        manager: form.manager.clone(),
    };
    outcome(&state, &session, l, id, result, Some(draft)).await
}

async fn delete(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let (l, id) = guard(&state, &session, &headers, &raw, &form.csrf).await?;
    let actor = &session.actor;
    let manage = actor.scope(Permission::ManageDirectory);
    match state
        .store()
        .delete_group(actor, &manage, state.clock().now(), id)
        .await
    {
        Ok(()) => Ok(see_other(SECTION)),
        Err(e) => outcome(&state, &session, l, id, Err(e.into()), None).await,
    }
}

/// The form adding a member.
#[derive(Deserialize)]
pub(super) struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
}

async fn add_member(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<MemberForm>,
) -> PageResult {
    let (l, id) = guard(&state, &session, &headers, &raw, &form.csrf).await?;
    let actor = &session.actor;
    let result = async {
        let user = super::common::required_id(&form.user, "user")?;
        let manage = actor.scope(Permission::ManageDirectory);
        state
            .store()
            .set_group_member(actor, &manage, state.clock().now(), id, UserId(user), true)
            .await?;
        Ok(())
    }
    .await;
    outcome(&state, &session, l, id, result, None).await
}

async fn remove_member(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path((raw, user)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let (l, id) = guard(&state, &session, &headers, &raw, &form.csrf).await?;
    let Some(user) = parse_id(&user) else {
        return Err(not_found(&l));
    };
    let actor = &session.actor;
    let manage = actor.scope(Permission::ManageDirectory);
    let result = state
        .store()
        .set_group_member(actor, &manage, state.clock().now(), id, UserId(user), false)
        .await
        .map_err(FormError::from);
    outcome(&state, &session, l, id, result, None).await
}
