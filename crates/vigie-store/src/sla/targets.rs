//! Service level targets of a tenant: one per kind, service (or any) and
//! priority. Clocks already running keep the allowance they started with
//! (a new target applies to the tickets opened or repriced afterwards), but
//! follow its escalation levels as they change.

use super::{load_calendar, parse};
use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, micros};
use jiff::SignedDuration;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::TenantId;
use vigie_core::sla::{EscalationLevel, SlaTarget};
use vigie_core::tenancy::Actor;

/// A target as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetRecord {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its name.
    pub name: String,
    /// The calendar its allowances are counted in.
    pub calendar_id: i64,
    /// What it promises (its `id` is the record's).
    pub target: SlaTarget,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A target to create, or its new values (validated by the core).
#[derive(Clone, Debug)]
pub struct NewTarget {
    /// Its name.
    pub name: String,
    /// The calendar of the tenant its allowances are counted in.
    pub calendar_id: i64,
    /// What it promises.
    pub target: SlaTarget,
}

pub(super) const SELECT: &str = "SELECT id, tenant_id, name, kind, service_ref, priority, calendar_id, \
    own_minutes, resolve_minutes, pause_on, on_priority_change, on_reopen, escalations, created_at, updated_at \
    FROM sla_targets";

fn levels_text(levels: &[EscalationLevel]) -> String {
    let parts: Vec<String> = levels
        .iter()
        .map(|l| format!("{}:{}", l.percent, l.action))
        .collect();
    parts.join(",")
}

fn levels_of(text: &str) -> Result<Vec<EscalationLevel>> {
    let bad = || StoreError::Database(format!("stored escalations {text:?}"));
    text.split(',')
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (percent, action) = part.split_once(':').ok_or_else(bad)?;
            Ok(EscalationLevel::new(
                percent.parse().map_err(|_| bad())?,
                action.parse().map_err(|_| bad())?,
            ))
        })
        .collect()
}

