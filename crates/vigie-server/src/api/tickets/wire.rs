//! The JSON shapes of `/api/v1/tickets`.

use super::super::page::page_type;
use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigie_core::ids::{GroupId, UserId};
use vigie_core::tenancy::EntityPath;
use vigie_core::ticket::lifecycle::allowed_actions;
use vigie_core::ticket::{Status, TicketType};
use vigie_store::{CommentRecord, TicketFilter, TicketRecord, TicketSort};

/// A ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketOut {
    id: i64,
    /// Its number in the tenant.
    number: i64,
    tenant_id: i64,
    entity_id: i64,
    /// `incident` or `request`.
    #[serde(rename = "type")]
    ticket_type: String,
    title: String,
    /// Markdown source.
    description: String,
    /// `new`, `assigned`, `in_progress`, `pending`, `resolved` or `closed`.
    status: String,
    /// `customer`, `supplier` or `change`, when pending.
    pending_reason: Option<String>,
    requester_id: i64,
    requester_name: String,
    /// `phone`, `email`, `portal`, `api` or `event`.
    channel: String,
    category_id: Option<i64>,
    service_ref: Option<String>,
    ci_refs: Vec<String>,
    /// `critique`, `haut`, `moyen` or `bas`.
    impact: String,
    /// `critique`, `haut`, `moyen` or `bas`.
    urgency: String,
    /// `critique` (P1), `haut` (P2), `moyen` (P3) or `bas` (P4).
    priority: String,
    /// `P1` to `P4`.
    priority_label: String,
    group_id: Option<i64>,
    group_name: Option<String>,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    solution: Option<String>,
    solution_code: Option<String>,
    resolved_at: Option<String>,
    closed_at: Option<String>,
    created_at: String,
    updated_at: String,
    /// Whether it is a major incident.
    major: bool,
    /// The major incident it is linked to.
    parent_id: Option<i64>,
    /// The lifecycle actions the status allows now.
    allowed_actions: Vec<String>,
}

impl From<TicketRecord> for TicketOut {
    fn from(t: TicketRecord) -> Self {
        TicketOut {
            id: t.id.0,
            number: t.number,
            tenant_id: t.tenant_id.0,
            entity_id: t.entity_id.0,
            ticket_type: t.ticket_type.to_string(),
            title: t.title,
            description: t.description,
            status: t.status.to_string(),
            pending_reason: t.pending_reason.map(|p| p.to_string()),
            requester_id: t.requester_id.0,
            requester_name: t.requester_name,
            channel: t.channel.to_string(),
            category_id: t.category_id.map(|c| c.0),
            service_ref: t.service_ref,
            ci_refs: t
                .ci_refs
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            impact: t.impact.to_string(),
            urgency: t.urgency.to_string(),
            priority: t.priority.to_string(),
            priority_label: t.priority.label().to_owned(),
            group_id: t.group_id.map(|g| g.0),
            group_name: t.group_name,
            assignee_id: t.assignee_id.map(|a| a.0),
            assignee_name: t.assignee_name,
            solution: t.solution,
            solution_code: t.solution_code,
            resolved_at: t.resolved_at.map(|x| x.to_string()),
            closed_at: t.closed_at.map(|x| x.to_string()),
            created_at: t.created_at.to_string(),
            updated_at: t.updated_at.to_string(),
            major: t.major,
            parent_id: t.parent_id.map(|p| p.0),
            allowed_actions: allowed_actions(t.status)
                .iter()
                .map(|a| a.to_string())
                .collect(),
        }
    }
}

page_type!(TicketPage, TicketOut);

/// A ticket to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketIn {
    /// `incident` or `request`.
    #[serde(rename = "type")]
    pub(super) ticket_type: String,
    pub(super) entity_id: i64,
    pub(super) title: String,
    pub(super) description: Option<String>,
    /// Who asks (default: the caller). Agents only, for someone else.
    pub(super) requester_id: Option<i64>,
    /// Default `api`.
    pub(super) channel: Option<String>,
    pub(super) category_id: Option<i64>,
    pub(super) service_ref: Option<String>,
    #[serde(default)]
    pub(super) ci_refs: Vec<String>,
    /// Default `moyen`.
    pub(super) impact: Option<String>,
    /// Default `moyen`.
    pub(super) urgency: Option<String>,
}

/// Changes to a ticket; `null` clears `category_id` or `service_ref`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    #[serde(rename = "type")]
    pub(super) ticket_type: Option<String>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<i64>)]
    pub(super) category_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<String>)]
    pub(super) service_ref: Option<Option<String>>,
    pub(super) ci_refs: Option<Vec<String>>,
    pub(super) impact: Option<String>,
    pub(super) urgency: Option<String>,
}

/// A lifecycle action.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionIn {
    /// `assign`, `start`, `pend`, `resume`, `resolve`, `reopen` or `close`.
    pub(super) action: String,
    /// For `assign`.
    pub(super) group_id: Option<i64>,
    /// For `assign`.
    pub(super) assignee_id: Option<i64>,
    /// For `pend`: `customer`, `supplier` or `change`.
    pub(super) reason: Option<String>,
    /// For `resolve`.
    pub(super) solution: Option<String>,
    /// For `resolve`, e.g. `fixed`, `workaround`, `duplicate`.
    pub(super) code: Option<String>,
}

