//! Data refresh requests: copy the data of a source environment into a
//! target one. Filed under the target's entity; the direction and the
//! anonymisation were decided by the core before the request is written,
//! and each step (approve, done, refuse) is written only if the status is
//! still the one it was decided from.

use super::{EnvironmentRecord, changed_meanwhile, date_of, name_of};
use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, get_bool, micros};
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::environment::refresh::RefreshStatus;
use vigie_core::ids::{CiId, DataRefreshId, EntityId, TenantId, UserId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// A data refresh request as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRefreshRecord {
    /// Its id.
    pub id: DataRefreshId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The target environment's entity.
    pub entity_id: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// The environment whose data is copied.
    pub source_id: CiId,
    /// The environment that receives it.
    pub target_id: CiId,
    /// The day it is wanted.
    pub requested_for: Date,
    /// Whether the data is anonymised on the way.
    pub anonymise: bool,
    /// Where it stands.
    pub status: RefreshStatus,
    /// The requester's words, or the last decision's.
    pub note: String,
    /// Who asked.
    pub requester_id: Option<UserId>,
    /// When it was asked.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A request to write (decided by the core before).
#[derive(Clone, Debug)]
pub struct NewDataRefresh<'a> {
    /// The source environment.
    pub source: &'a EnvironmentRecord,
    /// The target environment.
    pub target: &'a EnvironmentRecord,
    /// The day it is wanted.
    pub requested_for: Date,
    /// Whether to anonymise (the core's decision).
    pub anonymise: bool,
    /// The requester's words.
    pub note: String,
}

const SELECT: &str = "SELECT id, tenant_id, entity_id, entity_path, source_ci_id, target_ci_id, \
    requested_for, anonymise, status, note, requester_id, created_at, updated_at \
    FROM data_refreshes WHERE 1 = 1";

fn refresh_row(row: &AnyRow) -> Result<DataRefreshRecord> {
    let path: String = row.try_get("entity_path")?;
    Ok(DataRefreshRecord {
        id: DataRefreshId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("bad entity path `{path}`")))?,
        source_id: CiId(row.try_get("source_ci_id")?),
        target_id: CiId(row.try_get("target_ci_id")?),
        requested_for: date_of(row, "requested_for")?,
        anonymise: get_bool(row, "anonymise")?,
        status: name_of(row, "status")?,
        note: row.try_get("note")?,
        requester_id: row.try_get::<Option<i64>, _>("requester_id")?.map(UserId),
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn fields(r: &DataRefreshRecord) -> Fields {
    vec![
        ("source_id", Some(r.source_id.to_string())),
        ("target_id", Some(r.target_id.to_string())),
        ("requested_for", Some(r.requested_for.to_string())),
        ("anonymise", Some(r.anonymise.to_string())),
        ("status", Some(r.status.to_string())),
        ("note", Some(r.note.clone()).filter(|n| !n.is_empty())),
    ]
}

fn target(r: &DataRefreshRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(r.tenant_id),
        entity_id: Some(r.entity_id.0),
        entity_path: Some(&r.entity_path),
        record_type: "data_refresh",
        record_id: r.id.0,
    }
}

impl Store {
    /// Writes a refresh request, `requested`.
    pub async fn create_data_refresh(
        &self,
        actor: &Actor,
        now: Timestamp,
        new: &NewDataRefresh<'_>,
    ) -> Result<DataRefreshRecord> {
        let requester_id = (actor.user != UserId::SYSTEM).then_some(actor.user);
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "data_refreshes",
            vec![
                ("tenant_id", new.target.tenant_id.0.into()),
                ("entity_id", new.target.entity_id.0.into()),
                ("entity_path", new.target.entity_path.as_str().into()),
                ("source_ci_id", new.source.id.0.into()),
                ("target_ci_id", new.target.id.0.into()),
                ("requested_for", new.requested_for.to_string().into()),
                ("anonymise", new.anonymise.into()),
                ("status", RefreshStatus::Requested.as_str().into()),
                ("note", new.note.as_str().into()),
                ("requester_id", requester_id.map(|u| u.0).into()),
                ("created_at", micros(now).into()),
                ("updated_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let created = DataRefreshRecord {
            id: DataRefreshId(id),
            tenant_id: new.target.tenant_id,
            entity_id: new.target.entity_id,
            entity_path: new.target.entity_path.clone(),
            source_id: new.source.id,
            target_id: new.target.id,
            requested_for: new.requested_for,
            anonymise: new.anonymise,
            status: RefreshStatus::Requested,
            note: new.note.clone(),
            requester_id,
            created_at: now,
            updated_at: now,
        };
        record(
            &mut tx,
            actor,
            now,
            target(&created),
            None,
            Some(&fields(&created)),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The refresh requests in scope, newest first (at most 1,000).
    pub async fn list_data_refreshes(&self, scope: &Scope) -> Result<Vec<DataRefreshRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "tenant_id", "entity_path");
        sql.push(" ORDER BY id DESC LIMIT 1000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(refresh_row).collect()
    }

    /// A refresh request in scope.
    pub async fn get_data_refresh(
        &self,
        scope: &Scope,
        id: DataRefreshId,
    ) -> Result<DataRefreshRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "tenant_id", "entity_path");
        sql.push(" AND id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(refresh_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Moves a request decided by the core from `before.status` to `status`,
    /// with the decision's note (`None` keeps the note).
    pub async fn move_data_refresh(
        &self,
        actor: &Actor,
        now: Timestamp,
        before: &DataRefreshRecord,
        status: RefreshStatus,
        note: Option<String>,
    ) -> Result<DataRefreshRecord> {
        let after = DataRefreshRecord {
            status,
            note: note.unwrap_or_else(|| before.note.clone()),
            updated_at: now,
            ..before.clone()
        };
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::update(
            "data_refreshes",
            vec![
                ("status", status.as_str().into()),
                ("note", after.note.as_str().into()),
                ("updated_at", micros(now).into()),
            ],
            ("id", before.id.0.into()),
        );
        sql.push(" AND status = ").bind(before.status.as_str());
        if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(changed_meanwhile("refresh request"));
        }
        record(
            &mut tx,
            actor,
            now,
            target(&after),
            Some(&fields(before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
