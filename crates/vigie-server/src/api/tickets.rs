//! `/api/v1/tickets`: incidents and service requests, their lifecycle
//! actions, conversation and history.

use super::audit::AuditOut;
use super::{ApiJson, ApiPath, ApiQuery, PageParams};
use crate::AppState;
use crate::auth::ApiActor;
use crate::desk::{self, ActError, AssignTo};
use crate::error::{ApiError, Problem, ProblemKind};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::TenantId;
use vigie_core::ids::{CategoryId, EntityId, GroupId, TicketId, UserId};
use vigie_core::tenancy::Actor;
use vigie_core::ticket::lifecycle::{self, Action, ActionKind};
use vigie_core::ticket::priority::Level;
use vigie_core::ticket::{PendingReason, TicketAccess, TicketType};
use vigie_core::validate;
use vigie_store::{
    Assignment, EntityRecord, NewTicket, TicketChanges, TicketFilter, TicketSettings,
};

mod bulk;
mod wire;
pub use wire::{
    ActionIn, CommentIn, CommentOut, EscalationIn, TicketIn, TicketOut, TicketPage, TicketPatch,
    TicketQuery,
};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tickets, create_ticket))
        .routes(routes!(get_ticket, update_ticket))
        .routes(routes!(act_on_ticket))
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(ticket_history))
        .routes(routes!(escalate_ticket))
        .merge(bulk::routes())
}

pub(super) fn text(field: &'static str, value: &str) -> Result<String, ApiError> {
    Ok(validate::long_text(field, value, validate::MAX_LONG_TEXT)?)
}

pub(super) fn parse<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e: T::Err| ApiError::invalid(field, e.to_string()))
}

fn ci_refs(refs: &[String]) -> Result<String, ApiError> {
    if refs.len() > 50 {
        return Err(ApiError::invalid(
            "ci_refs",
            "at most 50 configuration items",
        ));
    }
    let cleaned = refs
        .iter()
        .map(|r| validate::name("ci_refs", &r.replace(',', " "), 200))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(cleaned.join(","))
}

fn optional_ref(field: &'static str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| validate::name(field, v, 200))
        .transpose()
        .map_err(Into::into)
}

impl From<ActError> for ApiError {
    fn from(e: ActError) -> Self {
        match e {
            ActError::Store(e) => ApiError::from(e),
            ActError::Lifecycle(e @ lifecycle::LifecycleError::Missing { field }) => {
                ApiError::invalid(field, e.to_string())
            }
            ActError::Lifecycle(e) => ApiError::new(ProblemKind::Conflict, e.to_string()),
        }
    }
}

