//! Tenants: customer organisations, each with a root entity.

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Page, PageRequest, Result, Store, StoreError, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{EntityId, TenantId};
use vigie_core::tenancy::{Actor, Scope};

/// A tenant as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantRecord {
    /// Its id.
    pub id: TenantId,
    /// Its short unique name (`cachemire`).
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// `customer`, `provider`, `consortium` or `platform`.
    pub kind: String,
    /// Its root entity.
    pub root_entity_id: Option<EntityId>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A tenant to create (already validated).
#[derive(Clone, Debug)]
pub struct NewTenant {
    /// Its slug.
    pub slug: String,
    /// Its name, also the name of its root entity.
    pub name: String,
    /// Its kind.
    pub kind: String,
}

/// Fields of a tenant to change (`None`: unchanged).
#[derive(Clone, Debug, Default)]
pub struct TenantChanges {
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<String>,
}

const SELECT: &str = "SELECT t.id, t.slug, t.name, t.kind, t.created_at, t.updated_at, \
    (SELECT MIN(e.id) FROM entities e WHERE e.tenant_id = t.id AND e.parent_id IS NULL) AS root_entity_id \
    FROM tenants t WHERE 1 = 1";

fn tenant_row(row: &AnyRow) -> Result<TenantRecord> {
    Ok(TenantRecord {
        id: TenantId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        root_entity_id: row
            .try_get::<Option<i64>, _>("root_entity_id")?
            .map(EntityId),
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn fields(t: &TenantRecord) -> Fields {
    vec![
        ("slug", Some(t.slug.clone())),
        ("name", Some(t.name.clone())),
        ("kind", Some(t.kind.clone())),
    ]
}

fn tenant_filter(sql: &mut Sql, scope: &Scope) {
    if let Some(t) = scope.tenant() {
        sql.push(" AND t.id = ").bind(t.0);
    }
}

impl Store {
    /// Lists the tenants in scope: all for platform administrators, one's
    /// own otherwise.
    pub async fn list_tenants(
        &self,
        scope: &Scope,
        page: PageRequest,
    ) -> Result<Page<TenantRecord>> {
        let mut sql = Sql::new(SELECT);
        tenant_filter(&mut sql, scope);
        if let Some(after) = page.after {
            sql.push(" AND t.id > ").bind(after);
        }
        sql.push(" ORDER BY t.id LIMIT ").bind(page.fetch_limit());
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows.iter().map(tenant_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page, |t| t.id.0))
    }

    /// Reads one tenant in scope.
    pub async fn get_tenant(&self, scope: &Scope, id: TenantId) -> Result<TenantRecord> {
        let mut sql = Sql::new(SELECT);
        tenant_filter(&mut sql, scope);
        sql.push(" AND t.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(tenant_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Finds a tenant by slug, without scope: for the command line and the
    /// demo loader.
    pub async fn find_tenant_by_slug(&self, slug: &str) -> Result<Option<TenantRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND t.slug = ").bind(slug);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref().map(tenant_row).transpose()
    }

    /// Creates a tenant and its root entity. Platform administrators only.
    pub async fn create_tenant(
        &self,
        actor: &Actor,
        now: Timestamp,
        new: &NewTenant,
    ) -> Result<TenantRecord> {
        if !actor.platform_admin {
            return Err(StoreError::Forbidden(
                "only platform administrators create tenants".into(),
            ));
        }
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "tenants",
            vec![
                ("slug", new.slug.as_str().into()),
                ("name", new.name.as_str().into()),
                ("kind", new.kind.as_str().into()),
                ("created_at", micros(now).into()),
                ("updated_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let tenant = TenantId(id);
        let root =
            crate::entities::insert_entity(&mut tx, tenant, None, &new.name, "group", now).await?;
        let tenant_record = TenantRecord {
            id: tenant,
            slug: new.slug.clone(),
            name: new.name.clone(),
            kind: new.kind.clone(),
            root_entity_id: Some(root.id),
            created_at: now,
            updated_at: now,
        };
        let target = AuditTarget {
            tenant: Some(tenant),
            entity_id: None,
            entity_path: None,
            record_type: "tenant",
            record_id: id,
        };
        record(
            &mut tx,
            actor,
            now,
            target,
            None,
            Some(&fields(&tenant_record)),
        )
        .await?;
        crate::entities::audit_created(&mut tx, actor, now, &root).await?;
        tx.commit().await?;
        Ok(tenant_record)
    }

    /// Changes a tenant's name or kind. Platform administrators only.
    pub async fn update_tenant(
        &self,
        actor: &Actor,
        now: Timestamp,
        id: TenantId,
        changes: &TenantChanges,
    ) -> Result<TenantRecord> {
        let before = self.get_tenant(&actor_tenant_scope(actor), id).await?;
        if !actor.platform_admin {
            return Err(StoreError::Forbidden(
                "only platform administrators change tenants".into(),
            ));
        }
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
            "tenants",
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
        let target = AuditTarget {
            tenant: Some(id),
            entity_id: None,
            entity_path: None,
            record_type: "tenant",
            record_id: id.0,
        };
        record(
            &mut tx,
            actor,
            now,
            target,
            Some(&fields(&before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// The tenants an actor may read: his own, or all for platform admins.
fn actor_tenant_scope(actor: &Actor) -> Scope {
    if actor.platform_admin {
        Scope::Platform
    } else {
        Scope::Tenant {
            tenant: actor.tenant,
            rules: Vec::new(),
        }
    }
}
