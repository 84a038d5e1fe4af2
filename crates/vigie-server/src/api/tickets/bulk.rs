//! Many tickets in one request: `POST /tickets/batch` opens up to
//! [`MAX_BATCH`] tickets all or none (one transaction, shared with whatever
//! else is being written at that moment), and `POST /tickets/bulk` applies
//! one action (assign, priority, resolve) to up to `desk::MAX_BULK` tickets,
//! reporting each ticket's result.

use super::super::ApiJson;
use super::{OpeningReads, TicketIn, TicketOut, new_ticket, parse, text};
use crate::AppState;
use crate::auth::ApiActor;
use crate::desk::{self, AssignTo, BulkAction, MAX_BULK};
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::{GroupId, UserId};
use vigie_core::ticket::TicketAccess;
use vigie_core::ticket::priority::Priority;
use vigie_core::validate;
use vigie_store::Assignment;

/// The most tickets one batch opens.
pub const MAX_BATCH: usize = 1000;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_batch))
        .routes(routes!(bulk_action))
}

/// Tickets to open together.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketBatchIn {
    /// From 1 to 1000 tickets, as for `POST /tickets`.
    tickets: Vec<TicketIn>,
}

/// The tickets opened, in the order given.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketBatchOut {
    tickets: Vec<TicketOut>,
}

/// Opens several tickets at once, all or none: an error names the ticket at
/// fault by its position (`tickets[3].title`) and nothing is stored.
#[utoipa::path(post, path = "/tickets/batch", tag = "tickets", request_body = TicketBatchIn,
    responses((status = 201, body = TicketBatchOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_batch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<TicketBatchIn>,
) -> Result<(StatusCode, Json<TicketBatchOut>), ApiError> {
    if body.tickets.is_empty() || body.tickets.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "tickets",
            format!("a batch holds from 1 to {MAX_BATCH} tickets"),
        ));
    }
    let access = TicketAccess::of(&actor);
    let mut reads = OpeningReads::default();
    let mut tickets = Vec::with_capacity(body.tickets.len());
    for (i, t) in body.tickets.iter().enumerate() {
        let ticket = new_ticket(&state, &actor, &access, t, &mut reads)
            .await
            .map_err(|mut e| {
                e.field = Some(match e.field.take() {
                    Some(f) => format!("tickets[{i}].{f}"),
                    None => format!("tickets[{i}]"),
                });
                e
            })?;
        tickets.push(ticket);
    }
    let opened = desk::open_tickets(&state, &actor, tickets).await?;
    Ok((
        StatusCode::CREATED,
        Json(TicketBatchOut {
            tickets: opened.into_iter().map(TicketOut::from).collect(),
        }),
    ))
}

/// One action for many tickets.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkIn {
    /// The tickets, 1 to 200 (repeats are taken once).
    ids: Vec<i64>,
    /// `assign` (with `group_id` and/or `assignee_id`, or neither to take
    /// them yourself), `priority` (with `priority`) or `resolve` (with
    /// `solution` and `code`).
    action: String,
    group_id: Option<i64>,
    assignee_id: Option<i64>,
    /// For `priority`: `critique`, `haut`, `moyen` or `bas`.
    priority: Option<String>,
    solution: Option<String>,
    code: Option<String>,
}

/// What happened to one ticket of a bulk action.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    id: i64,
    /// Whether the action was applied.
    ok: bool,
    /// The ticket after the action, when applied.
    ticket: Option<TicketOut>,
    /// Why not, when refused.
    problem: Option<Problem>,
}

/// The result of a bulk action, ticket by ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkOut {
    /// How many tickets changed.
    succeeded: usize,
    /// How many were refused.
    failed: usize,
    results: Vec<BulkResult>,
}

fn bulk_of(body: &BulkIn) -> Result<BulkAction, ApiError> {
    match body.action.as_str() {
        "assign" => Ok(BulkAction::Assign(
            if body.group_id.is_none() && body.assignee_id.is_none() {
                AssignTo::Myself
            } else {
                AssignTo::Explicit(Assignment {
                    group_id: body.group_id.map(GroupId),
                    assignee_id: body.assignee_id.map(UserId),
                })
            },
        )),
        "priority" => Ok(BulkAction::Priority(parse::<Priority>(
            "priority",
            body.priority.as_deref().unwrap_or(""),
        )?)),
        "resolve" => {
            let solution = text("solution", body.solution.as_deref().unwrap_or(""))?;
            if solution.trim().is_empty() {
                return Err(ApiError::invalid(
                    "solution",
                    "a resolution needs a solution",
                ));
            }
            let code = validate::name("code", body.code.as_deref().unwrap_or(""), 50)?;
            Ok(BulkAction::Resolve { solution, code })
        }
        other => Err(ApiError::invalid(
            "action",
            format!("unknown bulk action `{other}`: expected assign, priority or resolve"),
        )),
    }
}

/// Applies one action to many tickets, each through the same rules as a
/// single action; the answer lists each ticket's result (a refused ticket
/// carries its problem) and never stops at the first refusal.
#[utoipa::path(post, path = "/tickets/bulk", tag = "tickets", request_body = BulkIn,
    responses((status = 200, body = BulkOut), (status = 422, body = Problem)))]
async fn bulk_action(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<BulkIn>,
) -> Result<Json<BulkOut>, ApiError> {
    let ids = desk::distinct_ids(body.ids.iter().copied());
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(ApiError::invalid(
            "ids",
            format!("a bulk action takes from 1 to {MAX_BULK} tickets"),
        ));
    }
    let action = bulk_of(&body)?;
    let results: Vec<BulkResult> = desk::bulk_act(&state, &actor, &ids, &action)
        .await
        .into_iter()
        .map(|(id, r)| match r {
            Ok(t) => BulkResult {
                id: id.0,
                ok: true,
                ticket: Some(t.into()),
                problem: None,
            },
            Err(e) => BulkResult {
                id: id.0,
                ok: false,
                ticket: None,
                problem: Some(ApiError::from(e).problem()),
            },
        })
        .collect();
    let succeeded = results.iter().filter(|r| r.ok).count();
    Ok(Json(BulkOut {
        succeeded,
        failed: results.len() - succeeded,
        results,
    }))
}
