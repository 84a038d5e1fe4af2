//! The event processor: takes the pending events in the order they were
//! stored, lets the core decide each one (`vigie_core::event::process`)
//! against the tenant's alerts, groups, rules and maintenance windows, and
//! has the store apply a tenant's decisions in one transaction. A crash
//! before the commit leaves the events pending: the next run decides them
//! again, from the same state, and so the same way.
//!
//! It runs on the instance holding the lease [`EVENT_LEASE`], woken by
//! ingestion and at least every [`PERIOD`].

use super::cmdb_view::CmdbViews;
use super::incident;
use crate::AppState;
use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, HashSet};
use vigie_core::event::classify::RuleSet;
use vigie_core::event::correlate::{
    Act, AlertGroup, Correlation, GroupRoot, GroupState, MergedIncident,
};
use vigie_core::event::fingerprint::Fingerprint;
use vigie_core::event::process::{Context, EventPolicy, process};
use vigie_core::event::{EventClass, Severity};
use vigie_core::ids::{AlertGroupId, IntegrationKeyId, TenantId, TicketId};
use vigie_core::tenancy::Scope;
use vigie_core::ticket::routing::{TicketFacts, route};
use vigie_core::ticket::{Channel, TicketType};
use vigie_store::{
    AlertState, AlertWrite, AppliedBatch, EntityRecord, EventBatch, GroupWrite, IncidentWrite,
    IntegrationKeyRecord, PendingEvent, StoreError,
};

/// The lease of the event processor.
pub const EVENT_LEASE: &str = "event-processing";
/// How long the lease outlives a run: the processor renews it every
/// [`PERIOD`] at least, so a crashed instance is relieved this soon.
pub const LEASE: SignedDuration = SignedDuration::from_secs(15);
/// The most events one run takes.
pub const BATCH: u32 = 5000;
/// How long the processor sleeps when nobody wakes it.
pub const PERIOD: std::time::Duration = std::time::Duration::from_secs(1);

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Processed {
    /// Whether this instance holds the lease (and so did the work).
    pub held: bool,
    /// Events decided.
    pub events: usize,
    /// Alert groups opened.
    pub groups_opened: usize,
    /// Incidents opened.
    pub incidents_opened: usize,
    /// Incidents resolved.
    pub incidents_resolved: usize,
}

/// How often old raw events are compacted.
pub const COMPACTION_EVERY: SignedDuration = SignedDuration::from_hours(1);

/// The processor's memory between runs (the CMDB views, the last
/// compaction).
#[derive(Default)]
pub struct Processor {
    views: CmdbViews,
    last_compaction: std::sync::Mutex<Option<Timestamp>>,
}

impl Processor {
    /// Deletes the raw events older than the retention period whose alert
    /// cleared or was informational, at most once per [`COMPACTION_EVERY`]
    /// (the caller holds the processing lease). Returns how many went.
    pub async fn compact_if_due(&self, state: &AppState) -> Result<u64, StoreError> {
        let now = state.clock().now();
        {
            let Ok(mut last) = self.last_compaction.lock() else {
                return Ok(0);
            };
            if last.is_some_and(|l| now < l + COMPACTION_EVERY) {
                return Ok(0);
            }
            *last = Some(now);
        }
        let days = i64::from(state.config().event_retention_days.max(1));
        let before = now - SignedDuration::from_hours(24 * days);
        let mut total = 0;
        loop {
            let deleted = state.store().compact_events(before, 10_000).await?;
            total += deleted;
            if deleted < 10_000 {
                break;
            }
        }
        if total > 0 {
            tracing::info!(deleted = total, days, "old raw events compacted");
        }
        Ok(total)
    }

    /// Decides and applies the pending events (one batch), if this instance
    /// holds the lease. Returns what was done; `events` equal to [`BATCH`]
    /// means more may be waiting.
    pub async fn run_once(&self, state: &AppState, holder: &str) -> Result<Processed, StoreError> {
        let store = state.store();
        let now = state.clock().now();
        if !store
            .claim_lease(EVENT_LEASE, holder, now, now + LEASE)
            .await?
        {
            return Ok(Processed::default());
        }
        let pending = store.pending_events(BATCH).await?;
        let mut done = Processed {
            held: true,
            ..Processed::default()
        };
        let mut by_tenant: Vec<(TenantId, Vec<PendingEvent>)> = Vec::new();
        for e in pending {
            match by_tenant.iter_mut().find(|(t, _)| *t == e.tenant_id) {
                Some((_, list)) => list.push(e),
                None => by_tenant.push((e.tenant_id, vec![e])),
            }
        }
        for (tenant, events) in by_tenant {
            let n = events.len();
            let applied = self.tenant_batch(state, tenant, events, now).await?;
            done.events += n;
            done.groups_opened += applied.group_ids.len();
            done.incidents_opened += applied.opened.len();
            done.incidents_resolved += applied.resolved.len();
        }
        if done.events > 0 {
            metrics::counter!("vigie_events_processed_total").increment(done.events as u64);
            tracing::debug!(?done, "events processed");
        }
        Ok(done)
    }

