//! `/tickets`: the agents' queues (mine, my groups, unassigned, all open,
//! recently updated, all) with their filters, sort and pages, the user's
//! saved views beside them, the bulk action form over the rows, and the
//! requesters' portal (their own tickets, and their entity's for a contact
//! point). Saving a view is in [`super::ticket_views`], bulk actions in
//! [`super::ticket_bulk`].

use super::common::{Choice, PAGE_SIZE, PageResult, frame, link, parse_id, store_page};
use super::tickets::{
    HERE, TicketRow, parent_numbers, priority_label, status_label, switcher_path, type_label,
};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::Deserialize;
use vigie_core::ids::UserId;
use vigie_core::ticket::priority::Priority;
use vigie_core::ticket::{Status, TicketAccess, TicketType};
use vigie_store::{PageRequest, StoreError, TicketFilter, TicketSort};

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

/// A queue: a preset of the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Queue {
    /// Open tickets assigned to me.
    Mine,
    /// Open tickets of my groups.
    Groups,
    /// Open tickets nobody holds.
    Unassigned,
    /// Every open ticket, by priority.
    Open,
    /// Every ticket, most recently changed first.
    Recent,
    /// Every ticket, newest first.
    All,
}

impl Queue {
    const WORKER: [Queue; 6] = [
        Queue::Mine,
        Queue::Groups,
        Queue::Unassigned,
        Queue::Open,
        Queue::Recent,
        Queue::All,
    ];
    const PORTAL: [Queue; 2] = [Queue::Open, Queue::All];

    /// The queue's name in addresses.
    pub(super) fn code(self) -> &'static str {
        match self {
            Queue::Mine => "mine",
            Queue::Groups => "groups",
            Queue::Unassigned => "unassigned",
            Queue::Open => "open",
            Queue::Recent => "recent",
            Queue::All => "all",
        }
    }

    /// The queue named `s` among those of the audience, or its first.
    pub(super) fn parse(s: &str, portal: bool) -> Queue {
        let allowed: &[Queue] = if portal {
            &Queue::PORTAL
        } else {
            &Queue::WORKER
        };
        allowed
            .iter()
            .copied()
            .find(|q| q.code() == s)
            .unwrap_or(allowed[0])
    }

    fn label_key(self, portal: bool) -> &'static str {
        match (self, portal) {
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

    /// The filter of the queue for `me`.
    pub(super) fn filter(self, me: UserId) -> TicketFilter {
        let open = TicketFilter {
            open_only: true,
            sort: TicketSort::Priority,
            ..Default::default()
        };
        match self {
            Queue::Mine => TicketFilter {
                assignee_id: Some(me),
                ..open
            },
            Queue::Groups => TicketFilter {
                groups_of: Some(me),
                ..open
            },
            Queue::Unassigned => TicketFilter {
                unassigned: true,
                ..open
            },
            Queue::Open => open,
            Queue::Recent => TicketFilter {
                sort: TicketSort::Updated,
                ..Default::default()
            },
            Queue::All => TicketFilter::default(),
        }
    }
}

fn sort_code(s: TicketSort) -> &'static str {
    match s {
        TicketSort::Newest => "newest",
        TicketSort::Priority => "priority",
        TicketSort::Updated => "updated",
    }
}

fn parse_sort(s: &str) -> Option<TicketSort> {
    [
        TicketSort::Newest,
        TicketSort::Priority,
        TicketSort::Updated,
    ]
    .into_iter()
    .find(|t| sort_code(*t) == s)
}

/// The queue, its filters and position, as typed in the address.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    pub(super) queue: String,
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) priority: String,
    #[serde(default, rename = "type")]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) q: String,
    #[serde(default)]
    pub(super) sort: String,
    #[serde(default)]
    pub(super) after: String,
}

/// A queue's filter once read: unknown values are dropped, as if not
/// chosen, so an address (or a saved view) can only hold what the selects
/// offer.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct QueueView {
    pub(super) queue: Queue,
    pub(super) status: Option<Status>,
    pub(super) priority: Option<Priority>,
    pub(super) kind: Option<TicketType>,
    pub(super) q: String,
    pub(super) sort: Option<TicketSort>,
}

impl QueueView {
    /// Reads the address's values for this audience.
    pub(super) fn read(query: &ListQuery, portal: bool) -> QueueView {
        QueueView {
            queue: Queue::parse(&query.queue, portal),
            status: query.status.parse().ok(),
            priority: query.priority.parse().ok(),
            kind: query.kind.parse().ok(),
            q: query.q.trim().chars().take(200).collect(),
            sort: parse_sort(&query.sort),
        }
    }

