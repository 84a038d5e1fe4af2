//! The changes with a planned window, with their items, for the change
//! calendar (what a person may see) and for the conflict check (every
//! change of the tenant that holds its window, seen or not: a change in
//! another entity touching the same switch still conflicts).

use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, micros};
use sqlx::Row;
use std::collections::HashMap;
use vigie_core::Timestamp;
use vigie_core::change::{ChangeKind, ChangeStatus};
use vigie_core::ids::{ChangeId, CiId, TenantId};
use vigie_core::tenancy::Scope;

/// A change with a planned window.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRecord {
    /// Its id.
    pub id: ChangeId,
    /// Its number.
    pub number: i64,
    /// Its title.
    pub title: String,
    /// Its type.
    pub kind: ChangeKind,
    /// Its status.
    pub status: ChangeStatus,
    /// The window's start.
    pub start: Timestamp,
    /// The window's end.
    pub end: Timestamp,
    /// The items it touches.
    pub items: Vec<CiId>,
    /// The flags its window earned.
    pub flags: Vec<serde_json::Value>,
}

impl Store {
    /// The changes whose planned window overlaps `[from, to)`, by start.
    /// With a scope, those it covers (the calendar); without, every change
    /// of the tenant still holding its window (the conflict check).
    pub async fn planned_changes(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
        scope: Option<&Scope>,
    ) -> Result<Vec<PlannedRecord>> {
        let mut sql = Sql::new(
            "SELECT c.id, c.number, c.title, c.kind, c.status, c.planned_start, c.planned_end, c.flags \
             FROM changes c WHERE c.tenant_id = ",
        );
        sql.bind(tenant.0);
        match scope {
            Some(scope) => {
                sql.scope(scope, "c.tenant_id", "c.entity_path");
                sql.push(" AND c.planned_start IS NOT NULL AND c.status <> 'cancelled'");
            }
            None => {
                sql.push(" AND c.status IN ('scheduled', 'implementing')");
            }
        }
        sql.push(" AND c.planned_start < ")
            .bind(micros(to))
            .push(" AND c.planned_end > ")
            .bind(micros(from))
            .push(" ORDER BY c.planned_start, c.id");
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut at: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            let status: String = r.try_get("status")?;
            let flags: String = r.try_get("flags")?;
            let id: i64 = r.try_get("id")?;
            at.insert(id, out.len());
            out.push(PlannedRecord {
                id: ChangeId(id),
                number: r.try_get("number")?,
                title: r.try_get("title")?,
                kind: kind
                    .parse()
                    .map_err(|_| StoreError::Database(format!("bad change kind `{kind}`")))?,
                status: status
                    .parse()
                    .map_err(|_| StoreError::Database(format!("bad change status `{status}`")))?,
                start: from_micros(r.try_get("planned_start")?),
                end: from_micros(r.try_get("planned_end")?),
                items: Vec::new(),
                flags: serde_json::from_str(&flags).unwrap_or_default(),
            });
        }
        if out.is_empty() {
            return Ok(out);
        }
        // The items of those changes, in one pass over the tenant's links
        // of changes in the period.
        let items = Sql::new(
            "SELECT i.change_id, i.ci_id FROM change_items i JOIN changes c ON c.id = i.change_id \
             WHERE c.tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND c.planned_start < ")
        .bind(micros(to))
        .push(" AND c.planned_end > ")
        .bind(micros(from))
        .query()
        .fetch_all(self.pool())
        .await?;
        for r in items {
            let change: i64 = r.try_get("change_id")?;
            if let Some(&i) = at.get(&change) {
                out[i].items.push(CiId(r.try_get("ci_id")?));
            }
        }
        Ok(out)
    }
}