    /// Decides one tenant's pending events and applies them together.
    async fn tenant_batch(
        &self,
        state: &AppState,
        tenant: TenantId,
        events: Vec<PendingEvent>,
        now: Timestamp,
    ) -> Result<AppliedBatch, StoreError> {
        let store = state.store();
        let rules = match store.event_rules(tenant).await? {
            Some(rules) => RuleSet::new(rules).unwrap_or_else(|e| {
                tracing::warn!(tenant = %tenant, error = %e, "stored event rules are invalid; the defaults apply");
                RuleSet::default()
            }),
            None => RuleSet::default(),
        };
        let windows = store.maintenance_windows(tenant, now).await?;
        let mut groups = store.live_alert_groups(tenant).await?;
        let fingerprints: Vec<Fingerprint> = events
            .iter()
            .map(|e| e.fingerprint.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut alerts = store.alert_states(tenant, &fingerprints).await?;
        let view = self.views.get(store, tenant).await?;
        let routing = store.list_assignment_rules(tenant).await?;
        let policy = EventPolicy::default();
        let mut keys: HashMap<IntegrationKeyId, (IntegrationKeyRecord, EntityRecord)> =
            HashMap::new();

        let mut batch = EventBatch::new(tenant);
        let mut touched_groups: Vec<AlertGroupId> = Vec::new();
        let mut group_meta: HashMap<AlertGroupId, GroupWrite> = HashMap::new();
        let mut touched_alerts: Vec<Fingerprint> = Vec::new();
        let mut alert_meta: HashMap<Fingerprint, AlertWrite> = HashMap::new();
        let mut next_temp = -1i64;
        let mut opening: HashSet<AlertGroupId> = HashSet::new();

        let mut merged_writes: Vec<IncidentWrite> = Vec::new();
        for pe in events {
            let event = &pe.event;
            let fp = &pe.fingerprint;
            let previous = alerts.get(fp).cloned();
            let matched = view.index.lookup(event).map(|m| m.ci);
            let ci = matched.or(previous.as_ref().and_then(|p| p.ci_id));
            // The context borrows a `dyn Ancestry`: it must not live across
            // an await.
            let decision = {
                let cx = Context {
                    previous: previous.as_ref().map(|p| &p.dedup),
                    rules: &rules,
                    ci,
                    criticality: ci.and_then(|c| view.criticality(c)),
                    ancestry: view.as_ref(),
                    windows: &windows,
                    groups: &groups,
                    policy: &policy,
                };
                process(event, fp, &cx, now)
            };
            batch.processed.push(pe.id);
            let class = if decision.stale {
                previous
                    .as_ref()
                    .map_or(EventClass::Informational, |p| p.class)
            } else {
                decision.classification.outcome.class
            };
            let mut group_id = previous.as_ref().and_then(|p| p.group_id);

            // The group the event joins or opens, in memory first.
            if let Some(change) = &decision.group {
                let id = match &change.target {
                    Correlation::Join { group, .. } => *group,
                    Correlation::Open { .. } => {
                        let id = AlertGroupId(next_temp);
                        next_temp -= 1;
                        id
                    }
                };
                if let Correlation::Open { root } = &change.target {
                    groups.push(AlertGroup {
                        id,
                        root: root.clone(),
                        members: Default::default(),
                        alerts: Default::default(),
                        state: change.state,
                        opened_at: now,
                        last_event_at: now,
                        incident: None,
                    });
                }
                let Some(group) = groups.iter_mut().find(|g| g.id == id) else {
                    return Err(StoreError::Database(format!("alert group {id} vanished")));
                };
                if let Correlation::Join {
                    reroot: Some(ci), ..
                } = &change.target
                {
                    group.root = GroupRoot::Ci(*ci);
                }
                if let Some(member) = change.member {
                    group.members.insert(member);
                }
                group.alerts.insert(change.alert.0.clone(), change.alert.1);
                group.state = change.state;
                group.last_event_at = change.last_event_at;
                let write = group_meta.entry(id).or_insert_with(|| {
                    touched_groups.push(id);
                    GroupWrite {
                        id,
                        root: group.root.clone(),
                        title: incident::group_title(event),
                        state: group.state,
                        severity: Severity::Info,
                        opened_at: group.opened_at,
                        last_event_at: group.last_event_at,
                        events: 0,
                    }
                });
                write.root = group.root.clone();
                write.state = group.state;
                write.last_event_at = group.last_event_at;
                write.events += 1;
                if event.action == vigie_core::event::EventAction::Trigger {
                    write.severity = write.severity.max(event.severity);
                }
                group_id = Some(id);
                // Groups under the item the group is re-rooted at join it;
                // their incidents are taken over or attached as the core
                // decided, after the event's own incident action.
                for (from, fate) in &change.merged_incidents {
                    let Some(pos) = groups.iter().position(|g| g.id == *from) else {
                        continue;
                    };
                    let absorbed = std::mem::take(&mut groups[pos].alerts);
                    let members = std::mem::take(&mut groups[pos].members);
                    groups[pos].state = GroupState::Resolved;
                    let Some(target) = groups.iter_mut().find(|g| g.id == id) else {
                        continue;
                    };
                    target.alerts.extend(absorbed);
                    target.members.extend(members);
                    match fate {
                        MergedIncident::TakenOver(i) => {
                            target.incident = Some(*i);
                            merged_writes.push(IncidentWrite::TakeOver {
                                from: *from,
                                into: id,
                            });
                        }
                        MergedIncident::Attached(_) => {
                            merged_writes.push(IncidentWrite::Attach {
                                from: *from,
                                into: id,
                                note: incident::attached_note,
                            });
                        }
                        MergedIncident::None => {}
                    }
                    batch.merges.push((*from, id));
                    if let Some(w) = group_meta.get_mut(from) {
                        w.state = GroupState::Resolved;
                    }
                    for state in alerts.values_mut() {
                        if state.group_id == Some(*from) {
                            state.group_id = Some(id);
                        }
                    }
                    for write in alert_meta.values_mut() {
                        if write.group_id == Some(*from) {
                            write.group_id = Some(id);
                        }
                    }
                }
            }

            // The incident.
            match decision.act {
                Act::OpenIncident { priority } => {
                    if let Some(id) = group_id
                        && opening.insert(id)
                    {
                        let (key, entity) = match keys.get(&pe.key_id) {
                            Some(k) => k.clone(),
                            None => {
                                let key = store
                                    .get_integration_key(&Scope::Platform, pe.key_id)
                                    .await?;
                                let entity =
                                    store.get_entity(&Scope::Platform, key.entity_id).await?;
                                keys.insert(pe.key_id, (key.clone(), entity.clone()));
                                (key, entity)
                            }
                        };
                        let ticket = incident::new_ticket(&key, &entity, event, ci, priority);
                        let facts = TicketFacts {
                            category: None,
                            service_ref: None,
                            entity: &entity.path,
                            channel: Channel::Event,
                            ticket_type: TicketType::Incident,
                        };
                        let support_group = route(&routing, &facts).map(|r| r.group);
                        batch.incidents.push(IncidentWrite::Open {
                            group: id,
                            entity: Box::new(entity),
                            ticket: Box::new(ticket),
                            support_group,
                        });
                        // Later events of the batch attach to it.
                        if let Some(g) = groups.iter_mut().find(|g| g.id == id) {
                            g.incident = Some(TicketId(0));
                        }
                    }
                }
                Act::AttachToIncident { .. } => {
                    if let Some(id) = group_id {
                        batch.incidents.push(IncidentWrite::Note {
                            group: id,
                            text: incident::attach_note(event),
                        });
                    }
                }
                Act::ResolveIncident { .. } => {
                    if let Some(id) = group_id {
                        batch.incidents.push(IncidentWrite::Resolve {
                            group: id,
                            solution: incident::resolution(),
                        });
                        if let Some(g) = groups.iter_mut().find(|g| g.id == id) {
                            g.incident = None;
                        }
                    }
                }
                Act::RecordOnly | Act::Suppressed { .. } => {}
            }
            batch.incidents.append(&mut merged_writes);

            // The alert's state.
            let write = AlertWrite {
                fingerprint: fp.clone(),
                source: event.source.clone(),
                resource: event.resource.clone(),
                check: event.check.clone(),
                summary: event.summary.clone(),
                class,
                ci_id: ci,
                group_id,
                dedup: decision.dedup.clone(),
            };
            if alert_meta.insert(fp.clone(), write).is_none() {
                touched_alerts.push(fp.clone());
            }
            alerts.insert(
                fp.clone(),
                AlertState {
                    group_id,
                    ci_id: ci,
                    class,
                    dedup: decision.dedup,
                },
            );
        }
        batch.groups = touched_groups
            .into_iter()
            .filter_map(|id| group_meta.remove(&id))
            .collect();
        batch.alerts = touched_alerts
            .into_iter()
            .filter_map(|fp| alert_meta.remove(&fp))
            .collect();
        store.apply_event_batch(now, batch).await
    }
}
