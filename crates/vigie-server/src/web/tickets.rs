//! The labels and rows the ticket pages share, the form opening a ticket,
//! and the ticket summary of the home page. The queues are in
//! [`super::ticket_queue`], the ticket page in [`super::ticket_page`].
//!
//! The rules are the API's: the same store calls within the same
//! [`TicketAccess`], the priority from the tenant's matrix.

use super::common::{
    Choice, EntityChoice, FormError, PAGE_SIZE, PageResult, all_entities, entity_choices, explain,
    frame, link, parse_id, required_id, see_other, store_page, utc, with_status,
};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::queue_view::Queue;
use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde::Deserialize;
use vigie_core::ids::{CategoryId, EntityId, UserId};
use vigie_core::role::Permission;
use vigie_core::tenancy::EntityPath;
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, PendingReason, Status, TicketAccess, TicketType};
use vigie_core::validate;
use vigie_store::{NewTicket, PageRequest, StoreError, TicketFilter, TicketRecord, UserFilter};

/// The queues' address, and the section of every ticket page.
pub(super) const HERE: &str = "/tickets";

/// The routes of the queues and of the form opening a ticket.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/tickets/new", get(new_form).post(create))
}

// ---------------------------------------------------------------------
// Labels shared with the ticket page.

/// A status in the page's language.
pub(super) fn status_label(l: &Layout, s: Status) -> String {
    l.t(&format!("ticket-status-{s}"))
}

/// A ticket type in the page's language.
pub(super) fn type_label(l: &Layout, t: TicketType) -> String {
    l.t(&format!("ticket-type-{t}"))
}

/// An impact or urgency level in the page's language.
pub(super) fn level_label(l: &Layout, v: Level) -> String {
    l.t(&format!("level-{v}"))
}

/// A priority: `P2 — High`.
pub(super) fn priority_label(l: &Layout, p: Priority) -> String {
    format!("{} — {}", p.label(), l.t(&format!("level-{p}")))
}

/// A channel in the page's language.
pub(super) fn channel_label(l: &Layout, c: Channel) -> String {
    l.t(&format!("channel-{c}"))
}

/// A pending reason in the page's language.
pub(super) fn pending_label(l: &Layout, p: PendingReason) -> String {
    l.t(&format!("pending-{p}"))
}

/// The levels as choices, highest first.
pub(super) fn level_choices(l: &Layout) -> Vec<Choice> {
    Level::ALL
        .iter()
        .map(|v| Choice {
            value: v.as_str().to_owned(),
            label: level_label(l, *v),
        })
        .collect()
}

/// A description, reply or solution: the same rule as the API's (at most
/// `vigie_core::validate::MAX_LONG_TEXT` characters, no control characters but line breaks and
/// tabs).
pub(super) fn long_text(field: &'static str, value: &str) -> Result<String, FormError> {
    Ok(vigie_core::validate::long_text(
        field,
        value,
        vigie_core::validate::MAX_LONG_TEXT,
    )?)
}

/// A value of a closed set typed in a form; a refusal naming the allowed
/// values otherwise.
pub(super) fn parse_named<T>(value: &str) -> Result<T, FormError>
where
    T: std::str::FromStr<Err = vigie_core::ticket::UnknownName>,
{
    value
        .trim()
        .parse()
        .map_err(|e: vigie_core::ticket::UnknownName| FormError::Invalid(e.to_string()))
}

