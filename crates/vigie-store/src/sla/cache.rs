//! A tenant's service level settings kept in memory between new tickets.
//!
//! Starting the clocks of a ticket needs the tenant's targets and their
//! calendars built (hours, holidays, closures): four reads and a build that
//! would otherwise come with every ticket. Every write to a tenant's
//! calendars or targets raises its revision (table `sla_revisions`) in the
//! same transaction; a transaction opening tickets reads the revision (one
//! indexed row) and reuses what it holds when the number is the same. The
//! revision is read before the settings, so what is filed under a revision
//! can only be newer than it, never older: a change made meanwhile makes
//! the next reader load again.

use super::clocks::Calendars;
use super::targets::{TargetRecord, tenant_targets};
use crate::Result;
use crate::sql::Sql;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use vigie_core::calendar::BusinessCalendar;
use vigie_core::ids::TenantId;
use vigie_core::sla::SlaTarget;

/// A tenant's targets and the calendars they count in, built, as of one
/// revision.
#[derive(Debug)]
pub(crate) struct TenantSla {
    revision: i64,
    /// The targets as stored.
    pub(crate) records: Vec<TargetRecord>,
    /// The same, as the core selects among them.
    pub(crate) targets: Vec<SlaTarget>,
    /// Every calendar a target counts in, by id.
    calendars: HashMap<i64, BusinessCalendar>,
}

impl TenantSla {
    /// The built calendar `id`, if a target counts in it.
    pub(crate) fn calendar(&self, id: i64) -> Option<&BusinessCalendar> {
        self.calendars.get(&id)
    }
}

/// Settings by tenant, shared by the clones of a store.
#[derive(Debug, Default)]
pub(crate) struct SlaCache {
    tenants: Mutex<HashMap<TenantId, Arc<TenantSla>>>,
}

impl SlaCache {
    fn get(&self, tenant: TenantId, revision: i64) -> Option<Arc<TenantSla>> {
        let tenants = self.tenants.lock().ok()?;
        tenants
            .get(&tenant)
            .filter(|s| s.revision == revision)
            .cloned()
    }

    fn put(&self, tenant: TenantId, settings: Arc<TenantSla>) {
        if let Ok(mut tenants) = self.tenants.lock() {
            tenants.insert(tenant, settings);
        }
    }

    /// The tenant's settings, from memory when its revision did not move,
    /// else read and built inside `tx`.
    pub(crate) async fn tenant(
        &self,
        tx: &mut Transaction<'static, Any>,
        tenant: TenantId,
    ) -> Result<Arc<TenantSla>> {
        let revision = revision_in(tx, tenant).await?;
        if let Some(settings) = self.get(tenant, revision) {
            return Ok(settings);
        }
        let settings = Arc::new(load(tx, tenant, revision).await?);
        self.put(tenant, settings.clone());
        Ok(settings)
    }
}

/// Reads and builds the tenant's settings inside `tx`, filed under
/// `revision`.
async fn load(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    revision: i64,
) -> Result<TenantSla> {
    let records = tenant_targets(tx, tenant).await?;
    let targets = records.iter().map(|r| r.target.clone()).collect();
    let mut built = Calendars::default();
    for r in &records {
        built.get(tx, tenant, r.calendar_id).await?;
    }
    Ok(TenantSla {
        revision,
        records,
        targets,
        calendars: built.into_map(),
    })
}

/// The tenant's revision inside `tx`: 0 before its first change.
async fn revision_in(tx: &mut Transaction<'static, Any>, tenant: TenantId) -> Result<i64> {
    let row = Sql::new("SELECT revision FROM sla_revisions WHERE tenant_id = ")
        .bind(tenant.0)
        .query()
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        Some(row) => row.try_get("revision")?,
        None => 0,
    })
}

/// Raises the tenant's revision inside the transaction that changes its
/// calendars or targets.
pub(crate) async fn bump_revision(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
) -> Result<()> {
    Sql::new("INSERT INTO sla_revisions (tenant_id, revision) VALUES (")
        .bind(tenant.0)
        .push(", 1) ON CONFLICT (tenant_id) DO UPDATE SET revision = sla_revisions.revision + 1")
        .query()
        .execute(&mut **tx)
        .await?;
    Ok(())
}
