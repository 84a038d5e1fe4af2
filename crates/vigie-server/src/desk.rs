//! The service desk's use cases that the API and the web pages share, so
//! that both follow one path: read the ticket within the actor's access,
//! ask the core for the outcome, let the store write it.

use crate::AppState;
use vigie_core::ids::TicketId;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::TicketAccess;
use vigie_core::ticket::escalation::EscalationError;
use vigie_core::ticket::lifecycle::{self, Action, ActionKind, LifecycleError, LifecycleState};
use vigie_store::{Assignment, StoreError, TicketRecord};

/// Who holds the ticket after an `assign`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum AssignTo {
    /// This group and/or agent.
    Explicit(Assignment),
    /// The actor himself, keeping the ticket's group if he belongs to it.
    Myself,
}

/// Why an action did not happen.
#[derive(Debug)]
pub(crate) enum ActError {
    /// The store refused or failed (not found, forbidden, conflict…).
    Store(StoreError),
    /// The lifecycle refused the action.
    Lifecycle(LifecycleError),
}

impl From<StoreError> for ActError {
    fn from(e: StoreError) -> Self {
        ActError::Store(e)
    }
}

/// Why an escalation did not happen.
#[derive(Debug)]
pub(crate) enum EscalateError {
    /// The store refused or failed.
    Store(StoreError),
    /// The lifecycle refused the reassignment.
    Lifecycle(LifecycleError),
    /// The escalation rules refused.
    Escalation(EscalationError),
    /// The group named does not exist in the ticket's tenant.
    NoSuchGroup(i64),
}

impl From<StoreError> for EscalateError {
    fn from(e: StoreError) -> Self {
        EscalateError::Store(e)
    }
}

/// Which escalation.
#[derive(Clone, Copy, Debug)]
pub(crate) enum EscalateTo {
    /// To a group of a higher support level.
    Group(i64),
    /// To the manager of the group holding the ticket.
    Manager,
}

/// Escalates a ticket the actor works: functionally (to a higher-level
/// group, released from its agent) or hierarchically (alerting the group's
/// manager); the reason goes to the timeline as an internal note, in the
/// same transaction as the change.
pub(crate) async fn escalate(
    state: &AppState,
    actor: &Actor,
    id: TicketId,
    to: EscalateTo,
    reason: &str,
) -> Result<TicketRecord, EscalateError> {
    use vigie_core::ticket::escalation;
    let access = TicketAccess::of(actor);
    let store = state.store();
    let before = store.get_workable_ticket(&access, id).await?;
    let current = match before.group_id {
        Some(g) => Some(store.get_group(&Scope::Platform, g).await?),
        None => None,
    };
    let now = state.clock().now();
    match to {
        EscalateTo::Group(target_id) => {
            let target = store
                .get_group(&Scope::Platform, vigie_core::ids::GroupId(target_id))
                .await
                .ok()
                .filter(|g| g.tenant_id == before.tenant_id)
                .ok_or(EscalateError::NoSuchGroup(target_id))?;
            escalation::check_functional(
                before.status,
                current.as_ref().map(|g| g.level),
                target.level,
                reason,
            )
            .map_err(EscalateError::Escalation)?;
            let state_now = LifecycleState {
                status: before.status,
                resolved_at: before.resolved_at,
            };
            let outcome =
                lifecycle::apply(&state_now, &Action::Assign, now, jiff::SignedDuration::ZERO)
                    .map_err(EscalateError::Lifecycle)?;
            let note = format!(
                "Escalated to {} (level {}): {reason}",
                target.name, target.level
            );
            let assignment = Assignment {
                group_id: Some(target.id),
                assignee_id: None,
            };
            Ok(store
                .apply_ticket_outcome_with_note(
                    actor,
                    &before,
                    now,
                    &outcome,
                    Some(assignment),
                    Some(&note),
                )
                .await?)
        }
        EscalateTo::Manager => {
            let manager = current.as_ref().and_then(|g| g.manager_id);
            escalation::check_hierarchical(before.status, manager.is_some(), reason)
                .map_err(EscalateError::Escalation)?;
            let manager = store
                .get_user(
                    &Scope::Platform,
                    manager.unwrap_or(vigie_core::ids::UserId(0)),
                )
                .await?;
            let group = current.map(|g| g.name).unwrap_or_default();
            let note = format!(
                "Manager {} of {group} alerted: {reason}",
                manager.display_name
            );
            let alert: Vec<_> = before
                .group_id
                .map(vigie_core::notification::manager_alert)
                .into_iter()
                .collect();
            store
                .add_note_notifying(actor, &access, now, &before, &note, &alert)
                .await?;
            Ok(store.get_ticket(&access, before.id).await?)
        }
    }
}

/// Applies a lifecycle action to a ticket. Agents of the ticket's entity
/// may do anything the status allows; the requester may only reopen or
/// close his own resolved ticket.
pub(crate) async fn act_on_ticket(
    state: &AppState,
    actor: &Actor,
    id: TicketId,
    action: Action,
    assign: AssignTo,
) -> Result<TicketRecord, ActError> {
    let access = TicketAccess::of(actor);
    let own_closure = matches!(action.kind(), ActionKind::Reopen | ActionKind::Close);
    let before = match state.store().get_workable_ticket(&access, id).await {
        Ok(t) => t,
        Err(StoreError::Forbidden(_)) if own_closure => {
            let t = state.store().get_ticket(&access, id).await?;
            if t.requester_id != actor.user {
                return Err(StoreError::Forbidden(
                    "only the requester or an agent may do this".into(),
                )
                .into());
            }
            t
        }
        Err(e) => return Err(e.into()),
    };
    let settings = state.store().ticket_settings(before.tenant_id).await?;
    let now = state.clock().now();
    let current = LifecycleState {
        status: before.status,
        resolved_at: before.resolved_at,
    };
    let delay = jiff::SignedDuration::from_hours(settings.reopen_hours);
    let outcome = lifecycle::apply(&current, &action, now, delay).map_err(ActError::Lifecycle)?;
    let assignment = match assign {
        AssignTo::Explicit(a) => Some(a),
        AssignTo::Myself => Some(Assignment {
            group_id: match before.group_id {
                Some(g) => {
                    let members = state
                        .store()
                        .list_group_members(&Scope::Platform, g)
                        .await?;
                    members.iter().any(|m| m.id == actor.user).then_some(g)
                }
                None => None,
            },
            assignee_id: Some(actor.user),
        }),
    };
    let assignment = if action.kind() == ActionKind::Assign {
        assignment
    } else {
        None
    };
    Ok(state
        .store()
        .apply_ticket_outcome(actor, &before, now, &outcome, assignment)
        .await?)
}

