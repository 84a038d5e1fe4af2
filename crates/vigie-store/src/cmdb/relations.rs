//! Relations between items: listed with both ends in scope, added after the
//! core's type and cycle rules, deleted; each change audited on the source
//! item's entity (`record_type` `ci_relation`).

use super::CiRecord;
use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::cmdb::graph::{Indexer, find_cycle};
use vigie_core::cmdb::rules::RuleError;
use vigie_core::cmdb::{CiType, RelationType};
use vigie_core::ids::{CiId, CiRelationId, TenantId};
use vigie_core::tenancy::{Actor, Scope};

/// A relation, with the names and types of its ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelationRecord {
    /// Its id.
    pub id: CiRelationId,
    /// The source item.
    pub from_id: CiId,
    /// The source's name.
    pub from_name: String,
    /// The source's type.
    pub from_type: CiType,
    /// The target item.
    pub to_id: CiId,
    /// The target's name.
    pub to_name: String,
    /// The target's type.
    pub to_type: CiType,
    /// The relation type.
    pub relation: RelationType,
    /// The redundancy group, if any.
    pub redundancy_group: Option<String>,
    /// How many members of the group must be up.
    pub redundancy_needs: Option<i64>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// A relation to add.
#[derive(Clone, Debug)]
pub struct NewRelation {
    /// The source item.
    pub from: CiId,
    /// The target item.
    pub to: CiId,
    /// The relation type.
    pub relation: RelationType,
    /// The redundancy group and how many of it must be up.
    pub redundancy: Option<(String, u32)>,
}

const SELECT: &str = "SELECT r.id, r.from_id, a.name AS from_name, a.type AS from_type, r.to_id, \
    b.name AS to_name, b.type AS to_type, r.type, r.redundancy_group, r.redundancy_needs, r.created_at \
    FROM ci_relations r JOIN cis a ON a.id = r.from_id JOIN cis b ON b.id = r.to_id WHERE 1 = 1";

fn named<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Database(format!("unexpected {column} `{text}` in ci_relations")))
}

fn relation_row(row: &AnyRow) -> Result<RelationRecord> {
    Ok(RelationRecord {
        id: CiRelationId(row.try_get("id")?),
        from_id: CiId(row.try_get("from_id")?),
        from_name: row.try_get("from_name")?,
        from_type: named(row, "from_type")?,
        to_id: CiId(row.try_get("to_id")?),
        to_name: row.try_get("to_name")?,
        to_type: named(row, "to_type")?,
        relation: named(row, "type")?,
        redundancy_group: row.try_get("redundancy_group")?,
        redundancy_needs: row.try_get("redundancy_needs")?,
        created_at: from_micros(row.try_get("created_at")?),
    })
}

pub(crate) fn relation_fields(
    from: &str,
    to: &str,
    relation: RelationType,
    redundancy: Option<&(String, u32)>,
) -> Fields {
    vec![
        ("from", Some(from.to_owned())),
        ("type", Some(relation.to_string())),
        ("to", Some(to.to_owned())),
        (
            "redundancy",
            redundancy.map(|(g, n)| format!("{g} (needs {n})")),
        ),
    ]
}

/// Relation lines are filed under their source item, so that an item's
/// history holds its relations' changes too.
fn relation_target(from: &CiRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(from.tenant_id),
        entity_id: Some(from.entity_id.0),
        entity_path: Some(&from.entity_path),
        record_type: "ci_relation",
        record_id: from.id.0,
    }
}

impl Store {
    /// Lists the relations of an item in scope whose other end is in scope
    /// too, outgoing first.
    pub async fn list_ci_relations(&self, scope: &Scope, ci: CiId) -> Result<Vec<RelationRecord>> {
        let item = self.get_ci(scope, ci).await?;
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "a.tenant_id", "a.entity_path");
        sql.scope(scope, "b.tenant_id", "b.entity_path");
        sql.push(" AND r.tenant_id = ")
            .bind(item.tenant_id.0)
            .push(" AND (r.from_id = ")
            .bind(ci.0)
            .push(" OR r.to_id = ")
            .bind(ci.0)
            .push(") ORDER BY r.id LIMIT 2000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut out = rows.iter().map(relation_row).collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|r| (r.from_id != ci, r.id));
        Ok(out)
    }

