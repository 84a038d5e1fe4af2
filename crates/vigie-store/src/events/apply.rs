//! Applying the processor's decisions for a batch of events in one
//! transaction: the groups opened or changed, the alerts' deduplicated
//! state, the incidents opened, noted or resolved, and the events marked
//! done. Either all of it is committed or none, so a crash in the middle
//! leaves the events pending and the next run decides them again.

use super::state::flap_json;
use crate::sql::{Arg, Sql};
use crate::tickets::{apply_outcome_in, insert_ticket_in, ticket_in_tx};
use crate::{EntityRecord, NewTicket, Result, Store, StoreError, micros};
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use std::sync::Arc;
use vigie_core::Timestamp;
use vigie_core::event::correlate::{ChildFacts, GroupRoot, GroupState, resolved_with_parent};
use vigie_core::event::fingerprint::Fingerprint;
use vigie_core::event::process::DedupRecord;
use vigie_core::event::{EventClass, Severity};
use vigie_core::ids::{AlertGroupId, CiId, GroupId, TenantId, TicketId};
use vigie_core::tenancy::Actor;
use vigie_core::ticket::lifecycle::{Action, LifecycleState, apply};

/// A group opened or changed by the batch. A group opened in this batch has
/// a negative id until it is written (`-1` for the first, `-2`…).
#[derive(Clone, Debug)]
pub struct GroupWrite {
    /// Its id, negative when new.
    pub id: AlertGroupId,
    /// Its root after the batch.
    pub root: GroupRoot,
    /// A title for the console (the first alert's summary).
    pub title: String,
    /// Its state after the batch.
    pub state: GroupState,
    /// The worst severity of the batch's events for it.
    pub severity: Severity,
    /// When it opened (new groups).
    pub opened_at: Timestamp,
    /// Its last event.
    pub last_event_at: Timestamp,
    /// How many of the batch's events joined it.
    pub events: i64,
}

/// An alert's state after the batch (one per fingerprint).
#[derive(Clone, Debug)]
pub struct AlertWrite {
    /// Its identity.
    pub fingerprint: Fingerprint,
    /// The tool it comes from.
    pub source: String,
    /// The host or resource.
    pub resource: String,
    /// The check.
    pub check: String,
    /// The last summary.
    pub summary: String,
    /// Its class at the last event.
    pub class: EventClass,
    /// The item it is about.
    pub ci_id: Option<CiId>,
    /// Its group (negative: opened in this batch).
    pub group_id: Option<AlertGroupId>,
    /// Count, times, last action, severity, flapping.
    pub dedup: DedupRecord,
}

/// What to do to a group's incident.
#[derive(Clone, Debug)]
pub enum IncidentWrite {
    /// Open an incident for the group.
    Open {
        /// The group (negative: opened in this batch).
        group: AlertGroupId,
        /// Where it opens.
        entity: Box<EntityRecord>,
        /// The ticket, requested by the tenant's monitoring account.
        ticket: Box<NewTicket>,
        /// The support group the assignment rules chose.
        support_group: Option<GroupId>,
    },
    /// The group `into` had no incident: it takes over the incident of the
    /// group `from` merged into it.
    TakeOver {
        /// The absorbed group.
        from: AlertGroupId,
        /// The surviving group.
        into: AlertGroupId,
    },
    /// The incident of the group `from` merged into `into` becomes a child
    /// of the incident of `into`, with a note made from the parent's number.
    Attach {
        /// The absorbed group.
        from: AlertGroupId,
        /// The surviving group.
        into: AlertGroupId,
        /// The note in the child, from the parent's number.
        note: fn(i64) -> String,
    },
    /// Add an internal note to the group's incident.
    Note {
        /// The group.
        group: AlertGroupId,
        /// The note.
        text: String,
    },
    /// Resolve the group's incident (if it is still open) and its children
    /// that nothing else carries (`correlate::resolved_with_parent`).
    Resolve {
        /// The group.
        group: AlertGroupId,
        /// The solution text.
        solution: String,
    },
}

/// Everything one processing run decided for one tenant.
#[derive(Clone, Debug)]
pub struct EventBatch {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The events decided (marked done).
    pub processed: Vec<i64>,
    /// Groups opened or changed.
    pub groups: Vec<GroupWrite>,
    /// Alerts' new state.
    pub alerts: Vec<AlertWrite>,
    /// Incident actions, in order.
    pub incidents: Vec<IncidentWrite>,
    /// Groups merged into another (either may be new): from, into. What
    /// becomes of their incidents is in `incidents`, in order.
    pub merges: Vec<(AlertGroupId, AlertGroupId)>,
}

