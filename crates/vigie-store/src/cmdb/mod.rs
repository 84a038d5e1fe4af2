//! Configuration items, their identifiers and relations. Items belong to an
//! entity and are read through a [`Scope`]; identifiers are unique per
//! tenant and kind; each write audits itself (`record_type` `ci` and
//! `ci_relation`). Attributes are stored as a JSON object of strings.

mod cache;
mod graph;
mod import;
mod relations;

pub(crate) use cache::GraphCache;
pub use cache::LoadedGraph;
pub use graph::CmdbGraph;
pub use import::{ImportOutcome, KnownCmdb};
pub use relations::{NewRelation, RelationRecord};

use crate::audit::{AuditTarget, record};
use crate::sql::{Arg, Sql};
use crate::{EntityRecord, Page, PageRequest, Result, Store, StoreError, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::cmdb::{CiStatus, CiType, Criticality, Identifier, IdentifierKind};
use vigie_core::ids::{CiId, EntityId, GroupId, TenantId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// A configuration item as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiRecord {
    /// Its id.
    pub id: CiId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The entity it belongs to.
    pub entity_id: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// Its type.
    pub ci_type: CiType,
    /// Its name, unique in the tenant.
    pub name: String,
    /// Its lifecycle status.
    pub status: CiStatus,
    /// Its criticality.
    pub criticality: Criticality,
    /// The group that owns it.
    pub owner_group_id: Option<GroupId>,
    /// Its attributes.
    pub attributes: BTreeMap<String, String>,
    /// Its identifiers, sorted.
    pub identifiers: Vec<Identifier>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// An item to create.
#[derive(Clone, Debug)]
pub struct NewCi {
    /// Its type.
    pub ci_type: CiType,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: CiStatus,
    /// Its criticality.
    pub criticality: Criticality,
    /// The group that owns it.
    pub owner_group_id: Option<GroupId>,
    /// Its attributes.
    pub attributes: BTreeMap<String, String>,
    /// Its identifiers.
    pub identifiers: Vec<Identifier>,
}

/// Changes to an item; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct CiChanges {
    /// A new name.
    pub name: Option<String>,
    /// A new status.
    pub status: Option<CiStatus>,
    /// A new criticality.
    pub criticality: Option<Criticality>,
    /// A new owner (`Some(None)` clears it).
    pub owner_group_id: Option<Option<GroupId>>,
    /// The new attributes, all of them.
    pub attributes: Option<BTreeMap<String, String>>,
    /// The new identifiers, all of them.
    pub identifiers: Option<Vec<Identifier>>,
}

/// Which items to list.
#[derive(Clone, Debug, Default)]
pub struct CiFilter {
    /// Only this type.
    pub ci_type: Option<CiType>,
    /// Only this status.
    pub status: Option<CiStatus>,
    /// Only this criticality.
    pub criticality: Option<Criticality>,
    /// Only this entity's subtree.
    pub within: Option<EntityPath>,
    /// Only items whose name contains this text, or with this identifier value.
    pub q: Option<String>,
}

const SELECT: &str = "SELECT c.id, c.tenant_id, c.entity_id, c.entity_path, c.type, c.name, c.status, \
    c.criticality, c.owner_group_id, c.attributes, c.created_at, c.updated_at FROM cis c WHERE 1 = 1";

fn parse<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Database(format!("unexpected {column} `{text}` in cis")))
}

pub(crate) fn attributes_json(attributes: &BTreeMap<String, String>) -> Result<String> {
    serde_json::to_string(attributes)
        .map_err(|e| StoreError::Database(format!("attributes encoding: {e}")))
}

pub(crate) fn attributes_of(text: &str) -> BTreeMap<String, String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn ci_row(row: &AnyRow) -> Result<CiRecord> {
    let path: String = row.try_get("entity_path")?;
    Ok(CiRecord {
        id: CiId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("bad entity path `{path}`")))?,
        ci_type: parse(row, "type")?,
        name: row.try_get("name")?,
        status: parse(row, "status")?,
        criticality: parse(row, "criticality")?,
        owner_group_id: row
            .try_get::<Option<i64>, _>("owner_group_id")?
            .map(GroupId),
        attributes: attributes_of(&row.try_get::<String, _>("attributes")?),
        identifiers: Vec::new(),
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

pub(crate) fn identifiers_text(ids: &[Identifier]) -> Option<String> {
    let text: Vec<String> = ids.iter().map(Identifier::to_string).collect();
    Some(text.join(", ")).filter(|s| !s.is_empty())
}

pub(crate) fn fields(c: &CiRecord) -> Result<Fields> {
    Ok(vec![
        ("entity_id", Some(c.entity_id.to_string())),
        ("type", Some(c.ci_type.to_string())),
        ("name", Some(c.name.clone())),
        ("status", Some(c.status.to_string())),
        ("criticality", Some(c.criticality.to_string())),
        ("owner_group_id", c.owner_group_id.map(|g| g.to_string())),
        (
            "attributes",
            Some(attributes_json(&c.attributes)?).filter(|a| a != "{}"),
        ),
        ("identifiers", identifiers_text(&c.identifiers)),
    ])
}

pub(crate) fn target(c: &CiRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(c.tenant_id),
        entity_id: Some(c.entity_id.0),
        entity_path: Some(&c.entity_path),
        record_type: "ci",
        record_id: c.id.0,
    }
}

