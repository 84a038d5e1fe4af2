//! Correlation: events about one failure form one alert group, and the
//! group decides the incident.
//!
//! An event matched to an item joins, among the tenant's open groups that
//! saw an event within the correlation window:
//!
//! 1. a group that already holds its fingerprint (whatever the window: the
//!    same alert firing again belongs where it was);
//! 2. else a group about the same item;
//! 3. else a group holding one of its *ancestors* (what it is located in,
//!    powered by, runs on or is hosted by, transitively): the failing rack
//!    or power feed explains it; the highest such ancestor wins;
//! 4. else a group whose root is *below* it: the event is the cause of that
//!    group, which joins and is re-rooted at the event's item;
//! 5. else it opens a group rooted at its item.
//!
//! Ties go to the oldest group. An event matched to no item groups by
//! fingerprint alone. If servers of one rack failed apart before the rack
//! itself reported, the rack re-roots the oldest of their groups and the
//! others are merged into it ([`merged_into`]); their incidents are
//! gathered under the one that carries the outage ([`merged_incidents`]).
//!
//! A group is `open`, then `acknowledged` when someone acknowledges one of
//! its alerts, and `resolved` when every alert (fingerprint) of it has
//! cleared. [`act`] turns the event, its classification and its group into
//! the incident action.

use super::classify::Outcome;
use super::fingerprint::Fingerprint;
use super::{EventAction, EventClass, Severity};
use crate::cmdb::Criticality;
use crate::cmdb::RelationType;
use crate::ids::{AlertGroupId, CiId, MaintenanceWindowId, TicketId};
use crate::ticket::named_enum;
use crate::ticket::priority::Priority;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::fmt;
use std::str::FromStr;

/// Most ancestors looked at for one item (a guard against a huge or
/// cyclic answer from the shell).
pub const MAX_ANCESTORS: usize = 256;

/// What the shell answers about the CMDB: the direct relations leaving an
/// item (`ci → target`). Any closure `Fn(CiId) -> Vec<(RelationType, CiId)>`
/// is one.
pub trait Ancestry {
    /// The relations whose source is `ci`, with their targets.
    fn parents(&self, ci: CiId) -> Vec<(RelationType, CiId)>;
}

impl<F> Ancestry for F
where
    F: Fn(CiId) -> Vec<(RelationType, CiId)>,
{
    fn parents(&self, ci: CiId) -> Vec<(RelationType, CiId)> {
        self(ci)
    }
}

/// How events are grouped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrelationPolicy {
    /// A group takes new items only if its last event is this recent.
    pub window: SignedDuration,
    /// The relations followed upwards from an item.
    pub relations: Vec<RelationType>,
    /// How many relations deep.
    pub max_depth: usize,
}

impl Default for CorrelationPolicy {
    /// Fifteen minutes; located in, powered by, runs on, hosted by; eight
    /// levels (a VM on a server in a rack in a room in a site…).
    fn default() -> Self {
        CorrelationPolicy {
            window: SignedDuration::from_mins(15),
            relations: vec![
                RelationType::LocatedIn,
                RelationType::PoweredBy,
                RelationType::RunsOn,
                RelationType::HostedBy,
            ],
            max_depth: 8,
        }
    }
}

/// The ancestors of an item through the policy's relations, nearest first,
/// without the item itself and without repeats.
pub fn ancestors(ci: CiId, ancestry: &dyn Ancestry, policy: &CorrelationPolicy) -> Vec<CiId> {
    let mut seen: HashSet<CiId> = HashSet::from([ci]);
    let mut out = Vec::new();
    let mut queue: VecDeque<(CiId, usize)> = VecDeque::from([(ci, 0)]);
    while let Some((here, depth)) = queue.pop_front() {
        if depth >= policy.max_depth {
            continue;
        }
        for (relation, target) in ancestry.parents(here) {
            if out.len() >= MAX_ANCESTORS {
                return out;
            }
            if policy.relations.contains(&relation) && seen.insert(target) {
                out.push(target);
                queue.push_back((target, depth + 1));
            }
        }
    }
    out
}

named_enum!(
    /// Where an alert group stands.
    GroupState, "alert group state" {
        /// Some alert fires; nobody said he is on it.
        Open => "open",
        /// Someone acknowledged one of its alerts.
        Acknowledged => "acknowledged",
        /// Every alert has cleared.
        Resolved => "resolved",
    }
);

