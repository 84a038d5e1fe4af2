//! `/admin/users/{id}`: a user's details and roles; for administrators the
//! forms to edit him, (de)activate him, grant and revoke roles.

use super::common::{
    Choice, CsrfForm, EntityChoice, FormError, PageResult, all_entities, entity_choices,
    entity_name, entity_names_of, explain, forbidden, frame, locale_choices, manage_frame,
    not_found, parse_id, parse_locale, required_id, see_other, store_page, utc, with_status,
};
use super::users::new_password_hash;
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
use vigie_core::ids::{EntityId, GrantId, UserId};
use vigie_core::role::{Permission, Role};
use vigie_core::validate;
use vigie_store::{NewGrant, UserChanges};

const SECTION: &str = "/admin/users";

/// The routes of the user page and its forms.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users/{id}", get(view).post(edit))
        .route("/admin/users/{id}/active", post(set_active))
        .route("/admin/users/{id}/roles", post(grant))
        .route("/admin/users/{id}/roles/{grant}/delete", post(revoke))
}

/// The user as shown.
struct UserView {
    id: i64,
    login: String,
    display_name: String,
    email: String,
    locale: String,
    entity: String,
    active: bool,
    platform_admin: bool,
    created: String,
    updated: String,
}

/// One role of the user.
struct GrantRow {
    id: i64,
    role: String,
    entity: String,
    recursive: bool,
    manageable: bool,
    revoke_label: String,
}

/// What the edit form holds.
struct EditDraft {
    display_name: String,
    email: String,
    locale: String,
    entity: i64,
}

/// What the grant form holds.
#[derive(Default)]
struct GrantDraft {
    entity: i64,
    role: String,
    recursive: bool,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    l: Layout,
    error: Option<String>,
    user: UserView,
    is_self: bool,
    can_manage: bool,
    grants: Vec<GrantRow>,
    entities: Vec<EntityChoice>,
    roles: Vec<Choice>,
    locales: Vec<Choice>,
    edit: EditDraft,
    grant: GrantDraft,
    /// The user's absences, for his administrators.
    absences: Option<super::absences::AbsencesView>,
}

/// Form values to show again after a refusal.
#[derive(Default)]
pub(super) struct Drafts {
    edit: Option<EditDraft>,
    grant: GrantDraft,
}

pub(super) async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    id: UserId,
    error: Option<String>,
    drafts: Drafts,
) -> PageResult {
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewDirectory) {
        return Err(forbidden(&l));
    }
    let view = actor.scope(Permission::ViewDirectory);
    let failed = |e| store_page(&l, e);
    let u = state.store().get_user(&view, id).await.map_err(failed)?;
    let grants = state.store().list_grants(&view, id).await.map_err(failed)?;
    let names = entity_names_of(
        state,
        &view,
        std::iter::once(u.entity_id)
            .chain(grants.iter().map(|g| g.entity_id))
            .collect(),
    )
    .await
    .map_err(failed)?;
    let can_manage = actor.can(Permission::ManageDirectory, u.tenant_id, &u.entity_path);
    let entities = if can_manage {
        let mut all = all_entities(state, &actor.scope(Permission::ManageDirectory))
            .await
            .map_err(failed)?;
        all.retain(|e| e.tenant_id == u.tenant_id);
        entity_choices(&all)
    } else {
        Vec::new()
    };
    let absences = if can_manage {
        Some(
            super::absences::view_of(
                state,
                session,
                &l,
                &u,
                format!("/admin/users/{id}/absences"),
                None,
            )
            .await
            .map_err(failed)?,
        )
    } else {
        None
    };
    let locales = locale_choices(&l);
    let locale = u.locale.clone().unwrap_or_default();
    let grant_rows = grants
        .iter()
        .map(|g| {
            let role = l.t(&format!("role-{}", g.role));
            GrantRow {
                id: g.id.0,
                entity: entity_name(&names, g.entity_id),
                recursive: g.recursive,
                manageable: actor.can(Permission::ManageDirectory, u.tenant_id, &g.entity_path),
                revoke_label: l.lang.t1("revoke-named", "name", role.clone()),
                role,
            }
        })
        .collect();
    let edit = drafts.edit.unwrap_or_else(|| EditDraft {
        display_name: u.display_name.clone(),
        email: u.email.clone().unwrap_or_default(),
        locale: locale.clone(),
        entity: u.entity_id.0,
    });
    let user = UserView {
        id: u.id.0,
        locale: locales
            .iter()
            .find(|c| c.value == locale)
            .map(|c| c.label.clone())
            .unwrap_or(locale),
        entity: entity_name(&names, u.entity_id),
        login: u.login,
        display_name: u.display_name,
        email: u.email.unwrap_or_default(),
        active: u.active,
        platform_admin: u.platform_admin,
        created: utc(u.created_at),
        updated: utc(u.updated_at),
    };
    let roles = Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            label: l.t(&format!("role-{r}")),
        })
        .collect();
    let mut l = l;
    l.title = l.lang.t1("user-title", "name", user.display_name.clone());
    Ok(render(&UserPage {
        is_self: id == actor.user,
        l,
        error,
        user,
        can_manage,
        grants: grant_rows,
        entities,
        roles,
        locales,
        edit,
        grant: drafts.grant,
        absences,
    }))
}

