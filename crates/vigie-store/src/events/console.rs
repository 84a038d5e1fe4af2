//! What the event console shows and changes: alert groups (newest first,
//! filtered), the alerts of a group and the raw events behind them,
//! acknowledging a group, the tenant's classification rules and its
//! maintenance windows. Groups belong to a tenant, not to an entity: a
//! scope sees the groups of its tenant.

use super::state::{parse, window_row};
use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Page, PageRequest, Result, Store, StoreError, from_micros, get_bool, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::event::classify::ClassRule;
use vigie_core::event::correlate::GroupState;
use vigie_core::event::maintenance::{MaintenanceWindow, WindowScope};
use vigie_core::event::{EventAction, EventClass, Severity};
use vigie_core::ids::{AlertGroupId, CiId, MaintenanceWindowId, TenantId, TicketId};
use vigie_core::tenancy::{Actor, Scope};

/// An alert group as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertGroupRecord {
    /// Its id.
    pub id: AlertGroupId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The item it is rooted at, if any.
    pub root_ci_id: Option<CiId>,
    /// That item's name.
    pub root_ci_name: Option<String>,
    /// The first alert's summary.
    pub title: String,
    /// Open, acknowledged or resolved.
    pub state: GroupState,
    /// The worst severity seen.
    pub severity: Severity,
    /// Its incident.
    pub incident_id: Option<TicketId>,
    /// That incident's number.
    pub incident_number: Option<i64>,
    /// Events that joined it.
    pub event_count: i64,
    /// When it opened.
    pub opened_at: Timestamp,
    /// Its last event.
    pub last_event_at: Timestamp,
    /// When someone acknowledged it.
    pub acknowledged_at: Option<Timestamp>,
    /// Who.
    pub acknowledged_by: Option<String>,
    /// When its last alert cleared.
    pub resolved_at: Option<Timestamp>,
}

/// Which groups to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertGroupFilter {
    /// Only groups in this state; `None` and `live_only` false: all.
    pub state: Option<GroupState>,
    /// Only groups not resolved.
    pub live_only: bool,
    /// Only groups at least this severe.
    pub min_severity: Option<Severity>,
}

/// An alert (one fingerprint) of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertRecord {
    /// Its row.
    pub id: i64,
    /// Its fingerprint.
    pub fingerprint: String,
    /// The tool.
    pub source: String,
    /// The host or resource.
    pub resource: String,
    /// The check.
    pub check: String,
    /// The last summary.
    pub summary: String,
    /// The last trigger's severity.
    pub severity: Severity,
    /// The last action (firing: trigger or acknowledge; cleared: resolve).
    pub last_action: EventAction,
    /// Its class.
    pub class: EventClass,
    /// The item it is about.
    pub ci_id: Option<CiId>,
    /// Events counted.
    pub count: i64,
    /// First event.
    pub first_seen: Timestamp,
    /// Last event.
    pub last_seen: Timestamp,
    /// Whether it flaps.
    pub flapping: bool,
}

/// A raw event as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    /// Its row.
    pub id: i64,
    /// Its alert.
    pub fingerprint: String,
    /// The action.
    pub action: EventAction,
    /// Its severity.
    pub severity: Severity,
    /// Its summary.
    pub summary: String,
    /// Labels, details and dedup key, as JSON.
    pub payload: String,
    /// When the tool says it happened.
    pub occurred_at: Timestamp,
    /// When Vigie stored it.
    pub received_at: Timestamp,
    /// Whether its time was in the future and was clamped.
    pub clamped: bool,
    /// Whether the processor has yet to apply it.
    pub pending: bool,
}

/// A maintenance window to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMaintenanceWindow {
    /// A name for humans.
    pub name: String,
    /// Start.
    pub starts_at: Timestamp,
    /// End (after the start).
    pub ends_at: Timestamp,
    /// The items it covers; empty: the whole tenant.
    pub ci_ids: Vec<CiId>,
    /// Whether items below those are covered too.
    pub include_children: bool,
}

const GROUP_SELECT: &str = "SELECT g.id, g.tenant_id, g.root_ci_id, c.name AS root_ci_name, g.title, \
    g.state, g.severity, g.incident_id, t.number AS incident_number, g.event_count, g.opened_at, \
    g.last_event_at, g.acknowledged_at, g.acknowledged_by, g.resolved_at \
    FROM alert_groups g LEFT JOIN cis c ON c.id = g.root_ci_id \
    LEFT JOIN tickets t ON t.id = g.incident_id WHERE 1 = 1";

