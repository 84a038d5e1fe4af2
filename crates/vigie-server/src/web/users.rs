//! `/admin/users`: the user list with its search box and pages, and the
//! form creating a user (administrators).

use super::common::{
    Choice, EntityChoice, FormError, PAGE_SIZE, PageResult, all_entities, entity_choices,
    entity_names_of, explain, forbidden, frame, link, locale_choices, manage_frame, narrowed,
    parse_id, parse_locale, required_id, see_other, store_page, with_status,
};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde::Deserialize;
use vigie_core::ids::EntityId;
use vigie_core::role::Permission;
use vigie_core::validate;
use vigie_store::{NewUser, PageRequest, UserFilter};

const HERE: &str = "/admin/users";

/// The routes of the user list and creation form; the user page is in
/// [`super::user_page`].
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(list))
        .route("/admin/users/new", get(new_form).post(create))
}

/// One line of the list.
struct UserRow {
    id: i64,
    login: String,
    display_name: String,
    email: String,
    entity: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    l: Layout,
    q: String,
    rows: Vec<UserRow>,
    /// The link to the next page, if any.
    next: Option<String>,
    /// The link back to the first page, when not on it.
    first: Option<String>,
    can_manage: bool,
}

/// The list's query: search text and position.
#[derive(Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

async fn list(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "users-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewDirectory) {
        return Err(forbidden(&l));
    }
    let scope = narrowed(&state, &session, actor.scope(Permission::ViewDirectory))
        .await
        .map_err(|e| store_page(&l, e))?;
    let q: String = query.q.trim().chars().take(200).collect();
    let filter = UserFilter {
        q: Some(q.clone()).filter(|q| !q.is_empty()),
        within: None,
        active: None,
    };
    let after = parse_id(&query.after);
    let page = state
        .store()
        .list_users(
            &scope,
            &filter,
            PageRequest {
                after,
                limit: PAGE_SIZE,
            },
        )
        .await
        .map_err(|e| store_page(&l, e))?;
    let names = entity_names_of(
        &state,
        &scope,
        page.items.iter().map(|u| u.entity_id).collect(),
    )
    .await
    .map_err(|e| store_page(&l, e))?;
    let rows = page
        .items
        .into_iter()
        .map(|u| UserRow {
            id: u.id.0,
            entity: super::common::entity_name(&names, u.entity_id),
            login: u.login,
            display_name: u.display_name,
            email: u.email.unwrap_or_default(),
            active: u.active,
        })
        .collect();
    let next = page
        .next_after
        .map(|n| link(HERE, &[("q", q.clone()), ("after", n.to_string())]));
    let first = after.map(|_| link(HERE, &[("q", q.clone())]));
    Ok(render(&UsersPage {
        can_manage: actor.can_anywhere(Permission::ManageDirectory),
        l,
        q,
        rows,
        next,
        first,
    }))
}

/// What the creation form held.
#[derive(Default)]
struct Draft {
    entity: i64,
    login: String,
    display_name: String,
    email: String,
    locale: String,
}

#[derive(Template)]
#[template(path = "user_new.html")]
struct NewUserPage {
    l: Layout,
    error: Option<String>,
    entities: Vec<EntityChoice>,
    locales: Vec<Choice>,
    draft: Draft,
}

/// The creation form's fields.
#[derive(Deserialize)]
pub(super) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    password: String,
}

async fn show_new(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    error: Option<String>,
    mut draft: Draft,
) -> PageResult {
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ManageDirectory) {
        return Err(forbidden(&l));
    }
    let scope = narrowed(state, session, actor.scope(Permission::ManageDirectory))
        .await
        .map_err(|e| store_page(&l, e))?;
    let entities = all_entities(state, &scope)
        .await
        .map_err(|e| store_page(&l, e))?;
    if draft.entity == 0 {
        draft.entity = session.current_entity.map(|e| e.0).unwrap_or(0);
    }
    Ok(render(&NewUserPage {
        entities: entity_choices(&entities),
        locales: locale_choices(&l),
        l,
        error,
        draft,
    }))
}

async fn new_form(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
) -> PageResult {
    let l = frame(&state, &session, &headers, "user-new-title", HERE).await?;
    show_new(&state, &session, l, None, Draft::default()).await
}

/// Hashes a new password after checking the policy.
pub(super) fn new_password_hash(password: &str) -> Result<String, FormError> {
    vigie_core::auth::check_password_policy(password)?;
    crate::auth::hash_password(password).map_err(|e| {
        tracing::error!(cause = %e, "password hashing failed");
        FormError::Refused("error-internal")
    })
}

async fn create(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> PageResult {
    let l = manage_frame(
        &state,
        &session,
        &headers,
        "user-new-title",
        HERE,
        &form.csrf,
    )
    .await?;
    let actor = &session.actor;
    let result = async {
        let password = form.password.as_str();
        let new = NewUser {
            entity_id: EntityId(required_id(&form.entity, "entity")?),
            login: validate::login(&form.login)?,
            display_name: validate::name("display_name", &form.display_name, 200)?,
            email: validate::email(&form.email)?,
            locale: parse_locale(&form.locale)?,
            password_hash: if password.is_empty() {
                None
            } else {
                Some(new_password_hash(password)?)
            },
            platform_admin: false,
        };
        let manage = actor.scope(Permission::ManageDirectory);
        let user = state
            .store()
            .create_user(actor, &manage, state.clock().now(), &new)
            .await?;
        Ok::<_, FormError>(user.id)
    }
    .await;
    match result {
        Ok(id) => Ok(see_other(&format!("/admin/users/{id}"))),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let draft = Draft {
                entity: parse_id(&form.entity).unwrap_or(0),
                login: form.login.clone(),
                display_name: form.display_name.clone(),
                email: form.email.clone(),
                locale: form.locale.clone(),
            };
            let page = show_new(&state, &session, l, Some(message), draft).await?;
            Ok(with_status(page, status))
        }
    }
}
