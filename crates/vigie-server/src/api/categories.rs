//! `/api/v1/tenants/{id}/categories` and `/api/v1/tenants/{id}/ticket-settings`:
//! how a tenant's service desk is set up. Everyone in the tenant reads them;
//! changing them needs the permission on the tenant's root entity.

use super::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::{CategoryId, EntityId, GroupId, TenantId};
use vigie_core::role::Permission;
use vigie_core::tenancy::{Actor, EntityPath, Scope};
use vigie_core::ticket::priority::{Priority, PriorityMatrix};
use vigie_core::ticket::routing::RoutingRule;
use vigie_core::validate;
use vigie_store::{CategoryInput, CategoryRecord, NewAssignmentRule, TicketSettings};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(delete_rule))
}

/// An assignment rule: tickets matching every condition given go to the group.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleOut {
    id: i64,
    /// Rules are tried by increasing position; the first match wins.
    position: i64,
    category_id: Option<i64>,
    service_ref: Option<String>,
    /// The path of the entity whose subtree the rule covers.
    entity_path: Option<String>,
    channel: Option<String>,
    #[serde(rename = "type")]
    ticket_type: Option<String>,
    group_id: i64,
}

impl From<RoutingRule> for RuleOut {
    fn from(r: RoutingRule) -> Self {
        RuleOut {
            id: r.id,
            position: r.position,
            category_id: r.category.map(|c| c.0),
            service_ref: r.service_ref,
            entity_path: r.entity.map(|e| e.as_str().to_owned()),
            channel: r.channel.map(|c| c.to_string()),
            ticket_type: r.ticket_type.map(|t| t.to_string()),
            group_id: r.group.0,
        }
    }
}

/// A rule to create; conditions left out match anything.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleIn {
    position: i64,
    category_id: Option<i64>,
    service_ref: Option<String>,
    /// The entity whose subtree the rule covers.
    entity_id: Option<i64>,
    /// `phone`, `email`, `portal`, `api` or `event`.
    channel: Option<String>,
    /// `incident` or `request`.
    #[serde(rename = "type")]
    ticket_type: Option<String>,
    group_id: i64,
}

fn named<T: std::str::FromStr<Err = vigie_core::ticket::UnknownName>>(
    field: &str,
    value: Option<&str>,
) -> Result<Option<T>, ApiError> {
    value
        .map(|v| {
            v.parse()
                .map_err(|e: T::Err| ApiError::invalid(field, e.to_string()))
        })
        .transpose()
}

impl RuleIn {
    fn rule(&self) -> Result<NewAssignmentRule, ApiError> {
        Ok(NewAssignmentRule {
            position: self.position,
            category_id: self.category_id.map(CategoryId),
            service_ref: self
                .service_ref
                .as_deref()
                .map(|s| validate::name("service_ref", s, 200))
                .transpose()?,
            entity_id: self.entity_id.map(EntityId),
            channel: named("channel", self.channel.as_deref())?,
            ticket_type: named("type", self.ticket_type.as_deref())?,
            group_id: GroupId(self.group_id),
        })
    }
}

/// Lists a tenant's assignment rules, in the order they are tried.
#[utoipa::path(get, path = "/tenants/{id}/assignment-rules", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<RuleOut>), (status = 404, body = Problem)))]
async fn list_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<RuleOut>>, ApiError> {
    let rules = state
        .store()
        .list_assignment_rules(readable(&actor, id)?)
        .await?;
    Ok(Json(rules.into_iter().map(RuleOut::from).collect()))
}

