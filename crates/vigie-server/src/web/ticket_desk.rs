//! Escalation and major incidents on the ticket page, for those who work
//! the ticket: the escalation form (functional to a group of a higher
//! support level, or hierarchical to the manager of the group holding it),
//! declaring a P1 incident major or ending it, linking and unlinking its
//! child incidents, and the log of communications to stakeholders.
//!
//! The forms make the API's calls (`api::tickets::escalate_ticket`,
//! `api::major`): the ticket read within the actor's [`TicketAccess`] as
//! one he works, the core's checks ([`escalation`], [`major`], the
//! lifecycle), then the same store writes with the same timeline note.

use super::Layout;
use super::common::{
    Choice, CsrfForm, EntityChoice, FormError, PageResult, frame, parse_id, required_id, utc,
};
use super::markdown::{SafeHtml, safe_markdown};
use super::ticket_page::{Drafts, Refusal, lifecycle_refusal, outcome, ticket_id};
use super::tickets::{HERE, TicketRow, long_text};
use crate::AppState;
use crate::auth::WebSession;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde::Deserialize;
use vigie_core::ids::TicketId;
use vigie_core::tenancy::{EntityPath, Scope, ScopeRule};
use vigie_core::ticket::escalation::{self, EscalationError};
use vigie_core::ticket::major::{self, MajorError, MajorFacts};
use vigie_core::ticket::{TicketAccess, TicketType};
use vigie_core::validate;
use vigie_store::{PageRequest, StoreError, TicketFilter, TicketRecord};

/// The routes of the escalation and major incident forms.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets/{id}/escalate", post(escalate))
        .route("/tickets/{id}/major", post(set_major))
        .route("/tickets/{id}/children", post(link_child))
        .route("/tickets/{id}/children/{child}/unlink", post(unlink_child))
        .route("/tickets/{id}/communications", post(communicate))
}

/// The escalation form.
pub(super) struct EscalationView {
    /// The support level the ticket is at.
    pub level: i64,
    /// The groups of the ticket's tenant above that level.
    pub groups: Vec<EntityChoice>,
    /// Functional or hierarchical.
    pub kinds: Vec<Choice>,
}

/// A communication of the log.
pub(super) struct CommunicationView {
    pub id: i64,
    pub audience: String,
    pub body: SafeHtml,
    pub author: String,
    pub at: String,
}

/// The major incident section.
pub(super) struct MajorView {
    /// Whether the ticket is major.
    pub is_major: bool,
    /// Whether it may be declared major (an open P1 incident).
    pub can_declare: bool,
    /// Its child incidents.
    pub children: Vec<TicketRow>,
    /// The incidents that may be linked under it.
    pub candidates: Vec<EntityChoice>,
    /// What was told to stakeholders, oldest first.
    pub communications: Vec<CommunicationView>,
}

/// What the major incident rules need to know of a ticket.
fn facts(t: &TicketRecord) -> MajorFacts {
    MajorFacts {
        ticket_type: t.ticket_type,
        priority: t.priority,
        status: t.status,
        major: t.major,
        has_parent: t.parent_id.is_some(),
    }
}

/// Every entity of the ticket's tenant: its root's subtree.
fn tenant_scope(t: &TicketRecord) -> Scope {
    Scope::Tenant {
        tenant: t.tenant_id,
        rules: t
            .entity_path
            .ids()
            .first()
            .map(|root| ScopeRule::Subtree(EntityPath::root(*root)))
            .into_iter()
            .collect(),
    }
}

