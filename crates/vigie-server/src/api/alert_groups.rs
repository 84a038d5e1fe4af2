//! `/api/v1/alert-groups`: the event console. Alert groups belong to a
//! tenant, not to an entity: whoever works the tenant's events
//! (`WorkEvents`) reads its groups, their alerts and the raw events behind
//! them, and acknowledges a group someone is on.

use super::page::page_type;
use super::{ApiPath, ApiQuery, PageParams, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::event::EventAction;
use vigie_core::event::Severity;
use vigie_core::event::correlate::GroupState;
use vigie_core::ids::AlertGroupId;
use vigie_core::role::Permission;
use vigie_store::{AlertGroupFilter, AlertGroupRecord, AlertRecord, EventRecord};

/// How many raw events of an alert are listed.
const EVENTS_LISTED: u32 = 100;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups))
        .routes(routes!(get_group))
        .routes(routes!(group_events))
        .routes(routes!(acknowledge_group))
}

/// An alert group: alerts about one failing item (or one alert) and what
/// became of them.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertGroupOut {
    id: i64,
    /// The item it is rooted at, if an item matched.
    root_ci_id: Option<i64>,
    /// That item's name.
    root_ci_name: Option<String>,
    /// The first alert's summary.
    title: String,
    /// `open`, `acknowledged` or `resolved`.
    state: String,
    /// The worst severity seen: `info`, `warning`, `error` or `critical`.
    severity: String,
    /// The incident opened for it.
    incident_id: Option<i64>,
    /// That incident's number.
    incident_number: Option<i64>,
    /// Events that joined it.
    event_count: i64,
    opened_at: String,
    last_event_at: String,
    acknowledged_at: Option<String>,
    /// The login of whoever acknowledged it.
    acknowledged_by: Option<String>,
    resolved_at: Option<String>,
}

impl From<AlertGroupRecord> for AlertGroupOut {
    fn from(g: AlertGroupRecord) -> Self {
        AlertGroupOut {
            id: g.id.0,
            root_ci_id: g.root_ci_id.map(|c| c.0),
            root_ci_name: g.root_ci_name,
            title: g.title,
            state: g.state.as_str().to_owned(),
            severity: g.severity.as_str().to_owned(),
            incident_id: g.incident_id.map(|t| t.0),
            incident_number: g.incident_number,
            event_count: g.event_count,
            opened_at: g.opened_at.to_string(),
            last_event_at: g.last_event_at.to_string(),
            acknowledged_at: g.acknowledged_at.map(|t| t.to_string()),
            acknowledged_by: g.acknowledged_by,
            resolved_at: g.resolved_at.map(|t| t.to_string()),
        }
    }
}

page_type!(AlertGroupPage, AlertGroupOut);

/// One alert (one fingerprint) of a group.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertOut {
    /// Its identity; pass it to `…/events?fingerprint=` for its raw events.
    fingerprint: String,
    source: String,
    resource: String,
    check: String,
    /// The last summary.
    summary: String,
    /// The last trigger's severity.
    severity: String,
    /// `firing` or `cleared`.
    status: String,
    /// The last action: `trigger`, `acknowledge` or `resolve`.
    last_action: String,
    /// `informational`, `warning` or `exception`.
    class: String,
    /// The item it is about.
    ci_id: Option<i64>,
    /// Events counted.
    count: i64,
    first_seen: String,
    last_seen: String,
    /// Whether it changes state too often to act on.
    flapping: bool,
}

/// `firing` or `cleared`, from an alert's last action.
pub(crate) fn alert_status(action: EventAction) -> &'static str {
    match action {
        EventAction::Resolve => "cleared",
        EventAction::Trigger | EventAction::Acknowledge => "firing",
    }
}

impl From<AlertRecord> for AlertOut {
    fn from(a: AlertRecord) -> Self {
        AlertOut {
            status: alert_status(a.last_action).to_owned(),
            fingerprint: a.fingerprint,
            source: a.source,
            resource: a.resource,
            check: a.check,
            summary: a.summary,
            severity: a.severity.as_str().to_owned(),
            last_action: a.last_action.as_str().to_owned(),
            class: a.class.as_str().to_owned(),
            ci_id: a.ci_id.map(|c| c.0),
            count: a.count,
            first_seen: a.first_seen.to_string(),
            last_seen: a.last_seen.to_string(),
            flapping: a.flapping,
        }
    }
}

/// A group with its alerts, most recent first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertGroupDetail {
    #[serde(flatten)]
    group: AlertGroupOut,
    alerts: Vec<AlertOut>,
}

