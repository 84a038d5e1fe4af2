//! `/api/v1/me/views`: the caller's saved views of the ticket queues, the
//! same the web queue shows beside its tabs. A view keeps the canonical
//! query string of [`QueueView`]; the API refuses a value the queue's
//! selects do not offer (where the web form drops it), then saves the same
//! string the web would. `GET /api/v1/tickets?view={id}` applies one.

use super::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use crate::queue_view::{ListQuery, MAX_VIEW_NAME, QueueView, Refused, sort_code};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::tenancy::Actor;
use vigie_core::ticket::TicketAccess;
use vigie_core::validate;
use vigie_store::{SavedViewRecord, TicketFilter};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_views, create_view))
        .routes(routes!(get_view, delete_view))
}

/// A saved view of the ticket queues.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedViewOut {
    id: i64,
    name: String,
    /// The canonical query string of the web queue
    /// (`queue=open&priority=critique`): `/tickets?{query}` shows it.
    query: String,
    /// The queue: `mine`, `groups`, `unassigned`, `open`, `recent` or
    /// `all` for agents; `open` or `all` for requesters.
    queue: String,
    /// The status chosen (it replaces the queue's "open only").
    status: Option<String>,
    /// The priority chosen.
    priority: Option<String>,
    /// The type chosen.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// The text searched in titles.
    q: Option<String>,
    /// The sort chosen (`priority`, `newest` or `updated`); absent, the
    /// queue's own.
    sort: Option<String>,
    created_at: String,
}

/// A view to save. Every filter is optional; an empty string is the same
/// as absent. Without `queue`, the caller's first queue (`mine` for
/// agents, `open` for requesters).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedViewIn {
    /// 1 to 80 characters, unique among the caller's views.
    name: String,
    /// `mine`, `groups`, `unassigned`, `open`, `recent` or `all` for agents;
    /// `open` or `all` for requesters.
    queue: Option<String>,
    /// `new`, `assigned`, `in_progress`, `pending`, `resolved` or `closed`.
    status: Option<String>,
    /// `critique`, `haut`, `moyen` or `bas`.
    priority: Option<String>,
    /// `incident` or `request`.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Text in the title, at most 200 characters.
    q: Option<String>,
    /// `priority`, `newest` or `updated`.
    sort: Option<String>,
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        ApiError::invalid(r.field, r.message)
    }
}

/// Whether the actor sees the requesters' portal rather than the agents'
/// queues.
fn portal(actor: &Actor) -> bool {
    !TicketAccess::of(actor).works_somewhere()
}

/// The view as it reads now for its owner.
fn view_out(actor: &Actor, v: SavedViewRecord) -> Result<SavedViewOut, ApiError> {
    let view = QueueView::saved(&v.query, portal(actor)).map_err(ApiError::internal)?;
    let code = |c: Option<&'static str>| c.map(str::to_owned);
    Ok(SavedViewOut {
        id: v.id,
        name: v.name,
        query: v.query,
        queue: view.queue.code().to_owned(),
        status: code(view.status.map(|s| s.as_str())),
        priority: code(view.priority.map(|p| p.as_str())),
        kind: code(view.kind.map(|k| k.as_str())),
        q: Some(view.q).filter(|q| !q.is_empty()),
        sort: code(view.sort.map(sort_code)),
        created_at: v.created_at.to_string(),
    })
}

/// The storage filter of the actor's view `id`, as the web queue applies
/// it (without the entity restriction, which the caller sets).
pub(super) async fn filter_of(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<TicketFilter, ApiError> {
    let v = state.store().get_saved_view(actor, id).await?;
    let view = QueueView::saved(&v.query, portal(actor)).map_err(ApiError::internal)?;
    Ok(view.filter(actor.user))
}

/// The caller's saved views, by name.
#[utoipa::path(get, path = "/me/views", tag = "me",
    responses((status = 200, body = Vec<SavedViewOut>), (status = 401, body = Problem)))]
async fn list_views(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Vec<SavedViewOut>>, ApiError> {
    let views = state.store().list_saved_views(&actor).await?;
    let out = views
        .into_iter()
        .map(|v| view_out(&actor, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(out))
}

/// Saves a view of the ticket queues for the caller. A value the queue does
/// not offer is refused (422), as is a name already used by the caller
/// (409) or a view past the per-user limit (422).
#[utoipa::path(post, path = "/me/views", tag = "me", request_body = SavedViewIn,
    responses((status = 201, body = SavedViewOut), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn create_view(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<SavedViewIn>,
) -> Result<(StatusCode, Json<SavedViewOut>), ApiError> {
    let name = validate::name("name", &body.name, MAX_VIEW_NAME)?;
    let query = ListQuery {
        queue: body.queue.unwrap_or_default(),
        status: body.status.unwrap_or_default(),
        priority: body.priority.unwrap_or_default(),
        kind: body.kind.unwrap_or_default(),
        q: body.q.unwrap_or_default(),
        sort: body.sort.unwrap_or_default(),
        after: String::new(),
    };
    let canonical = QueueView::read_exact(&query, portal(&actor))?.canonical();
    let v = state
        .store()
        .create_saved_view(&actor, state.clock().now(), &name, &canonical)
        .await?;
    Ok((StatusCode::CREATED, Json(view_out(&actor, v)?)))
}

/// One of the caller's saved views (another user's is not found).
#[utoipa::path(get, path = "/me/views/{id}", tag = "me", params(("id" = i64, Path)),
    responses((status = 200, body = SavedViewOut), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn get_view(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SavedViewOut>, ApiError> {
    let v = state.store().get_saved_view(&actor, id).await?;
    Ok(Json(view_out(&actor, v)?))
}

/// Deletes one of the caller's saved views.
#[utoipa::path(delete, path = "/me/views/{id}", tag = "me", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn delete_view(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.store().delete_saved_view(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
