//! `/tickets/{id}`: a ticket's header and fields, its description rendered
//! from Markdown, its timeline (replies, internal notes for those who work
//! it, field changes), the quick lifecycle actions allowed by its status
//! and the reply form.
//!
//! The forms follow the API's rules by making the same calls: the ticket is
//! read within the actor's [`TicketAccess`], the lifecycle decides
//! ([`lifecycle::apply`]), the store writes ([`Store::apply_ticket_outcome`],
//! [`Store::add_comment`]). A refusal shows the page again with the reason;
//! a success comes back to the page (Post/Redirect/Get). Escalation and
//! major incidents, shown here to those who work the ticket, have their
//! forms in [`super::ticket_desk`].
//!
//! [`Store::apply_ticket_outcome`]: vigie_store::Store::apply_ticket_outcome
//! [`Store::add_comment`]: vigie_store::Store::add_comment

use super::common::{
    Choice, EntityChoice, FormError, PageResult, explain, frame, not_found, parse_id, see_other,
    store_page, utc, with_status,
};
use super::markdown::{SafeHtml, safe_markdown};
use super::ticket_desk::{EscalationView, MajorView};
use super::tickets::{
    HERE, ParentLink, channel_label, level_label, long_text, parse_named, pending_label,
    priority_label, status_label, type_label,
};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::desk::{ActError, AssignTo};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::HashMap;
use vigie_core::Timestamp;
use vigie_core::ids::{GroupId, TicketId, UserId};
use vigie_core::role::Permission;
use vigie_core::tenancy::Scope;
use vigie_core::ticket::lifecycle::{Action, ActionKind, LifecycleError, allowed_actions};
use vigie_core::ticket::{PendingReason, Status, TicketAccess};
use vigie_core::validate;
use vigie_store::{Assignment, PageRequest, StoreError, TicketRecord, UserFilter};

/// The solution codes offered when resolving.
const SOLUTION_CODES: [&str; 5] = [
    "fixed",
    "workaround",
    "duplicate",
    "not_reproducible",
    "other",
];

/// The routes of the ticket page and its forms.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets/{id}", get(view))
        .route("/tickets/{id}/actions", post(act))
        .route("/tickets/{id}/comments", post(comment))
}

/// A file attached to the ticket, as listed.
struct AttachmentView {
    id: i64,
    name: String,
    size: String,
    uploader: String,
    at: String,
    /// Internal: shown to those who work the ticket only.
    internal: bool,
}

/// The ticket as shown.
struct TicketView {
    id: i64,
    kind: String,
    status: String,
    status_class: &'static str,
    pending_reason: Option<String>,
    priority: String,
    priority_class: String,
    impact: String,
    urgency: String,
    requester: String,
    entity: String,
    category: String,
    channel: String,
    service: String,
    cis: Vec<String>,
    group: String,
    assignee: String,
    description: SafeHtml,
    /// The opening mail as received (its cleaned HTML), for a ticket made
    /// from a mail with an HTML part.
    mail_html: Option<SafeHtml>,
    solution: Option<SafeHtml>,
    solution_code: String,
    created: String,
    updated: String,
    resolved: Option<String>,
    closed: Option<String>,
    /// Whether it is a major incident.
    major: bool,
    /// The major incident it is linked to.
    parent: Option<ParentLink>,
}

/// One field change of the timeline.
struct ChangeLine {
    field: String,
    before: String,
    after: String,
}

/// One event of the timeline.
struct TimelineItem {
    /// `reply`, `note`, `opened` or `changed`.
    kind: &'static str,
    /// An anchor.
    id: String,
    who: String,
    /// What happened, in words.
    what: String,
    at: String,
    /// A reply's or note's text.
    body: Option<SafeHtml>,
    /// The reply's mail as received, when it came by mail with HTML.
    mail_html: Option<SafeHtml>,
    /// A change's fields.
    changes: Vec<ChangeLine>,
    /// Sort key.
    time: Timestamp,
}

/// A lifecycle action offered as a small form.
struct ActionForm {
    /// `take`, `assign`, `start`, …
    kind: &'static str,
    label: String,
}

