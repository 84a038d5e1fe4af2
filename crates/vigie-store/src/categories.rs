//! Ticket categories: a tree per tenant, each saying whether it serves
//! incidents, requests or both.

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, get_bool, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{CategoryId, TenantId};
use vigie_core::tenancy::Actor;

/// A category as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryRecord {
    /// Its id.
    pub id: CategoryId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its parent category.
    pub parent_id: Option<CategoryId>,
    /// Its name, unique among its siblings.
    pub name: String,
    /// `incident`, `request` or `both`.
    pub applies_to: String,
    /// Whether new tickets may use it.
    pub active: bool,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A category to create or the new values of one.
#[derive(Clone, Debug)]
pub struct CategoryInput {
    /// Its parent (same tenant).
    pub parent_id: Option<CategoryId>,
    /// Its name.
    pub name: String,
    /// `incident`, `request` or `both`.
    pub applies_to: String,
    /// Whether new tickets may use it.
    pub active: bool,
}

const SELECT: &str = "SELECT id, tenant_id, parent_id, name, applies_to, active, created_at, updated_at \
    FROM categories WHERE 1 = 1";

fn category_row(row: &AnyRow) -> Result<CategoryRecord> {
    Ok(CategoryRecord {
        id: CategoryId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        parent_id: row.try_get::<Option<i64>, _>("parent_id")?.map(CategoryId),
        name: row.try_get("name")?,
        applies_to: row.try_get("applies_to")?,
        active: get_bool(row, "active")?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn fields(c: &CategoryRecord) -> Fields {
    vec![
        ("name", Some(c.name.clone())),
        ("parent_id", c.parent_id.map(|p| p.to_string())),
        ("applies_to", Some(c.applies_to.clone())),
        ("active", Some(c.active.to_string())),
    ]
}

fn target(c: &CategoryRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(c.tenant_id),
        entity_id: None,
        entity_path: None,
        record_type: "category",
        record_id: c.id.0,
    }
}

impl Store {
    /// Lists a tenant's categories, by id.
    pub async fn list_categories(&self, tenant: TenantId) -> Result<Vec<CategoryRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND tenant_id = ")
            .bind(tenant.0)
            .push(" ORDER BY id LIMIT 5000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(category_row).collect()
    }

    /// Reads one category of a tenant.
    pub async fn get_category(&self, tenant: TenantId, id: CategoryId) -> Result<CategoryRecord> {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND tenant_id = ")
            .bind(tenant.0)
            .push(" AND id = ")
            .bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(category_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Creates a category in a tenant.
    pub async fn create_category(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        input: &CategoryInput,
    ) -> Result<CategoryRecord> {
        if let Some(parent) = input.parent_id {
            self.get_category(tenant, parent).await?;
        }
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "categories",
            vec![
                ("tenant_id", tenant.0.into()),
                ("parent_id", input.parent_id.map(|p| p.0).into()),
                ("name", input.name.as_str().into()),
                ("applies_to", input.applies_to.as_str().into()),
                ("active", input.active.into()),
                ("created_at", micros(now).into()),
                ("updated_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let created = CategoryRecord {
            id: CategoryId(id),
            tenant_id: tenant,
            parent_id: input.parent_id,
            name: input.name.clone(),
            applies_to: input.applies_to.clone(),
            active: input.active,
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

    /// Changes a category of a tenant. A category cannot become its own
    /// ancestor.
    pub async fn update_category(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        id: CategoryId,
        input: &CategoryInput,
    ) -> Result<CategoryRecord> {
        let before = self.get_category(tenant, id).await?;
        let mut ancestor = input.parent_id;
        while let Some(a) = ancestor {
            if a == id {
                return Err(StoreError::Invalid(
                    "a category cannot be placed under itself".into(),
                ));
            }
            ancestor = self.get_category(tenant, a).await?.parent_id;
        }
        let after = CategoryRecord {
            parent_id: input.parent_id,
            name: input.name.clone(),
            applies_to: input.applies_to.clone(),
            active: input.active,
            updated_at: now,
            ..before.clone()
        };
        let mut tx = self.write_tx().await?;
        Sql::update(
            "categories",
            vec![
                ("parent_id", after.parent_id.map(|p| p.0).into()),
                ("name", after.name.as_str().into()),
                ("applies_to", after.applies_to.as_str().into()),
                ("active", after.active.into()),
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
}