    /// The parameters of the view, in a fixed order; `after` positions a
    /// page.
    pub(super) fn params(&self, after: Option<i64>) -> Vec<(&'static str, String)> {
        let opt = |v: Option<&str>| v.unwrap_or_default().to_owned();
        vec![
            ("queue", self.queue.code().to_owned()),
            ("status", opt(self.status.map(|s| s.as_str()))),
            ("priority", opt(self.priority.map(|p| p.as_str()))),
            ("type", opt(self.kind.map(|k| k.as_str()))),
            ("q", self.q.clone()),
            ("sort", opt(self.sort.map(sort_code))),
            ("after", after.map(|a| a.to_string()).unwrap_or_default()),
        ]
    }

    /// The canonical query string of the view (what a saved view keeps).
    pub(super) fn canonical(&self) -> String {
        let full = link("", &self.params(None));
        full.strip_prefix('?').unwrap_or_default().to_owned()
    }

    /// The storage filter for `me`.
    fn filter(&self, me: UserId) -> TicketFilter {
        let mut filter = self.queue.filter(me);
        if let Some(s) = self.status {
            // A chosen status replaces the queue's "open only".
            filter.statuses = vec![s];
            filter.open_only = false;
        }
        filter.priority = self.priority;
        filter.ticket_type = self.kind;
        filter.q = Some(self.q.clone()).filter(|q| !q.is_empty());
        if let Some(sort) = self.sort {
            filter.sort = sort;
        }
        filter
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
    let tabs = if portal {
        &Queue::PORTAL[..]
    } else {
        &Queue::WORKER[..]
    }
    .iter()
    .map(|t| Tab {
        href: link(HERE, &[("queue", t.code().to_owned())]),
        label: l.t(t.label_key(portal)),
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
    let sorts = choices(
        &[
            TicketSort::Priority,
            TicketSort::Newest,
            TicketSort::Updated,
        ],
        sort_code,
        |s| l.t(&format!("sort-{}", sort_code(s))),
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_parse_with_a_default_per_audience() {
        assert_eq!(Queue::parse("groups", false), Queue::Groups);
        assert_eq!(Queue::parse("recent", false), Queue::Recent);
        assert_eq!(Queue::parse("", false), Queue::Mine);
        assert_eq!(Queue::parse("nonsense", false), Queue::Mine);
        assert_eq!(Queue::parse("", true), Queue::Open);
        // The portal has no agent queues.
        assert_eq!(Queue::parse("mine", true), Queue::Open);
        assert_eq!(Queue::parse("all", true), Queue::All);
    }

    #[test]
    fn queue_filters_match_the_api_presets() {
        let me = UserId(7);
        let mine = Queue::Mine.filter(me);
        assert_eq!(mine.assignee_id, Some(me));
        assert!(mine.open_only);
        assert_eq!(mine.sort, TicketSort::Priority);
        assert_eq!(Queue::Groups.filter(me).groups_of, Some(me));
        assert!(Queue::Unassigned.filter(me).unassigned);
        assert_eq!(Queue::Recent.filter(me).sort, TicketSort::Updated);
        let all = Queue::All.filter(me);
        assert!(!all.open_only);
        assert_eq!(all.sort, TicketSort::Newest);
    }

    fn read(query: &str) -> QueueView {
        let q: ListQuery = serde_urlencoded::from_str(query).expect("query");
        QueueView::read(&q, false)
    }

    #[test]
    fn views_keep_only_what_the_selects_offer_in_canonical_order() {
        let check = |query: &str, canonical: &str| assert_eq!(read(query).canonical(), canonical);
        check("", "queue=mine");
        check(
            "priority=critique&queue=open",
            "queue=open&priority=critique",
        );
        check(
            "queue=all&status=pending&type=request&q=+imprimante+&sort=updated&after=9",
            "queue=all&status=pending&type=request&q=imprimante&sort=updated",
        );
        // Unknown values are dropped, not kept.
        check(
            "queue=all&priority=P0&sort=random&status=%3Cscript%3E",
            "queue=all",
        );
        // Reading a canonical form gives it back.
        let v = read("queue=groups&priority=haut&sort=newest");
        assert_eq!(read(&v.canonical()), v);
    }

    #[test]
    fn a_chosen_sort_and_status_override_the_queue() {
        let f = read("queue=mine&status=resolved&sort=updated").filter(UserId(1));
        assert_eq!(f.sort, TicketSort::Updated);
        assert_eq!(f.statuses, vec![Status::Resolved]);
        assert!(!f.open_only);
    }
}