/// The escalation form of an open ticket: the groups of its tenant above
/// its current support level.
pub(super) async fn escalation_view(
    state: &AppState,
    l: &Layout,
    t: &TicketRecord,
) -> Result<Option<EscalationView>, StoreError> {
    if !t.status.is_open() {
        return Ok(None);
    }
    let current = match t.group_id {
        Some(g) => match state.store().get_group(&Scope::Platform, g).await {
            Ok(g) => Some(g.level),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let level = escalation::current_level(current);
    let mut groups: Vec<_> = state
        .store()
        .list_groups(&tenant_scope(t), None, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .filter(|g| g.tenant_id == t.tenant_id && g.level > level)
        .collect();
    groups.sort_by(|a, b| (a.level, &a.name).cmp(&(b.level, &b.name)));
    Ok(Some(EscalationView {
        level,
        groups: groups
            .into_iter()
            .map(|g| EntityChoice {
                id: g.id.0,
                label: format!(
                    "{} ({})",
                    g.name,
                    l.lang.t1("level-n", "level", g.level.to_string())
                ),
            })
            .collect(),
        kinds: vec![
            Choice::keyed(l, "functional", "escalate-functional"),
            Choice::keyed(l, "hierarchical", "escalate-hierarchical"),
        ],
    }))
}

/// The major incident section: offered when the ticket is major, or may be
/// declared so.
pub(super) async fn major_view(
    state: &AppState,
    l: &Layout,
    access: &TicketAccess,
    t: &TicketRecord,
) -> Result<Option<MajorView>, StoreError> {
    let can_declare = !t.major && major::check_declare(&facts(t)).is_ok();
    if !t.major {
        return Ok(can_declare.then(|| MajorView {
            is_major: false,
            can_declare,
            children: Vec::new(),
            candidates: Vec::new(),
            communications: Vec::new(),
        }));
    }
    let store = state.store();
    let children = store
        .list_tickets(
            access,
            &TicketFilter {
                parent_id: Some(t.id),
                ..Default::default()
            },
            PageRequest::first(200),
        )
        .await?
        .items
        .into_iter()
        .map(|c| TicketRow::of(l, c))
        .collect();
    // The open incidents of the tenant he works that the core lets link.
    let open = TicketFilter {
        ticket_type: Some(TicketType::Incident),
        open_only: true,
        within: t
            .entity_path
            .ids()
            .first()
            .map(|root| EntityPath::root(*root)),
        ..Default::default()
    };
    let parent = facts(t);
    let candidates = store
        .list_tickets(access, &open, PageRequest::first(200))
        .await?
        .items
        .into_iter()
        .filter(|c| {
            c.tenant_id == t.tenant_id
                && access.work.covers(c.tenant_id, &c.entity_path)
                && major::check_link(t.id.0, &parent, c.id.0, &facts(c)).is_ok()
        })
        .map(|c| EntityChoice {
            id: c.id.0,
            label: format!("#{} — {}", c.number, c.title),
        })
        .collect();
    let communications = store
        .list_communications(t)
        .await?
        .into_iter()
        .map(|c| CommunicationView {
            id: c.id,
            audience: c.audience,
            body: safe_markdown(&c.body),
            author: c.author_label,
            at: utc(c.sent_at),
        })
        .collect();
    Ok(Some(MajorView {
        is_major: true,
        can_declare: false,
        children,
        candidates,
        communications,
    }))
}

/// A refusal of the core's escalation rules: 422 for what the form should
/// say differently, 409 for what the ticket's state forbids.
fn escalation_refusal(l: &Layout, e: EscalationError) -> Refusal {
    match e {
        EscalationError::NoReason | EscalationError::NotHigher { .. } => Refusal::Worded(
            StatusCode::UNPROCESSABLE_ENTITY,
            l.lang.t1("error-invalid", "detail", e.to_string()),
        ),
        EscalationError::NotOpen(_) | EscalationError::NoManager => Refusal::Worded(
            StatusCode::CONFLICT,
            l.lang.t1("error-conflict", "detail", e.to_string()),
        ),
    }
}

/// A refusal of the core's major incident rules (as the API maps them).
fn major_refusal(l: &Layout, e: MajorError) -> Refusal {
    match e {
        MajorError::Missing(_) => Refusal::Worded(
            StatusCode::UNPROCESSABLE_ENTITY,
            l.lang.t1("error-invalid", "detail", e.to_string()),
        ),
        _ => Refusal::Worded(
            StatusCode::CONFLICT,
            l.lang.t1("error-conflict", "detail", e.to_string()),
        ),
    }
}

/// The escalation form.
#[derive(Deserialize)]
pub(super) struct EscalateForm {
    #[serde(default)]
    csrf: String,
    /// `functional` or `hierarchical`.
    #[serde(default)]
    kind: String,
    /// The target group of a functional escalation.
    #[serde(default)]
    group: String,
    #[serde(default)]
    reason: String,
}

async fn escalate(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<EscalateForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let id = ticket_id(&l, &raw)?;
    let result = apply_escalation(&state, &session, &l, id, &form).await;
    let drafts = Drafts {
        esc_kind: form.kind.clone(),
        esc_group: parse_id(&form.group).unwrap_or(0),
        esc_reason: form.reason.clone(),
        ..Drafts::default()
    };
    outcome(&state, &session, l, id, result, drafts).await
}

/// Escalates through the shared path (`desk::escalate`), for a form.
async fn apply_escalation(
    state: &AppState,
    session: &WebSession,
    l: &Layout,
    id: TicketId,
    form: &EscalateForm,
) -> Result<(), Refusal> {
    use crate::desk::{EscalateError, EscalateTo};
    let reason = long_text("reason", form.reason.trim())?;
    let to = match form.kind.as_str() {
        "functional" => EscalateTo::Group(
            parse_id(&form.group).ok_or(FormError::Refused("escalate-group-needed"))?,
        ),
        "hierarchical" => EscalateTo::Manager,
        _ => {
            return Err(FormError::Invalid(
                "`kind` must be `functional` or `hierarchical`".to_owned(),
            )
            .into());
        }
    };
    crate::desk::escalate(state, &session.actor, id, to, &reason)
        .await
        .map_err(|e| match e {
            EscalateError::Store(e) => e.into(),
            EscalateError::Lifecycle(e) => lifecycle_refusal(l, &e),
            EscalateError::Escalation(e) => escalation_refusal(l, e),
            EscalateError::NoSuchGroup(g) => {
                FormError::Invalid(format!("there is no group {g}")).into()
            }
        })?;
    Ok(())
}

/// Declaring or ending a major incident: `major` is `true` or `false`.
#[derive(Deserialize)]
pub(super) struct MajorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    major: String,
}

async fn set_major(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<MajorForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let id = ticket_id(&l, &raw)?;
    let actor = &session.actor;
    let result = async {
        let on = match form.major.as_str() {
            "true" => true,
            "false" => false,
            _ => {
                return Err(
                    FormError::Invalid("`major` must be `true` or `false`".to_owned()).into(),
                );
            }
        };
        let t = state
            .store()
            .get_workable_ticket(&TicketAccess::of(actor), id)
            .await?;
        if on {
            major::check_declare(&facts(&t)).map_err(|e| major_refusal(&l, e))?;
        }
        state
            .store()
            .set_major(actor, state.clock().now(), &t, on)
            .await?;
        Ok::<(), Refusal>(())
    }
    .await;
    outcome(&state, &session, l, id, result, Drafts::default()).await
}

/// Linking an incident under a major incident.
#[derive(Deserialize)]
pub(super) struct LinkForm {
    #[serde(default)]
    csrf: String,
    /// The incident's id.
    #[serde(default)]
    child: String,
}

async fn link_child(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<LinkForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let id = ticket_id(&l, &raw)?;
    let actor = &session.actor;
    let result = async {
        let access = TicketAccess::of(actor);
        let parent = state.store().get_workable_ticket(&access, id).await?;
        let child_id = TicketId(required_id(&form.child, "child")?);
        // An incident he may not work, or of another tenant, is unknown.
        let child = match state.store().get_workable_ticket(&access, child_id).await {
            Ok(c) if c.tenant_id == parent.tenant_id => c,
            Ok(_) | Err(StoreError::NotFound | StoreError::Forbidden(_)) => {
                return Err(FormError::Refused("major-link-unknown").into());
            }
            Err(e) => return Err(e.into()),
        };
        major::check_link(parent.id.0, &facts(&parent), child.id.0, &facts(&child))
            .map_err(|e| major_refusal(&l, e))?;
        state
            .store()
            .set_parent(actor, state.clock().now(), &child, Some(parent.id))
            .await?;
        Ok::<(), Refusal>(())
    }
    .await;
    let drafts = Drafts {
        child: parse_id(&form.child).unwrap_or(0),
        ..Drafts::default()
    };
    outcome(&state, &session, l, id, result, drafts).await
}

async fn unlink_child(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path((raw, raw_child)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let id = ticket_id(&l, &raw)?;
    let child_id = ticket_id(&l, &raw_child)?;
    let actor = &session.actor;
    let result = async {
        let access = TicketAccess::of(actor);
        let parent = state.store().get_workable_ticket(&access, id).await?;
        let child = state.store().get_workable_ticket(&access, child_id).await?;
        if child.parent_id != Some(parent.id) {
            return Err(StoreError::NotFound.into());
        }
        state
            .store()
            .set_parent(actor, state.clock().now(), &child, None)
            .await?;
        Ok::<(), Refusal>(())
    }
    .await;
    outcome(&state, &session, l, id, result, Drafts::default()).await
}

/// A communication to record.
#[derive(Deserialize)]
pub(super) struct CommunicationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    body: String,
}

async fn communicate(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CommunicationForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let id = ticket_id(&l, &raw)?;
    let actor = &session.actor;
    let result = async {
        let t = state
            .store()
            .get_workable_ticket(&TicketAccess::of(actor), id)
            .await?;
        if !t.major {
            return Err(major_refusal(&l, MajorError::NotMajor));
        }
        major::check_communication(&form.audience, &form.body).map_err(|e| major_refusal(&l, e))?;
        let audience = validate::name("audience", &form.audience, 200).map_err(FormError::from)?;
        let text = long_text("body", &form.body)?;
        state
            .store()
            .add_communication(actor, state.clock().now(), &t, &audience, &text)
            .await?;
        Ok::<(), Refusal>(())
    }
    .await;
    let drafts = Drafts {
        audience: form.audience.clone(),
        message: form.body.clone(),
        ..Drafts::default()
    };
    outcome(&state, &session, l, id, result, drafts).await
}
