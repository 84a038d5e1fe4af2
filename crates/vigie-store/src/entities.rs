//! The entity tree of each tenant (group → regions → sites).

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Page, PageRequest, Result, Store, StoreError, from_micros, micros};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{EntityId, TenantId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// An entity as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityRecord {
    /// Its id.
    pub id: EntityId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its parent (`None` for the tenant's root).
    pub parent_id: Option<EntityId>,
    /// Its materialised path.
    pub path: EntityPath,
    /// Its name.
    pub name: String,
    /// `group`, `region`, `site`, `establishment` or `department`.
    pub kind: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// An entity to create under an existing parent.
#[derive(Clone, Debug)]
pub struct NewEntity {
    /// The parent.
    pub parent_id: EntityId,
    /// Its name (validated).
    pub name: String,
    /// Its kind.
    pub kind: String,
}

/// Fields of an entity to change (`None`: unchanged).
#[derive(Clone, Debug, Default)]
pub struct EntityChanges {
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<String>,
}

const SELECT: &str = "SELECT id, tenant_id, parent_id, path, name, kind, created_at, updated_at \
    FROM entities WHERE 1 = 1";

fn entity_row(row: &AnyRow) -> Result<EntityRecord> {
    let path: String = row.try_get("path")?;
    Ok(EntityRecord {
        id: EntityId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        parent_id: row.try_get::<Option<i64>, _>("parent_id")?.map(EntityId),
        path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("malformed entity path {path:?}")))?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn fields(e: &EntityRecord) -> Fields {
    vec![
        ("name", Some(e.name.clone())),
        ("kind", Some(e.kind.clone())),
        ("parent_id", e.parent_id.map(|p| p.to_string())),
    ]
}

fn target(e: &EntityRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(e.tenant_id),
        entity_id: Some(e.id.0),
        entity_path: Some(&e.path),
        record_type: "entity",
        record_id: e.id.0,
    }
}

/// Inserts an entity and sets its path, inside a caller's transaction.
pub(crate) async fn insert_entity(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    parent: Option<&EntityRecord>,
    name: &str,
    kind: &str,
    now: Timestamp,
) -> Result<EntityRecord> {
    let id = Sql::insert(
        "entities",
        vec![
            ("tenant_id", tenant.0.into()),
            ("parent_id", parent.map(|p| p.id.0).into()),
            // The path needs the id: set just below, in the same transaction.
            ("path", "".into()),
            ("name", name.into()),
            ("kind", kind.into()),
            ("created_at", micros(now).into()),
            ("updated_at", micros(now).into()),
        ],
    )
    .insert_returning_id(tx)
    .await?;
    let id = EntityId(id);
    let path = match parent {
        Some(p) => p.path.child(id),
        None => EntityPath::root(id),
    };
    Sql::update(
        "entities",
        vec![("path", path.as_str().into())],
        ("id", id.0.into()),
    )
    .query()
    .execute(&mut **tx)
    .await?;
    Ok(EntityRecord {
        id,
        tenant_id: tenant,
        parent_id: parent.map(|p| p.id),
        path,
        name: name.to_owned(),
        kind: kind.to_owned(),
        created_at: now,
        updated_at: now,
    })
}

/// Audits the creation of an entity.
pub(crate) async fn audit_created(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    now: Timestamp,
    e: &EntityRecord,
) -> Result<()> {
    record(tx, actor, now, target(e), None, Some(&fields(e))).await
}

impl Store {
    /// Lists entities in scope, ordered by id. `within` limits the list to a
    /// subtree.
    pub async fn list_entities(
        &self,
        scope: &Scope,
        within: Option<&EntityPath>,
        page: PageRequest,
    ) -> Result<Page<EntityRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "tenant_id", "path");
        if let Some(p) = within {
            sql.push(" AND path LIKE ").bind(format!("{}%", p.as_str()));
        }
        if let Some(after) = page.after {
            sql.push(" AND id > ").bind(after);
        }
        sql.push(" ORDER BY id LIMIT ").bind(page.fetch_limit());
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows.iter().map(entity_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page, |e| e.id.0))
    }

    /// Reads one entity in scope.
    pub async fn get_entity(&self, scope: &Scope, id: EntityId) -> Result<EntityRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "tenant_id", "path");
        sql.push(" AND id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(entity_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Finds an entity of a tenant by its name under a parent, without scope:
    /// for the demo loader.
    pub async fn find_entity(
        &self,
        tenant: TenantId,
        parent: Option<EntityId>,
        name: &str,
    ) -> Result<Option<EntityRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND tenant_id = ").bind(tenant.0);
        match parent {
            Some(p) => sql.push(" AND parent_id = ").bind(p.0),
            None => sql.push(" AND parent_id IS NULL"),
        };
        sql.push(" AND name = ").bind(name);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref().map(entity_row).transpose()
    }

    /// Creates an entity under a parent the `manage` scope covers.
    pub async fn create_entity(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        new: &NewEntity,
    ) -> Result<EntityRecord> {
        let parent = self.get_entity(manage, new.parent_id).await?;
        let mut tx = self.write_tx().await?;
        let e = insert_entity(
            &mut tx,
            parent.tenant_id,
            Some(&parent),
            &new.name,
            &new.kind,
            now,
        )
        .await?;
        audit_created(&mut tx, actor, now, &e).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Renames or retypes an entity in the `manage` scope.
    pub async fn update_entity(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        id: EntityId,
        changes: &EntityChanges,
    ) -> Result<EntityRecord> {
        let before = self.get_entity(manage, id).await?;
        let mut after = before.clone();
        if let Some(n) = &changes.name {
            after.name = n.clone();
        }
        if let Some(k) = &changes.kind {
            after.kind = k.clone();
        }
        after.updated_at = now;
        let mut tx = self.write_tx().await?;
        Sql::update(
            "entities",
            vec![
                ("name", after.name.as_str().into()),
                ("kind", after.kind.as_str().into()),
                ("updated_at", micros(now).into()),
            ],
            ("id", id.0.into()),
        )
        .query()
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            now,
            target(&after),
            Some(&fields(&before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes an entity in the `manage` scope. A root entity, or one that
    /// still has children, users or groups, is refused with a conflict.
    pub async fn delete_entity(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        id: EntityId,
    ) -> Result<()> {
        let before = self.get_entity(manage, id).await?;
        if before.parent_id.is_none() {
            return Err(StoreError::Conflict {
                what: "the root entity of a tenant cannot be deleted".into(),
            });
        }
        let mut tx = self.write_tx().await?;
        let used: i64 = Sql::new(
            "SELECT (SELECT COUNT(*) FROM entities WHERE parent_id = $1) \
             + (SELECT COUNT(*) FROM users WHERE entity_id = $1) \
             + (SELECT COUNT(*) FROM support_groups WHERE entity_id = $1) AS n",
        )
        .bind_existing(id.0)
        .query()
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if used > 0 {
            return Err(StoreError::Conflict {
                what: "the entity still has sub-entities, users or groups".into(),
            });
        }
        for table in [
            "DELETE FROM grants WHERE entity_id = ",
            "DELETE FROM entities WHERE id = ",
        ] {
            Sql::new(table).bind(id.0).query().execute(&mut *tx).await?;
        }
        record(
            &mut tx,
            actor,
            now,
            target(&before),
            Some(&fields(&before)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