/// The path of the entity chosen in the switcher, to narrow lists to its
/// subtree; `None` when none is chosen (or it is gone).
pub(super) async fn switcher_path(
    state: &AppState,
    session: &WebSession,
) -> Result<Option<EntityPath>, StoreError> {
    let Some(id) = session.current_entity else {
        return Ok(None);
    };
    match state.store().get_entity(&session.actor.reach(), id).await {
        Ok(e) => Ok(Some(e.path)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The groups of `tenant` the user sees (the assign forms' choices), as
/// (id, name).
pub(super) async fn tenant_groups(
    state: &AppState,
    session: &WebSession,
    tenant: vigie_core::ids::TenantId,
) -> Result<Vec<(i64, String)>, StoreError> {
    let view = session.actor.scope(Permission::ViewDirectory);
    Ok(state
        .store()
        .list_groups(&view, None, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .filter(|g| g.tenant_id == tenant)
        .map(|g| (g.id.0, g.name))
        .collect())
}

// ---------------------------------------------------------------------
// The rows of the queues.

/// One line of a ticket table.
pub(super) struct TicketRow {
    pub id: i64,
    pub number: i64,
    pub priority: &'static str,
    pub priority_title: String,
    pub priority_class: String,
    pub title: String,
    pub status: String,
    pub status_class: &'static str,
    pub requester: String,
    pub group: String,
    pub assignee: String,
    pub updated: String,
    /// Whether it is a major incident.
    pub major: bool,
    /// The major incident it is linked to.
    pub parent: Option<ParentLink>,
}

/// The major incident a ticket is linked to, with its number when the
/// reader may read it.
pub(super) struct ParentLink {
    pub id: i64,
    pub number: Option<i64>,
}

impl ParentLink {
    /// The link of a ticket's parent, its number looked up within the
    /// reader's access (`None` when he may not read it).
    pub(super) async fn of(
        state: &AppState,
        access: &TicketAccess,
        parent: vigie_core::ids::TicketId,
    ) -> Result<ParentLink, StoreError> {
        let number = match state.store().get_ticket(access, parent).await {
            Ok(p) => Some(p.number),
            Err(StoreError::NotFound | StoreError::Forbidden(_)) => None,
            Err(e) => return Err(e),
        };
        Ok(ParentLink {
            id: parent.0,
            number,
        })
    }
}

/// Fills in the numbers of the rows' parents (one read per parent).
pub(super) async fn parent_numbers(
    state: &AppState,
    access: &TicketAccess,
    rows: &mut [TicketRow],
) -> Result<(), StoreError> {
    let mut known: std::collections::HashMap<i64, Option<i64>> = Default::default();
    for row in rows.iter_mut() {
        let Some(parent) = row.parent.as_mut() else {
            continue;
        };
        let number = match known.get(&parent.id) {
            Some(n) => *n,
            None => {
                let link =
                    ParentLink::of(state, access, vigie_core::ids::TicketId(parent.id)).await?;
                known.insert(parent.id, link.number);
                link.number
            }
        };
        parent.number = number;
    }
    Ok(())
}

impl TicketRow {
    pub(super) fn of(l: &Layout, t: TicketRecord) -> TicketRow {
        TicketRow {
            id: t.id.0,
            number: t.number,
            priority: t.priority.label(),
            priority_title: priority_label(l, t.priority),
            priority_class: format!("prio prio-p{}", t.priority.rank()),
            title: t.title,
            status: status_label(l, t.status),
            status_class: t.status.as_str(),
            requester: t.requester_name,
            group: t.group_name.unwrap_or_default(),
            assignee: t.assignee_name.unwrap_or_default(),
            updated: utc(t.updated_at),
            major: t.major,
            parent: t.parent_id.map(|p| ParentLink {
                id: p.0,
                number: None,
            }),
        }
    }
}

// ---------------------------------------------------------------------
// The home page's summary.

/// One count of the home page.
pub(crate) struct SummaryLine {
    pub label: String,
    pub count: String,
    pub href: String,
    pub id: &'static str,
}

/// The home page's ticket summary.
pub(crate) struct TicketSummary {
    /// One count per queue.
    pub lines: Vec<SummaryLine>,
    /// Whether the user may open tickets somewhere.
    pub can_open: bool,
}

/// Whether an access lets its actor open tickets somewhere.
pub(super) fn can_open(access: &TicketAccess) -> bool {
    !matches!(&access.open, vigie_core::tenancy::Scope::Tenant { rules, .. } if rules.is_empty())
}

/// How many tickets wait in each of the user's queues ("50+" past a page).
pub(crate) async fn home_summary(
    state: &AppState,
    session: &WebSession,
    l: &Layout,
) -> Result<TicketSummary, StoreError> {
    let actor = &session.actor;
    let access = TicketAccess::of(actor);
    let within = switcher_path(state, session).await?;
    let queues: &[(Queue, &str, &'static str)] = if access.works_somewhere() {
        &[
            (Queue::Mine, "queue-mine", "summary-mine"),
            (Queue::Groups, "queue-groups", "summary-groups"),
            (Queue::Unassigned, "queue-unassigned", "summary-unassigned"),
        ]
    } else {
        &[(Queue::Open, "home-tickets-open", "summary-open")]
    };
    let mut lines = Vec::new();
    for (queue, key, id) in queues {
        let filter = TicketFilter {
            within: within.clone(),
            ..queue.filter(actor.user)
        };
        let page = state
            .store()
            .list_tickets(&access, &filter, PageRequest::first(PAGE_SIZE))
            .await?;
        let count = if page.next_after.is_some() {
            format!("{}+", page.items.len())
        } else {
            page.items.len().to_string()
        };
        lines.push(SummaryLine {
            label: l.t(key),
            count,
            href: link(HERE, &[("queue", queue.code().to_owned())]),
            id,
        });
    }
    Ok(TicketSummary {
        lines,
        can_open: can_open(&access),
    })
}

// ---------------------------------------------------------------------
// Opening a ticket.

/// What the form holds.
#[derive(Default)]
struct Draft {
    kind: String,
    entity: i64,
    title: String,
    description: String,
    impact: String,
    urgency: String,
    category: i64,
    channel: String,
    requester: i64,
}

#[derive(Template)]
#[template(path = "ticket_new.html")]
struct NewTicketPage {
    l: Layout,
    error: Option<String>,
    /// Whether the user works tickets: he chooses the channel and the
    /// requester.
    worker: bool,
    kinds: Vec<Choice>,
    entities: Vec<EntityChoice>,
    levels: Vec<Choice>,
    categories: Vec<EntityChoice>,
    channels: Vec<Choice>,
    requesters: Vec<EntityChoice>,
    draft: Draft,
}

/// The form's fields.
#[derive(Deserialize)]
pub(super) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    requester: String,
}

async fn show_new(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    error: Option<String>,
    mut draft: Draft,
) -> PageResult {
    let actor = &session.actor;
    let access = TicketAccess::of(actor);
    let worker = access.works_somewhere();
    let failed = |e| store_page(&l, e);
    let entities = all_entities(state, &access.open).await.map_err(failed)?;
    if draft.entity == 0 {
        let home = state
            .store()
            .get_user(&vigie_core::tenancy::Scope::Platform, actor.user)
            .await
            .map_err(failed)?
            .entity_id;
        let preferred = session.current_entity.unwrap_or(home);
        draft.entity = entities
            .iter()
            .find(|e| e.id == preferred)
            .or_else(|| entities.iter().find(|e| e.path.ids().contains(&home)))
            .or(entities.first())
            .map(|e| e.id.0)
            .unwrap_or(0);
    }
    let categories = state
        .store()
        .list_categories(actor.tenant)
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|c| c.active)
        .map(|c| EntityChoice {
            id: c.id.0,
            label: match c.applies_to.as_str() {
                "incident" | "request" => {
                    format!(
                        "{} ({})",
                        c.name,
                        l.t(&format!("ticket-type-{}", c.applies_to))
                    )
                }
                _ => c.name,
            },
        })
        .collect();
    let requesters = if worker {
        let filter = UserFilter {
            active: Some(true),
            ..Default::default()
        };
        let users = state
            .store()
            .list_users(
                &actor.scope(Permission::ViewDirectory),
                &filter,
                PageRequest::first(500),
            )
            .await
            .map_err(failed)?;
        let mut people: Vec<EntityChoice> = users
            .items
            .into_iter()
            .filter(|u| u.id != actor.user)
            .map(|u| EntityChoice {
                id: u.id.0,
                label: format!("{} ({})", u.display_name, u.login),
            })
            .collect();
        people.sort_by_cached_key(|a| a.label.to_lowercase());
        people.insert(
            0,
            EntityChoice {
                id: actor.user.0,
                label: l.t("ticket-requester-me"),
            },
        );
        people
    } else {
        Vec::new()
    };
    if draft.kind.is_empty() {
        draft.kind = TicketType::Incident.as_str().to_owned();
    }
    for level in [&mut draft.impact, &mut draft.urgency] {
        if level.is_empty() {
            *level = Level::Moyen.as_str().to_owned();
        }
    }
    if draft.channel.is_empty() {
        draft.channel = Channel::Phone.as_str().to_owned();
    }
    if draft.requester == 0 {
        draft.requester = actor.user.0;
    }
    let error = match error {
        None if entities.is_empty() => Some(l.t("ticket-no-entity")),
        e => e,
    };
    Ok(render(&NewTicketPage {
        worker,
        kinds: TicketType::ALL
            .iter()
            .map(|t| Choice {
                value: t.as_str().to_owned(),
                label: type_label(&l, *t),
            })
            .collect(),
        entities: entity_choices(&entities),
        levels: level_choices(&l),
        categories,
        channels: Channel::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str().to_owned(),
                label: channel_label(&l, *c),
            })
            .collect(),
        requesters,
        l,
        error,
        draft,
    }))
}

async fn new_form(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
) -> PageResult {
    let l = frame(&state, &session, &headers, "ticket-new-title", HERE).await?;
    show_new(&state, &session, l, None, Draft::default()).await
}

async fn create(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "ticket-new-title", HERE).await?;
    super::check_csrf(&session, &l, &form.csrf)?;
    let actor = &session.actor;
    let access = TicketAccess::of(actor);
    let worker = access.works_somewhere();
    let result = async {
        let entity = state
            .store()
            .get_entity(&access.open, EntityId(required_id(&form.entity, "entity")?))
            .await?;
        let settings = state.store().ticket_settings(entity.tenant_id).await?;
        let impact: Level = parse_named(&form.impact)?;
        let urgency: Level = parse_named(&form.urgency)?;
        // Requesters open from the portal, for themselves; agents say how
        // the ticket came in and for whom.
        let (channel, requester_id) = if worker {
            (
                parse_named(&form.channel)?,
                parse_id(&form.requester).map(UserId).unwrap_or(actor.user),
            )
        } else {
            (Channel::Portal, actor.user)
        };
        let new = NewTicket {
            ticket_type: parse_named(&form.kind)?,
            entity_id: entity.id,
            title: validate::name("title", &form.title, 200)?,
            description: long_text("description", &form.description)?,
            requester_id,
            channel,
            category_id: parse_id(&form.category).map(CategoryId),
            service_ref: None,
            ci_refs: String::new(),
            impact,
            urgency,
            priority: settings.matrix.priority(impact, urgency),
        };
        let t = crate::desk::open_ticket(&state, actor, &entity, &new).await?;
        Ok::<_, FormError>(t.id)
    }
    .await;
    match result {
        Ok(id) => Ok(see_other(&format!("/tickets/{id}"))),
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            let draft = Draft {
                kind: form.kind.clone(),
                entity: parse_id(&form.entity).unwrap_or(0),
                title: form.title.clone(),
                description: form.description.clone(),
                impact: form.impact.clone(),
                urgency: form.urgency.clone(),
                category: parse_id(&form.category).unwrap_or(0),
                channel: form.channel.clone(),
                requester: parse_id(&form.requester).unwrap_or(0),
            };
            let page = show_new(&state, &session, l, Some(message), draft).await?;
            Ok(with_status(page, status))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_follows_the_api_rule() {
        assert!(long_text("description", "ligne 1\nligne 2\ttab").is_ok());
        assert!(long_text("description", "bell\u{7}").is_err());
        assert!(
            long_text(
                "description",
                &"x".repeat(vigie_core::validate::MAX_LONG_TEXT + 1)
            )
            .is_err()
        );
    }
}