named_enum!(
    /// Where one alert (fingerprint) of a group stands.
    AlertStatus, "alert status" {
        /// Its last event fired or acknowledged it.
        Firing => "firing",
        /// Its last event resolved it.
        Cleared => "cleared",
    }
);

impl AlertStatus {
    /// The status an action leaves an alert in.
    pub fn after(action: EventAction) -> AlertStatus {
        match action {
            EventAction::Trigger | EventAction::Acknowledge => AlertStatus::Firing,
            EventAction::Resolve => AlertStatus::Cleared,
        }
    }
}

impl GroupState {
    /// The state after an event of the group: a trigger leaves it as it was
    /// (a resolved group opens again), an acknowledgement acknowledges it, a
    /// resolution resolves it once `all_cleared`.
    pub fn after(self, action: EventAction, all_cleared: bool) -> GroupState {
        match (self, action) {
            (GroupState::Resolved, EventAction::Trigger) => GroupState::Open,
            (state, EventAction::Trigger) => state,
            (GroupState::Resolved, _) => GroupState::Resolved,
            (_, EventAction::Acknowledge) => GroupState::Acknowledged,
            (_, EventAction::Resolve) if all_cleared => GroupState::Resolved,
            (state, EventAction::Resolve) => state,
        }
    }
}

/// What a group is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupRoot {
    /// An item: the highest failing one of the group.
    Ci(CiId),
    /// An alert matched to no item.
    Fingerprint(Fingerprint),
}

/// An alert group as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertGroup {
    /// Its id.
    pub id: AlertGroupId,
    /// What it is about.
    pub root: GroupRoot,
    /// The items of its events (the root included).
    pub members: BTreeSet<CiId>,
    /// Its alerts and where each stands.
    pub alerts: BTreeMap<Fingerprint, AlertStatus>,
    /// Where it stands.
    pub state: GroupState,
    /// When it opened.
    pub opened_at: Timestamp,
    /// When it last received an event.
    pub last_event_at: Timestamp,
    /// The incident it opened or was attached to, if any.
    pub incident: Option<TicketId>,
}

/// Which group an event goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Correlation {
    /// An existing group.
    Join {
        /// The group.
        group: AlertGroupId,
        /// Its new root, when the event's item is above the old one.
        reroot: Option<CiId>,
    },
    /// A new group.
    Open {
        /// Its root.
        root: GroupRoot,
    },
}

/// The group a trigger event goes to. `ancestors` are the item's, from
/// [`ancestors`]; `groups` the tenant's groups not resolved (others are
/// ignored).
pub fn correlate(
    fingerprint: &Fingerprint,
    ci: Option<CiId>,
    ancestors_of_ci: &[CiId],
    groups: &[AlertGroup],
    ancestry: &dyn Ancestry,
    policy: &CorrelationPolicy,
    now: Timestamp,
) -> Correlation {
    let mut live: Vec<&AlertGroup> = groups
        .iter()
        .filter(|g| g.state != GroupState::Resolved)
        .collect();
    live.sort_by_key(|g| (g.opened_at, g.id));
    if let Some(g) = live.iter().find(|g| g.alerts.contains_key(fingerprint)) {
        return join(g.id, None);
    }
    let Some(ci) = ci else {
        return Correlation::Open {
            root: GroupRoot::Fingerprint(fingerprint.clone()),
        };
    };
    let since = super::earlier(now, policy.window);
    let recent: Vec<&AlertGroup> = live
        .into_iter()
        .filter(|g| g.last_event_at >= since)
        .collect();
    if let Some(g) = recent
        .iter()
        .find(|g| g.root == GroupRoot::Ci(ci) || g.members.contains(&ci))
    {
        return join(g.id, None);
    }
    // The farthest failing ancestor explains the most.
    let below = ancestors_of_ci.iter().rev().find_map(|a| {
        recent
            .iter()
            .find(|g| g.root == GroupRoot::Ci(*a) || g.members.contains(a))
    });
    if let Some(g) = below {
        return join(g.id, None);
    }
    let above = recent.iter().find(|g| match &g.root {
        GroupRoot::Ci(root) => ancestors(*root, ancestry, policy).contains(&ci),
        GroupRoot::Fingerprint(_) => false,
    });
    match above {
        Some(g) => join(g.id, Some(ci)),
        None => Correlation::Open {
            root: GroupRoot::Ci(ci),
        },
    }
}