/// What the forms held, to show again after a refusal.
#[derive(Default)]
pub(super) struct Drafts {
    pub reply: String,
    pub internal: bool,
    pub solution: String,
    pub code: String,
    pub reason: String,
    pub group: i64,
    pub assignee: i64,
    /// The escalation form: `functional` or `hierarchical`.
    pub esc_kind: String,
    pub esc_group: i64,
    pub esc_reason: String,
    /// The incident to link under a major incident.
    pub child: i64,
    /// The communication form.
    pub audience: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    l: Layout,
    error: Option<String>,
    ticket: TicketView,
    /// Whether the reader works this ticket (actions, internal notes).
    worker: bool,
    /// The lifecycle actions offered.
    actions: Vec<ActionForm>,
    /// Whether the reply form is offered (not on a closed ticket).
    can_reply: bool,
    /// The files attached, internal ones only for those who work it.
    attachments: Vec<AttachmentView>,
    /// Whether the upload form is offered (the requester or an agent, not
    /// on a closed ticket).
    can_attach: bool,
    groups: Vec<EntityChoice>,
    agents: Vec<EntityChoice>,
    reasons: Vec<Choice>,
    codes: Vec<Choice>,
    timeline: Vec<TimelineItem>,
    drafts: Drafts,
    /// The escalation form, for those who work an open ticket.
    escalation: Option<EscalationView>,
    /// The major incident section, for those who work the ticket when it
    /// is major or may be declared so.
    major: Option<MajorView>,
    /// The satisfaction survey link, for the requester of a resolved ticket
    /// who has not answered it yet.
    survey_link: Option<String>,
    /// The ticket's SLA clocks (deadline, business time left, state).
    clocks: Vec<super::sla_pages::ClockLine>,
    /// The items it names and what their failure takes down.
    impact: Option<super::ticket_impact::TicketImpact>,
}

impl TicketPage {
    /// Whether an action is offered.
    fn offers(&self, kind: &str) -> bool {
        self.actions.iter().any(|a| a.kind == kind)
    }
}

/// A value of a history line, or a dash when absent.
fn shown(v: Option<String>) -> String {
    v.unwrap_or_else(|| "—".to_owned())
}

/// Long values (descriptions, solutions) are cut in the history.
fn cut(v: String) -> String {
    const MAX: usize = 160;
    if v.chars().count() > MAX {
        format!("{}…", v.chars().take(MAX).collect::<String>())
    } else {
        v
    }
}

/// Names of the users and groups a ticket's history mentions.
#[derive(Default)]
struct Names {
    users: HashMap<i64, String>,
    groups: HashMap<i64, String>,
    categories: HashMap<i64, String>,
    /// Numbers of the tickets the history names (major incidents).
    tickets: HashMap<i64, i64>,
}

