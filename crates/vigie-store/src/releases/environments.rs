//! Environment items and their settings: the business calendar of their
//! opening hours and, optionally, their own reset season. An environment is
//! a configuration item of type `environment`; its kind is its `kind`
//! attribute. Settings changes are audited as `environment` lines filed
//! under the item's id.

use crate::audit::{AuditTarget, record};
use crate::cmdb::attributes_of;
use crate::sql::Sql;
use crate::{Result, Store, StoreError, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::cmdb::{CiStatus, EnvironmentKind};
use vigie_core::ids::{CiId, EntityId, TenantId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// An environment item with its settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentRecord {
    /// The item's id.
    pub id: CiId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The entity it belongs to.
    pub entity_id: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// The item's name.
    pub name: String,
    /// The item's status.
    pub status: CiStatus,
    /// Its kind (`None` if the attribute is unreadable).
    pub kind: Option<EnvironmentKind>,
    /// The calendar of its opening hours.
    pub calendar_id: Option<i64>,
    /// Its own reset season (first and last month), if any.
    pub reset_season: Option<(i64, i64)>,
}

const SELECT: &str = "SELECT c.id, c.tenant_id, c.entity_id, c.entity_path, c.name, c.status, \
    c.attributes, s.calendar_id, s.reset_season_first, s.reset_season_last \
    FROM cis c LEFT JOIN environment_settings s ON s.ci_id = c.id \
    WHERE c.type = 'environment'";

fn environment_row(row: &AnyRow) -> Result<EnvironmentRecord> {
    let path: String = row.try_get("entity_path")?;
    let attributes = attributes_of(&row.try_get::<String, _>("attributes")?);
    let first: Option<i64> = row.try_get("reset_season_first")?;
    let last: Option<i64> = row.try_get("reset_season_last")?;
    Ok(EnvironmentRecord {
        id: CiId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("bad entity path `{path}`")))?,
        name: row.try_get("name")?,
        status: super::name_of(row, "status")?,
        kind: attributes.get("kind").and_then(|k| k.parse().ok()),
        calendar_id: row.try_get("calendar_id")?,
        reset_season: first.zip(last),
    })
}

fn fields(e: &EnvironmentRecord) -> Fields {
    vec![
        ("calendar_id", e.calendar_id.map(|c| c.to_string())),
        (
            "reset_season",
            e.reset_season.map(|(a, b)| format!("{a}-{b}")),
        ),
    ]
}

impl Store {
    /// The environment items in scope that are not retired, by name.
    pub async fn list_environments(&self, scope: &Scope) -> Result<Vec<EnvironmentRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "c.tenant_id", "c.entity_path");
        sql.push(" AND c.status <> 'retired' ORDER BY c.name, c.id");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(environment_row).collect()
    }

    /// An environment item in scope (any other item is not found).
    pub async fn get_environment(&self, scope: &Scope, id: CiId) -> Result<EnvironmentRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "c.tenant_id", "c.entity_path");
        sql.push(" AND c.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(environment_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Every environment of the tenant that has opening hours, whatever the
    /// caller's scope: whether hours are wider than production's is a fact
    /// of the whole tenant.
    pub async fn tenant_environments_with_hours(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<EnvironmentRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND c.tenant_id = ")
            .bind(tenant.0)
            .push(" AND c.status <> 'retired' AND s.calendar_id IS NOT NULL ORDER BY c.id");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(environment_row).collect()
    }

    /// Sets an environment's hours calendar and own reset season (`None`
    /// clears them); the caller checked the calendar belongs to the tenant
    /// and that the hours fit in production's.
    pub async fn set_environment_settings(
        &self,
        actor: &Actor,
        now: Timestamp,
        before: &EnvironmentRecord,
        calendar_id: Option<i64>,
        reset_season: Option<(i64, i64)>,
    ) -> Result<EnvironmentRecord> {
        let after = EnvironmentRecord {
            calendar_id,
            reset_season,
            ..before.clone()
        };
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::insert(
            "environment_settings",
            vec![
                ("ci_id", before.id.0.into()),
                ("tenant_id", before.tenant_id.0.into()),
                ("calendar_id", calendar_id.into()),
                ("reset_season_first", reset_season.map(|s| s.0).into()),
                ("reset_season_last", reset_season.map(|s| s.1).into()),
                ("updated_at", micros(now).into()),
            ],
        );
        sql.push(
            " ON CONFLICT (ci_id) DO UPDATE SET calendar_id = excluded.calendar_id, \
             reset_season_first = excluded.reset_season_first, \
             reset_season_last = excluded.reset_season_last, updated_at = excluded.updated_at",
        );
        sql.query().execute(&mut *tx).await?;
        record(
            &mut tx,
            actor,
            now,
            AuditTarget {
                tenant: Some(before.tenant_id),
                entity_id: Some(before.entity_id.0),
                entity_path: Some(&before.entity_path),
                record_type: "environment",
                record_id: before.id.0,
            },
            Some(&fields(before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