/// The other groups an event on `ci` explains once it re-roots `target`
/// at `ci`: the recent live groups rooted at an item below `ci`. They are
/// merged into `target` (their alerts move there, they end), so that a
/// rack reporting after its servers gathers all of them, not only the
/// oldest.
pub fn merged_into(
    target: AlertGroupId,
    ci: CiId,
    groups: &[AlertGroup],
    ancestry: &dyn Ancestry,
    policy: &CorrelationPolicy,
    now: Timestamp,
) -> Vec<AlertGroupId> {
    let since = super::earlier(now, policy.window);
    let mut found: Vec<&AlertGroup> = groups
        .iter()
        .filter(|g| g.id != target && g.state != GroupState::Resolved && g.last_event_at >= since)
        .filter(|g| match &g.root {
            GroupRoot::Ci(root) => *root != ci && ancestors(*root, ancestry, policy).contains(&ci),
            GroupRoot::Fingerprint(_) => false,
        })
        .collect();
    found.sort_by_key(|g| (g.opened_at, g.id));
    found.into_iter().map(|g| g.id).collect()
}

/// What becomes of the incident of a group merged into another.
///
/// The surviving group's incident *carries* the outage: the one it had
/// (the incident of the oldest group, which the parent's event re-rooted),
/// else the one the merging event opens, else the first absorbed one. Every
/// other absorbed incident becomes a child of the carrier (with a note in
/// it naming the carrier) and is resolved with it when the group clears
/// ([`resolved_with_parent`]), so no absorbed incident is left open and the
/// open incidents that carry outages do not depend on the order in which
/// the parent and its children reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergedIncident {
    /// The absorbed group had none.
    None,
    /// No incident carried the surviving group: it takes this one over
    /// (later alerts attach to it, it is resolved with the group).
    TakenOver(TicketId),
    /// It becomes a child of the carrier.
    Attached(TicketId),
}

/// The fate of an absorbed group's incident, given whether the surviving
/// group has (or is opening) an incident that carries it.
pub fn merged_incident(carried: bool, absorbed: Option<TicketId>) -> MergedIncident {
    match (carried, absorbed) {
        (_, None) => MergedIncident::None,
        (false, Some(i)) => MergedIncident::TakenOver(i),
        (true, Some(i)) => MergedIncident::Attached(i),
    }
}

/// The fates of the incidents of the groups an event merges into its own,
/// in the order given: `target` is the surviving group's incident before
/// the event, `act` what the event does to incidents, `absorbed` each
/// merged group with its incident. The first absorbed incident of a
/// surviving group that carries none (and opens none) takes it over; the
/// others are attached.
pub fn merged_incidents(
    target: Option<TicketId>,
    act: &Act,
    absorbed: &[(AlertGroupId, Option<TicketId>)],
) -> Vec<(AlertGroupId, MergedIncident)> {
    let mut carried = target.is_some() || act.opens_incident();
    absorbed
        .iter()
        .map(|(group, incident)| {
            let fate = merged_incident(carried, *incident);
            if let MergedIncident::TakenOver(_) = fate {
                carried = true;
            }
            (*group, fate)
        })
        .collect()
}

/// Whether an absorbed group's incident may become a child of the
/// carrier ([`MergedIncident::Attached`]): only while it is open and
/// linked nowhere (a person may have made it the child of another
/// incident, or resolved it; that is left as it is).
pub fn attachable(open: bool, has_parent: bool) -> bool {
    open && !has_parent
}

/// What the shell knows of a child of an incident whose group cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildFacts {
    /// It was opened from events (channel `event`).
    pub from_events: bool,
    /// An alert group that has not cleared still carries it (it is that
    /// group's incident).
    pub carried_by_live_group: bool,
}

/// Whether a child of an incident is resolved with it when the parent's
/// group clears: an incident opened from events whose own alerts are no
/// longer carried by a live group (it was attached by a merge, or its
/// group was re-rooted at its cause). Incidents a person opened and linked
/// by hand are left to that person, as are event incidents whose own
/// group still fires.
pub fn resolved_with_parent(child: &ChildFacts) -> bool {
    child.from_events && !child.carried_by_live_group
}

