//! What the event processor reads before deciding: the events still
//! pending, the alerts (deduplicated state) of their fingerprints, the
//! tenant's unresolved alert groups, its classification rules and its
//! maintenance windows.

use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, get_bool, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use vigie_core::Timestamp;
use vigie_core::event::classify::ClassRule;
use vigie_core::event::correlate::{AlertGroup, AlertStatus, GroupRoot, GroupState};
use vigie_core::event::fingerprint::Fingerprint;
use vigie_core::event::flapping::FlapState;
use vigie_core::event::maintenance::{MaintenanceWindow, WindowScope};
use vigie_core::event::process::DedupRecord;
use vigie_core::event::{Details, Event, EventAction, EventClass, Severity};
use vigie_core::ids::{
    AlertGroupId, CiId, IntegrationKeyId, MaintenanceWindowId, TenantId, TicketId,
};

/// An accepted event the processor has not applied yet.
#[derive(Clone, Debug)]
pub struct PendingEvent {
    /// Its row.
    pub id: i64,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The key it came with.
    pub key_id: IntegrationKeyId,
    /// The event.
    pub event: Event,
    /// Its alert.
    pub fingerprint: Fingerprint,
}

/// An alert as stored: its deduplicated state and where it belongs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertState {
    /// Its group, if it joined one.
    pub group_id: Option<AlertGroupId>,
    /// The item it is about.
    pub ci_id: Option<CiId>,
    /// Its class at the last event.
    pub class: EventClass,
    /// Count, first and last seen, last action, severity, flapping.
    pub dedup: DedupRecord,
}

pub(crate) fn parse<T: std::str::FromStr>(column: &str, text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| StoreError::Database(format!("unexpected value `{text}` in {column}")))
}