pub(super) fn target_row(row: &AnyRow) -> Result<TargetRecord> {
    let service: String = row.try_get("service_ref")?;
    let own: Option<i64> = row.try_get("own_minutes")?;
    let pause_on: String = row.try_get("pause_on")?;
    let pause_on = pause_on
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse()
                .map_err(|e| StoreError::Database(format!("pause_on: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let target = SlaTarget {
        id: row.try_get("id")?,
        kind: parse(row, "kind")?,
        service_ref: (!service.is_empty()).then_some(service),
        priority: parse(row, "priority")?,
        time_to_own: own.map(SignedDuration::from_mins),
        time_to_resolve: SignedDuration::from_mins(row.try_get("resolve_minutes")?),
        pause_on,
        on_priority_change: parse(row, "on_priority_change")?,
        on_reopen: parse(row, "on_reopen")?,
        levels: levels_of(&row.try_get::<String, _>("escalations")?)?,
    };
    Ok(TargetRecord {
        tenant_id: TenantId(row.try_get("tenant_id")?),
        name: row.try_get("name")?,
        calendar_id: row.try_get("calendar_id")?,
        target,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

/// The targets of a tenant, inside `tx`.
pub(super) async fn tenant_targets(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
) -> Result<Vec<TargetRecord>> {
    let rows = Sql::new(SELECT)
        .push(" WHERE tenant_id = ")
        .bind(tenant.0)
        .push(" ORDER BY id")
        .query()
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(target_row).collect()
}

fn fields(t: &TargetRecord) -> Fields {
    let s = &t.target;
    vec![
        ("name", Some(t.name.clone())),
        ("kind", Some(s.kind.to_string())),
        ("service_ref", s.service_ref.clone()),
        ("priority", Some(s.priority.to_string())),
        ("calendar_id", Some(t.calendar_id.to_string())),
        (
            "time_to_own",
            s.time_to_own.map(|d| format!("{} min", d.as_mins())),
        ),
        (
            "time_to_resolve",
            Some(format!("{} min", s.time_to_resolve.as_mins())),
        ),
        (
            "escalations",
            Some(levels_text(&s.levels)).filter(|l| !l.is_empty()),
        ),
    ]
}

fn values(
    tenant: TenantId,
    new: &NewTarget,
    now: Timestamp,
) -> Vec<(&'static str, crate::sql::Arg)> {
    let t = &new.target;
    let pause: Vec<&str> = t.pause_on.iter().map(|p| p.as_str()).collect();
    vec![
        ("tenant_id", tenant.0.into()),
        ("name", new.name.as_str().into()),
        ("kind", t.kind.as_str().into()),
        (
            "service_ref",
            t.service_ref.clone().unwrap_or_default().into(),
        ),
        ("priority", t.priority.as_str().into()),
        ("calendar_id", new.calendar_id.into()),
        ("own_minutes", t.time_to_own.map(|d| d.as_mins()).into()),
        ("resolve_minutes", t.time_to_resolve.as_mins().into()),
        ("pause_on", pause.join(",").into()),
        ("on_priority_change", t.on_priority_change.as_str().into()),
        ("on_reopen", t.on_reopen.as_str().into()),
        ("escalations", levels_text(&t.levels).into()),
        ("updated_at", micros(now).into()),
    ]
}

fn audit_target(t: &TargetRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(t.tenant_id),
        entity_id: None,
        entity_path: None,
        record_type: "sla_target",
        record_id: t.target.id,
    }
}

fn conflict(e: StoreError) -> StoreError {
    match e {
        StoreError::Conflict { .. } => StoreError::Conflict {
            what: "a target of this kind already exists for this service and priority".into(),
        },
        e => e,
    }
}

impl Store {
    /// The targets of a tenant.
    pub async fn list_targets(&self, tenant: TenantId) -> Result<Vec<TargetRecord>> {
        let mut tx = self.pool().begin().await?;
        let list = tenant_targets(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(list)
    }

    /// One target of a tenant.
    pub async fn get_target(&self, tenant: TenantId, id: i64) -> Result<TargetRecord> {
        let row = Sql::new(SELECT)
            .push(" WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND id = ")
            .bind(id)
            .query()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        target_row(&row)
    }

    /// Creates a target; its calendar must be one of the tenant's.
    pub async fn create_target(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        new: &NewTarget,
    ) -> Result<TargetRecord> {
        let mut tx = self.write_tx().await?;
        check_calendar(&mut tx, tenant, new.calendar_id).await?;
        let mut columns = values(tenant, new, now);
        columns.push(("created_at", micros(now).into()));
        let id = Sql::insert("sla_targets", columns)
            .insert_returning_id(&mut tx)
            .await
            .map_err(conflict)?;
        let created = by_id(&mut tx, tenant, id).await?;
        record(
            &mut tx,
            actor,
            now,
            audit_target(&created),
            None,
            Some(&fields(&created)),
        )
        .await?;
        super::cache::bump_revision(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Replaces a target's values.
    pub async fn update_target(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        id: i64,
        new: &NewTarget,
    ) -> Result<TargetRecord> {
        let mut tx = self.write_tx().await?;
        let before = by_id(&mut tx, tenant, id).await?;
        check_calendar(&mut tx, tenant, new.calendar_id).await?;
        let mut columns = values(tenant, new, now);
        columns.retain(|(c, _)| *c != "tenant_id");
        let mut sql = Sql::update("sla_targets", columns, ("id", id.into()));
        sql.push(" AND tenant_id = ").bind(tenant.0);
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict(e.into()))?;
        let after = by_id(&mut tx, tenant, id).await?;
        super::clocks::refresh_target(&mut tx, tenant, id).await?;
        record(
            &mut tx,
            actor,
            now,
            audit_target(&after),
            Some(&fields(&before)),
            Some(&fields(&after)),
        )
        .await?;
        super::cache::bump_revision(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a target no clock was started from (else a conflict).
    pub async fn delete_target(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        id: i64,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before = by_id(&mut tx, tenant, id).await?;
        let used = Sql::new("SELECT id FROM sla_clocks WHERE target_id = ")
            .bind(id)
            .push(" LIMIT 1")
            .query()
            .fetch_optional(&mut *tx)
            .await?;
        if used.is_some() {
            return Err(StoreError::Conflict {
                what: "tickets have clocks against this target; change it instead".into(),
            });
        }
        Sql::new("DELETE FROM sla_targets WHERE id = ")
            .bind(id)
            .query()
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            now,
            audit_target(&before),
            Some(&fields(&before)),
            None,
        )
        .await?;
        super::cache::bump_revision(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn by_id(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    id: i64,
) -> Result<TargetRecord> {
    let row = Sql::new(SELECT)
        .push(" WHERE tenant_id = ")
        .bind(tenant.0)
        .push(" AND id = ")
        .bind(id)
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    target_row(&row)
}

async fn check_calendar(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    id: i64,
) -> Result<()> {
    match load_calendar(tx, tenant, id).await {
        Err(StoreError::NotFound) => Err(StoreError::Invalid(format!(
            "calendar_id: there is no calendar {id} here"
        ))),
        other => other.map(|_| ()),
    }
}
