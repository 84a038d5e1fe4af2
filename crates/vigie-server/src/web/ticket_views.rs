//! Saved views: a user names the queue he is looking at (queue, filters,
//! sort) to find it again beside the queue tabs, or deletes one. A view
//! keeps the canonical query string of [`QueueView`], so it holds only what
//! the queue's selects offer.

use super::common::{FormError, PageResult, explain, frame, parse_id, see_other, with_status};
use super::tickets::HERE;
use super::{MessagePage, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::queue_view::{ListQuery, MAX_VIEW_NAME, QueueView};
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use vigie_core::ticket::TicketAccess;
use vigie_core::validate;
use vigie_store::StoreError;

/// The form saving the current view.
#[derive(Deserialize)]
pub(super) struct SaveViewIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    queue: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    priority: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
}

/// Shows a refusal on a page of its own, with its status.
#[allow(
    clippy::result_large_err,
    reason = "the error is the page to answer with, returned once per request"
)]
fn refused(l: super::Layout, e: FormError) -> PageResult {
    let (status, message) = explain(&l, e)?;
    Ok(with_status(render(&MessagePage { l, message }), status))
}

/// Saves the view and shows it.
pub(super) async fn save(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<SaveViewIn>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let name = match validate::name("name", &form.name, MAX_VIEW_NAME) {
        Ok(n) => n,
        Err(e) => return refused(l, e.into()),
    };
    let query = ListQuery {
        queue: form.queue,
        status: form.status,
        priority: form.priority,
        kind: form.kind,
        q: form.q,
        sort: form.sort,
        after: String::new(),
    };
    let portal = !TicketAccess::of(&session.actor).works_somewhere();
    let canonical = QueueView::read(&query, portal).canonical();
    match state
        .store()
        .create_saved_view(&session.actor, state.clock().now(), &name, &canonical)
        .await
    {
        Ok(v) => Ok(see_other(&format!("{HERE}?{}", v.query))),
        Err(e) => refused(l, e.into()),
    }
}

/// The form deleting a view.
#[derive(Deserialize)]
pub(super) struct DeleteViewIn {
    #[serde(default)]
    csrf: String,
}

/// Deletes one of the user's views and goes back to the queues.
pub(super) async fn delete(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<DeleteViewIn>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let id = parse_id(&raw).ok_or_else(|| super::common::not_found(&l))?;
    match state.store().delete_saved_view(&session.actor, id).await {
        Ok(()) => Ok(see_other(HERE)),
        Err(StoreError::NotFound) => Err(super::common::not_found(&l)),
        Err(e) => refused(l, e.into()),
    }
}
