//! Bulk import of items and relations: what the tenant already holds (for
//! the core's reconciliation), and the plan written in one transaction,
//! hundreds of rows per statement, each row with its audit line. Nothing
//! is written unless the whole plan goes in.

use super::{attributes_json, attributes_of, fields};
use crate::audit::COLUMNS as AUDIT_COLUMNS;
use crate::sql::{Arg, Sql};
use crate::{EntityRecord, Result, Store, StoreError, micros};
use sqlx::Row;
use std::collections::HashMap;
use vigie_core::Timestamp;
use vigie_core::audit::{Fields, diff};
use vigie_core::cmdb::reconcile::{ImportPlan, KnownCi, KnownRelation, LineAction, Target};
use vigie_core::cmdb::{CiStatus, Criticality, Identifier, IdentifierKind};
use vigie_core::ids::{CiId, GroupId, TenantId, UserId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// What an import wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Items created.
    pub created: usize,
    /// Items updated (same name).
    pub updated: usize,
    /// Items merged (matched by identifier).
    pub merged: usize,
    /// Relations created.
    pub relations: usize,
}

/// The tenant's items and relations, as the reconciliation needs them.
#[derive(Clone, Debug, Default)]
pub struct KnownCmdb {
    /// Every item of the tenant, `reachable` when the scope covers it.
    pub items: Vec<KnownCi>,
    /// Every relation of the tenant.
    pub relations: Vec<KnownRelation>,
    places: HashMap<i64, (i64, String)>,
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T> {
    text.parse()
        .map_err(|_| StoreError::Database(format!("unexpected value `{text}` in the CMDB")))
}

fn changes_json(before: Option<&Fields>, after: Option<&Fields>) -> Result<String> {
    let empty = Fields::new();
    serde_json::to_string(&diff(before.unwrap_or(&empty), after.unwrap_or(&empty)))
        .map_err(|e| StoreError::Database(format!("audit encoding: {e}")))
}

impl Store {
    /// Reads what the tenant holds, marking the items `scope` covers.
    pub async fn known_cmdb(&self, tenant: TenantId, scope: &Scope) -> Result<KnownCmdb> {
        let mut known = KnownCmdb::default();
        let rows = Sql::new(
            "SELECT id, entity_id, entity_path, type, name, status, criticality, attributes FROM cis WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .push(" ORDER BY id")
        .query()
        .fetch_all(self.pool())
        .await?;
        let mut position: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let path: String = row.try_get("entity_path")?;
            let reachable = EntityPath::parse(&path).is_some_and(|p| scope.covers(tenant, &p));
            position.insert(id, known.items.len());
            known.items.push(KnownCi {
                id,
                ci_type: parse(&row.try_get::<String, _>("type")?)?,
                name: row.try_get("name")?,
                status: parse(&row.try_get::<String, _>("status")?)?,
                criticality: parse(&row.try_get::<String, _>("criticality")?)?,
                identifiers: Vec::new(),
                attributes: attributes_of(&row.try_get::<String, _>("attributes")?),
                reachable,
            });
            known.places.insert(id, (row.try_get("entity_id")?, path));
        }
        let rows = Sql::new("SELECT ci_id, kind, value FROM ci_identifiers WHERE tenant_id = ")
            .bind(tenant.0)
            .query()
            .fetch_all(self.pool())
            .await?;
        for row in &rows {
            let ci: i64 = row.try_get("ci_id")?;
            let kind: IdentifierKind = parse(&row.try_get::<String, _>("kind")?)?;
            if let Some(p) = position.get(&ci) {
                known.items[*p].identifiers.push(Identifier {
                    kind,
                    value: row.try_get("value")?,
                });
            }
        }
        let rows = Sql::new("SELECT from_id, to_id, type FROM ci_relations WHERE tenant_id = ")
            .bind(tenant.0)
            .query()
            .fetch_all(self.pool())
            .await?;
        for row in &rows {
            known.relations.push(KnownRelation {
                from: row.try_get("from_id")?,
                to: row.try_get("to_id")?,
                relation: parse(&row.try_get::<String, _>("type")?)?,
            });
        }
        Ok(known)
    }

