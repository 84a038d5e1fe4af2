//! `/api/v1/users` and `/api/v1/users/{id}/roles`.

use super::page::page_type;
use super::{ApiJson, ApiPath, ApiQuery, PageParams, scope_for};
use crate::AppState;
use crate::auth::{ApiActor, hash_password};
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::auth::check_password_policy;
use vigie_core::ids::{EntityId, GrantId, UserId};
use vigie_core::role::{Permission, Role};
use vigie_core::tenancy::Scope;
use vigie_core::validate;
use vigie_store::{GrantRecord, NewGrant, NewUser, UserChanges, UserFilter, UserRecord};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(list_roles, grant_role))
        .routes(routes!(revoke_role))
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    id: i64,
    tenant_id: i64,
    /// His home entity.
    entity_id: i64,
    login: String,
    display_name: String,
    email: Option<String>,
    /// `fr` or `en`; absent: the browser's language.
    locale: Option<String>,
    platform_admin: bool,
    active: bool,
    created_at: String,
    updated_at: String,
}

impl From<UserRecord> for UserOut {
    fn from(u: UserRecord) -> Self {
        UserOut {
            id: u.id.0,
            tenant_id: u.tenant_id.0,
            entity_id: u.entity_id.0,
            login: u.login,
            display_name: u.display_name,
            email: u.email,
            locale: u.locale,
            platform_admin: u.platform_admin,
            active: u.active,
            created_at: u.created_at.to_string(),
            updated_at: u.updated_at.to_string(),
        }
    }
}

page_type!(UserPage, UserOut);

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    entity_id: i64,
    login: String,
    display_name: String,
    email: Option<String>,
    locale: Option<String>,
    /// At least 10 characters; omit for an account that logs in by token only.
    password: Option<String>,
    #[serde(default)]
    platform_admin: bool,
}

/// Changes to a user. Users may change their own name, e-mail, language and
/// password; the rest is for tenant administrators.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    display_name: Option<String>,
    email: Option<String>,
    locale: Option<String>,
    password: Option<String>,
    active: Option<bool>,
    entity_id: Option<i64>,
}

/// Filters of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Text in the login, name or e-mail.
    q: Option<String>,
    /// Only users of this entity's subtree.
    within: Option<i64>,
    /// Only active (true) or disabled (false) accounts.
    active: Option<bool>,
    /// How many items (1–200, default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A role held on an entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantOut {
    id: i64,
    user_id: i64,
    entity_id: i64,
    /// One of `requester`, `contact_point`, `agent`, `supervisor`,
    /// `change_manager`, `cab_member`, `supplier_agent`, `tenant_admin`.
    role: String,
    /// Whether the role reaches the entity's subtree.
    recursive: bool,
}

impl From<GrantRecord> for GrantOut {
    fn from(g: GrantRecord) -> Self {
        GrantOut {
            id: g.id.0,
            user_id: g.user_id.0,
            entity_id: g.entity_id.0,
            role: g.role.to_string(),
            recursive: g.recursive,
        }
    }
}

/// A role to grant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantIn {
    entity_id: i64,
    role: String,
    #[serde(default)]
    recursive: bool,
}

pub(crate) fn locale(l: &str) -> Result<Option<String>, ApiError> {
    match l {
        "" => Ok(None),
        "fr" | "en" => Ok(Some(l.to_owned())),
        _ => Err(ApiError::invalid(
            "locale",
            "`locale` must be `fr`, `en` or empty",
        )),
    }
}

pub(crate) fn password_hash(p: &str) -> Result<String, ApiError> {
    check_password_policy(p).map_err(|e| ApiError::invalid("password", e.to_string()))?;
    hash_password(p).map_err(ApiError::internal)
}

/// Lists the users the caller may see.
#[utoipa::path(get, path = "/users", tag = "users", params(UserQuery),
    responses((status = 200, body = UserPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
async fn list_users(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(query): ApiQuery<UserQuery>,
) -> Result<Json<UserPage>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewDirectory)?;
    let within = match query.within {
        Some(id) => Some(state.store().get_entity(&scope, EntityId(id)).await?.path),
        None => None,
    };
    let filter = UserFilter {
        q: query.q.map(|q| q.chars().take(200).collect()),
        within,
        active: query.active,
    };
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    }
    .request()?;
    let page = state.store().list_users(&scope, &filter, page).await?;
    Ok(Json(UserPage::from_page(page, UserOut::from)))
}