impl Names {
    /// Learns the names of the ids a history mentions, within the ticket's
    /// tenant (the ticket itself was read within the reader's access).
    async fn of(
        state: &AppState,
        access: &TicketAccess,
        t: &TicketRecord,
        lines: &[vigie_store::AuditRecord],
    ) -> Result<Names, StoreError> {
        let mut names = Names::default();
        for c in state.store().list_categories(t.tenant_id).await? {
            names.categories.insert(c.id.0, c.name);
        }
        for change in lines.iter().flat_map(|l| &l.changes) {
            for v in [&change.before, &change.after].into_iter().flatten() {
                let Ok(id) = v.parse::<i64>() else { continue };
                match change.field.as_str() {
                    "assignee_id" | "requester_id" if !names.users.contains_key(&id) => {
                        match state.store().get_user(&Scope::Platform, UserId(id)).await {
                            Ok(u) if u.tenant_id == t.tenant_id => {
                                names.users.insert(id, u.display_name);
                            }
                            Ok(_) | Err(StoreError::NotFound) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    "parent_id" if !names.tickets.contains_key(&id) => {
                        let link = ParentLink::of(state, access, TicketId(id)).await?;
                        if let Some(n) = link.number {
                            names.tickets.insert(id, n);
                        }
                    }
                    "group_id" if !names.groups.contains_key(&id) => {
                        match state.store().get_group(&Scope::Platform, GroupId(id)).await {
                            Ok(g) if g.tenant_id == t.tenant_id => {
                                names.groups.insert(id, g.name);
                            }
                            Ok(_) | Err(StoreError::NotFound) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(names)
    }

    /// A history value in words.
    fn value(&self, l: &Layout, field: &str, v: Option<String>) -> String {
        let Some(v) = v else {
            return shown(None);
        };
        let id = v.parse::<i64>().ok();
        let known = match field {
            "status" => v.parse().ok().map(|s| status_label(l, s)),
            "type" => v.parse().ok().map(|k| type_label(l, k)),
            "priority" => v.parse().ok().map(|p| priority_label(l, p)),
            "impact" | "urgency" => v.parse().ok().map(|x| level_label(l, x)),
            "channel" => v.parse().ok().map(|c| channel_label(l, c)),
            "pending_reason" => v.parse().ok().map(|p| pending_label(l, p)),
            "solution_code" if SOLUTION_CODES.contains(&v.as_str()) => {
                Some(l.t(&format!("code-{v}")))
            }
            "assignee_id" | "requester_id" => id.and_then(|i| self.users.get(&i).cloned()),
            "group_id" => id.and_then(|i| self.groups.get(&i).cloned()),
            "category_id" => id.and_then(|i| self.categories.get(&i).cloned()),
            "parent_id" => id
                .and_then(|i| self.tickets.get(&i))
                .map(|n| format!("#{n}")),
            "major" if v == "true" => Some(l.t("yes")),
            _ => None,
        };
        cut(known.unwrap_or(v))
    }
}

/// A field of the history in words.
fn field_label(l: &Layout, field: &str) -> String {
    let key = match field {
        "type" => "field-type",
        "title" => "field-title",
        "description" => "field-description",
        "status" => "ticket-field-status",
        "pending_reason" => "field-pending-reason",
        "entity_id" => "field-entity",
        "requester_id" => "field-requester",
        "channel" => "field-channel",
        "category_id" => "field-category",
        "service_ref" => "field-service",
        "ci_refs" => "field-cis",
        "impact" => "field-impact",
        "urgency" => "field-urgency",
        "priority" => "field-priority",
        "group_id" => "field-group",
        "assignee_id" => "field-assignee",
        "solution" => "field-solution",
        "solution_code" => "field-solution-code",
        "major" => "major-incident",
        "parent_id" => "field-major-parent",
        "attachment" => "field-attachment",
        other => return other.to_owned(),
    };
    l.t(key)
}

/// The label of an action's button.
fn action_label(l: &Layout, kind: &str) -> String {
    l.t(&format!("action-{kind}"))
}

async fn show(
    state: &AppState,
    session: &WebSession,
    mut l: Layout,
    id: TicketId,
    error: Option<String>,
    drafts: Drafts,
) -> PageResult {
    let actor = &session.actor;
    let access = TicketAccess::of(actor);
    let failed = |e| store_page(&l, e);
    let t = state
        .store()
        .get_ticket(&access, id)
        .await
        .map_err(failed)?;
    let worker = access.work.covers(t.tenant_id, &t.entity_path);
    let comments = state
        .store()
        .list_comments(&access, &t)
        .await
        .map_err(failed)?;
    let history = state.store().ticket_history(&t).await.map_err(failed)?;
    let mut mail_html: std::collections::HashMap<Option<vigie_core::ids::CommentId>, String> =
        state
            .store()
            .mail_html_of_ticket(&t)
            .await
            .map_err(failed)?
            .into_iter()
            .collect();
    let attachments = state
        .store()
        .list_attachments(&access, &t)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|a| AttachmentView {
            id: a.id,
            size: super::ticket_files::size_label(&l, a.size),
            name: a.file_name,
            uploader: a.uploader_label,
            at: utc(a.created_at),
            internal: !a.public,
        })
        .collect();
    let names = Names::of(state, &access, &t, &history)
        .await
        .map_err(failed)?;
    let entity = match state
        .store()
        .get_entity(&Scope::Platform, t.entity_id)
        .await
    {
        Ok(e) => e.name,
        Err(StoreError::NotFound) => format!("#{}", t.entity_id),
        Err(e) => return Err(failed(e)),
    };

    // The timeline: replies and notes merged with the field changes.
    let mut timeline: Vec<TimelineItem> = Vec::new();
    for c in comments {
        timeline.push(TimelineItem {
            kind: if c.public { "reply" } else { "note" },
            id: format!("comment-{}", c.id.0),
            who: c.author_label,
            what: l.t(if c.public {
                "ticket-wrote"
            } else {
                "ticket-noted"
            }),
            at: utc(c.created_at),
            body: Some(safe_markdown(&c.body)),
            mail_html: mail_html
                .remove(&Some(c.id))
                .map(|h| super::markdown::safe_mail_html(&h)),
            changes: Vec::new(),
            time: c.created_at,
        });
    }
    for h in history {
        let opened = h.action == "create";
        let changes = if opened {
            Vec::new()
        } else {
            h.changes
                .into_iter()
                .map(|c| ChangeLine {
                    before: names.value(&l, &c.field, c.before),
                    after: names.value(&l, &c.field, c.after),
                    field: field_label(&l, &c.field),
                })
                .collect()
        };
        timeline.push(TimelineItem {
            kind: if opened { "opened" } else { "changed" },
            id: format!("change-{}", h.id),
            who: h.actor_label,
            what: l.t(if opened {
                "ticket-opened"
            } else {
                "ticket-changed"
            }),
            at: utc(h.at),
            body: None,
            mail_html: None,
            changes,
            time: h.at,
        });
    }
    // Oldest first; at the same instant, the change before the words.
    timeline.sort_by_key(|i| (i.time, matches!(i.kind, "reply" | "note")));

    // The actions: everything the status allows for those who work the
    // ticket; closing or reopening his own resolved ticket for the
    // requester.
    let allowed = allowed_actions(t.status);
    let mut actions = Vec::new();
    if worker {
        for kind in &allowed {
            if *kind == ActionKind::Assign {
                actions.push(ActionForm {
                    kind: "take",
                    label: action_label(&l, "take"),
                });
            }
            actions.push(ActionForm {
                kind: kind.as_str(),
                label: action_label(&l, kind.as_str()),
            });
        }
    } else if t.requester_id == actor.user {
        for kind in allowed
            .iter()
            .filter(|k| matches!(k, ActionKind::Reopen | ActionKind::Close))
        {
            actions.push(ActionForm {
                kind: kind.as_str(),
                label: action_label(&l, kind.as_str()),
            });
        }
    }
    let (groups, agents) = if worker && allowed.contains(&ActionKind::Assign) {
        assign_choices(state, session, &t).await.map_err(failed)?
    } else {
        (Vec::new(), Vec::new())
    };
    let mut drafts = drafts;
    if drafts.group == 0 {
        drafts.group = t.group_id.map(|g| g.0).unwrap_or(0);
    }
    if drafts.assignee == 0 {
        drafts.assignee = t.assignee_id.map(|a| a.0).unwrap_or(0);
    }
    let reasons = PendingReason::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().to_owned(),
            label: pending_label(&l, *r),
        })
        .collect();
    let codes = SOLUTION_CODES
        .iter()
        .map(|c| Choice::keyed(&l, c, &format!("code-{c}")))
        .collect();
    let category = match t.category_id {
        Some(c) => names
            .categories
            .get(&c.0)
            .cloned()
            .unwrap_or_else(|| format!("#{c}")),
        None => String::new(),
    };
    let (escalation, major) = if worker {
        (
            super::ticket_desk::escalation_view(state, &l, &t)
                .await
                .map_err(failed)?,
            super::ticket_desk::major_view(state, &l, &access, &t)
                .await
                .map_err(failed)?,
        )
    } else {
        (None, None)
    };
    let parent = match t.parent_id {
        Some(p) => Some(ParentLink::of(state, &access, p).await.map_err(failed)?),
        None => None,
    };
    let ticket = TicketView {
        id: t.id.0,
        kind: type_label(&l, t.ticket_type),
        status: status_label(&l, t.status),
        status_class: t.status.as_str(),
        pending_reason: t.pending_reason.map(|p| pending_label(&l, p)),
        priority: priority_label(&l, t.priority),
        priority_class: format!("prio prio-p{}", t.priority.rank()),
        impact: level_label(&l, t.impact),
        urgency: level_label(&l, t.urgency),
        requester: t.requester_name.clone(),
        entity,
        category,
        channel: channel_label(&l, t.channel),
        service: t.service_ref.clone().unwrap_or_default(),
        cis: t
            .ci_refs
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        group: t.group_name.clone().unwrap_or_default(),
        assignee: t.assignee_name.clone().unwrap_or_default(),
        description: safe_markdown(&t.description),
        mail_html: mail_html
            .remove(&None)
            .map(|h| super::markdown::safe_mail_html(&h)),
        solution: t.solution.as_deref().map(safe_markdown),
        solution_code: match t.solution_code.as_deref() {
            Some(c) if SOLUTION_CODES.contains(&c) => l.t(&format!("code-{c}")),
            Some(c) => c.to_owned(),
            None => String::new(),
        },
        created: utc(t.created_at),
        updated: utc(t.updated_at),
        resolved: t.resolved_at.map(utc),
        closed: t.closed_at.map(utc),
        major: t.major,
        parent,
    };
    l.title = format!("#{} — {}", t.number, t.title);
    l.here = format!("/tickets/{}", t.id);
    let survey_link = if t.requester_id == actor.user {
        state
            .store()
            .survey_of_ticket(&t)
            .await
            .map_err(|e| {
                axum::response::IntoResponse::into_response(crate::error::ApiError::from(e))
            })?
            .filter(|s| s.answered_at.is_none() && t.status == Status::Resolved)
            .map(|s| format!("/survey/{}", s.token))
    } else {
        None
    };
    let clocks = super::sla_pages::clock_lines(state, &l, &t).await;
    let impact = super::ticket_impact::ticket_impact(state, &l, actor, &t)
        .await
        .map_err(|e| store_page(&l, e))?;
    Ok(render(&TicketPage {
        l,
        error,
        ticket,
        worker,
        actions,
        can_reply: t.status != Status::Closed,
        attachments,
        can_attach: t.status != Status::Closed && (worker || t.requester_id == actor.user),
        groups,
        agents,
        reasons,
        codes,
        timeline,
        drafts,
        escalation,
        major,
        survey_link,
        clocks,
        impact,
    }))
}

/// The groups of the ticket's tenant the agent sees, and the active users
/// he sees there, for the assign form.
async fn assign_choices(
    state: &AppState,
    session: &WebSession,
    t: &TicketRecord,
) -> Result<(Vec<EntityChoice>, Vec<EntityChoice>), StoreError> {
    let groups = super::tickets::tenant_groups(state, session, t.tenant_id)
        .await?
        .into_iter()
        .map(|(id, label)| EntityChoice { id, label })
        .collect();
    let view = session.actor.scope(Permission::ViewDirectory);
    let filter = UserFilter {
        active: Some(true),
        ..Default::default()
    };
    let mut agents: Vec<EntityChoice> = state
        .store()
        .list_users(&view, &filter, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .filter(|u| u.tenant_id == t.tenant_id)
        .map(|u| EntityChoice {
            id: u.id.0,
            label: format!("{} ({})", u.display_name, u.login),
        })
        .collect();
    agents.sort_by_cached_key(|a| a.label.to_lowercase());
    Ok((groups, agents))
}

/// The ticket's id from the path, or the 404 page.
#[allow(
    clippy::result_large_err,
    reason = "the error is the page to answer with, returned once per request"
)]
pub(super) fn ticket_id(l: &Layout, raw: &str) -> Result<TicketId, Response> {
    parse_id(raw).map(TicketId).ok_or_else(|| not_found(l))
}

async fn view(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    let id = ticket_id(&l, &raw)?;
    show(&state, &session, l, id, None, Drafts::default()).await
}

/// Why an action was refused.
pub(super) enum Refusal {
    /// A form refusal (store, validation).
    Form(FormError),
    /// A refusal already in words (the lifecycle's, the core's), with its
    /// status.
    Worded(StatusCode, String),
}

impl From<FormError> for Refusal {
    fn from(e: FormError) -> Self {
        Refusal::Form(e)
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Form(FormError::Store(e))
    }
}

/// The lifecycle's refusal in the page's language: 409 for what the status
/// does not allow (naming what it allows), 422 for a missing value.
pub(super) fn lifecycle_refusal(l: &Layout, e: &LifecycleError) -> Refusal {
    match e {
        LifecycleError::NotAllowed { allowed, .. } => {
            let names = if allowed.is_empty() {
                l.t("ticket-action-nothing")
            } else {
                allowed
                    .iter()
                    .map(|a| action_label(l, a.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Refusal::Worded(
                StatusCode::CONFLICT,
                l.lang.t1("ticket-action-refused", "allowed", names),
            )
        }
        LifecycleError::ReopenDelayPassed { delay } => Refusal::Worded(
            StatusCode::CONFLICT,
            l.lang.t1(
                "ticket-reopen-too-late",
                "hours",
                delay.as_hours().to_string(),
            ),
        ),
        LifecycleError::Missing { field } => {
            let name = match *field {
                "solution" => l.t("field-solution"),
                "code" => l.t("field-solution-code"),
                other => other.to_owned(),
            };
            Refusal::Worded(
                StatusCode::UNPROCESSABLE_ENTITY,
                l.lang.t1("ticket-missing", "field", name),
            )
        }
    }
}

/// Redirects to the ticket page, or shows it again with the refusal.
pub(super) async fn outcome(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    id: TicketId,
    result: Result<(), Refusal>,
    drafts: Drafts,
) -> PageResult {
    let (status, message) = match result {
        Ok(()) => return Ok(see_other(&format!("/tickets/{id}"))),
        Err(Refusal::Form(e)) => explain(&l, e)?,
        Err(Refusal::Worded(status, message)) => (status, message),
    };
    let page = show(state, session, l, id, Some(message), drafts).await?;
    Ok(with_status(page, status))
}

/// An action's form; each action sends the fields it needs.
#[derive(Deserialize)]
pub(super) struct ActionFormIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    solution: String,
    #[serde(default)]
    code: String,
}

async fn act(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<ActionFormIn>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let id = ticket_id(&l, &raw)?;
    let result = apply_action(&state, &session, &l, id, &form).await;
    let drafts = Drafts {
        solution: form.solution.clone(),
        code: form.code.clone(),
        reason: form.reason.clone(),
        group: parse_id(&form.group).unwrap_or(0),
        assignee: parse_id(&form.assignee).unwrap_or(0),
        ..Drafts::default()
    };
    outcome(&state, &session, l, id, result, drafts).await
}

/// The API's `act_on_ticket`, for a form: `take` is an `assign` to oneself
/// (keeping the ticket's group when one is a member of it).
async fn apply_action(
    state: &AppState,
    session: &WebSession,
    l: &Layout,
    id: TicketId,
    form: &ActionFormIn,
) -> Result<(), Refusal> {
    let take = form.action == "take";
    let kind: ActionKind = if take {
        ActionKind::Assign
    } else {
        parse_named(&form.action)?
    };
    let action = match kind {
        ActionKind::Assign => Action::Assign,
        ActionKind::Start => Action::Start,
        ActionKind::Pend => Action::Pend(parse_named::<PendingReason>(&form.reason)?),
        ActionKind::Resume => Action::Resume,
        ActionKind::Resolve => Action::Resolve {
            solution: long_text("solution", &form.solution)?,
            code: validate::name("code", &form.code, 50).unwrap_or_default(),
        },
        ActionKind::Reopen => Action::Reopen,
        ActionKind::Close => Action::Close,
    };
    let assign = if take {
        AssignTo::Myself
    } else {
        AssignTo::Explicit(Assignment {
            group_id: parse_id(&form.group).map(GroupId),
            assignee_id: parse_id(&form.assignee).map(UserId),
        })
    };
    crate::desk::act_on_ticket(state, &session.actor, id, action, assign)
        .await
        .map_err(|e| match e {
            ActError::Store(e) => e.into(),
            ActError::Lifecycle(e) => lifecycle_refusal(l, &e),
        })?;
    Ok(())
}

/// The reply form; `visibility` is `internal` for an internal note.
#[derive(Deserialize)]
pub(super) struct CommentFormIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    visibility: String,
}

async fn comment(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CommentFormIn>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let id = ticket_id(&l, &raw)?;
    let actor = &session.actor;
    let internal = form.visibility == "internal";
    let result = async {
        let access = TicketAccess::of(actor);
        let t = state.store().get_ticket(&access, id).await?;
        let text = long_text("body", &form.body)?;
        if text.trim().is_empty() {
            return Err(FormError::Refused("ticket-comment-empty").into());
        }
        state
            .store()
            .add_comment(actor, &access, state.clock().now(), &t, !internal, &text)
            .await?;
        Ok::<(), Refusal>(())
    }
    .await;
    let drafts = Drafts {
        reply: form.body.clone(),
        internal,
        ..Drafts::default()
    };
    outcome(&state, &session, l, id, result, drafts).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_history_values_are_cut() {
        assert_eq!(cut("court".to_owned()), "court");
        let long = cut("x".repeat(500));
        assert_eq!(long.chars().count(), 161);
        assert!(long.ends_with('…'));
    }
}
