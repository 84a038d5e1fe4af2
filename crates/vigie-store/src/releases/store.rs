//! Releases and their component versions. A release belongs to an entity
//! (usually the tenant's root) and is read through a scope; its history is
//! the audit log (`record_type = 'release'`). The changes it carries are
//! read from `release_changes`, which change management fills.

use super::{changed_meanwhile, date_of, name_of};
use crate::audit::{AuditTarget, record};
use crate::sql::{Arg, Sql};
use crate::{AuditRecord, EntityRecord, Result, Store, StoreError, from_micros, micros};
use jiff::civil::Date;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{EntityId, ReleaseId, TenantId, UserId};
use vigie_core::release::lifecycle::ReleaseOutcome;
use vigie_core::release::{ComponentVersion, ReleaseKind, ReleaseStatus};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// A release as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseRecord {
    /// Its id.
    pub id: ReleaseId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The entity it belongs to.
    pub entity_id: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// Its name, unique in the tenant.
    pub name: String,
    /// Regular, exceptional or patch.
    pub kind: ReleaseKind,
    /// Where it stands.
    pub status: ReleaseStatus,
    /// The planned production date.
    pub planned_for: Date,
    /// What it brings.
    pub description: String,
    /// The component versions, in order.
    pub versions: Vec<ComponentVersion>,
    /// The changes it carries (filled by change management).
    pub change_ids: Vec<i64>,
    /// Who gave the green light.
    pub green_light_by: Option<UserId>,
    /// When.
    pub green_light_at: Option<Timestamp>,
    /// When it was deployed.
    pub deployed_at: Option<Timestamp>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A release to create (validated by the core before).
#[derive(Clone, Debug)]
pub struct NewRelease {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: ReleaseKind,
    /// The planned date.
    pub planned_for: Date,
    /// What it brings.
    pub description: String,
    /// Its component versions.
    pub versions: Vec<ComponentVersion>,
}

/// Changes to a release; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ReleaseChanges {
    /// A new name.
    pub name: Option<String>,
    /// A new planned date.
    pub planned_for: Option<Date>,
    /// A new description.
    pub description: Option<String>,
    /// The new versions, all of them.
    pub versions: Option<Vec<ComponentVersion>>,
}

/// Which releases to list.
#[derive(Clone, Debug, Default)]
pub struct ReleaseFilter {
    /// Only this status.
    pub status: Option<ReleaseStatus>,
    /// Only this kind.
    pub kind: Option<ReleaseKind>,
    /// Planned on or after this date.
    pub from: Option<Date>,
    /// Planned on or before this date.
    pub to: Option<Date>,
}

const SELECT: &str = "SELECT r.id, r.tenant_id, r.entity_id, r.entity_path, r.name, r.kind, r.status, \
    r.planned_for, r.description, r.green_light_by, r.green_light_at, r.deployed_at, r.created_at, \
    r.updated_at FROM releases r WHERE 1 = 1";

/// The most releases a list returns.
const LIST_LIMIT: i64 = 1000;

fn release_row(row: &AnyRow) -> Result<ReleaseRecord> {
    let path: String = row.try_get("entity_path")?;
    Ok(ReleaseRecord {
        id: ReleaseId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("bad entity path `{path}`")))?,
        name: row.try_get("name")?,
        kind: name_of(row, "kind")?,
        status: name_of(row, "status")?,
        planned_for: date_of(row, "planned_for")?,
        description: row.try_get("description")?,
        versions: Vec::new(),
        change_ids: Vec::new(),
        green_light_by: row.try_get::<Option<i64>, _>("green_light_by")?.map(UserId),
        green_light_at: row
            .try_get::<Option<i64>, _>("green_light_at")?
            .map(from_micros),
        deployed_at: row
            .try_get::<Option<i64>, _>("deployed_at")?
            .map(from_micros),
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn versions_text(versions: &[ComponentVersion]) -> Option<String> {
    let text: Vec<String> = versions
        .iter()
        .map(|v| format!("{} {}", v.component, v.version))
        .collect();
    Some(text.join(", ")).filter(|s| !s.is_empty())
}

fn fields(r: &ReleaseRecord) -> Fields {
    vec![
        ("entity_id", Some(r.entity_id.to_string())),
        ("name", Some(r.name.clone())),
        ("kind", Some(r.kind.to_string())),
        ("status", Some(r.status.to_string())),
        ("planned_for", Some(r.planned_for.to_string())),
        (
            "description",
            Some(r.description.clone()).filter(|d| !d.is_empty()),
        ),
        ("versions", versions_text(&r.versions)),
        ("green_light_by", r.green_light_by.map(|u| u.to_string())),
    ]
}

fn target(r: &ReleaseRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(r.tenant_id),
        entity_id: Some(r.entity_id.0),
        entity_path: Some(&r.entity_path),
        record_type: "release",
        record_id: r.id.0,
    }
}