fn group_row(row: &AnyRow) -> Result<AlertGroupRecord> {
    Ok(AlertGroupRecord {
        id: AlertGroupId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        root_ci_id: row.try_get::<Option<i64>, _>("root_ci_id")?.map(CiId),
        root_ci_name: row.try_get("root_ci_name")?,
        title: row.try_get("title")?,
        state: parse("alert_groups.state", &row.try_get::<String, _>("state")?)?,
        severity: parse(
            "alert_groups.severity",
            &row.try_get::<String, _>("severity")?,
        )?,
        incident_id: row.try_get::<Option<i64>, _>("incident_id")?.map(TicketId),
        incident_number: row.try_get("incident_number")?,
        event_count: row.try_get("event_count")?,
        opened_at: from_micros(row.try_get("opened_at")?),
        last_event_at: from_micros(row.try_get("last_event_at")?),
        acknowledged_at: row
            .try_get::<Option<i64>, _>("acknowledged_at")?
            .map(from_micros),
        acknowledged_by: row.try_get("acknowledged_by")?,
        resolved_at: row
            .try_get::<Option<i64>, _>("resolved_at")?
            .map(from_micros),
    })
}

const ALERT_SELECT: &str = "SELECT id, fingerprint, source, resource, check_name, summary, severity, \
    last_action, class, ci_id, count, first_seen, last_seen, flapping FROM alerts WHERE tenant_id = ";

fn alert_record(row: &AnyRow) -> Result<AlertRecord> {
    Ok(AlertRecord {
        id: row.try_get("id")?,
        fingerprint: row.try_get("fingerprint")?,
        source: row.try_get("source")?,
        resource: row.try_get("resource")?,
        check: row.try_get("check_name")?,
        summary: row.try_get("summary")?,
        severity: parse("alerts.severity", &row.try_get::<String, _>("severity")?)?,
        last_action: parse(
            "alerts.last_action",
            &row.try_get::<String, _>("last_action")?,
        )?,
        class: parse("alerts.class", &row.try_get::<String, _>("class")?)?,
        ci_id: row.try_get::<Option<i64>, _>("ci_id")?.map(CiId),
        count: row.try_get("count")?,
        first_seen: from_micros(row.try_get("first_seen")?),
        last_seen: from_micros(row.try_get("last_seen")?),
        flapping: get_bool(row, "flapping")?,
    })
}

/// Limits rows to the tenant of the scope (groups have no entity).
fn tenant_only(sql: &mut Sql, scope: &Scope, column: &str) {
    match scope {
        Scope::Platform => {}
        Scope::Tenant { tenant, rules } if !rules.is_empty() => {
            sql.push(" AND ").push(column).push(" = ").bind(tenant.0);
        }
        Scope::Tenant { .. } => {
            sql.push(" AND 1 = 0");
        }
    }
}

fn group_target(g: &AlertGroupRecord) -> AuditTarget<'static> {
    super::tenant_target(g.tenant_id, "alert_group", g.id.0)
}