/// A raw event as received.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    id: i64,
    fingerprint: String,
    /// `trigger`, `acknowledge` or `resolve`.
    action: String,
    severity: String,
    summary: String,
    /// Labels, details and dedup key as the tool sent them.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    /// When the tool says it happened.
    occurred_at: String,
    /// When Vigie stored it.
    received_at: String,
    /// Whether its time was in the future and was brought back to the
    /// reception time.
    clamped: bool,
    /// Whether the processor has yet to apply it.
    pending: bool,
}

impl From<EventRecord> for EventOut {
    fn from(e: EventRecord) -> Self {
        EventOut {
            id: e.id,
            payload: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null),
            fingerprint: e.fingerprint,
            action: e.action.as_str().to_owned(),
            severity: e.severity.as_str().to_owned(),
            summary: e.summary,
            occurred_at: e.occurred_at.to_string(),
            received_at: e.received_at.to_string(),
            clamped: e.clamped,
            pending: e.pending,
        }
    }
}

/// Filters of the group list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupQuery {
    /// Only groups in this state: `open`, `acknowledged` or `resolved`.
    state: Option<String>,
    /// Only groups not resolved (ignored when `state` is given).
    live: Option<bool>,
    /// Only groups at least this severe: `info`, `warning`, `error`,
    /// `critical`.
    min_severity: Option<String>,
    /// How many groups (1–200, default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The raw events of one alert.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The fingerprint of one of the group's alerts.
    fingerprint: Option<String>,
}

fn parse<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e: T::Err| ApiError::invalid(field, e.to_string()))
}

/// Lists the tenant's alert groups, newest first.
#[utoipa::path(get, path = "/alert-groups", tag = "events", params(GroupQuery),
    responses((status = 200, body = AlertGroupPage), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_groups(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<GroupQuery>,
) -> Result<Json<AlertGroupPage>, ApiError> {
    let scope = scope_for(&actor, Permission::WorkEvents)?;
    let filter = AlertGroupFilter {
        state: q
            .state
            .as_deref()
            .map(|s| parse::<GroupState>("state", s))
            .transpose()?,
        live_only: q.live.unwrap_or(false),
        min_severity: q
            .min_severity
            .as_deref()
            .map(|s| parse::<Severity>("min_severity", s))
            .transpose()?,
    };
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .request()?;
    let page = state
        .store()
        .list_alert_groups(&scope, &filter, page)
        .await?;
    Ok(Json(AlertGroupPage::from_page(page, AlertGroupOut::from)))
}

/// Reads a group with its alerts.
#[utoipa::path(get, path = "/alert-groups/{id}", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = AlertGroupDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_group(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AlertGroupDetail>, ApiError> {
    let scope = scope_for(&actor, Permission::WorkEvents)?;
    let group = state
        .store()
        .get_alert_group(&scope, AlertGroupId(id))
        .await?;
    let alerts = state.store().group_alerts(&group).await?;
    Ok(Json(AlertGroupDetail {
        group: group.into(),
        alerts: alerts.into_iter().map(AlertOut::from).collect(),
    }))
}

/// The raw events of one of the group's alerts, newest first (at most
/// 100). A fingerprint that is not one of the group's alerts is not found.
#[utoipa::path(get, path = "/alert-groups/{id}/events", tag = "events", params(("id" = i64, Path), EventsQuery),
    responses((status = 200, body = Vec<EventOut>), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn group_events(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<Vec<EventOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::WorkEvents)?;
    let group = state
        .store()
        .get_alert_group(&scope, AlertGroupId(id))
        .await?;
    let Some(fingerprint) = q.fingerprint.as_deref().map(str::trim) else {
        return Err(ApiError::bad_request(
            "`fingerprint` is required: one of the group's alerts",
        ));
    };
    let alerts = state.store().group_alerts(&group).await?;
    if !alerts.iter().any(|a| a.fingerprint == fingerprint) {
        return Err(ApiError::not_found());
    }
    let events = state
        .store()
        .alert_events(group.tenant_id, fingerprint, EVENTS_LISTED)
        .await?;
    Ok(Json(events.into_iter().map(EventOut::from).collect()))
}

/// Acknowledges a group: someone is on it. Acknowledging twice changes
/// nothing; a resolved group is a conflict.
#[utoipa::path(post, path = "/alert-groups/{id}/acknowledge", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = AlertGroupOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn acknowledge_group(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AlertGroupOut>, ApiError> {
    let scope = scope_for(&actor, Permission::WorkEvents)?;
    let group = state
        .store()
        .acknowledge_alert_group(&actor, &scope, state.clock().now(), AlertGroupId(id))
        .await?;
    Ok(Json(group.into()))
}