/// Lists the tickets the caller may read: queues through filters, or one
/// of the caller's saved views (`view`), which selects what its web queue
/// shows.
#[utoipa::path(get, path = "/tickets", tag = "tickets", params(TicketQuery),
    responses((status = 200, body = TicketPage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn list_tickets(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> Result<Json<TicketPage>, ApiError> {
    let access = TicketAccess::of(&actor);
    let within = match q.within {
        Some(id) => Some(
            state
                .store()
                .get_entity(&actor.reach(), EntityId(id))
                .await?
                .path,
        ),
        None => None,
    };
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .request()?;
    let filter = match q.view {
        Some(id) => {
            q.only_view()?;
            TicketFilter {
                within,
                ..super::views::filter_of(&state, &actor, id).await?
            }
        }
        None => q.filter(actor.user, within)?,
    };
    let page = state.store().list_tickets(&access, &filter, page).await?;
    Ok(Json(TicketPage::from_page(page, TicketOut::from)))
}

/// Reads a ticket.
#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = TicketOut), (status = 404, body = Problem)))]
async fn get_ticket(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TicketOut>, ApiError> {
    let t = state
        .store()
        .get_ticket(&TicketAccess::of(&actor), TicketId(id))
        .await?;
    Ok(Json(t.into()))
}

/// Opens a ticket. Its priority follows from impact and urgency through the
/// tenant's matrix.
#[utoipa::path(post, path = "/tickets", tag = "tickets", request_body = TicketIn,
    responses((status = 201, body = TicketOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_ticket(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<TicketIn>,
) -> Result<(StatusCode, Json<TicketOut>), ApiError> {
    let access = TicketAccess::of(&actor);
    let mut reads = OpeningReads::default();
    let (entity, new) = new_ticket(&state, &actor, &access, &body, &mut reads).await?;
    let t = desk::open_ticket(&state, &actor, &entity, &new).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// What opening tickets read, kept across the tickets of one batch: the
/// entities within reach and each tenant's matrix.
#[derive(Default)]
pub(super) struct OpeningReads {
    entities: HashMap<EntityId, EntityRecord>,
    settings: HashMap<TenantId, TicketSettings>,
}

/// Validates a ticket to open: its entity within the caller's reach, its
/// fields, and its priority from the tenant's matrix (`reads` keeps the
/// entities and matrices already read, for batches).
pub(super) async fn new_ticket(
    state: &AppState,
    actor: &Actor,
    access: &TicketAccess,
    body: &TicketIn,
    reads: &mut OpeningReads,
) -> Result<(EntityRecord, NewTicket), ApiError> {
    let id = EntityId(body.entity_id);
    let entity = match reads.entities.entry(id) {
        std::collections::hash_map::Entry::Occupied(e) => e.get().clone(),
        std::collections::hash_map::Entry::Vacant(e) => e
            .insert(state.store().get_entity(&access.open, id).await?)
            .clone(),
    };
    let matrix = match reads.settings.entry(entity.tenant_id) {
        std::collections::hash_map::Entry::Occupied(e) => &e.into_mut().matrix,
        std::collections::hash_map::Entry::Vacant(e) => {
            let s = state.store().ticket_settings(entity.tenant_id).await?;
            &e.insert(s).matrix
        }
    };
    let impact: Level = parse("impact", body.impact.as_deref().unwrap_or("moyen"))?;
    let urgency: Level = parse("urgency", body.urgency.as_deref().unwrap_or("moyen"))?;
    let new = NewTicket {
        ticket_type: parse("type", &body.ticket_type)?,
        entity_id: entity.id,
        title: validate::name("title", &body.title, 200)?,
        description: text("description", body.description.as_deref().unwrap_or(""))?,
        requester_id: body.requester_id.map(UserId).unwrap_or(actor.user),
        channel: parse("channel", body.channel.as_deref().unwrap_or("api"))?,
        category_id: body.category_id.map(CategoryId),
        service_ref: optional_ref("service_ref", body.service_ref.as_deref())?,
        ci_refs: ci_refs(&body.ci_refs)?,
        impact,
        urgency,
        priority: matrix.priority(impact, urgency),
    };
    Ok((entity, new))
}

/// Changes a ticket's fields (agents of its entity). Changing impact or
/// urgency recomputes the priority.
#[utoipa::path(patch, path = "/tickets/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = TicketPatch,
    responses((status = 200, body = TicketOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_ticket(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TicketPatch>,
) -> Result<Json<TicketOut>, ApiError> {
    let access = TicketAccess::of(&actor);
    let before = state
        .store()
        .get_workable_ticket(&access, TicketId(id))
        .await?;
    let impact = body
        .impact
        .as_deref()
        .map(|v| parse::<Level>("impact", v))
        .transpose()?;
    let urgency = body
        .urgency
        .as_deref()
        .map(|v| parse::<Level>("urgency", v))
        .transpose()?;
    let priority = if impact.is_some() || urgency.is_some() {
        let settings = state.store().ticket_settings(before.tenant_id).await?;
        Some(settings.matrix.priority(
            impact.unwrap_or(before.impact),
            urgency.unwrap_or(before.urgency),
        ))
    } else {
        None
    };
    let changes = TicketChanges {
        title: body
            .title
            .as_deref()
            .map(|v| validate::name("title", v, 200))
            .transpose()?,
        description: body
            .description
            .as_deref()
            .map(|v| text("description", v))
            .transpose()?,
        ticket_type: body
            .ticket_type
            .as_deref()
            .map(|v| parse::<TicketType>("type", v))
            .transpose()?,
        category_id: body.category_id.map(|c| c.map(CategoryId)),
        service_ref: body
            .service_ref
            .map(|s| optional_ref("service_ref", s.as_deref()))
            .transpose()?,
        ci_refs: body.ci_refs.as_deref().map(ci_refs).transpose()?,
        impact,
        urgency,
        priority,
    };
    let t = state
        .store()
        .update_ticket(&actor, &access, state.clock().now(), before.id, &changes)
        .await?;
    Ok(Json(t.into()))
}

/// Applies a lifecycle action: `assign` (with `group_id` and/or
/// `assignee_id`), `start`, `pend` (with `reason`), `resume`, `resolve`
/// (with `solution` and `code`), `reopen`, `close`. A refused action is a
/// 409 whose detail lists the actions allowed.
#[utoipa::path(post, path = "/tickets/{id}/actions", tag = "tickets", params(("id" = i64, Path)), request_body = ActionIn,
    responses((status = 200, body = TicketOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn act_on_ticket(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ActionIn>,
) -> Result<Json<TicketOut>, ApiError> {
    let kind: ActionKind = parse("action", &body.action)?;
    let action = match kind {
        ActionKind::Assign => Action::Assign,
        ActionKind::Start => Action::Start,
        ActionKind::Pend => Action::Pend(parse::<PendingReason>(
            "reason",
            body.reason.as_deref().unwrap_or(""),
        )?),
        ActionKind::Resume => Action::Resume,
        ActionKind::Resolve => Action::Resolve {
            solution: text("solution", body.solution.as_deref().unwrap_or(""))?,
            code: validate::name("code", body.code.as_deref().unwrap_or(""), 50)
                .unwrap_or_default(),
        },
        ActionKind::Reopen => Action::Reopen,
        ActionKind::Close => Action::Close,
    };
    let assign = AssignTo::Explicit(Assignment {
        group_id: body.group_id.map(GroupId),
        assignee_id: body.assignee_id.map(UserId),
    });
    let t = desk::act_on_ticket(&state, &actor, TicketId(id), action, assign).await?;
    Ok(Json(t.into()))
}

/// The conversation: replies, and internal notes for agents.
#[utoipa::path(get, path = "/tickets/{id}/comments", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CommentOut>), (status = 404, body = Problem)))]
async fn list_comments(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<CommentOut>>, ApiError> {
    let access = TicketAccess::of(&actor);
    let t = state.store().get_ticket(&access, TicketId(id)).await?;
    let comments = state.store().list_comments(&access, &t).await?;
    Ok(Json(comments.into_iter().map(CommentOut::from).collect()))
}

/// Adds a reply (`public: true`, the default) or an internal note.
#[utoipa::path(post, path = "/tickets/{id}/comments", tag = "tickets", params(("id" = i64, Path)), request_body = CommentIn,
    responses((status = 201, body = CommentOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_comment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CommentIn>,
) -> Result<(StatusCode, Json<CommentOut>), ApiError> {
    let access = TicketAccess::of(&actor);
    let t = state.store().get_ticket(&access, TicketId(id)).await?;
    let text = text("body", &body.body)?;
    if text.trim().is_empty() {
        return Err(ApiError::invalid("body", "`body` must not be empty"));
    }
    let c = state
        .store()
        .add_comment(&actor, &access, state.clock().now(), &t, body.public, &text)
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Every field change of the ticket, oldest first.
#[utoipa::path(get, path = "/tickets/{id}/history", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AuditOut>), (status = 404, body = Problem)))]
async fn ticket_history(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AuditOut>>, ApiError> {
    let t = state
        .store()
        .get_ticket(&TicketAccess::of(&actor), TicketId(id))
        .await?;
    let lines = state.store().ticket_history(&t).await?;
    Ok(Json(lines.into_iter().map(AuditOut::from).collect()))
}

/// Escalates a ticket. `functional`: to the group `group_id`, of a higher
/// support level, released from its agent; `hierarchical`: alerts the
/// manager of the group holding it. Both need a `reason`, which goes to the
/// timeline as an internal note.
#[utoipa::path(post, path = "/tickets/{id}/escalations", tag = "tickets", params(("id" = i64, Path)), request_body = EscalationIn,
    responses((status = 200, body = TicketOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn escalate_ticket(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EscalationIn>,
) -> Result<Json<TicketOut>, ApiError> {
    use vigie_core::ticket::escalation::EscalationError;
    // Scope first: someone who cannot work the ticket learns nothing from
    // the validation of his request.
    state
        .store()
        .get_workable_ticket(&TicketAccess::of(&actor), TicketId(id))
        .await?;
    let to = match body.kind.as_str() {
        "functional" => desk::EscalateTo::Group(body.group_id.ok_or_else(|| {
            ApiError::invalid("group_id", "a functional escalation needs a `group_id`")
        })?),
        "hierarchical" => desk::EscalateTo::Manager,
        _ => {
            return Err(ApiError::invalid(
                "kind",
                "`kind` must be `functional` or `hierarchical`",
            ));
        }
    };
    let reason = text("reason", body.reason.trim())?;
    let ticket = desk::escalate(&state, &actor, TicketId(id), to, &reason)
        .await
        .map_err(|e| match e {
            desk::EscalateError::Store(e) => ApiError::from(e),
            desk::EscalateError::NoSuchGroup(g) => {
                ApiError::invalid("group_id", format!("there is no group {g}"))
            }
            desk::EscalateError::Escalation(e @ EscalationError::NoReason) => {
                ApiError::invalid("reason", e.to_string())
            }
            desk::EscalateError::Escalation(e @ EscalationError::NotHigher { .. }) => {
                ApiError::invalid("group_id", e.to_string())
            }
            desk::EscalateError::Escalation(e) => {
                ApiError::new(ProblemKind::Conflict, e.to_string())
            }
            desk::EscalateError::Lifecycle(e) => {
                ApiError::new(ProblemKind::Conflict, e.to_string())
            }
        })?;
    Ok(Json(ticket.into()))
}