fn pending_row(row: &AnyRow) -> Result<PendingEvent> {
    let payload: String = row.try_get("payload")?;
    let payload: serde_json::Value = serde_json::from_str(&payload)
        .map_err(|e| StoreError::Database(format!("event payload: {e}")))?;
    let labels: BTreeMap<String, String> = payload
        .get("labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok())
        .unwrap_or_default();
    let mut event = Event::new(
        &row.try_get::<String, _>("source")?,
        &row.try_get::<String, _>("resource")?,
        &row.try_get::<String, _>("check_name")?,
        parse::<Severity>("events.severity", &row.try_get::<String, _>("severity")?)?,
        from_micros(row.try_get("occurred_at")?),
    );
    event.action = parse("events.action", &row.try_get::<String, _>("action")?)?;
    event.summary = row.try_get("summary")?;
    event.labels = labels;
    event.details = payload.get("details").map(Details::of).unwrap_or_default();
    event.dedup_key = payload
        .get("dedup_key")
        .and_then(|k| k.as_str())
        .map(str::to_owned);
    event.clamped = get_bool(row, "clamped")?;
    Ok(PendingEvent {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        key_id: IntegrationKeyId(row.try_get("key_id")?),
        fingerprint: Fingerprint(row.try_get("fingerprint")?),
        event,
    })
}

pub(crate) fn flap_of(flapping: bool, changes: &str) -> FlapState {
    let changes: Vec<i64> = serde_json::from_str(changes).unwrap_or_default();
    FlapState {
        flapping,
        changes: changes.into_iter().map(from_micros).collect(),
    }
}

pub(crate) fn flap_json(flap: &FlapState) -> String {
    let changes: Vec<i64> = flap.changes.iter().map(|t| micros(*t)).collect();
    serde_json::to_string(&changes).unwrap_or_else(|_| "[]".into())
}

fn alert_row(row: &AnyRow) -> Result<(Fingerprint, AlertState)> {
    let count: i64 = row.try_get("count")?;
    Ok((
        Fingerprint(row.try_get("fingerprint")?),
        AlertState {
            group_id: row.try_get::<Option<i64>, _>("group_id")?.map(AlertGroupId),
            ci_id: row.try_get::<Option<i64>, _>("ci_id")?.map(CiId),
            class: parse("alerts.class", &row.try_get::<String, _>("class")?)?,
            dedup: DedupRecord {
                count: u64::try_from(count).unwrap_or(0),
                first_seen: from_micros(row.try_get("first_seen")?),
                last_seen: from_micros(row.try_get("last_seen")?),
                last_action: parse::<EventAction>(
                    "alerts.last_action",
                    &row.try_get::<String, _>("last_action")?,
                )?,
                severity: parse("alerts.severity", &row.try_get::<String, _>("severity")?)?,
                flap: flap_of(
                    get_bool(row, "flapping")?,
                    &row.try_get::<String, _>("flap_changes")?,
                ),
            },
        },
    ))
}

impl Store {
    /// The oldest pending events, at most `limit`, in the order they were
    /// stored.
    pub async fn pending_events(&self, limit: u32) -> Result<Vec<PendingEvent>> {
        let pending = super::pending_is(self.backend, true, "pending");
        let mut sql = Sql::new(&format!(
            "SELECT id, tenant_id, key_id, fingerprint, source, resource, check_name, severity, \
             action, summary, payload, occurred_at, clamped FROM events WHERE {pending} \
             ORDER BY id LIMIT "
        ));
        sql.bind(i64::from(limit.clamp(1, 10_000)));
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(pending_row).collect()
    }

    /// The alerts of these fingerprints in the tenant.
    pub async fn alert_states(
        &self,
        tenant: TenantId,
        fingerprints: &[Fingerprint],
    ) -> Result<HashMap<Fingerprint, AlertState>> {
        let mut out = HashMap::with_capacity(fingerprints.len());
        for chunk in fingerprints.chunks(500) {
            let mut sql = Sql::new(
                "SELECT fingerprint, group_id, ci_id, class, count, first_seen, last_seen, \
                 last_action, severity, flapping, flap_changes FROM alerts WHERE tenant_id = ",
            );
            sql.bind(tenant.0).push(" AND fingerprint IN (");
            for (i, fp) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(fp.as_str());
            }
            sql.push(")");
            for row in sql
                .for_backend(self.backend)
                .query()
                .fetch_all(self.pool())
                .await?
            {
                let (fp, state) = alert_row(&row)?;
                out.insert(fp, state);
            }
        }
        Ok(out)
    }

    /// The tenant's alert groups that are not resolved, with their alerts
    /// and the items those are about.
    pub async fn live_alert_groups(&self, tenant: TenantId) -> Result<Vec<AlertGroup>> {
        let rows = Sql::new(
            "SELECT id, root_ci_id, root_fingerprint, state, incident_id, opened_at, last_event_at \
             FROM alert_groups WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND state <> 'resolved' ORDER BY id")
        .query()
        .fetch_all(self.pool())
        .await?;
        let mut groups = Vec::with_capacity(rows.len());
        let mut at: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let root = match (
                row.try_get::<Option<i64>, _>("root_ci_id")?,
                row.try_get::<Option<String>, _>("root_fingerprint")?,
            ) {
                (Some(ci), _) => GroupRoot::Ci(CiId(ci)),
                (None, Some(fp)) => GroupRoot::Fingerprint(Fingerprint(fp)),
                (None, None) => {
                    return Err(StoreError::Database(format!(
                        "alert group {id} has no root"
                    )));
                }
            };
            at.insert(id, groups.len());
            groups.push(AlertGroup {
                id: AlertGroupId(id),
                root,
                members: BTreeSet::new(),
                alerts: BTreeMap::new(),
                state: parse::<GroupState>(
                    "alert_groups.state",
                    &row.try_get::<String, _>("state")?,
                )?,
                opened_at: from_micros(row.try_get("opened_at")?),
                last_event_at: from_micros(row.try_get("last_event_at")?),
                incident: row.try_get::<Option<i64>, _>("incident_id")?.map(TicketId),
            });
        }
        if groups.is_empty() {
            return Ok(groups);
        }
        let rows = Sql::new(
            "SELECT a.group_id, a.fingerprint, a.ci_id, a.last_action FROM alerts a \
             JOIN alert_groups g ON g.id = a.group_id WHERE g.tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND g.state <> 'resolved'")
        .query()
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            let Some(&i) = at.get(&row.try_get::<i64, _>("group_id")?) else {
                continue;
            };
            let action: EventAction = parse(
                "alerts.last_action",
                &row.try_get::<String, _>("last_action")?,
            )?;
            let group = &mut groups[i];
            group.alerts.insert(
                Fingerprint(row.try_get("fingerprint")?),
                AlertStatus::after(action),
            );
            if let Some(ci) = row.try_get::<Option<i64>, _>("ci_id")? {
                group.members.insert(CiId(ci));
            }
        }
        Ok(groups)
    }

    /// The tenant's classification rules, `None` when it never set any (the
    /// defaults apply).
    pub async fn event_rules(&self, tenant: TenantId) -> Result<Option<Vec<ClassRule>>> {
        let row = Sql::new("SELECT rules FROM event_rules WHERE tenant_id = ")
            .bind(tenant.0)
            .query()
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let text: String = row.try_get("rules")?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Database(format!("event rules of tenant {tenant}: {e}")))
    }

    /// The tenant's maintenance windows that have not ended at `now`.
    pub async fn maintenance_windows(
        &self,
        tenant: TenantId,
        now: Timestamp,
    ) -> Result<Vec<MaintenanceWindow>> {
        let rows = Sql::new(
            "SELECT id, starts_at, ends_at, ci_ids, include_children FROM maintenance_windows \
             WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND ends_at > ")
        .bind(micros(now))
        .push(" ORDER BY starts_at, id")
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(window_row).collect()
    }
}

/// A maintenance window from its row.
pub(crate) fn window_row(row: &AnyRow) -> Result<MaintenanceWindow> {
    let ci_ids: Option<String> = row.try_get("ci_ids")?;
    let scope = match ci_ids {
        None => WindowScope::Tenant,
        Some(list) => WindowScope::Items(
            list.split(',')
                .filter_map(|s| s.trim().parse::<i64>().ok())
                .map(CiId)
                .collect(),
        ),
    };
    Ok(MaintenanceWindow {
        id: MaintenanceWindowId(row.try_get("id")?),
        starts_at: from_micros(row.try_get("starts_at")?),
        ends_at: from_micros(row.try_get("ends_at")?),
        scope,
        include_children: get_bool(row, "include_children")?,
    })
}