/// A reply or note.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentOut {
    id: i64,
    author_id: Option<i64>,
    author: String,
    /// `true`: seen by the requester; `false`: internal note.
    public: bool,
    /// Markdown source.
    body: String,
    created_at: String,
}

impl From<CommentRecord> for CommentOut {
    fn from(c: CommentRecord) -> Self {
        CommentOut {
            id: c.id.0,
            author_id: c.author_id.map(|a| a.0),
            author: c.author_label,
            public: c.public,
            body: c.body,
            created_at: c.created_at.to_string(),
        }
    }
}

/// A reply or note to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    /// Markdown source.
    pub(super) body: String,
    /// `false` for an internal note (agents only). Default `true`.
    #[serde(default = "yes")]
    pub(super) public: bool,
}

fn yes() -> bool {
    true
}

/// Filters of the ticket list; the usual queues are `assignee=me`,
/// `my_groups=true`, `unassigned=true`, `open=true&sort=priority`. With
/// `view`, one of the caller's saved views gives the filter instead: only
/// `within`, `limit` and `cursor` may be given beside it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// Comma-separated statuses.
    status: Option<String>,
    /// Only open tickets (not resolved nor closed).
    open: Option<bool>,
    /// An agent's id, or `me`.
    assignee: Option<String>,
    /// Only tickets nobody holds.
    unassigned: Option<bool>,
    /// Only this group's.
    group_id: Option<i64>,
    /// Only the caller's groups'.
    my_groups: Option<bool>,
    /// Only this requester's.
    requester_id: Option<i64>,
    /// `critique`, `haut`, `moyen` or `bas`.
    priority: Option<String>,
    /// `incident` or `request`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    ticket_type: Option<String>,
    /// Only this entity's subtree.
    pub(super) within: Option<i64>,
    /// Text in the title.
    q: Option<String>,
    /// `newest` (default), `priority` (P1 first, then oldest) or `updated`
    /// (most recently changed first).
    sort: Option<String>,
    /// One of the caller's saved views (`/me/views`): the tickets its web
    /// queue shows, in the same order. Refused with any filter above but
    /// `within`.
    pub(super) view: Option<i64>,
    /// How many items (1–200, default 50).
    pub(super) limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub(super) cursor: Option<String>,
}

impl TicketQuery {
    /// Refuses the filters given beside a saved view, which has its own.
    pub(super) fn only_view(&self) -> Result<(), ApiError> {
        let given = [
            ("status", self.status.is_some()),
            ("open", self.open.is_some()),
            ("assignee", self.assignee.is_some()),
            ("unassigned", self.unassigned.is_some()),
            ("group_id", self.group_id.is_some()),
            ("my_groups", self.my_groups.is_some()),
            ("requester_id", self.requester_id.is_some()),
            ("priority", self.priority.is_some()),
            ("type", self.ticket_type.is_some()),
            ("q", self.q.is_some()),
            ("sort", self.sort.is_some()),
        ];
        let given: Vec<String> = given
            .iter()
            .filter(|(_, is)| *is)
            .map(|(name, _)| format!("`{name}`"))
            .collect();
        if given.is_empty() {
            Ok(())
        } else {
            Err(ApiError::bad_request(format!(
                "`view` applies a saved view's own filters: drop {} (only `within`, `limit` and `cursor` go with it)",
                given.join(", ")
            )))
        }
    }

    /// The storage filter for `me`, validating every value.
    pub(super) fn filter(
        &self,
        me: UserId,
        within: Option<EntityPath>,
    ) -> Result<TicketFilter, ApiError> {
        let statuses = match self.status.as_deref().filter(|s| !s.is_empty()) {
            Some(list) => list
                .split(',')
                .map(|s| super::parse::<Status>("status", s.trim()))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let assignee_id = match self.assignee.as_deref() {
            None | Some("") => None,
            Some("me") => Some(me),
            Some(id) => Some(UserId(super::parse::<i64>("assignee", id)?)),
        };
        Ok(TicketFilter {
            statuses,
            open_only: self.open.unwrap_or(false),
            assignee_id,
            unassigned: self.unassigned.unwrap_or(false),
            group_id: self.group_id.map(GroupId),
            groups_of: self.my_groups.unwrap_or(false).then_some(me),
            requester_id: self.requester_id.map(UserId),
            priority: self
                .priority
                .as_deref()
                .map(|p| super::parse("priority", p))
                .transpose()?,
            ticket_type: self
                .ticket_type
                .as_deref()
                .map(|t| super::parse::<TicketType>("type", t))
                .transpose()?,
            within,
            parent_id: None,
            q: self.q.as_ref().map(|q| q.chars().take(200).collect()),
            sort: match self.sort.as_deref() {
                None | Some("newest") => TicketSort::Newest,
                Some("priority") => TicketSort::Priority,
                Some("updated") => TicketSort::Updated,
                Some(_) => {
                    return Err(ApiError::bad_request(
                        "`sort` must be `newest`, `priority` or `updated`",
                    ));
                }
            },
        })
    }
}

/// An escalation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationIn {
    /// `functional` (to a more skilled group) or `hierarchical` (alert the
    /// group's manager).
    pub(super) kind: String,
    /// For `functional`: a group of a higher support level.
    pub(super) group_id: Option<i64>,
    /// Why: goes to the timeline.
    pub(super) reason: String,
}