/// Creates an assignment rule (tenant administrators).
#[utoipa::path(post, path = "/tenants/{id}/assignment-rules", tag = "tickets", params(("id" = i64, Path)), request_body = RuleIn,
    responses((status = 201, body = RuleOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_rule(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RuleIn>,
) -> Result<(StatusCode, Json<RuleOut>), ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let rule = state
        .store()
        .create_assignment_rule(&actor, tenant, state.clock().now(), &body.rule()?)
        .await?;
    Ok((StatusCode::CREATED, Json(rule.into())))
}

/// Deletes an assignment rule (tenant administrators).
#[utoipa::path(delete, path = "/tenants/{id}/assignment-rules/{rule_id}", tag = "tickets",
    params(("id" = i64, Path), ("rule_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_rule(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, rule)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    state
        .store()
        .delete_assignment_rule(&actor, tenant, state.clock().now(), rule)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A ticket category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryOut {
    id: i64,
    parent_id: Option<i64>,
    name: String,
    /// `incident`, `request` or `both`.
    applies_to: String,
    active: bool,
}

impl From<CategoryRecord> for CategoryOut {
    fn from(c: CategoryRecord) -> Self {
        CategoryOut {
            id: c.id.0,
            parent_id: c.parent_id.map(|p| p.0),
            name: c.name,
            applies_to: c.applies_to,
            active: c.active,
        }
    }
}

/// A category to create, or its new values.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryIn {
    parent_id: Option<i64>,
    name: String,
    /// `incident`, `request` or `both` (default).
    applies_to: Option<String>,
    /// Default `true`.
    active: Option<bool>,
}

impl CategoryIn {
    fn input(&self) -> Result<CategoryInput, ApiError> {
        let applies_to = self.applies_to.as_deref().unwrap_or("both");
        if !["incident", "request", "both"].contains(&applies_to) {
            return Err(ApiError::invalid(
                "applies_to",
                "`applies_to` must be `incident`, `request` or `both`",
            ));
        }
        Ok(CategoryInput {
            parent_id: self.parent_id.map(CategoryId),
            name: validate::name("name", &self.name, 200)?,
            applies_to: applies_to.to_owned(),
            active: self.active.unwrap_or(true),
        })
    }
}

/// The service desk settings of the caller's tenant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsIo {
    /// Priorities by impact (rows) and urgency (columns), both in the order
    /// `critique`, `haut`, `moyen`, `bas`.
    matrix: Vec<Vec<String>>,
    /// How long after resolution a ticket may be reopened, in hours (1–8760).
    reopen_hours: i64,
}

impl From<TicketSettings> for SettingsIo {
    fn from(s: TicketSettings) -> Self {
        SettingsIo {
            matrix: s
                .matrix
                .cells
                .iter()
                .map(|row| row.iter().map(|p| p.to_string()).collect())
                .collect(),
            reopen_hours: s.reopen_hours,
        }
    }
}

impl SettingsIo {
    fn settings(&self) -> Result<TicketSettings, ApiError> {
        let bad = || ApiError::invalid("matrix", "`matrix` must have 4 rows of 4 priorities");
        if self.matrix.len() != 4 || self.matrix.iter().any(|r| r.len() != 4) {
            return Err(bad());
        }
        let mut matrix = PriorityMatrix::default();
        for (i, row) in self.matrix.iter().enumerate() {
            for (u, cell) in row.iter().enumerate() {
                matrix.cells[i][u] = cell
                    .parse::<Priority>()
                    .map_err(|e| ApiError::invalid("matrix", e.to_string()))?;
            }
        }
        matrix
            .validate()
            .map_err(|e| ApiError::invalid("matrix", e.to_string()))?;
        if !(1..=8760).contains(&self.reopen_hours) {
            return Err(ApiError::invalid(
                "reopen_hours",
                "`reopen_hours` must be between 1 and 8760",
            ));
        }
        Ok(TicketSettings {
            matrix,
            reopen_hours: self.reopen_hours,
        })
    }
}

/// The tenant `id` if the actor belongs to it (or administers the platform).
pub(super) fn readable(actor: &Actor, id: i64) -> Result<TenantId, ApiError> {
    if actor.platform_admin || actor.tenant.0 == id {
        Ok(TenantId(id))
    } else {
        Err(ApiError::not_found())
    }
}

/// The tenant `id` if the actor may change its service desk settings.
pub(super) async fn manageable(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<TenantId, ApiError> {
    let tenant = readable(actor, id)?;
    let record = state.store().get_tenant(&Scope::Platform, tenant).await?;
    let root = record
        .root_entity_id
        .map(EntityPath::root)
        .ok_or_else(ApiError::not_found)?;
    if actor.can(Permission::ManageTicketSettings, tenant, &root) {
        Ok(tenant)
    } else {
        Err(ApiError::forbidden(
            "only the tenant's administrators change its service desk settings",
        ))
    }
}

/// Lists the categories of a tenant.
#[utoipa::path(get, path = "/tenants/{id}/categories", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CategoryOut>), (status = 404, body = Problem)))]
async fn list_categories(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<CategoryOut>>, ApiError> {
    let list = state.store().list_categories(readable(&actor, id)?).await?;
    Ok(Json(list.into_iter().map(CategoryOut::from).collect()))
}

/// Creates a category (tenant administrators).
#[utoipa::path(post, path = "/tenants/{id}/categories", tag = "tickets", params(("id" = i64, Path)), request_body = CategoryIn,
    responses((status = 201, body = CategoryOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_category(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CategoryIn>,
) -> Result<(StatusCode, Json<CategoryOut>), ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let c = state
        .store()
        .create_category(&actor, tenant, state.clock().now(), &body.input()?)
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Changes a category (tenant administrators); every field is replaced.
#[utoipa::path(patch, path = "/tenants/{id}/categories/{category_id}", tag = "tickets",
    params(("id" = i64, Path), ("category_id" = i64, Path)), request_body = CategoryIn,
    responses((status = 200, body = CategoryOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_category(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, category)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<CategoryIn>,
) -> Result<Json<CategoryOut>, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let c = state
        .store()
        .update_category(
            &actor,
            tenant,
            state.clock().now(),
            CategoryId(category),
            &body.input()?,
        )
        .await?;
    Ok(Json(c.into()))
}

/// The priority matrix and reopen delay of a tenant.
#[utoipa::path(get, path = "/tenants/{id}/ticket-settings", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = SettingsIo), (status = 404, body = Problem)))]
async fn get_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SettingsIo>, ApiError> {
    Ok(Json(
        state
            .store()
            .ticket_settings(readable(&actor, id)?)
            .await?
            .into(),
    ))
}

/// Replaces the priority matrix and reopen delay (tenant administrators).
/// A matrix where a higher impact or urgency gives a lower priority is refused.
#[utoipa::path(put, path = "/tenants/{id}/ticket-settings", tag = "tickets", params(("id" = i64, Path)), request_body = SettingsIo,
    responses((status = 200, body = SettingsIo), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SettingsIo>,
) -> Result<Json<SettingsIo>, ApiError> {
    let tenant = manageable(&state, &actor, id).await?;
    let settings = body.settings()?;
    let saved = state
        .store()
        .put_ticket_settings(&actor, tenant, state.clock().now(), &settings)
        .await?;
    Ok(Json(saved.into()))
}
