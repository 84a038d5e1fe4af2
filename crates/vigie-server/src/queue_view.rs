//! The ticket queues and their filters as the web queue and the saved views
//! read them: a queue (a preset of the filter), a status, a priority, a
//! type, a text and a sort. The web page and the API share this reading, so
//! a saved view selects the same tickets wherever it is applied.
//!
//! [`QueueView::read`] is lenient (an unknown value is dropped, as if not
//! chosen: what an address typed by hand gets); [`QueueView::read_exact`]
//! refuses it (what an API client gets). Both give a view whose
//! [`QueueView::canonical`] query string is what a saved view keeps.

use serde::Deserialize;
use vigie_core::ids::UserId;
use vigie_core::ticket::priority::Priority;
use vigie_core::ticket::{Status, TicketType};
use vigie_store::{TicketFilter, TicketSort};

/// The longest name of a saved view.
pub(crate) const MAX_VIEW_NAME: usize = 80;

/// The longest text searched in titles.
pub(crate) const MAX_QUERY_TEXT: usize = 200;

/// A queue: a preset of the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Queue {
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
    /// The agents' queues, their default first.
    pub(crate) const WORKER: [Queue; 6] = [
        Queue::Mine,
        Queue::Groups,
        Queue::Unassigned,
        Queue::Open,
        Queue::Recent,
        Queue::All,
    ];
    /// The requesters' (portal) queues, their default first.
    pub(crate) const PORTAL: [Queue; 2] = [Queue::Open, Queue::All];

    /// The queues of the audience: the portal's, or the agents'.
    pub(crate) fn of_audience(portal: bool) -> &'static [Queue] {
        if portal {
            &Queue::PORTAL
        } else {
            &Queue::WORKER
        }
    }

    /// The queue's name in addresses.
    pub(crate) fn code(self) -> &'static str {
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
    pub(crate) fn parse(s: &str, portal: bool) -> Queue {
        let allowed = Queue::of_audience(portal);
        allowed
            .iter()
            .copied()
            .find(|q| q.code() == s)
            .unwrap_or(allowed[0])
    }

    /// The filter of the queue for `me`.
    pub(crate) fn filter(self, me: UserId) -> TicketFilter {
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

/// The sorts a queue offers, in the order of its select.
pub(crate) const SORTS: [TicketSort; 3] = [
    TicketSort::Priority,
    TicketSort::Newest,
    TicketSort::Updated,
];

/// A sort's name in addresses.
pub(crate) fn sort_code(s: TicketSort) -> &'static str {
    match s {
        TicketSort::Newest => "newest",
        TicketSort::Priority => "priority",
        TicketSort::Updated => "updated",
    }
}

fn parse_sort(s: &str) -> Option<TicketSort> {
    SORTS.into_iter().find(|t| sort_code(*t) == s)
}

/// The queue, its filters and position, as typed in the address (every
/// value may be empty: not chosen).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    /// The queue's code.
    #[serde(default)]
    pub(crate) queue: String,
    /// A status.
    #[serde(default)]
    pub(crate) status: String,
    /// A priority.
    #[serde(default)]
    pub(crate) priority: String,
    /// A ticket type.
    #[serde(default, rename = "type")]
    pub(crate) kind: String,
    /// Text in the title.
    #[serde(default)]
    pub(crate) q: String,
    /// A sort's code.
    #[serde(default)]
    pub(crate) sort: String,
    /// The id after which a page starts (web pages only).
    #[serde(default)]
    pub(crate) after: String,
}

/// A value [`QueueView::read_exact`] refuses.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refused {
    /// The parameter at fault.
    pub(crate) field: &'static str,
    /// What it may hold instead.
    pub(crate) message: String,
}

fn one_of(field: &'static str, codes: impl Iterator<Item = &'static str>) -> Refused {
    let codes: Vec<String> = codes.map(|c| format!("`{c}`")).collect();
    Refused {
        field,
        message: format!("`{field}` must be one of {}", codes.join(", ")),
    }
}

/// A queue's filter once read: it holds only what the queue's selects
/// offer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct QueueView {
    /// The queue.
    pub(crate) queue: Queue,
    /// The status chosen, replacing the queue's "open only".
    pub(crate) status: Option<Status>,
    /// The priority chosen.
    pub(crate) priority: Option<Priority>,
    /// The type chosen.
    pub(crate) kind: Option<TicketType>,
    /// The text searched in titles (trimmed; empty: none).
    pub(crate) q: String,
    /// The sort chosen, replacing the queue's.
    pub(crate) sort: Option<TicketSort>,
}