/// Opens a ticket, placing it with the group the tenant's assignment rules
/// choose (decided by the core: `ticket::routing::route`), if any.
pub(crate) async fn open_ticket(
    state: &AppState,
    actor: &Actor,
    entity: &vigie_store::EntityRecord,
    new: &vigie_store::NewTicket,
) -> Result<TicketRecord, StoreError> {
    let mut opened = open_tickets(state, actor, vec![(entity.clone(), new.clone())]).await?;
    opened
        .pop()
        .ok_or_else(|| StoreError::Database("no ticket was opened".into()))
}

/// Opens several tickets at once, all or none, each routed as
/// [`open_ticket`] does; the store groups their writes into one
/// transaction.
pub(crate) async fn open_tickets(
    state: &AppState,
    actor: &Actor,
    tickets: Vec<(vigie_store::EntityRecord, vigie_store::NewTicket)>,
) -> Result<Vec<TicketRecord>, StoreError> {
    use vigie_core::ticket::routing::{TicketFacts, route};
    let mut rules = std::collections::HashMap::new();
    let mut routed = Vec::with_capacity(tickets.len());
    for (entity, new) in tickets {
        if let std::collections::hash_map::Entry::Vacant(e) = rules.entry(entity.tenant_id) {
            e.insert(
                state
                    .store()
                    .list_assignment_rules(entity.tenant_id)
                    .await?,
            );
        }
        let facts = TicketFacts {
            category: new.category_id,
            service_ref: new.service_ref.as_deref(),
            entity: &entity.path,
            channel: new.channel,
            ticket_type: new.ticket_type,
        };
        let group = rules
            .get(&entity.tenant_id)
            .and_then(|r| route(r, &facts))
            .map(|r| r.group);
        routed.push((entity, new, group));
    }
    let access = TicketAccess::of(actor);
    state
        .store()
        .create_tickets(actor, &access, state.clock().now(), routed)
        .await
}

/// The most tickets one bulk action takes.
pub(crate) const MAX_BULK: usize = 200;

/// An action applied to many tickets at once from a queue.
#[derive(Clone, Debug)]
pub(crate) enum BulkAction {
    /// Hand them to a group and/or an agent (or the actor himself).
    Assign(AssignTo),
    /// Set their priority (an agent's override of the matrix).
    Priority(vigie_core::ticket::priority::Priority),
    /// Resolve them all with one solution.
    Resolve {
        /// The solution text.
        solution: String,
        /// The solution code.
        code: String,
    },
}

/// Applies `action` to each ticket in turn, through the same path as one
/// ticket's action, and reports each result: one ticket refused (closed,
/// out of reach, changed meanwhile) does not stop the others.
pub(crate) async fn bulk_act(
    state: &AppState,
    actor: &Actor,
    ids: &[TicketId],
    action: &BulkAction,
) -> Vec<(TicketId, Result<TicketRecord, ActError>)> {
    let mut results = Vec::with_capacity(ids.len());
    for &id in ids {
        let result = match action {
            BulkAction::Assign(to) => act_on_ticket(state, actor, id, Action::Assign, *to).await,
            BulkAction::Resolve { solution, code } => {
                let resolve = Action::Resolve {
                    solution: solution.clone(),
                    code: code.clone(),
                };
                act_on_ticket(state, actor, id, resolve, AssignTo::Myself).await
            }
            BulkAction::Priority(p) => {
                let changes = vigie_store::TicketChanges {
                    priority: Some(*p),
                    ..Default::default()
                };
                state
                    .store()
                    .update_ticket(
                        actor,
                        &TicketAccess::of(actor),
                        state.clock().now(),
                        id,
                        &changes,
                    )
                    .await
                    .map_err(ActError::Store)
            }
        };
        results.push((id, result));
    }
    results
}

/// The ids of a bulk request, in order, each once.
pub(crate) fn distinct_ids(ids: impl IntoIterator<Item = i64>) -> Vec<TicketId> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(*id))
        .map(TicketId)
        .collect()
}

/// The group the tenant's assignment rules give a ticket to open (decided
/// by the core: `ticket::routing::route`), for callers that write the
/// ticket themselves (a mail, in the transaction that records it) and read
/// the rules once for many tickets.
pub(crate) fn route_group(
    rules: &[vigie_core::ticket::routing::RoutingRule],
    entity: &vigie_store::EntityRecord,
    new: &vigie_store::NewTicket,
) -> Option<vigie_core::ids::GroupId> {
    use vigie_core::ticket::routing::{TicketFacts, route};
    let facts = TicketFacts {
        category: new.category_id,
        service_ref: new.service_ref.as_deref(),
        entity: &entity.path,
        channel: new.channel,
        ticket_type: new.ticket_type,
    };
    route(rules, &facts).map(|r| r.group)
}
