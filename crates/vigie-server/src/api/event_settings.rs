//! `/api/v1/tenants/{id}/event-rules` and `/maintenance-windows`: how a
//! tenant's events are classified, and when they must stay quiet. Both are
//! tenant-wide, so reading and changing them needs `ManageEvents` on the
//! tenant's root entity, as the service desk settings do. The scope is
//! checked before the body is validated; a refused body changes nothing.

use super::categories::readable;
use super::instants::instant;
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
use vigie_core::Timestamp;
use vigie_core::event::classify::{ClassRule, RuleSet, default_rules};
use vigie_core::event::maintenance::{MaintenanceWindow, WindowScope};
use vigie_core::ids::{CiId, MaintenanceWindowId, TenantId};
use vigie_core::role::Permission;
use vigie_core::tenancy::{Actor, EntityPath, Scope};
use vigie_core::validate;
use vigie_store::{NewMaintenanceWindow, StoreError};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_rules, put_rules, reset_rules))
        .routes(routes!(list_windows, create_window))
        .routes(routes!(end_window))
}

/// The tenant `id` if the actor configures its event management.
pub(crate) async fn events_manageable(
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
    if actor.can(Permission::ManageEvents, tenant, &root) {
        Ok(tenant)
    } else {
        Err(ApiError::forbidden(
            "only those who configure the tenant's event management (supervisors, administrators) \
             read and change its rules and maintenance windows",
        ))
    }
}

/// The classification rules in effect.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventRulesOut {
    /// Whether these are the defaults (the tenant never set its own).
    default: bool,
    /// The rules, in order: the first whose conditions all hold wins. Each
    /// is `{name, conditions: [{kind, …}], outcome: {class, open_incident,
    /// priority, auto_resolve}}`.
    #[schema(value_type = Vec<Object>)]
    rules: Vec<ClassRule>,
}

/// The rules of a tenant, or the defaults.
pub(crate) async fn rules_in_effect(
    state: &AppState,
    tenant: TenantId,
) -> Result<(bool, Vec<ClassRule>), StoreError> {
    Ok(match state.store().event_rules(tenant).await? {
        Some(rules) => (false, rules),
        None => (true, default_rules()),
    })
}

/// Validates a body as a list of rules; refusals name `rules[i].field`.
fn rules_of(body: serde_json::Value) -> Result<Vec<ClassRule>, ApiError> {
    let serde_json::Value::Array(items) = body else {
        return Err(ApiError::invalid(
            "rules",
            "the body must be a JSON array of rules",
        ));
    };
    let mut rules = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let rule: ClassRule = serde_json::from_value(item)
            .map_err(|e| ApiError::invalid(&format!("rules[{i}]"), e.to_string()))?;
        rules.push(rule);
    }
    let set = RuleSet::new(rules).map_err(|e| {
        let field = if e.field.is_empty() {
            format!("rules[{}]", e.rule)
        } else {
            format!("rules[{}].{}", e.rule, e.field)
        };
        ApiError::invalid(&field, e.message)
    })?;
    Ok(set.rules().to_vec())
}

/// Reads the classification rules in effect.
#[utoipa::path(get, path = "/tenants/{id}/event-rules", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = EventRulesOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<EventRulesOut>, ApiError> {
    let tenant = events_manageable(&state, &actor, id).await?;
    let (default, rules) = rules_in_effect(&state, tenant).await?;
    Ok(Json(EventRulesOut { default, rules }))
}

/// Replaces the classification rules with a JSON array of rules. A bad
/// rule (unknown condition, bad regular expression) is refused with 422
/// naming `rules[i].field`.
#[utoipa::path(put, path = "/tenants/{id}/event-rules", tag = "events", params(("id" = i64, Path)),
    request_body(content = Vec<Object>, description = "The rules, in order"),
    responses((status = 200, body = EventRulesOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<EventRulesOut>, ApiError> {
    let tenant = events_manageable(&state, &actor, id).await?;
    let rules = rules_of(body)?;
    state
        .store()
        .set_event_rules(&actor, tenant, state.clock().now(), &rules)
        .await?;
    Ok(Json(EventRulesOut {
        default: false,
        rules,
    }))
}

/// Goes back to the default rules.
#[utoipa::path(delete, path = "/tenants/{id}/event-rules", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = EventRulesOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn reset_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<EventRulesOut>, ApiError> {
    let tenant = events_manageable(&state, &actor, id).await?;
    state
        .store()
        .reset_event_rules(&actor, tenant, state.clock().now())
        .await?;
    Ok(Json(EventRulesOut {
        default: true,
        rules: default_rules(),
    }))
}

/// A maintenance window: while it runs, triggers about the items it covers
/// are recorded and raise nothing.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceWindowOut {
    id: i64,
    name: String,
    starts_at: String,
    ends_at: String,
    /// The items it covers; empty: the whole tenant.
    ci_ids: Vec<i64>,
    /// Whether the items below those are covered too.
    include_children: bool,
    /// Whether it runs now.
    active: bool,
}