    /// Lists every relation whose two ends are in scope, by id (exports).
    pub async fn list_all_ci_relations(&self, scope: &Scope) -> Result<Vec<RelationRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "a.tenant_id", "a.entity_path");
        sql.scope(scope, "b.tenant_id", "b.entity_path");
        sql.push(" ORDER BY r.id");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(relation_row).collect()
    }

    /// Adds a relation between two items in scope, if the core's rules allow
    /// it: the types must fit and acyclic relation types must stay acyclic.
    pub async fn add_ci_relation(
        &self,
        actor: &Actor,
        scope: &Scope,
        now: Timestamp,
        new: &NewRelation,
    ) -> Result<RelationRecord> {
        let from = self.get_ci(scope, new.from).await?;
        let to = self.get_ci(scope, new.to).await?;
        if from.tenant_id != to.tenant_id {
            return Err(StoreError::NotFound);
        }
        new.relation
            .check_types(from.ci_type, to.ci_type)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        if new.relation.acyclic() {
            if from.id == to.id {
                return Err(StoreError::Invalid(
                    RuleError::SelfLoop(new.relation).to_string(),
                ));
            }
            self.refuse_cycle(from.tenant_id, new).await?;
        }
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "ci_relations",
            vec![
                ("tenant_id", from.tenant_id.0.into()),
                ("from_id", from.id.0.into()),
                ("to_id", to.id.0.into()),
                ("type", new.relation.as_str().into()),
                (
                    "redundancy_group",
                    new.redundancy.as_ref().map(|r| r.0.clone()).into(),
                ),
                (
                    "redundancy_needs",
                    new.redundancy.as_ref().map(|r| i64::from(r.1)).into(),
                ),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let fields = relation_fields(&from.name, &to.name, new.relation, new.redundancy.as_ref());
        record(
            &mut tx,
            actor,
            now,
            relation_target(&from),
            None,
            Some(&fields),
        )
        .await?;
        super::cache::bump_revision(&mut tx, from.tenant_id).await?;
        tx.commit().await?;
        Ok(RelationRecord {
            id: CiRelationId(id),
            from_id: from.id,
            from_name: from.name,
            from_type: from.ci_type,
            to_id: to.id,
            to_name: to.name,
            to_type: to.ci_type,
            relation: new.relation,
            redundancy_group: new.redundancy.as_ref().map(|r| r.0.clone()),
            redundancy_needs: new.redundancy.as_ref().map(|r| i64::from(r.1)),
            created_at: now,
        })
    }

    async fn refuse_cycle(&self, tenant: TenantId, new: &NewRelation) -> Result<()> {
        let rows = Sql::new("SELECT from_id, to_id FROM ci_relations WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND type = ")
            .bind(new.relation.as_str())
            .query()
            .fetch_all(self.pool())
            .await?;
        let mut ix = Indexer::new();
        let mut edges = Vec::with_capacity(rows.len() + 1);
        for row in &rows {
            let a = ix.insert(row.try_get("from_id")?);
            let b = ix.insert(row.try_get("to_id")?);
            edges.push((a, b));
        }
        edges.push((ix.insert(new.from.0), ix.insert(new.to.0)));
        match find_cycle(ix.len(), &edges) {
            Some(_) => Err(StoreError::Invalid(
                RuleError::Cycle(new.relation).to_string(),
            )),
            None => Ok(()),
        }
    }

    /// Deletes a relation of an item in scope (either end).
    pub async fn delete_ci_relation(
        &self,
        actor: &Actor,
        scope: &Scope,
        now: Timestamp,
        ci: CiId,
        relation: CiRelationId,
    ) -> Result<()> {
        let found = self
            .list_ci_relations(scope, ci)
            .await?
            .into_iter()
            .find(|r| r.id == relation)
            .ok_or(StoreError::NotFound)?;
        let from = self.get_ci(scope, found.from_id).await?;
        let mut tx = self.write_tx().await?;
        Sql::new("DELETE FROM ci_relations WHERE id = ")
            .bind(relation.0)
            .query()
            .execute(&mut *tx)
            .await?;
        let redundancy = found.redundancy_group.clone().map(|g| {
            (
                g,
                u32::try_from(found.redundancy_needs.unwrap_or(1)).unwrap_or(1),
            )
        });
        let fields = relation_fields(
            &found.from_name,
            &found.to_name,
            found.relation,
            redundancy.as_ref(),
        );
        record(
            &mut tx,
            actor,
            now,
            relation_target(&from),
            Some(&fields),
            None,
        )
        .await?;
        super::cache::bump_revision(&mut tx, from.tenant_id).await?;
        tx.commit().await?;
        Ok(())
    }
}
