//! `/api/v1/groups`: support groups and their members.

use super::page::page_type;
use super::users::UserOut;
use super::{ApiJson, ApiPath, ApiQuery, PageParams, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::{EntityId, GroupId, UserId};
use vigie_core::role::Permission;
use vigie_core::validate;
use vigie_store::{GroupChanges, GroupRecord, NewGroup};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(list_members))
        .routes(routes!(add_member, remove_member))
}

/// A support group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    id: i64,
    tenant_id: i64,
    entity_id: i64,
    name: String,
    /// Support level: 1, 2 or 3.
    level: i64,
    manager_id: Option<i64>,
    email: Option<String>,
    description: String,
    member_count: i64,
    created_at: String,
    updated_at: String,
}

impl From<GroupRecord> for GroupOut {
    fn from(g: GroupRecord) -> Self {
        GroupOut {
            id: g.id.0,
            tenant_id: g.tenant_id.0,
            entity_id: g.entity_id.0,
            name: g.name,
            level: g.level,
            manager_id: g.manager_id.map(|m| m.0),
            email: g.email,
            description: g.description,
            member_count: g.member_count,
            created_at: g.created_at.to_string(),
            updated_at: g.updated_at.to_string(),
        }
    }
}

page_type!(GroupPage, GroupOut);

/// A group to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupIn {
    entity_id: i64,
    name: String,
    level: i64,
    manager_id: Option<i64>,
    email: Option<String>,
    description: Option<String>,
}

/// Changes to a group; `manager_id: null` removes the manager.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    name: Option<String>,
    level: Option<i64>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<i64>)]
    manager_id: Option<Option<i64>>,
    email: Option<String>,
    description: Option<String>,
}

/// Filters of the group list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupQuery {
    /// Only groups of this level.
    level: Option<i64>,
    /// How many items (1–200, default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

fn level(l: i64) -> Result<i64, ApiError> {
    if (1..=3).contains(&l) {
        Ok(l)
    } else {
        Err(ApiError::invalid("level", "`level` must be 1, 2 or 3"))
    }
}

fn description(d: &str) -> Result<String, ApiError> {
    if d.chars().count() > 2000 {
        Err(ApiError::invalid(
            "description",
            "`description` must have at most 2000 characters",
        ))
    } else {
        Ok(d.to_owned())
    }
}

/// Lists the groups the caller may see.
#[utoipa::path(get, path = "/groups", tag = "groups", params(GroupQuery),
    responses((status = 200, body = GroupPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
async fn list_groups(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<GroupQuery>,
) -> Result<Json<GroupPage>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewDirectory)?;
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    let page = state.store().list_groups(&scope, q.level, page).await?;
    Ok(Json(GroupPage::from_page(page, GroupOut::from)))
}

/// Reads a group.
#[utoipa::path(get, path = "/groups/{id}", tag = "groups", params(("id" = i64, Path)),
    responses((status = 200, body = GroupOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_group(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<GroupOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewDirectory)?;
    Ok(Json(
        state.store().get_group(&scope, GroupId(id)).await?.into(),
    ))
}

/// Creates a group (tenant administrators).
#[utoipa::path(post, path = "/groups", tag = "groups", request_body = GroupIn,
    responses((status = 201, body = GroupOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_group(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<GroupIn>,
) -> Result<(StatusCode, Json<GroupOut>), ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    let new = NewGroup {
        entity_id: EntityId(body.entity_id),
        name: validate::name("name", &body.name, 200)?,
        level: level(body.level)?,
        manager_id: body.manager_id.map(UserId),
        email: validate::email(body.email.as_deref().unwrap_or(""))?,
        description: description(body.description.as_deref().unwrap_or(""))?,
    };
    let g = state
        .store()
        .create_group(&actor, &scope, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(g.into())))
}

/// Changes a group (tenant administrators).
#[utoipa::path(patch, path = "/groups/{id}", tag = "groups", params(("id" = i64, Path)), request_body = GroupPatch,
    responses((status = 200, body = GroupOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_group(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<GroupPatch>,
) -> Result<Json<GroupOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    let changes = GroupChanges {
        name: body
            .name
            .as_deref()
            .map(|n| validate::name("name", n, 200))
            .transpose()?,
        level: body.level.map(level).transpose()?,
        manager_id: body.manager_id.map(|m| m.map(UserId)),
        email: body.email.as_deref().map(validate::email).transpose()?,
        description: body.description.as_deref().map(description).transpose()?,
    };
    let g = state
        .store()
        .update_group(&actor, &scope, state.clock().now(), GroupId(id), &changes)
        .await?;
    Ok(Json(g.into()))
}

/// Deletes a group (tenant administrators).
#[utoipa::path(delete, path = "/groups/{id}", tag = "groups", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_group(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    state
        .store()
        .delete_group(&actor, &scope, state.clock().now(), GroupId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists a group's members.
#[utoipa::path(get, path = "/groups/{id}/members", tag = "groups", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<UserOut>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_members(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<UserOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewDirectory)?;
    let members = state
        .store()
        .list_group_members(&scope, GroupId(id))
        .await?;
    Ok(Json(members.into_iter().map(UserOut::from).collect()))
}

/// Adds a member (tenant administrators).
#[utoipa::path(put, path = "/groups/{id}/members/{user_id}", tag = "groups",
    params(("id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn add_member(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, user)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    state
        .store()
        .set_group_member(
            &actor,
            &scope,
            state.clock().now(),
            GroupId(id),
            UserId(user),
            true,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member (tenant administrators).
#[utoipa::path(delete, path = "/groups/{id}/members/{user_id}", tag = "groups",
    params(("id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn remove_member(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, user)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let scope = scope_for(&actor, Permission::ManageDirectory)?;
    state
        .store()
        .set_group_member(
            &actor,
            &scope,
            state.clock().now(),
            GroupId(id),
            UserId(user),
            false,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
