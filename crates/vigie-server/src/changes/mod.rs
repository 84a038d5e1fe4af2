//! The change management use cases the API and the web share: acting on a
//! change (the core decides, the store writes), the flags of a planned
//! window (change windows, freezes, conflicts over the CMDB), the impact of
//! a change's items, and the calendar's iCalendar export ([`ics`]).

pub mod ics;
pub mod report;
pub mod settings;

use crate::AppState;
use vigie_core::Timestamp;
use vigie_core::calendar::BusinessCalendar;
use vigie_core::change::approval::{BoardKind, Decision, Vote};
use vigie_core::change::conflict::{self, PlannedChange};
use vigie_core::change::lifecycle::{
    self, Action, ActionKind, ChangeState, LifecycleError, Review,
};
use vigie_core::change::risk::{self, ImpactFindings};
use vigie_core::change::schedule::{self, Flag, Freeze, WindowError};
use vigie_core::change::{ChangeStatus, Likelihood, Preparation, readiness};
use vigie_core::cmdb::Criticality;
use vigie_core::cmdb::impact::ImpactState;
use vigie_core::ids::{ChangeId, TenantId, TicketId};
use vigie_core::role::Permission;
use vigie_core::sla::availability::Interval;
use vigie_core::tenancy::Actor;
use vigie_store::{ChangeRecord, Maintenance, StoreError, Transition};

/// An action as the API or a form gives it.
#[derive(Clone, Debug)]
pub(crate) enum ActionIn {
    /// Hand it in.
    Submit,
    /// Assess it.
    Assess(Likelihood),
    /// Return it to draft.
    SendBack(String),
    /// Vote.
    Vote(Decision, String),
    /// Plan it.
    Schedule(Timestamp, Timestamp),
    /// Begin.
    Start,
    /// Done.
    Complete,
    /// Undone.
    BackOut(String),
    /// The review and the incidents it caused.
    Review(Review, Vec<TicketId>),
    /// Finish.
    Close,
    /// Abandon.
    Cancel(String),
}

impl ActionIn {
    fn kind(&self) -> ActionKind {
        match self {
            ActionIn::Submit => ActionKind::Submit,
            ActionIn::Assess(_) => ActionKind::Assess,
            ActionIn::SendBack(_) => ActionKind::SendBack,
            ActionIn::Vote(..) => ActionKind::Vote,
            ActionIn::Schedule(..) => ActionKind::Schedule,
            ActionIn::Start => ActionKind::Start,
            ActionIn::Complete => ActionKind::Complete,
            ActionIn::BackOut(_) => ActionKind::BackOut,
            ActionIn::Review(..) => ActionKind::Review,
            ActionIn::Close => ActionKind::Close,
            ActionIn::Cancel(_) => ActionKind::Cancel,
        }
    }
}

/// The permission an action needs on the change's entity. Votes need only
/// to read the change: the board decides who votes.
pub(crate) fn permission_for(action: ActionKind) -> Permission {
    match action {
        ActionKind::Assess | ActionKind::SendBack | ActionKind::Schedule | ActionKind::Close => {
            Permission::ManageChanges
        }
        ActionKind::Vote => Permission::ViewChanges,
        _ => Permission::WorkChanges,
    }
}

/// Why an action did not happen.
#[derive(Debug)]
pub(crate) enum ChangeError {
    /// The store refused or failed.
    Store(StoreError),
    /// The lifecycle refused.
    Lifecycle(LifecycleError),
    /// The planned window is malformed.
    Window(WindowError),
    /// The actor lacks the permission.
    Forbidden(Permission),
}

impl From<StoreError> for ChangeError {
    fn from(e: StoreError) -> Self {
        ChangeError::Store(e)
    }
}