/// Reads a user (any user may read himself).
#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_user(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UserOut>, ApiError> {
    let id = UserId(id);
    let user = if actor.user == id {
        state.store().get_user(&Scope::Platform, id).await?
    } else {
        state
            .store()
            .get_user(&scope_for(&actor, Permission::ViewDirectory)?, id)
            .await?
    };
    Ok(Json(user.into()))
}

/// Creates a user (tenant administrators).
#[utoipa::path(post, path = "/users", tag = "users", request_body = UserIn,
    responses((status = 201, body = UserOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<UserIn>,
) -> Result<(StatusCode, Json<UserOut>), ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    let new = NewUser {
        entity_id: EntityId(body.entity_id),
        login: validate::login(&body.login)?,
        display_name: validate::name("display_name", &body.display_name, 200)?,
        email: validate::email(body.email.as_deref().unwrap_or(""))?,
        locale: locale(body.locale.as_deref().unwrap_or(""))?,
        password_hash: body.password.as_deref().map(password_hash).transpose()?,
        platform_admin: body.platform_admin,
    };
    let u = state
        .store()
        .create_user(&actor, &scope, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(u.into())))
}

/// Changes a user.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserPatch,
    responses((status = 200, body = UserOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_user(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UserPatch>,
) -> Result<Json<UserOut>, ApiError> {
    let id = UserId(id);
    let admin_fields = body.active.is_some() || body.entity_id.is_some();
    let scope = if actor.user == id && !admin_fields {
        Scope::Platform
    } else {
        scope_for(&actor, Permission::ManageDirectory)?
    };
    let changes = UserChanges {
        display_name: body
            .display_name
            .as_deref()
            .map(|n| validate::name("display_name", n, 200))
            .transpose()?,
        email: body.email.as_deref().map(validate::email).transpose()?,
        locale: body.locale.as_deref().map(locale).transpose()?,
        active: body.active,
        entity_id: body.entity_id.map(EntityId),
        password_hash: body.password.as_deref().map(password_hash).transpose()?,
    };
    let u = state
        .store()
        .update_user(&actor, &scope, state.clock().now(), id, &changes)
        .await?;
    Ok(Json(u.into()))
}

/// Lists a user's roles.
#[utoipa::path(get, path = "/users/{id}/roles", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<GrantOut>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_roles(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<GrantOut>>, ApiError> {
    let id = UserId(id);
    let scope = if actor.user == id {
        Scope::Platform
    } else {
        scope_for(&actor, Permission::ViewDirectory)?
    };
    let grants = state.store().list_grants(&scope, id).await?;
    Ok(Json(grants.into_iter().map(GrantOut::from).collect()))
}

/// Grants a role on an entity (tenant administrators, within their scope).
#[utoipa::path(post, path = "/users/{id}/roles", tag = "users", params(("id" = i64, Path)), request_body = GrantIn,
    responses((status = 201, body = GrantOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn grant_role(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<GrantIn>,
) -> Result<(StatusCode, Json<GrantOut>), ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    let role: Role = body
        .role
        .parse()
        .map_err(|e| ApiError::invalid("role", format!("{e}")))?;
    let new = NewGrant {
        entity_id: EntityId(body.entity_id),
        role,
        recursive: body.recursive,
    };
    let g = state
        .store()
        .create_grant(&actor, &scope, state.clock().now(), UserId(id), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(g.into())))
}

/// Takes a role back (tenant administrators, within their scope).
#[utoipa::path(delete, path = "/users/{id}/roles/{grant_id}", tag = "users",
    params(("id" = i64, Path), ("grant_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn revoke_role(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, grant_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    state
        .store()
        .delete_grant(
            &actor,
            &scope,
            state.clock().now(),
            UserId(id),
            GrantId(grant_id),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
