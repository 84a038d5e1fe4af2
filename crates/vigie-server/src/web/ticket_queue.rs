//! `/tickets`: the agents' queues (mine, my groups, unassigned, all open,
//! recently updated, all) with their filters, sort and pages, the user's
//! saved views beside them, the bulk action form over the rows, and the
//! requesters' portal (their own tickets, and their entity's for a contact
//! point). The queues and their filters are read by
//! [`crate::queue_view`], which the API shares; saving a view is in
//! [`super::ticket_views`], bulk actions in [`super::ticket_bulk`].

use super::common::{Choice, PAGE_SIZE, PageResult, frame, link, parse_id, store_page};
use super::tickets::{
    HERE, TicketRow, parent_numbers, priority_label, status_label, switcher_path, type_label,
};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::queue_view::{ListQuery, Queue, QueueView, SORTS, sort_code};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use vigie_core::ticket::priority::Priority;
use vigie_core::ticket::{Status, TicketAccess, TicketType};
use vigie_store::{PageRequest, StoreError};

/// The routes of the queues, their saved views and bulk actions.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(HERE, get(list))
        .route("/tickets/bulk", post(super::ticket_bulk::apply))
        .route("/tickets/views", post(super::ticket_views::save))
        .route(
            "/tickets/views/{id}/delete",
            post(super::ticket_views::delete),
        )
}

/// The label of a queue's tab for the audience.
fn label_key(queue: Queue, portal: bool) -> &'static str {
    match (queue, portal) {
        (Queue::Open, true) => "portal-open",
        (Queue::All, true) => "portal-all",
        (Queue::Mine, _) => "queue-mine",
        (Queue::Groups, _) => "queue-groups",
        (Queue::Unassigned, _) => "queue-unassigned",
        (Queue::Open, _) => "queue-open",
        (Queue::Recent, _) => "queue-recent",
        (Queue::All, _) => "queue-all",
    }
}

/// A tab of the queues, or a saved view.
pub(super) struct Tab {
    pub(super) href: String,
    pub(super) label: String,
    pub(super) current: bool,
    pub(super) id: String,
    /// Where to post to delete it (saved views only).
    pub(super) delete: Option<String>,
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsPage {
    l: Layout,
    portal: bool,
    queue: &'static str,
    tabs: Vec<Tab>,
    views: Vec<Tab>,
    status: String,
    priority: String,
    kind: String,
    q: String,
    sort: String,
    statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    kinds: Vec<Choice>,
    sorts: Vec<Choice>,
    groups: Vec<Choice>,
    rows: Vec<TicketRow>,
    next: Option<String>,
    first: Option<String>,
    back: String,
    can_open: bool,
}

fn choices<T: Copy>(
    all: &[T],
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: value(*v).to_owned(),
            label: label(*v),
        })
        .collect()
}

/// The groups of the actor's tenant he sees, for the bulk assign form.
async fn group_choices(state: &AppState, session: &WebSession) -> Result<Vec<Choice>, StoreError> {
    Ok(
        super::tickets::tenant_groups(state, session, session.actor.tenant)
            .await?
            .into_iter()
            .map(|(id, label)| Choice {
                value: id.to_string(),
                label,
            })
            .collect(),
    )
}

async fn list(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let actor = &session.actor;
    let access = TicketAccess::of(actor);
    let portal = !access.works_somewhere();
    let title = if portal {
        "tickets-portal-title"
    } else {
        "tickets-queue-title"
    };
    let l = frame(&state, &session, &headers, title, HERE).await?;
    let view = QueueView::read(&query, portal);
    let mut filter = view.filter(actor.user);
    filter.within = switcher_path(&state, &session)
        .await
        .map_err(|e| store_page(&l, e))?;
    let after = parse_id(&query.after);
    let page = state
        .store()
        .list_tickets(
            &access,
            &filter,
            PageRequest {
                after,
                limit: PAGE_SIZE,
            },
        )
        .await
        .map_err(|e| store_page(&l, e))?;
    let next = page.next_after.map(|n| link(HERE, &view.params(Some(n))));
    let first = after.map(|_| link(HERE, &view.params(None)));
    let canonical = view.canonical();
    let tabs = Queue::of_audience(portal)
        .iter()
        .map(|t| Tab {
            href: link(HERE, &[("queue", t.code().to_owned())]),
            label: l.t(label_key(*t, portal)),
            current: *t == view.queue && canonical == format!("queue={}", t.code()),
            id: format!("queue-{}", t.code()),
            delete: None,
        })
        .collect();
    let views = state
        .store()
        .list_saved_views(actor)
        .await
        .map_err(|e| store_page(&l, e))?
        .into_iter()
        .map(|v| Tab {
            href: format!("{HERE}?{}", v.query),
            current: v.query == canonical,
            label: v.name,
            id: format!("view-{}", v.id),
            delete: Some(format!("{HERE}/views/{}/delete", v.id)),
        })
        .collect();
    let groups = if portal {
        Vec::new()
    } else {
        group_choices(&state, &session)
            .await
            .map_err(|e| store_page(&l, e))?
    };
    let mut rows: Vec<TicketRow> = page
        .items
        .into_iter()
        .map(|t| TicketRow::of(&l, t))
        .collect();
    parent_numbers(&state, &access, &mut rows)
        .await
        .map_err(|e| store_page(&l, e))?;
    let sorts = choices(&SORTS, sort_code, |s| {
        l.t(&format!("sort-{}", sort_code(s)))
    });
    Ok(render(&TicketsPage {
        can_open: super::tickets::can_open(&access),
        portal,
        queue: view.queue.code(),
        tabs,
        views,
        status: view
            .status
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        priority: view
            .priority
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        kind: view.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        sort: view
            .sort
            .map(|s| sort_code(s).to_owned())
            .unwrap_or_default(),
        q: view.q.clone(),
        statuses: choices(Status::ALL, |s| s.as_str(), |s| status_label(&l, s)),
        priorities: choices(Priority::ALL, |p| p.as_str(), |p| priority_label(&l, p)),
        kinds: choices(TicketType::ALL, |t| t.as_str(), |t| type_label(&l, t)),
        sorts,
        groups,
        rows,
        next,
        first,
        back: link(HERE, &view.params(after)),
        l,
    }))
}