impl EventBatch {
    /// An empty batch for a tenant.
    pub fn new(tenant_id: TenantId) -> EventBatch {
        EventBatch {
            tenant_id,
            processed: Vec::new(),
            groups: Vec::new(),
            alerts: Vec::new(),
            incidents: Vec::new(),
            merges: Vec::new(),
        }
    }
}

/// What the batch did, for the caller's log and metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppliedBatch {
    /// The ids the new groups got, by their temporary id.
    pub group_ids: HashMap<AlertGroupId, AlertGroupId>,
    /// Incidents opened, with their group.
    pub opened: Vec<(AlertGroupId, TicketId)>,
    /// Incidents resolved.
    pub resolved: Vec<TicketId>,
    /// Notes added to incidents.
    pub noted: usize,
}

/// The solution code of incidents resolved by their alerts.
pub const AUTO_RESOLVED: &str = "resolved_by_monitoring";

fn rank(s: Severity) -> i64 {
    match s {
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Error => 3,
        Severity::Critical => 4,
    }
}

const SEVERITY_RANK: &str = "(CASE severity WHEN 'critical' THEN 4 WHEN 'error' THEN 3 \
    WHEN 'warning' THEN 2 ELSE 1 END)";

fn root_columns(root: &GroupRoot) -> (Option<i64>, Option<String>) {
    match root {
        GroupRoot::Ci(ci) => (Some(ci.0), None),
        GroupRoot::Fingerprint(fp) => (None, Some(fp.0.clone())),
    }
}

impl Store {
    /// Writes a batch of decisions in one transaction (through the group
    /// commit, so it never competes with ingestion for SQLite's lock).
    pub async fn apply_event_batch(
        &self,
        now: Timestamp,
        batch: EventBatch,
    ) -> Result<AppliedBatch> {
        let batch = Arc::new(batch);
        let backend = self.backend;
        let sla = self.sla_cache();
        self.group_commit()
            .run(Box::new(move |tx| {
                let batch = batch.clone();
                let mut clocks = crate::sla::ClockContext::new(backend, sla.clone());
                Box::pin(async move { write_batch(tx, backend, now, &batch, &mut clocks).await })
            }))
            .await
    }
}