/// The user's id from the path, or the 404 page.
#[allow(
    clippy::result_large_err,
    reason = "the error is the page to answer with, returned once per request"
)]
pub(super) fn user_id(l: &Layout, raw: &str) -> Result<UserId, Response> {
    parse_id(raw).map(UserId).ok_or_else(|| not_found(l))
}

async fn view(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "users-title", SECTION).await?;
    let id = user_id(&l, &id)?;
    show(&state, &session, l, id, None, Drafts::default()).await
}

/// Checks the CSRF token and the permission to manage, before any form.
async fn guard(
    state: &AppState,
    session: &WebSession,
    headers: &HeaderMap,
    raw_id: &str,
    csrf: &str,
) -> Result<(Layout, UserId), Response> {
    let l = manage_frame(state, session, headers, "users-title", SECTION, csrf).await?;
    let id = user_id(&l, raw_id)?;
    Ok((l, id))
}

/// Redirects to the user page, or shows it again with the refusal.
async fn outcome(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    id: UserId,
    result: Result<(), FormError>,
    drafts: Drafts,
) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}"))),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let page = show(state, session, l, id, Some(message), drafts).await?;
            Ok(with_status(page, status))
        }
    }
}

/// The edit form's fields.
#[derive(Deserialize)]
pub(super) struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    password: String,
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
        let changes = UserChanges {
            display_name: Some(validate::name("display_name", &form.display_name, 200)?),
            email: Some(validate::email(&form.email)?),
            locale: Some(parse_locale(&form.locale)?),
            active: None,
            entity_id: Some(EntityId(required_id(&form.entity, "entity")?)),
            password_hash: if form.password.is_empty() {
                None
            } else {
                Some(new_password_hash(&form.password)?)
            },
        };
        let manage = actor.scope(Permission::ManageDirectory);
        state
            .store()
            .update_user(actor, &manage, state.clock().now(), id, &changes)
            .await?;
        Ok(())
    }
    .await;
    let drafts = Drafts {
        edit: Some(EditDraft {
            display_name: form.display_name.clone(),
            email: form.email.clone(),
            locale: form.locale.clone(),
            entity: parse_id(&form.entity).unwrap_or(0),
        }),
        grant: GrantDraft::default(),
    };
    outcome(&state, &session, l, id, result, drafts).await
}

/// The activation form: `active` is `true` or `false`.
#[derive(Deserialize)]
pub(super) struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

async fn set_active(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<ActiveForm>,
) -> PageResult {
    let (l, id) = guard(&state, &session, &headers, &raw, &form.csrf).await?;
    let actor = &session.actor;
    let result = async {
        let active = match form.active.as_str() {
            "true" => true,
            "false" => false,
            _ => {
                return Err(FormError::Invalid(
                    "`active` must be `true` or `false`".to_owned(),
                ));
            }
        };
        if !active && id == actor.user {
            return Err(FormError::Refused("user-cannot-deactivate-self"));
        }
        let changes = UserChanges {
            active: Some(active),
            ..Default::default()
        };
        let manage = actor.scope(Permission::ManageDirectory);
        state
            .store()
            .update_user(actor, &manage, state.clock().now(), id, &changes)
            .await?;
        Ok(())
    }
    .await;
    outcome(&state, &session, l, id, result, Drafts::default()).await
}

/// The grant form's fields; `recursive` is present when checked.
#[derive(Deserialize)]
pub(super) struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    recursive: Option<String>,
}

async fn grant(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<GrantForm>,
) -> PageResult {
    let (l, id) = guard(&state, &session, &headers, &raw, &form.csrf).await?;
    let actor = &session.actor;
    let result = async {
        let role: Role = form
            .role
            .parse()
            .map_err(|e: vigie_core::role::UnknownRole| FormError::Invalid(e.to_string()))?;
        let new = NewGrant {
            entity_id: EntityId(required_id(&form.entity, "entity")?),
            role,
            recursive: form.recursive.is_some(),
        };
        let manage = actor.scope(Permission::ManageDirectory);
        state
            .store()
            .create_grant(actor, &manage, state.clock().now(), id, &new)
            .await?;
        Ok(())
    }
    .await;
    let drafts = Drafts {
        edit: None,
        grant: GrantDraft {
            entity: parse_id(&form.entity).unwrap_or(0),
            role: form.role.clone(),
            recursive: form.recursive.is_some(),
        },
    };
    outcome(&state, &session, l, id, result, drafts).await
}

async fn revoke(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path((raw, grant)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let (l, id) = guard(&state, &session, &headers, &raw, &form.csrf).await?;
    let Some(grant) = parse_id(&grant) else {
        return Err(not_found(&l));
    };
    let actor = &session.actor;
    let manage = actor.scope(Permission::ManageDirectory);
    let result = state
        .store()
        .delete_grant(actor, &manage, state.clock().now(), id, GrantId(grant))
        .await
        .map_err(FormError::from);
    outcome(&state, &session, l, id, result, Drafts::default()).await
}