/// The preparation of a change, as the readiness check reads it.
pub fn preparation(c: &ChangeRecord) -> Preparation<'_> {
    Preparation {
        kind: Some(c.kind),
        reason: &c.reason,
        expected_return: &c.expected_return,
        risks: &c.risks,
        resources: &c.resources,
        has_responsible: c.responsible_id.is_some(),
        implementation_plan: &c.implementation_plan,
        backout_plan: &c.backout_plan,
        backout_tested: c.backout_tested,
    }
}

/// The tenant's change windows: its calendar, or the default nights and
/// weekends in its time zone (Europe/Paris when none is set).
pub async fn window_calendar(
    state: &AppState,
    tenant: TenantId,
) -> Result<BusinessCalendar, StoreError> {
    let (calendar, zone) = state.store().change_settings(tenant).await?;
    if let Some(id) = calendar {
        let record = state.store().get_calendar(tenant, id).await?;
        if let Ok(c) = record.spec.build() {
            return Ok(c);
        }
    }
    let zone = zone.unwrap_or_else(|| vigie_core::calendar::DEFAULT_TIME_ZONE.to_owned());
    schedule::default_windows(&zone)
        .or_else(|_| schedule::default_windows(vigie_core::calendar::DEFAULT_TIME_ZONE))
        .map_err(|e| StoreError::Database(format!("change windows: {e}")))
}

/// The flags `window` earns for `change`: outside the change windows, in a
/// freeze, in conflict with another change holding its window.
pub async fn flags_for(
    state: &AppState,
    change: &ChangeRecord,
    window: Interval,
) -> Result<Vec<Flag>, StoreError> {
    let store = state.store();
    let tenant = change.tenant_id;
    let windows = window_calendar(state, tenant).await?;
    let freezes: Vec<Freeze> = store
        .list_freezes(tenant, window.start)
        .await?
        .into_iter()
        .map(|f| Freeze {
            id: f.id,
            name: f.name,
            period: Interval::new(f.starts_at, f.ends_at),
        })
        .collect();
    let mut flags = schedule::check(window, &windows, &freezes);
    let others: Vec<PlannedChange> = store
        .planned_changes(tenant, window.start, window.end, None)
        .await?
        .into_iter()
        .map(|p| PlannedChange {
            id: p.id,
            number: p.number,
            window: Interval::new(p.start, p.end),
            items: p.items,
        })
        .collect();
    if !others.is_empty() && !change.items.is_empty() {
        let graph = store.cmdb_graph(tenant).await?;
        for c in conflict::conflicts(
            &graph.dependencies,
            &graph.graph.index,
            Some(change.id),
            &change.items,
            window,
            &others,
        ) {
            flags.push(Flag::Conflict(c));
        }
    }
    Ok(flags)
}

/// A flag as stored and answered: its fields, `flag` naming it, and a
/// `message` in words.
pub fn flag_json(f: &Flag) -> serde_json::Value {
    let mut v = serde_json::to_value(f).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("message".into(), f.describe().into());
    }
    v
}

/// What taking the change's items down would touch, and the names of the
/// business services that would be down or degraded.
pub(crate) async fn impact_of(
    state: &AppState,
    actor: &Actor,
    change: &ChangeRecord,
) -> Result<(ImpactFindings, Vec<String>), StoreError> {
    let store = state.store();
    let graph = store.cmdb_graph(change.tenant_id).await?;
    let failing: Vec<u32> = change
        .items
        .iter()
        .filter_map(|c| graph.graph.index_of(*c))
        .collect();
    let impact = graph.impact.impact(&failing);
    let mut findings = ImpactFindings::default();
    let mut services = Vec::new();
    for (i, s) in impact.business_services() {
        match s {
            ImpactState::Down => findings.services_down += 1,
            ImpactState::Degraded => findings.services_degraded += 1,
            ImpactState::Up => continue,
        }
        if let Some(name) = graph.graph.names.get(i as usize) {
            services.push(name.clone());
        }
    }
    // The criticality of the items the actor may see, from the graph
    // already loaded (no read per item).
    let reach = actor.reach();
    findings.touches_critical_item = failing.iter().any(|&i| {
        graph.graph.visible(&reach, change.tenant_id, i)
            && graph.graph.criticalities.get(i as usize) == Some(&Criticality::Critical)
    });
    services.sort();
    Ok((findings, services))
}