async fn write_batch(
    tx: &mut Transaction<'static, Any>,
    backend: crate::Backend,
    now: Timestamp,
    batch: &EventBatch,
    clocks: &mut crate::sla::ClockContext,
) -> Result<AppliedBatch> {
    let tenant = batch.tenant_id;
    let mut applied = AppliedBatch::default();
    let mut incidents: HashMap<AlertGroupId, Option<TicketId>> = HashMap::new();
    // Groups: insert the new ones, update the others.
    for g in &batch.groups {
        let (root_ci, root_fp) = root_columns(&g.root);
        let resolved_at = (g.state == GroupState::Resolved).then_some(micros(now));
        if g.id.0 < 0 {
            let id = Sql::insert(
                "alert_groups",
                vec![
                    ("tenant_id", tenant.0.into()),
                    ("root_ci_id", root_ci.into()),
                    ("root_fingerprint", root_fp.into()),
                    ("title", g.title.as_str().into()),
                    ("state", g.state.as_str().into()),
                    ("severity", g.severity.as_str().into()),
                    ("event_count", g.events.into()),
                    ("opened_at", micros(g.opened_at).into()),
                    ("last_event_at", micros(g.last_event_at).into()),
                    ("resolved_at", resolved_at.into()),
                ],
            )
            .insert_returning_id(tx)
            .await?;
            applied.group_ids.insert(g.id, AlertGroupId(id));
            incidents.insert(g.id, None);
        } else {
            let mut sql = Sql::new("UPDATE alert_groups SET root_ci_id = ");
            sql.bind(root_ci)
                .push(", root_fingerprint = ")
                .bind(root_fp)
                .push(", state = ")
                .bind(g.state.as_str())
                .push(", severity = CASE WHEN ")
                .bind(rank(g.severity))
                .push(&format!(" > {SEVERITY_RANK} THEN "))
                .bind(g.severity.as_str())
                .push(" ELSE severity END, last_event_at = ")
                .bind(micros(g.last_event_at))
                .push(", event_count = event_count + ")
                .bind(g.events)
                .push(", resolved_at = ")
                .bind(resolved_at)
                .push(" WHERE id = ")
                .bind(g.id.0)
                .push(" AND tenant_id = ")
                .bind(tenant.0);
            sql.query().execute(&mut **tx).await?;
        }
    }
    let real =
        |id: AlertGroupId| -> AlertGroupId { applied.group_ids.get(&id).copied().unwrap_or(id) };
    // Merged groups: their alerts move to the target; they end, naming it.
    for (from, into) in &batch.merges {
        let (from, into) = (real(*from), real(*into));
        Sql::new("UPDATE alerts SET group_id = ")
            .bind(into.0)
            .push(" WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND group_id = ")
            .bind(from.0)
            .query()
            .execute(&mut **tx)
            .await?;
        Sql::update(
            "alert_groups",
            vec![
                ("state", GroupState::Resolved.as_str().into()),
                ("resolved_at", micros(now).into()),
                ("merged_into", into.0.into()),
            ],
            ("id", from.0.into()),
        )
        .query()
        .execute(&mut **tx)
        .await?;
    }
    // Alerts: one upsert per fingerprint, by statements of 500.
    let columns = [
        "tenant_id",
        "fingerprint",
        "source",
        "resource",
        "check_name",
        "summary",
        "severity",
        "last_action",
        "class",
        "ci_id",
        "group_id",
        "count",
        "first_seen",
        "last_seen",
        "flapping",
        "flap_changes",
        "updated_at",
    ];
    for chunk in batch.alerts.chunks(500) {
        let rows: Vec<Vec<Arg>> = chunk
            .iter()
            .map(|a| {
                vec![
                    tenant.0.into(),
                    a.fingerprint.as_str().into(),
                    a.source.as_str().into(),
                    a.resource.as_str().into(),
                    a.check.as_str().into(),
                    a.summary.as_str().into(),
                    a.dedup.severity.as_str().into(),
                    a.dedup.last_action.as_str().into(),
                    a.class.as_str().into(),
                    a.ci_id.map(|c| c.0).into(),
                    a.group_id.map(|g| real(g).0).into(),
                    i64::try_from(a.dedup.count).unwrap_or(i64::MAX).into(),
                    micros(a.dedup.first_seen).into(),
                    micros(a.dedup.last_seen).into(),
                    a.dedup.flap.flapping.into(),
                    flap_json(&a.dedup.flap).into(),
                    micros(now).into(),
                ]
            })
            .collect();
        let mut sql = Sql::insert_many("alerts", &columns, rows);
        sql.push(
            " ON CONFLICT (tenant_id, fingerprint) DO UPDATE SET summary = excluded.summary, \
             severity = excluded.severity, last_action = excluded.last_action, \
             class = excluded.class, ci_id = excluded.ci_id, group_id = excluded.group_id, \
             count = excluded.count, first_seen = excluded.first_seen, \
             last_seen = excluded.last_seen, flapping = excluded.flapping, \
             flap_changes = excluded.flap_changes, updated_at = excluded.updated_at",
        );
        sql.for_backend(backend).query().execute(&mut **tx).await?;
    }
    // Incidents.
    let system = Actor::system();
    for write in &batch.incidents {
        match write {
            IncidentWrite::Open {
                group,
                entity,
                ticket,
                support_group,
            } => {
                if entity.tenant_id != tenant {
                    return Err(StoreError::Invalid(
                        "an incident must open in the events' tenant".into(),
                    ));
                }
                let created =
                    insert_ticket_in(tx, &system, now, entity, ticket, *support_group, clocks)
                        .await?;
                let id = real(*group);
                Sql::update(
                    "alert_groups",
                    vec![("incident_id", created.id.0.into())],
                    ("id", id.0.into()),
                )
                .query()
                .execute(&mut **tx)
                .await?;
                incidents.insert(*group, Some(created.id));
                applied.opened.push((id, created.id));
            }
            IncidentWrite::TakeOver { from, into } => {
                let Some(incident) = incident_of(tx, &mut incidents, real(*from), *from).await?
                else {
                    continue;
                };
                if incident_of(tx, &mut incidents, real(*into), *into)
                    .await?
                    .is_some()
                {
                    continue;
                }
                Sql::update(
                    "alert_groups",
                    vec![("incident_id", incident.0.into())],
                    ("id", real(*into).0.into()),
                )
                .query()
                .execute(&mut **tx)
                .await?;
                incidents.insert(*into, Some(incident));
            }
            IncidentWrite::Attach { from, into, note } => {
                let (Some(child), Some(parent)) = (
                    incident_of(tx, &mut incidents, real(*from), *from).await?,
                    incident_of(tx, &mut incidents, real(*into), *into).await?,
                ) else {
                    continue;
                };
                attach(tx, now, tenant, child, parent, *note).await?;
            }
            IncidentWrite::Note { group, text } => {
                let Some(incident) = incident_of(tx, &mut incidents, real(*group), *group).await?
                else {
                    continue;
                };
                let ticket = ticket_in_tx(tx, incident).await?;
                crate::comments::insert_comment(tx, &system, now, &ticket, false, text).await?;
                applied.noted += 1;
            }
            IncidentWrite::Resolve { group, solution } => {
                let Some(incident) = incident_of(tx, &mut incidents, real(*group), *group).await?
                else {
                    continue;
                };
                let action = Action::Resolve {
                    solution: solution.clone(),
                    code: AUTO_RESOLVED.into(),
                };
                // The incident, then the children it carries; one resolved
                // or closed by someone already is left as it is.
                let mut ids = vec![incident];
                ids.extend(children_resolved_with(tx, tenant, incident).await?);
                for id in ids {
                    let before = ticket_in_tx(tx, id).await?;
                    let state = LifecycleState {
                        status: before.status,
                        resolved_at: before.resolved_at,
                    };
                    let Ok(outcome) = apply(&state, &action, now, jiff::SignedDuration::ZERO)
                    else {
                        continue;
                    };
                    apply_outcome_in(tx, clocks, &system, &before, now, &outcome, None, None)
                        .await?;
                    applied.resolved.push(id);
                }
            }
        }
    }
    // The events are decided.
    for chunk in batch.processed.chunks(1000) {
        let mut sql = Sql::new("UPDATE events SET pending = ");
        sql.bind(false).push(" WHERE id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        sql.for_backend(backend).query().execute(&mut **tx).await?;
    }
    Ok(applied)
}

/// Makes `child` a child of `parent` (audited), moves the children the
/// processor had attached to `child` under `parent` too (one level, as
/// for major incidents), and notes in `child` which incident carries the
/// outage now. A child already linked elsewhere, or closed, is left alone.
async fn attach(
    tx: &mut Transaction<'static, Any>,
    now: Timestamp,
    tenant: TenantId,
    child: TicketId,
    parent: TicketId,
    note: fn(i64) -> String,
) -> Result<()> {
    if child == parent {
        return Ok(());
    }
    let before = ticket_in_tx(tx, child).await?;
    let attachable = vigie_core::event::correlate::attachable(
        before.status.is_open(),
        before.parent_id.is_some(),
    );
    if before.tenant_id != tenant || !attachable {
        return Ok(());
    }
    let parent_ticket = ticket_in_tx(tx, parent).await?;
    let system = Actor::system();
    let mut moved = vec![child];
    let grandchildren = Sql::new("SELECT id FROM tickets WHERE tenant_id = ")
        .bind(tenant.0)
        .push(" AND parent_id = ")
        .bind(child.0)
        .push(" AND channel = ")
        .bind(vigie_core::ticket::Channel::Event.as_str())
        .query()
        .fetch_all(&mut **tx)
        .await?;
    for row in grandchildren {
        moved.push(TicketId(row.try_get("id")?));
    }
    for id in moved {
        let before = ticket_in_tx(tx, id).await?;
        crate::major_incidents::set_parent_in(tx, &system, now, &before, Some(parent)).await?;
    }
    crate::comments::insert_comment(
        tx,
        &system,
        now,
        &before,
        false,
        &note(parent_ticket.number),
    )
    .await?;
    Ok(())
}

/// The children of an incident resolved with it: those the core's
/// `resolved_with_parent` lets go (opened from events, carried by no live
/// group).
async fn children_resolved_with(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    parent: TicketId,
) -> Result<Vec<TicketId>> {
    let rows = Sql::new(
        "SELECT t.id, t.channel, EXISTS (SELECT 1 FROM alert_groups g WHERE g.incident_id = t.id \
         AND g.state <> 'resolved') AS carried FROM tickets t WHERE t.tenant_id = ",
    )
    .bind(tenant.0)
    .push(" AND t.parent_id = ")
    .bind(parent.0)
    .push(" ORDER BY t.id")
    .query()
    .fetch_all(&mut **tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let channel: String = row.try_get("channel")?;
        let facts = ChildFacts {
            from_events: channel == vigie_core::ticket::Channel::Event.as_str(),
            carried_by_live_group: crate::get_bool(&row, "carried")?,
        };
        if resolved_with_parent(&facts) {
            out.push(TicketId(row.try_get("id")?));
        }
    }
    Ok(out)
}

/// The incident of a group: known from this batch, else read.
async fn incident_of(
    tx: &mut Transaction<'static, Any>,
    known: &mut HashMap<AlertGroupId, Option<TicketId>>,
    id: AlertGroupId,
    as_written: AlertGroupId,
) -> Result<Option<TicketId>> {
    if let Some(i) = known.get(&as_written) {
        return Ok(*i);
    }
    let row = Sql::new("SELECT incident_id FROM alert_groups WHERE id = ")
        .bind(id.0)
        .query()
        .fetch_optional(&mut **tx)
        .await?;
    let incident = match row {
        Some(row) => row.try_get::<Option<i64>, _>("incident_id")?.map(TicketId),
        None => None,
    };
    known.insert(as_written, incident);
    Ok(incident)
}