impl MaintenanceWindowOut {
    /// The wire form of a window at `now`.
    pub(crate) fn of(name: String, w: &MaintenanceWindow, now: Timestamp) -> Self {
        MaintenanceWindowOut {
            id: w.id.0,
            name,
            starts_at: w.starts_at.to_string(),
            ends_at: w.ends_at.to_string(),
            ci_ids: match &w.scope {
                WindowScope::Tenant => Vec::new(),
                WindowScope::Items(items) => items.iter().map(|c| c.0).collect(),
            },
            include_children: w.include_children,
            active: w.is_active(now),
        }
    }
}

fn yes() -> bool {
    true
}

/// A maintenance window to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindowIn {
    /// A name for humans.
    name: String,
    /// Start, RFC 3339 (`2026-03-01T22:00:00Z`).
    starts_at: String,
    /// End, RFC 3339, after the start.
    ends_at: String,
    /// The items it covers; empty or absent: the whole tenant.
    #[serde(default)]
    ci_ids: Vec<i64>,
    /// Whether the items below those are covered too (default true).
    #[serde(default = "yes")]
    include_children: bool,
}

impl MaintenanceWindowIn {
    /// The window to store, validated.
    pub(crate) fn window(&self) -> Result<NewMaintenanceWindow, ApiError> {
        let name = validate::name("name", &self.name, 200)?;
        let starts_at = instant("starts_at", &self.starts_at)?;
        let ends_at = instant("ends_at", &self.ends_at)?;
        if ends_at <= starts_at {
            return Err(ApiError::invalid(
                "ends_at",
                "a maintenance window must end after it starts",
            ));
        }
        if self.ci_ids.len() > 1000 {
            return Err(ApiError::invalid("ci_ids", "at most 1,000 items"));
        }
        Ok(NewMaintenanceWindow {
            name,
            starts_at,
            ends_at,
            ci_ids: self.ci_ids.iter().copied().map(CiId).collect(),
            include_children: self.include_children,
        })
    }
}

/// A store refusal of a window's items, as a 422 naming `ci_ids`.
pub(crate) fn window_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(why) => ApiError::invalid("ci_ids", why),
        e => e.into(),
    }
}

/// Lists the tenant's maintenance windows, latest end first.
#[utoipa::path(get, path = "/tenants/{id}/maintenance-windows", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<MaintenanceWindowOut>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_windows(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<MaintenanceWindowOut>>, ApiError> {
    let tenant = events_manageable(&state, &actor, id).await?;
    let now = state.clock().now();
    let list = state.store().list_maintenance_windows(tenant).await?;
    Ok(Json(
        list.into_iter()
            .map(|(name, w)| MaintenanceWindowOut::of(name, &w, now))
            .collect(),
    ))
}

/// Creates a maintenance window. An end not after the start, a time that is
/// not RFC 3339 or an item unknown in the tenant is refused with 422.
#[utoipa::path(post, path = "/tenants/{id}/maintenance-windows", tag = "events", params(("id" = i64, Path)),
    request_body = MaintenanceWindowIn,
    responses((status = 201, body = MaintenanceWindowOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_window(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MaintenanceWindowIn>,
) -> Result<(StatusCode, Json<MaintenanceWindowOut>), ApiError> {
    let tenant = events_manageable(&state, &actor, id).await?;
    let new = body.window()?;
    let now = state.clock().now();
    let w = state
        .store()
        .create_maintenance_window(&actor, tenant, now, &new)
        .await
        .map_err(window_error)?;
    Ok((
        StatusCode::CREATED,
        Json(MaintenanceWindowOut::of(new.name, &w, now)),
    ))
}

/// Ends a maintenance window now; it stays in the list. Ending an ended
/// window changes nothing.
#[utoipa::path(post, path = "/tenants/{id}/maintenance-windows/{window_id}/end", tag = "events",
    params(("id" = i64, Path), ("window_id" = i64, Path)),
    responses((status = 200, body = MaintenanceWindowOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn end_window(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, window)): ApiPath<(i64, i64)>,
) -> Result<Json<MaintenanceWindowOut>, ApiError> {
    let tenant = events_manageable(&state, &actor, id).await?;
    let now = state.clock().now();
    let window = MaintenanceWindowId(window);
    state
        .store()
        .end_maintenance_window(&actor, tenant, now, window)
        .await?;
    let list = state.store().list_maintenance_windows(tenant).await?;
    let (name, w) = list
        .into_iter()
        .find(|(_, w)| w.id == window)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(MaintenanceWindowOut::of(name, &w, now)))
}
