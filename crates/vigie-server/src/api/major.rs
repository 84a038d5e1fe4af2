//! `/api/v1/tickets/{id}/major`, `/children` and `/communications`: major
//! incidents, the incidents they cause, and what was told to stakeholders.

use super::tickets::{TicketOut, TicketPage};
use super::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem, ProblemKind};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::TicketId;
use vigie_core::ticket::TicketAccess;
use vigie_core::ticket::major::{self, MajorError, MajorFacts};
use vigie_core::validate;
use vigie_store::{CommunicationRecord, PageRequest, TicketFilter, TicketRecord};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_major))
        .routes(routes!(list_children))
        .routes(routes!(link_child, unlink_child))
        .routes(routes!(list_communications, add_communication))
}

/// Declare (or stop declaring) a major incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MajorIn {
    major: bool,
}

/// A communication to stakeholders.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunicationOut {
    id: i64,
    audience: String,
    body: String,
    author: String,
    sent_at: String,
}

impl From<CommunicationRecord> for CommunicationOut {
    fn from(c: CommunicationRecord) -> Self {
        CommunicationOut {
            id: c.id,
            audience: c.audience,
            body: c.body,
            author: c.author_label,
            sent_at: c.sent_at.to_string(),
        }
    }
}

/// A communication to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunicationIn {
    /// Who it is for, e.g. "Direction" or "Utilisateurs du site de Lille".
    audience: String,
    /// What is said (Markdown).
    body: String,
}

fn facts(t: &TicketRecord) -> MajorFacts {
    MajorFacts {
        ticket_type: t.ticket_type,
        priority: t.priority,
        status: t.status,
        major: t.major,
        has_parent: t.parent_id.is_some(),
    }
}

fn refused(e: MajorError) -> ApiError {
    match e {
        MajorError::Missing(field) => ApiError::invalid(field, e.to_string()),
        _ => ApiError::new(ProblemKind::Conflict, e.to_string()),
    }
}

/// Declares a P1 incident major, or stops: its children are then unlinked.
#[utoipa::path(put, path = "/tickets/{id}/major", tag = "tickets", params(("id" = i64, Path)), request_body = MajorIn,
    responses((status = 200, body = TicketOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn set_major(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MajorIn>,
) -> Result<Json<TicketOut>, ApiError> {
    let access = TicketAccess::of(&actor);
    let t = state
        .store()
        .get_workable_ticket(&access, TicketId(id))
        .await?;
    if body.major {
        major::check_declare(&facts(&t)).map_err(refused)?;
    }
    state
        .store()
        .set_major(&actor, state.clock().now(), &t, body.major)
        .await?;
    Ok(Json(state.store().get_ticket(&access, t.id).await?.into()))
}

/// The incidents linked to a major incident.
#[utoipa::path(get, path = "/tickets/{id}/children", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = TicketPage), (status = 404, body = Problem)))]
async fn list_children(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TicketPage>, ApiError> {
    let access = TicketAccess::of(&actor);
    let t = state.store().get_ticket(&access, TicketId(id)).await?;
    let filter = TicketFilter {
        parent_id: Some(t.id),
        ..Default::default()
    };
    let page = state
        .store()
        .list_tickets(&access, &filter, PageRequest::first(200))
        .await?;
    Ok(Json(TicketPage::from_page(page, TicketOut::from)))
}

/// Links an incident to a major incident; the agent must work both.
#[utoipa::path(put, path = "/tickets/{id}/children/{child_id}", tag = "tickets",
    params(("id" = i64, Path), ("child_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn link_child(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, child)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let access = TicketAccess::of(&actor);
    let parent = state
        .store()
        .get_workable_ticket(&access, TicketId(id))
        .await?;
    let child = state
        .store()
        .get_workable_ticket(&access, TicketId(child))
        .await?;
    if parent.tenant_id != child.tenant_id {
        return Err(ApiError::not_found());
    }
    major::check_link(parent.id.0, &facts(&parent), child.id.0, &facts(&child)).map_err(refused)?;
    state
        .store()
        .set_parent(&actor, state.clock().now(), &child, Some(parent.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlinks an incident from its major incident.
#[utoipa::path(delete, path = "/tickets/{id}/children/{child_id}", tag = "tickets",
    params(("id" = i64, Path), ("child_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn unlink_child(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, child)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let access = TicketAccess::of(&actor);
    let parent = state
        .store()
        .get_workable_ticket(&access, TicketId(id))
        .await?;
    let child = state
        .store()
        .get_workable_ticket(&access, TicketId(child))
        .await?;
    if child.parent_id != Some(parent.id) {
        return Err(ApiError::not_found());
    }
    state
        .store()
        .set_parent(&actor, state.clock().now(), &child, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What was told to stakeholders about a major incident, oldest first.
#[utoipa::path(get, path = "/tickets/{id}/communications", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CommunicationOut>), (status = 404, body = Problem)))]
async fn list_communications(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<CommunicationOut>>, ApiError> {
    let t = state
        .store()
        .get_ticket(&TicketAccess::of(&actor), TicketId(id))
        .await?;
    let list = state.store().list_communications(&t).await?;
    Ok(Json(list.into_iter().map(CommunicationOut::from).collect()))
}

/// Records a communication sent about a major incident.
#[utoipa::path(post, path = "/tickets/{id}/communications", tag = "tickets", params(("id" = i64, Path)), request_body = CommunicationIn,
    responses((status = 201, body = CommunicationOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_communication(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CommunicationIn>,
) -> Result<(StatusCode, Json<CommunicationOut>), ApiError> {
    let t = state
        .store()
        .get_workable_ticket(&TicketAccess::of(&actor), TicketId(id))
        .await?;
    if !t.major {
        return Err(refused(MajorError::NotMajor));
    }
    major::check_communication(&body.audience, &body.body).map_err(refused)?;
    let audience = validate::name("audience", &body.audience, 200)?;
    let text = validate::long_text("body", &body.body, validate::MAX_LONG_TEXT)?;
    let c = state
        .store()
        .add_communication(&actor, state.clock().now(), &t, &audience, &text)
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}