    /// Writes an error-free plan in one transaction: new items go to
    /// `entity`. `progress` is told how many lines are written so far.
    pub async fn apply_cmdb_import(
        &self,
        actor: &Actor,
        entity: &EntityRecord,
        now: Timestamp,
        known: &KnownCmdb,
        plan: &ImportPlan,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<ImportOutcome> {
        if !plan.errors.is_empty() {
            return Err(StoreError::Invalid(format!(
                "the import has {} refused lines",
                plan.errors.len()
            )));
        }
        let tenant = entity.tenant_id;
        let author = (actor.user != UserId::SYSTEM).then_some(actor.user.0);
        let audit_row = |entity_id: i64,
                         path: &str,
                         action: &str,
                         kind: &str,
                         id: i64,
                         changes: String|
         -> Vec<Arg> {
            vec![
                tenant.0.into(),
                entity_id.into(),
                path.into(),
                author.into(),
                actor.login.as_str().into(),
                micros(now).into(),
                action.into(),
                kind.into(),
                id.into(),
                changes.into(),
            ]
        };
        let mut outcome = ImportOutcome::default();
        let mut done = 0;
        let mut tx = self.write_tx().await?;
        // New items, by 1,000 rows per statement (11 columns).
        let creates: Vec<(usize, &vigie_core::cmdb::reconcile::ItemPlan)> = plan
            .items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.action == LineAction::Create)
            .collect();
        let mut new_ids: HashMap<usize, i64> = HashMap::with_capacity(creates.len());
        for chunk in creates.chunks(1000) {
            let mut rows = Vec::with_capacity(chunk.len());
            for (_, item) in chunk {
                let a = &item.after;
                rows.push(vec![
                    tenant.0.into(),
                    entity.id.0.into(),
                    entity.path.as_str().into(),
                    a.ci_type.as_str().into(),
                    a.name.as_str().into(),
                    a.status.unwrap_or(CiStatus::InService).as_str().into(),
                    a.criticality.unwrap_or(Criticality::Medium).as_str().into(),
                    Arg::I64(None),
                    attributes_json(&a.attributes)?.into(),
                    micros(now).into(),
                    micros(now).into(),
                ]);
            }
            let mut sql = Sql::insert_many(
                "cis",
                &[
                    "tenant_id",
                    "entity_id",
                    "entity_path",
                    "type",
                    "name",
                    "status",
                    "criticality",
                    "owner_group_id",
                    "attributes",
                    "created_at",
                    "updated_at",
                ],
                rows,
            );
            // RETURNING order is not guaranteed: match rows by their name.
            sql.push(" RETURNING id, name");
            let sql = sql.for_backend(self.backend);
            let mut by_name: HashMap<String, i64> = HashMap::with_capacity(chunk.len());
            for row in sql.query().fetch_all(&mut *tx).await? {
                by_name.insert(row.try_get("name")?, row.try_get("id")?);
            }
            let mut identifiers: Vec<Vec<Arg>> = Vec::new();
            let mut audit: Vec<Vec<Arg>> = Vec::with_capacity(chunk.len());
            for (position, item) in chunk {
                let id = *by_name.get(&item.after.name).ok_or_else(|| {
                    StoreError::Database("an imported item was not returned".into())
                })?;
                new_ids.insert(*position, id);
                for i in &item.new_identifiers {
                    identifiers.push(vec![
                        tenant.0.into(),
                        id.into(),
                        i.kind.as_str().into(),
                        i.value.as_str().into(),
                    ]);
                }
                let record = super::CiRecord {
                    id: CiId(id),
                    tenant_id: tenant,
                    entity_id: entity.id,
                    entity_path: entity.path.clone(),
                    ci_type: item.after.ci_type,
                    name: item.after.name.clone(),
                    status: item.after.status.unwrap_or(CiStatus::InService),
                    criticality: item.after.criticality.unwrap_or(Criticality::Medium),
                    owner_group_id: None::<GroupId>,
                    attributes: item.after.attributes.clone(),
                    identifiers: item.new_identifiers.clone(),
                    created_at: now,
                    updated_at: now,
                };
                let changes = changes_json(None, Some(&fields(&record)?))?;
                audit.push(audit_row(
                    entity.id.0,
                    entity.path.as_str(),
                    "create",
                    "ci",
                    id,
                    changes,
                ));
            }
            for part in identifiers.chunks(5000) {
                Sql::insert_many(
                    "ci_identifiers",
                    &["tenant_id", "ci_id", "kind", "value"],
                    part.to_vec(),
                )
                .for_backend(self.backend)
                .query()
                .execute(&mut *tx)
                .await?;
            }
            Sql::insert_many("audit_log", &AUDIT_COLUMNS, audit)
                .for_backend(self.backend)
                .query()
                .execute(&mut *tx)
                .await?;
            outcome.created += chunk.len();
            done += chunk.len();
            progress(done);
        }
        // Updates and merges, one item at a time (they are few).
        for item in plan
            .items
            .iter()
            .filter(|i| matches!(i.action, LineAction::Update | LineAction::Merge))
        {
            let Target::Known(id) = item.target else {
                continue;
            };
            let a = &item.after;
            Sql::update(
                "cis",
                vec![
                    (
                        "status",
                        a.status.unwrap_or(CiStatus::InService).as_str().into(),
                    ),
                    (
                        "criticality",
                        a.criticality.unwrap_or(Criticality::Medium).as_str().into(),
                    ),
                    ("attributes", attributes_json(&a.attributes)?.into()),
                    ("updated_at", micros(now).into()),
                ],
                ("id", id.into()),
            )
            .query()
            .execute(&mut *tx)
            .await?;
            super::insert_identifiers(&mut tx, tenant, CiId(id), &item.new_identifiers).await?;
            let changes: Vec<vigie_core::audit::FieldChange> = item
                .changes
                .iter()
                .map(|c| vigie_core::audit::FieldChange {
                    field: c.field.clone(),
                    before: c.before.clone(),
                    after: c.after.clone(),
                })
                .collect();
            if !changes.is_empty() {
                let json = serde_json::to_string(&changes)
                    .map_err(|e| StoreError::Database(format!("audit encoding: {e}")))?;
                let (entity_id, path) = known.places.get(&id).cloned().unwrap_or_default();
                Sql::insert_many(
                    "audit_log",
                    &AUDIT_COLUMNS,
                    vec![audit_row(entity_id, &path, "update", "ci", id, json)],
                )
                .for_backend(self.backend)
                .query()
                .execute(&mut *tx)
                .await?;
            }
            match item.action {
                LineAction::Merge => outcome.merged += 1,
                _ => outcome.updated += 1,
            }
            done += 1;
        }
        // Relations, by 2,000 rows per statement (7 columns).
        let mut names: HashMap<i64, &str> = known
            .items
            .iter()
            .map(|k| (k.id, k.name.as_str()))
            .collect();
        for (position, id) in &new_ids {
            if let Some(item) = plan.items.get(*position) {
                names.insert(*id, item.name.as_str());
            }
        }
        let resolve = |t: Target| -> Result<i64> {
            match t {
                Target::Known(id) => Ok(id),
                Target::New(p) => new_ids.get(&p).copied().ok_or_else(|| {
                    StoreError::Database("a relation names an item not created".into())
                }),
            }
        };
        let creates: Vec<&vigie_core::cmdb::reconcile::RelationPlan> = plan
            .relations
            .iter()
            .filter(|r| r.action == LineAction::Create)
            .collect();
        for chunk in creates.chunks(2000) {
            let mut rows = Vec::with_capacity(chunk.len());
            for r in chunk {
                rows.push(vec![
                    tenant.0.into(),
                    resolve(r.from)?.into(),
                    resolve(r.to)?.into(),
                    r.draft.relation.as_str().into(),
                    r.draft.redundancy.as_ref().map(|x| x.0.clone()).into(),
                    r.draft.redundancy.as_ref().map(|x| i64::from(x.1)).into(),
                    micros(now).into(),
                ]);
            }
            let mut sql = Sql::insert_many(
                "ci_relations",
                &[
                    "tenant_id",
                    "from_id",
                    "to_id",
                    "type",
                    "redundancy_group",
                    "redundancy_needs",
                    "created_at",
                ],
                rows,
            );
            sql.push(" RETURNING from_id, to_id, type");
            let sql = sql.for_backend(self.backend);
            let mut audit = Vec::with_capacity(chunk.len());
            for row in sql.query().fetch_all(&mut *tx).await? {
                let from: i64 = row.try_get("from_id")?;
                let to: i64 = row.try_get("to_id")?;
                let relation = parse(&row.try_get::<String, _>("type")?)?;
                let name_of = |ci: i64| -> String {
                    names
                        .get(&ci)
                        .map(|s| (*s).to_owned())
                        .unwrap_or_else(|| ci.to_string())
                };
                let f =
                    super::relations::relation_fields(&name_of(from), &name_of(to), relation, None);
                let (entity_id, path) = known
                    .places
                    .get(&from)
                    .cloned()
                    .unwrap_or_else(|| (entity.id.0, entity.path.as_str().to_owned()));
                audit.push(audit_row(
                    entity_id,
                    &path,
                    "create",
                    "ci_relation",
                    from,
                    changes_json(None, Some(&f))?,
                ));
            }
            Sql::insert_many("audit_log", &AUDIT_COLUMNS, audit)
                .for_backend(self.backend)
                .query()
                .execute(&mut *tx)
                .await?;
            outcome.relations += chunk.len();
            done += chunk.len();
            progress(done);
        }
        super::cache::bump_revision(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}