impl QueueView {
    /// Reads the address's values for this audience; unknown values are
    /// dropped, as if not chosen, and the text is cut to
    /// [`MAX_QUERY_TEXT`] characters.
    pub(crate) fn read(query: &ListQuery, portal: bool) -> QueueView {
        QueueView {
            queue: Queue::parse(&query.queue, portal),
            status: query.status.parse().ok(),
            priority: query.priority.parse().ok(),
            kind: query.kind.parse().ok(),
            q: query.q.trim().chars().take(MAX_QUERY_TEXT).collect(),
            sort: parse_sort(&query.sort),
        }
    }

    /// Reads the values for this audience, refusing any that
    /// [`QueueView::read`] would drop or cut (a queue of another audience
    /// included). Empty values are not chosen.
    pub(crate) fn read_exact(query: &ListQuery, portal: bool) -> Result<QueueView, Refused> {
        let view = QueueView::read(query, portal);
        let given = |v: &str| !v.is_empty();
        if given(&query.queue) && view.queue.code() != query.queue {
            return Err(one_of(
                "queue",
                Queue::of_audience(portal).iter().map(|q| q.code()),
            ));
        }
        if given(&query.status) && view.status.is_none() {
            return Err(one_of("status", Status::ALL.iter().map(|s| s.as_str())));
        }
        if given(&query.priority) && view.priority.is_none() {
            return Err(one_of("priority", Priority::ALL.iter().map(|p| p.as_str())));
        }
        if given(&query.kind) && view.kind.is_none() {
            return Err(one_of("type", TicketType::ALL.iter().map(|t| t.as_str())));
        }
        if query.q.trim().chars().count() > MAX_QUERY_TEXT {
            return Err(Refused {
                field: "q",
                message: format!("`q` must be at most {MAX_QUERY_TEXT} characters"),
            });
        }
        if given(&query.sort) && view.sort.is_none() {
            return Err(one_of("sort", SORTS.iter().map(|s| sort_code(*s))));
        }
        Ok(view)
    }

    /// Reads a saved view's query string for this audience (leniently: a
    /// view saved as an agent, read as a requester, falls back to the
    /// portal's first queue).
    pub(crate) fn saved(
        query: &str,
        portal: bool,
    ) -> Result<QueueView, serde_urlencoded::de::Error> {
        let query: ListQuery = serde_urlencoded::from_str(query)?;
        Ok(QueueView::read(&query, portal))
    }

    /// The parameters of the view, in a fixed order; `after` positions a
    /// page.
    pub(crate) fn params(&self, after: Option<i64>) -> Vec<(&'static str, String)> {
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

    /// The canonical query string of the view (what a saved view keeps):
    /// the chosen parameters, in the order of [`QueueView::params`].
    pub(crate) fn canonical(&self) -> String {
        let params = self.params(None);
        let kept: Vec<(&str, &str)> = params
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        serde_urlencoded::to_string(&kept).unwrap_or_default()
    }

    /// The storage filter for `me` (with no entity restriction: the caller
    /// sets `within`).
    pub(crate) fn filter(&self, me: UserId) -> TicketFilter {
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

    fn query(query: &str) -> ListQuery {
        serde_urlencoded::from_str(query).expect("query")
    }

    fn read(q: &str) -> QueueView {
        QueueView::read(&query(q), false)
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
        assert_eq!(QueueView::saved(&v.canonical(), false).expect("saved"), v);
    }

    #[test]
    fn a_chosen_sort_and_status_override_the_queue() {
        let f = read("queue=mine&status=resolved&sort=updated").filter(UserId(1));
        assert_eq!(f.sort, TicketSort::Updated);
        assert_eq!(f.statuses, vec![Status::Resolved]);
        assert!(!f.open_only);
    }

    #[test]
    fn an_exact_reading_refuses_what_the_lenient_one_drops() {
        let exact = |q: &str, portal: bool| QueueView::read_exact(&query(q), portal);
        let field = |q: &str, portal: bool| exact(q, portal).map_err(|r| r.field);
        assert_eq!(
            exact("queue=open&priority=critique&q=+vpn+", false)
                .expect("valid")
                .canonical(),
            "queue=open&priority=critique&q=vpn"
        );
        assert_eq!(
            exact("", true).expect("valid").queue,
            Queue::Open,
            "nothing chosen: the audience's first queue"
        );
        assert_eq!(field("queue=nonsense", false), Err("queue"));
        assert_eq!(field("queue=mine", true), Err("queue"));
        assert_eq!(field("status=open", false), Err("status"));
        assert_eq!(field("priority=P1", false), Err("priority"));
        assert_eq!(field("type=problem", false), Err("type"));
        assert_eq!(field("sort=random", false), Err("sort"));
        let long = format!("q={}", "x".repeat(MAX_QUERY_TEXT + 1));
        assert_eq!(field(&long, false), Err("q"));
        let refused = exact("queue=mine", true).expect_err("portal");
        assert_eq!(refused.message, "`queue` must be one of `open`, `all`");
    }
}