fn join(group: AlertGroupId, reroot: Option<CiId>) -> Correlation {
    Correlation::Join { group, reroot }
}

/// What happens to incidents because of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Open an incident for the group, with this priority.
    OpenIncident {
        /// P1 to P4, from the rule's mapping of the event's severity.
        priority: Priority,
    },
    /// Add the event to the group's incident (a new alert in the group).
    AttachToIncident {
        /// The incident.
        incident: TicketId,
    },
    /// Resolve the group's incident: its last alert cleared.
    ResolveIncident {
        /// The incident.
        incident: TicketId,
    },
    /// Record the event, nothing more (informational, duplicate, flapping,
    /// or no incident to act on).
    RecordOnly,
    /// A maintenance window covers it: recorded, nothing raised.
    Suppressed {
        /// The window.
        window: MaintenanceWindowId,
    },
}

impl Act {
    /// Whether the act opens an incident for the group.
    pub fn opens_incident(&self) -> bool {
        matches!(self, Act::OpenIncident { .. })
    }
}

/// What [`act`] looks at.
#[derive(Clone, Copy, Debug)]
pub struct ActFacts<'a> {
    /// The event's action.
    pub action: EventAction,
    /// The event's severity.
    pub severity: Severity,
    /// What classification said.
    pub outcome: &'a Outcome,
    /// The window covering the event, if any.
    pub suppressed_by: Option<MaintenanceWindowId>,
    /// Whether its alert is flapping.
    pub flapping: bool,
    /// The group's incident, if the event is in a group that has one.
    pub incident: Option<TicketId>,
    /// Where its alert stood in that group before (`None`: new to it).
    pub alert_before: Option<AlertStatus>,
    /// Whether every alert of its group has cleared after the event.
    pub group_cleared: bool,
    /// Whether the event joined or opened a group at all.
    pub grouped: bool,
    /// How critical the item the event is about is (`None`: no item).
    pub criticality: Option<Criticality>,
}

/// The priority of an incident opened from an event: the rule's priority
/// for the event's severity (its urgency), moved by how much the item
/// matters (its impact): one level up for a critical item, one level down
/// for a low one, as is for medium and high items or no item.
pub fn incident_priority(
    map: &super::classify::PriorityMap,
    severity: Severity,
    criticality: Option<Criticality>,
) -> Priority {
    let base = map.for_severity(severity);
    match criticality {
        Some(Criticality::Critical) => match base {
            Priority::Bas => Priority::Moyen,
            Priority::Moyen => Priority::Haut,
            Priority::Haut | Priority::Critique => Priority::Critique,
        },
        Some(Criticality::Low) => match base {
            Priority::Critique => Priority::Haut,
            Priority::Haut => Priority::Moyen,
            Priority::Moyen | Priority::Bas => Priority::Bas,
        },
        Some(Criticality::Medium | Criticality::High) | None => base,
    }
}

/// The incident action for an event: a covered trigger is suppressed;
/// informational and flapping events, acknowledgements and repeats only
/// record; a trigger opens an incident (if the rule says so and the group
/// has none) or attaches a new alert to the group's; the resolution that
/// clears a group's last alert resolves its incident, if the rule says so.
pub fn act(f: &ActFacts<'_>) -> Act {
    if let (EventAction::Trigger, Some(window)) = (f.action, f.suppressed_by) {
        return Act::Suppressed { window };
    }
    if f.outcome.class == EventClass::Informational || f.flapping || !f.grouped {
        return Act::RecordOnly;
    }
    match (f.action, f.incident) {
        (EventAction::Trigger, Some(incident)) if f.alert_before != Some(AlertStatus::Firing) => {
            Act::AttachToIncident { incident }
        }
        (EventAction::Trigger, None) if f.outcome.open_incident => Act::OpenIncident {
            priority: incident_priority(&f.outcome.priority, f.severity, f.criticality),
        },
        (EventAction::Resolve, Some(incident)) if f.group_cleared && f.outcome.auto_resolve => {
            Act::ResolveIncident { incident }
        }
        _ => Act::RecordOnly,
    }
}

#[cfg(test)]
#[path = "correlate_tests.rs"]
mod tests;