fn named_conflict(e: StoreError) -> StoreError {
    match e {
        StoreError::Conflict { .. } => StoreError::Conflict {
            what: "a release with this name already exists".into(),
        },
        e => e,
    }
}

async fn write_versions(
    tx: &mut Transaction<'static, Any>,
    id: ReleaseId,
    versions: &[ComponentVersion],
) -> Result<()> {
    Sql::new("DELETE FROM release_versions WHERE release_id = ")
        .bind(id.0)
        .query()
        .execute(&mut **tx)
        .await?;
    let rows: Vec<Vec<Arg>> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            vec![
                id.0.into(),
                (i as i64).into(),
                v.component.as_str().into(),
                v.ci_id.into(),
                v.version.as_str().into(),
            ]
        })
        .collect();
    for chunk in rows.chunks(150) {
        Sql::insert_many(
            "release_versions",
            &["release_id", "position", "component", "ci_id", "version"],
            chunk.to_vec(),
        )
        .query()
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Fills the versions and changes of `releases`.
    async fn fill_release_parts(&self, releases: &mut [ReleaseRecord]) -> Result<()> {
        if releases.is_empty() {
            return Ok(());
        }
        let mut by_id: BTreeMap<i64, usize> = BTreeMap::new();
        for (i, r) in releases.iter().enumerate() {
            by_id.insert(r.id.0, i);
        }
        for (table, columns) in [
            ("release_versions", "release_id, component, ci_id, version"),
            ("release_changes", "release_id, change_id"),
        ] {
            let mut sql = Sql::new(&format!(
                "SELECT {columns} FROM {table} WHERE release_id IN ("
            ));
            for (n, id) in by_id.keys().enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                sql.bind(*id);
            }
            let order = if table == "release_versions" {
                ") ORDER BY release_id, position"
            } else {
                ") ORDER BY release_id, change_id"
            };
            sql.push(order);
            for row in sql.query().fetch_all(self.pool()).await? {
                let Some(&i) = by_id.get(&row.try_get::<i64, _>("release_id")?) else {
                    continue;
                };
                if table == "release_versions" {
                    releases[i].versions.push(ComponentVersion {
                        component: row.try_get("component")?,
                        ci_id: row.try_get("ci_id")?,
                        version: row.try_get("version")?,
                    });
                } else {
                    releases[i].change_ids.push(row.try_get("change_id")?);
                }
            }
        }
        Ok(())
    }

    /// The releases in scope, by planned date (at most 1,000).
    pub async fn list_releases(
        &self,
        scope: &Scope,
        filter: &ReleaseFilter,
    ) -> Result<Vec<ReleaseRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "r.tenant_id", "r.entity_path");
        if let Some(s) = filter.status {
            sql.push(" AND r.status = ").bind(s.as_str());
        }
        if let Some(k) = filter.kind {
            sql.push(" AND r.kind = ").bind(k.as_str());
        }
        if let Some(d) = filter.from {
            sql.push(" AND r.planned_for >= ").bind(d.to_string());
        }
        if let Some(d) = filter.to {
            sql.push(" AND r.planned_for <= ").bind(d.to_string());
        }
        sql.push(" ORDER BY r.planned_for, r.id LIMIT ")
            .bind(LIST_LIMIT);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = rows.iter().map(release_row).collect::<Result<Vec<_>>>()?;
        self.fill_release_parts(&mut out).await?;
        Ok(out)
    }

    /// A release in scope.
    pub async fn get_release(&self, scope: &Scope, id: ReleaseId) -> Result<ReleaseRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "r.tenant_id", "r.entity_path");
        sql.push(" AND r.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        let mut found = vec![
            row.as_ref()
                .map(release_row)
                .transpose()?
                .ok_or(StoreError::NotFound)?,
        ];
        self.fill_release_parts(&mut found).await?;
        found.pop().ok_or(StoreError::NotFound)
    }

    /// Creates a release, planned, in an entity the caller checked against
    /// his scope.
    pub async fn create_release(
        &self,
        actor: &Actor,
        entity: &EntityRecord,
        now: Timestamp,
        new: &NewRelease,
    ) -> Result<ReleaseRecord> {
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "releases",
            vec![
                ("tenant_id", entity.tenant_id.0.into()),
                ("entity_id", entity.id.0.into()),
                ("entity_path", entity.path.as_str().into()),
                ("name", new.name.as_str().into()),
                ("kind", new.kind.as_str().into()),
                ("status", ReleaseStatus::Planned.as_str().into()),
                ("planned_for", new.planned_for.to_string().into()),
                ("description", new.description.as_str().into()),
                ("created_at", micros(now).into()),
                ("updated_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await
        .map_err(named_conflict)?;
        let id = ReleaseId(id);
        write_versions(&mut tx, id, &new.versions).await?;
        let created = ReleaseRecord {
            id,
            tenant_id: entity.tenant_id,
            entity_id: entity.id,
            entity_path: entity.path.clone(),
            name: new.name.clone(),
            kind: new.kind,
            status: ReleaseStatus::Planned,
            planned_for: new.planned_for,
            description: new.description.clone(),
            versions: new.versions.clone(),
            change_ids: Vec::new(),
            green_light_by: None,
            green_light_at: None,
            deployed_at: None,
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

    /// Changes a release whose status is still `before.status` (the caller
    /// asked the core whether it may still be edited).
    pub async fn update_release(
        &self,
        actor: &Actor,
        now: Timestamp,
        before: &ReleaseRecord,
        changes: &ReleaseChanges,
    ) -> Result<ReleaseRecord> {
        let mut after = before.clone();
        if let Some(n) = &changes.name {
            after.name = n.clone();
        }
        if let Some(d) = changes.planned_for {
            after.planned_for = d;
        }
        if let Some(d) = &changes.description {
            after.description = d.clone();
        }
        if let Some(v) = &changes.versions {
            after.versions = v.clone();
        }
        after.updated_at = now;
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::update(
            "releases",
            vec![
                ("name", after.name.as_str().into()),
                ("planned_for", after.planned_for.to_string().into()),
                ("description", after.description.as_str().into()),
                ("updated_at", micros(now).into()),
            ],
            ("id", before.id.0.into()),
        );
        sql.push(" AND status = ").bind(before.status.as_str());
        let done = sql
            .query()
            .execute(&mut *tx)
            .await
            .map_err(|e| named_conflict(e.into()))?;
        if done.rows_affected() == 0 {
            return Err(changed_meanwhile("release"));
        }
        if changes.versions.is_some() {
            write_versions(&mut tx, before.id, &after.versions).await?;
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

    /// Writes the outcome of a lifecycle action decided by the core from
    /// `before`; a conflict if the status moved meanwhile.
    pub async fn move_release(
        &self,
        actor: &Actor,
        now: Timestamp,
        before: &ReleaseRecord,
        outcome: &ReleaseOutcome,
    ) -> Result<ReleaseRecord> {
        let mut after = before.clone();
        after.status = outcome.status;
        after.updated_at = now;
        let mut values: Vec<(&str, Arg)> = vec![
            ("status", outcome.status.as_str().into()),
            ("updated_at", micros(now).into()),
        ];
        if outcome.gives_green_light {
            after.green_light_by = (actor.user != UserId::SYSTEM).then_some(actor.user);
            after.green_light_at = Some(now);
            values.push(("green_light_by", after.green_light_by.map(|u| u.0).into()));
            values.push(("green_light_at", micros(now).into()));
        }
        if outcome.deploys {
            after.deployed_at = Some(now);
            values.push(("deployed_at", micros(now).into()));
        }
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::update("releases", values, ("id", before.id.0.into()));
        sql.push(" AND status = ").bind(before.status.as_str());
        if sql.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(changed_meanwhile("release"));
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

    /// The history of a release, oldest first (at most 2,000 lines).
    pub async fn release_history(&self, release: &ReleaseRecord) -> Result<Vec<AuditRecord>> {
        let mut sql = Sql::new(
            "SELECT id, tenant_id, entity_id, actor_user_id, actor_label, at, action, \
             record_type, record_id, changes FROM audit_log WHERE tenant_id = ",
        );
        sql.bind(release.tenant_id.0)
            .push(" AND record_type = 'release' AND record_id = ")
            .bind(release.id.0)
            .push(" ORDER BY id LIMIT 2000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(crate::audit::audit_row).collect()
    }

    /// Whether `user` is a member of group `group` of `tenant`.
    pub async fn is_group_member(
        &self,
        tenant: TenantId,
        group: vigie_core::ids::GroupId,
        user: UserId,
    ) -> Result<bool> {
        let row = Sql::new(
            "SELECT m.user_id FROM group_members m JOIN support_groups g ON g.id = m.group_id \
             WHERE g.tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND m.group_id = ")
        .bind(group.0)
        .push(" AND m.user_id = ")
        .bind(user.0)
        .query()
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }
}