impl Store {
    /// Alert groups the scope sees, newest first.
    pub async fn list_alert_groups(
        &self,
        scope: &Scope,
        filter: &AlertGroupFilter,
        page: PageRequest,
    ) -> Result<Page<AlertGroupRecord>> {
        let mut sql = Sql::new(GROUP_SELECT);
        tenant_only(&mut sql, scope, "g.tenant_id");
        if let Some(s) = filter.state {
            sql.push(" AND g.state = ").bind(s.as_str());
        } else if filter.live_only {
            sql.push(" AND g.state <> 'resolved'");
        }
        if let Some(min) = filter.min_severity {
            let wanted: Vec<&str> = [
                Severity::Info,
                Severity::Warning,
                Severity::Error,
                Severity::Critical,
            ]
            .into_iter()
            .filter(|s| *s >= min)
            .map(Severity::as_str)
            .collect();
            sql.push(" AND g.severity IN (");
            for (i, s) in wanted.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(*s);
            }
            sql.push(")");
        }
        if let Some(after) = page.after {
            sql.push(" AND g.id < ").bind(after);
        }
        sql.push(" ORDER BY g.id DESC LIMIT ")
            .bind(i64::from(page.limit.clamp(1, 500)) + 1);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let rows: Vec<AlertGroupRecord> = rows.iter().map(group_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(rows, page, |g| g.id.0))
    }

    /// A group the scope sees.
    pub async fn get_alert_group(
        &self,
        scope: &Scope,
        id: AlertGroupId,
    ) -> Result<AlertGroupRecord> {
        let mut sql = Sql::new(GROUP_SELECT);
        tenant_only(&mut sql, scope, "g.tenant_id");
        sql.push(" AND g.id = ").bind(id.0);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        group_row(&row)
    }

    /// The alerts of a group (at most 1,000, most recent first).
    pub async fn group_alerts(&self, group: &AlertGroupRecord) -> Result<Vec<AlertRecord>> {
        let rows = Sql::new(ALERT_SELECT)
            .bind(group.tenant_id.0)
            .push(" AND group_id = ")
            .bind(group.id.0)
            .push(" ORDER BY last_seen DESC, id DESC LIMIT 1000")
            .query()
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(alert_record).collect()
    }

    /// The latest alerts about an item of the tenant (at most `limit`, up
    /// to 200), most recent first.
    pub async fn ci_alerts(
        &self,
        tenant: TenantId,
        ci: CiId,
        limit: u32,
    ) -> Result<Vec<AlertRecord>> {
        let rows = Sql::new(ALERT_SELECT)
            .bind(tenant.0)
            .push(" AND ci_id = ")
            .bind(ci.0)
            .push(" ORDER BY last_seen DESC, id DESC LIMIT ")
            .bind(i64::from(limit.clamp(1, 200)))
            .query()
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(alert_record).collect()
    }

    /// The raw events of an alert of the tenant, newest first (at most
    /// `limit`, up to 500).
    pub async fn alert_events(
        &self,
        tenant: TenantId,
        fingerprint: &str,
        limit: u32,
    ) -> Result<Vec<EventRecord>> {
        let limit = limit.clamp(1, 500);
        // Processed events through the partial index events_alert, pending
        // ones through events_pending (the processor's backlog): each
        // query names its index's condition as the index does.
        let done = super::pending_is(self.backend, false, "pending");
        let pending = super::pending_is(self.backend, true, "pending");
        let mut rows = Vec::new();
        for condition in [pending, done] {
            let mut sql = Sql::new(&format!(
                "SELECT id, fingerprint, action, severity, summary, payload, occurred_at, \
                 received_at, clamped, pending FROM events WHERE {condition} AND tenant_id = "
            ));
            sql.bind(tenant.0)
                .push(" AND fingerprint = ")
                .bind(fingerprint)
                .push(" ORDER BY id DESC LIMIT ")
                .bind(i64::from(limit));
            rows.extend(sql.query().fetch_all(self.pool()).await?);
        }
        let mut ids: Vec<(i64, usize)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| Ok((r.try_get::<i64, _>("id")?, i)))
            .collect::<Result<_>>()?;
        ids.sort_unstable_by_key(|(id, _)| std::cmp::Reverse(*id));
        ids.truncate(limit as usize);
        let rows: Vec<&AnyRow> = ids.iter().map(|(_, i)| &rows[*i]).collect();
        rows.iter()
            .map(|row| {
                Ok(EventRecord {
                    id: row.try_get("id")?,
                    fingerprint: row.try_get("fingerprint")?,
                    action: parse("events.action", &row.try_get::<String, _>("action")?)?,
                    severity: parse("events.severity", &row.try_get::<String, _>("severity")?)?,
                    summary: row.try_get("summary")?,
                    payload: row.try_get("payload")?,
                    occurred_at: from_micros(row.try_get("occurred_at")?),
                    received_at: from_micros(row.try_get("received_at")?),
                    clamped: get_bool(row, "clamped")?,
                    pending: get_bool(row, "pending")?,
                })
            })
            .collect()
    }

    /// Acknowledges a group the scope sees (someone is on it); a resolved
    /// group cannot be, and acknowledging twice changes nothing.
    pub async fn acknowledge_alert_group(
        &self,
        actor: &Actor,
        scope: &Scope,
        now: Timestamp,
        id: AlertGroupId,
    ) -> Result<AlertGroupRecord> {
        let before = self.get_alert_group(scope, id).await?;
        match before.state {
            GroupState::Acknowledged => return Ok(before),
            GroupState::Resolved => {
                return Err(StoreError::Conflict {
                    what: "the group is resolved: every alert cleared".into(),
                });
            }
            GroupState::Open => {}
        }
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::update(
            "alert_groups",
            vec![
                ("state", GroupState::Acknowledged.as_str().into()),
                ("acknowledged_at", micros(now).into()),
                ("acknowledged_by", actor.login.as_str().into()),
            ],
            ("id", id.0.into()),
        );
        sql.push(" AND state = 'open'");
        if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                what: "the group changed meanwhile; reload it".into(),
            });
        }
        let after = AlertGroupRecord {
            state: GroupState::Acknowledged,
            acknowledged_at: Some(now),
            acknowledged_by: Some(actor.login.clone()),
            ..before.clone()
        };
        let fields = |g: &AlertGroupRecord| vec![("state", Some(g.state.as_str().to_owned()))];
        record(
            &mut tx,
            actor,
            now,
            group_target(&after),
            Some(&fields(&before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Replaces the tenant's classification rules (already validated by the
    /// core).
    pub async fn set_event_rules(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        rules: &[ClassRule],
    ) -> Result<()> {
        let json = serde_json::to_string(rules)
            .map_err(|e| StoreError::Database(format!("rules encoding: {e}")))?;
        let before = self.event_rules(tenant).await?;
        let before_json = before.map(|r| serde_json::to_string(&r).unwrap_or_default());
        let mut tx = self.write_tx().await?;
        Sql::new("INSERT INTO event_rules (tenant_id, rules, updated_at) VALUES (")
            .bind(tenant.0)
            .push(", ")
            .bind(json.as_str())
            .push(", ")
            .bind(micros(now))
            .push(
                ") ON CONFLICT (tenant_id) DO UPDATE SET rules = excluded.rules, \
                 updated_at = excluded.updated_at",
            )
            .query()
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            now,
            super::tenant_target(tenant, "event_rules", tenant.0),
            Some(&vec![("rules", before_json)]),
            Some(&vec![("rules", Some(json))]),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a maintenance window of the tenant.
    pub async fn create_maintenance_window(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        new: &NewMaintenanceWindow,
    ) -> Result<MaintenanceWindow> {
        if new.ends_at <= new.starts_at {
            return Err(StoreError::Invalid(
                "a maintenance window must end after it starts".into(),
            ));
        }
        let ci_ids = (!new.ci_ids.is_empty()).then(|| {
            new.ci_ids
                .iter()
                .map(|c| c.0.to_string())
                .collect::<Vec<_>>()
                .join(",")
        });
        let mut tx = self.write_tx().await?;
        if !new.ci_ids.is_empty() {
            let mut sql = Sql::new("SELECT COUNT(*) AS n FROM cis WHERE tenant_id = ");
            sql.bind(tenant.0).push(" AND id IN (");
            for (i, c) in new.ci_ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(c.0);
            }
            sql.push(")");
            let found: i64 = sql.query().fetch_one(&mut *tx).await?.try_get("n")?;
            let mut distinct = new.ci_ids.clone();
            distinct.sort();
            distinct.dedup();
            if usize::try_from(found).unwrap_or(0) != distinct.len() {
                return Err(StoreError::Invalid(
                    "a maintenance window names an item that does not exist in this tenant".into(),
                ));
            }
        }
        let id = Sql::insert(
            "maintenance_windows",
            vec![
                ("tenant_id", tenant.0.into()),
                ("name", new.name.as_str().into()),
                ("starts_at", micros(new.starts_at).into()),
                ("ends_at", micros(new.ends_at).into()),
                ("ci_ids", ci_ids.clone().into()),
                ("include_children", new.include_children.into()),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        record(
            &mut tx,
            actor,
            now,
            super::tenant_target(tenant, "maintenance_window", id),
            None,
            Some(&vec![
                ("name", Some(new.name.clone())),
                ("starts_at", Some(new.starts_at.to_string())),
                ("ends_at", Some(new.ends_at.to_string())),
                ("ci_ids", ci_ids.clone()),
            ]),
        )
        .await?;
        tx.commit().await?;
        Ok(MaintenanceWindow {
            id: MaintenanceWindowId(id),
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            scope: if new.ci_ids.is_empty() {
                WindowScope::Tenant
            } else {
                WindowScope::Items(new.ci_ids.iter().copied().collect())
            },
            include_children: new.include_children,
        })
    }

    /// The tenant's maintenance windows with their names, latest end first
    /// (at most 500).
    pub async fn list_maintenance_windows(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<(String, MaintenanceWindow)>> {
        let rows = Sql::new(
            "SELECT id, name, starts_at, ends_at, ci_ids, include_children FROM maintenance_windows \
             WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .push(" ORDER BY ends_at DESC, id DESC LIMIT 500")
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("name")?, window_row(row)?)))
            .collect()
    }

    /// Ends a maintenance window of the tenant now (it stays in the
    /// history); ending an ended window changes nothing.
    pub async fn end_maintenance_window(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        id: MaintenanceWindowId,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let row = Sql::new("SELECT ends_at FROM maintenance_windows WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND id = ")
            .bind(id.0)
            .query()
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let ends: i64 = row.try_get("ends_at")?;
        if ends <= micros(now) {
            return Ok(());
        }
        Sql::update(
            "maintenance_windows",
            vec![("ends_at", micros(now).into())],
            ("id", id.0.into()),
        )
        .query()
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            now,
            super::tenant_target(tenant, "maintenance_window", id.0),
            Some(&vec![("ends_at", Some(from_micros(ends).to_string()))]),
            Some(&vec![("ends_at", Some(now.to_string()))]),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