impl Store {
    /// Lists the items in scope, by id.
    pub async fn list_cis(
        &self,
        scope: &Scope,
        filter: &CiFilter,
        page: PageRequest,
    ) -> Result<Page<CiRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "c.tenant_id", "c.entity_path");
        if let Some(t) = filter.ci_type {
            sql.push(" AND c.type = ").bind(t.as_str());
        }
        if let Some(s) = filter.status {
            sql.push(" AND c.status = ").bind(s.as_str());
        }
        if let Some(c) = filter.criticality {
            sql.push(" AND c.criticality = ").bind(c.as_str());
        }
        if let Some(p) = &filter.within {
            sql.push(" AND c.entity_path LIKE ")
                .bind(format!("{}%", p.as_str()));
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let escaped = q
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            sql.push(" AND (LOWER(c.name) LIKE ")
                .bind(format!("%{}%", escaped.to_lowercase()))
                .push(" ESCAPE '\\' OR c.id IN (SELECT ci_id FROM ci_identifiers WHERE value = ")
                .bind(q.to_lowercase())
                .push(" OR value = ")
                .bind(q.to_uppercase())
                .push("))");
        }
        if let Some(after) = page.after {
            sql.push(" AND c.id > ").bind(after);
        }
        sql.push(" ORDER BY c.id LIMIT ").bind(page.fetch_limit());
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut items = rows.iter().map(ci_row).collect::<Result<Vec<_>>>()?;
        self.fill_identifiers(&mut items).await?;
        Ok(Page::from_rows(items, page, |c| c.id.0))
    }

    async fn fill_identifiers(&self, items: &mut [CiRecord]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new("SELECT ci_id, kind, value FROM ci_identifiers WHERE ci_id IN (");
        for (i, c) in items.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(c.id.0);
        }
        sql.push(") ORDER BY kind, value");
        for row in sql.query().fetch_all(self.pool()).await? {
            let ci: i64 = row.try_get("ci_id")?;
            let kind: IdentifierKind = parse(&row, "kind")?;
            let value: String = row.try_get("value")?;
            if let Some(c) = items.iter_mut().find(|c| c.id.0 == ci) {
                c.identifiers.push(Identifier { kind, value });
            }
        }
        Ok(())
    }

    /// Reads an item in scope.
    pub async fn get_ci(&self, scope: &Scope, id: CiId) -> Result<CiRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "c.tenant_id", "c.entity_path");
        sql.push(" AND c.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        let mut items = vec![
            row.as_ref()
                .map(ci_row)
                .transpose()?
                .ok_or(StoreError::NotFound)?,
        ];
        self.fill_identifiers(&mut items).await?;
        items.pop().ok_or(StoreError::NotFound)
    }

    /// Finds the items in scope named `name` or carrying it as an identifier
    /// value (what tickets, events and mails refer to).
    pub async fn find_cis_by_ref(&self, scope: &Scope, reference: &str) -> Result<Vec<CiRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "c.tenant_id", "c.entity_path");
        sql.push(" AND (c.name = ")
            .bind(reference.trim())
            .push(" OR c.id IN (SELECT ci_id FROM ci_identifiers WHERE value = ")
            .bind(reference.trim().to_lowercase())
            .push(" OR value = ")
            .bind(reference.trim().to_uppercase())
            .push(")) ORDER BY c.id LIMIT 20");
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut items = rows.iter().map(ci_row).collect::<Result<Vec<_>>>()?;
        self.fill_identifiers(&mut items).await?;
        Ok(items)
    }

    /// Creates an item in an entity the caller checked against his scope.
    pub async fn create_ci(
        &self,
        actor: &Actor,
        entity: &EntityRecord,
        now: Timestamp,
        new: &NewCi,
    ) -> Result<CiRecord> {
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "cis",
            vec![
                ("tenant_id", entity.tenant_id.0.into()),
                ("entity_id", entity.id.0.into()),
                ("entity_path", entity.path.as_str().into()),
                ("type", new.ci_type.as_str().into()),
                ("name", new.name.as_str().into()),
                ("status", new.status.as_str().into()),
                ("criticality", new.criticality.as_str().into()),
                ("owner_group_id", new.owner_group_id.map(|g| g.0).into()),
                ("attributes", attributes_json(&new.attributes)?.into()),
                ("created_at", micros(now).into()),
                ("updated_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let mut identifiers = new.identifiers.clone();
        identifiers.sort();
        identifiers.dedup();
        insert_identifiers(&mut tx, entity.tenant_id, CiId(id), &identifiers).await?;
        let created = CiRecord {
            id: CiId(id),
            tenant_id: entity.tenant_id,
            entity_id: entity.id,
            entity_path: entity.path.clone(),
            ci_type: new.ci_type,
            name: new.name.clone(),
            status: new.status,
            criticality: new.criticality,
            owner_group_id: new.owner_group_id,
            attributes: new.attributes.clone(),
            identifiers,
            created_at: now,
            updated_at: now,
        };
        record(
            &mut tx,
            actor,
            now,
            target(&created),
            None,
            Some(&fields(&created)?),
        )
        .await?;
        cache::bump_revision(&mut tx, entity.tenant_id).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The history of an item: its field changes and those of its outgoing
    /// relations, oldest first (at most 2,000 lines).
    pub async fn ci_history(&self, ci: &CiRecord) -> Result<Vec<crate::AuditRecord>> {
        let mut sql = Sql::new(
            "SELECT id, tenant_id, entity_id, actor_user_id, actor_label, at, action, \
             record_type, record_id, changes FROM audit_log WHERE tenant_id = ",
        );
        sql.bind(ci.tenant_id.0)
            .push(" AND record_type IN ('ci', 'ci_relation') AND record_id = ")
            .bind(ci.id.0)
            .push(" ORDER BY id LIMIT 2000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(crate::audit::audit_row).collect()
    }

    /// Changes an item in scope.
    pub async fn update_ci(
        &self,
        actor: &Actor,
        scope: &Scope,
        now: Timestamp,
        id: CiId,
        changes: &CiChanges,
    ) -> Result<CiRecord> {
        let before = self.get_ci(scope, id).await?;
        let mut after = before.clone();
        if let Some(v) = &changes.name {
            after.name = v.clone();
        }
        if let Some(v) = changes.status {
            after.status = v;
        }
        if let Some(v) = changes.criticality {
            after.criticality = v;
        }
        if let Some(v) = changes.owner_group_id {
            after.owner_group_id = v;
        }
        if let Some(v) = &changes.attributes {
            after.attributes = v.clone();
        }
        if let Some(v) = &changes.identifiers {
            after.identifiers = v.clone();
            after.identifiers.sort();
            after.identifiers.dedup();
        }
        if after == before {
            return Ok(before);
        }
        after.updated_at = now;
        let mut tx = self.write_tx().await?;
        Sql::update(
            "cis",
            vec![
                ("name", after.name.as_str().into()),
                ("status", after.status.as_str().into()),
                ("criticality", after.criticality.as_str().into()),
                ("owner_group_id", after.owner_group_id.map(|g| g.0).into()),
                ("attributes", attributes_json(&after.attributes)?.into()),
                ("updated_at", micros(now).into()),
            ],
            ("id", id.0.into()),
        )
        .query()
        .execute(&mut *tx)
        .await?;
        if after.identifiers != before.identifiers {
            Sql::new("DELETE FROM ci_identifiers WHERE ci_id = ")
                .bind(id.0)
                .query()
                .execute(&mut *tx)
                .await?;
            insert_identifiers(&mut tx, after.tenant_id, id, &after.identifiers).await?;
        }
        record(
            &mut tx,
            actor,
            now,
            target(&after),
            Some(&fields(&before)?),
            Some(&fields(&after)?),
        )
        .await?;
        cache::bump_revision(&mut tx, after.tenant_id).await?;
        tx.commit().await?;
        Ok(after)
    }
}

pub(crate) async fn insert_identifiers(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: TenantId,
    ci: CiId,
    identifiers: &[Identifier],
) -> Result<()> {
    if identifiers.is_empty() {
        return Ok(());
    }
    let rows: Vec<Vec<Arg>> = identifiers
        .iter()
        .map(|i| {
            vec![
                tenant.0.into(),
                ci.0.into(),
                i.kind.as_str().into(),
                i.value.as_str().into(),
            ]
        })
        .collect();
    Sql::insert_many(
        "ci_identifiers",
        &["tenant_id", "ci_id", "kind", "value"],
        rows,
    )
    .query()
    .execute(&mut **tx)
    .await?;
    Ok(())
}