/// Acts on a change the actor may act on.
pub(crate) async fn act(
    state: &AppState,
    actor: &Actor,
    id: ChangeId,
    action: ActionIn,
) -> Result<ChangeRecord, ChangeError> {
    let permission = permission_for(action.kind());
    if !actor.can_anywhere(permission) {
        return Err(ChangeError::Forbidden(permission));
    }
    let store = state.store();
    let now = state.clock().now();
    let before = store.get_change(&actor.scope(permission), id).await?;
    let board = match BoardKind::for_change(before.kind) {
        Some(kind) => store.change_board(before.tenant_id, kind).await?,
        None => None,
    };
    let votes = store.change_votes(&before).await?;
    let checklist = store.change_checklist(&before).await?;
    let current = ChangeState {
        kind: before.kind,
        status: before.status,
        missing: readiness(&preparation(&before)),
        open_checklist: checklist.iter().filter(|i| i.done_at.is_none()).count(),
        board: board.as_ref().map(|b| b.board()),
        votes: votes.iter().map(|v| v.vote.clone()).collect(),
    };
    let mut t = Transition::to(before.status);
    let core_action = match action {
        ActionIn::Submit => Action::Submit,
        ActionIn::Assess(likelihood) => {
            let (findings, _) = impact_of(state, actor, &before).await?;
            let class = risk::impact_class(&findings);
            t.assessment = Some((likelihood, class, risk::assess(likelihood, class)));
            Action::Assess { likelihood }
        }
        ActionIn::SendBack(reason) => {
            t.reason = Some(reason.clone());
            Action::SendBack { reason }
        }
        ActionIn::Vote(decision, comment) => Action::Vote(Vote {
            voter: actor.user,
            decision,
            comment,
        }),
        ActionIn::Schedule(start, end) => {
            let window = schedule::planned_window(start, end).map_err(ChangeError::Window)?;
            let flags = if current.status == ChangeStatus::Approved
                || current.status == ChangeStatus::Scheduled
            {
                flags_for(state, &before, window).await?
            } else {
                Vec::new()
            };
            Action::Schedule { window, flags }
        }
        ActionIn::Start => Action::Start,
        ActionIn::Complete => Action::Complete,
        ActionIn::BackOut(reason) => {
            t.reason = Some(reason.clone());
            Action::BackOut { reason }
        }
        ActionIn::Review(review, caused) => {
            t.review = Some((review.clone(), caused));
            Action::Review(review)
        }
        ActionIn::Close => Action::Close,
        ActionIn::Cancel(reason) => {
            t.reason = Some(reason.clone());
            Action::Cancel { reason }
        }
    };
    let outcome = lifecycle::apply(&current, &core_action).map_err(ChangeError::Lifecycle)?;
    t.status = outcome.status;
    t.new_round = outcome.new_round;
    if let (Some((vote, _)), Some(b)) = (&outcome.vote, &board) {
        t.vote = Some((b.kind, vote.clone()));
    }
    if let Some(window) = outcome.window {
        let flags = outcome.flags.iter().map(flag_json).collect();
        t.window = Some((window, flags));
        let (_, services) = impact_of(state, actor, &before).await?;
        t.maintenance = Maintenance::Plan { services };
    }
    let ends_window = matches!(
        outcome.status,
        ChangeStatus::Implemented | ChangeStatus::BackedOut | ChangeStatus::Cancelled
    );
    if ends_window && before.planned_start.is_some() {
        t.maintenance = Maintenance::End;
    }
    Ok(store.transition_change(actor, &before, now, &t).await?)
}
