//! The graph of a tenant's items for impact analysis, read in three
//! queries: the items, the relations, and the customers of the business
//! services (their attributes `customers` and `sla`).

use super::attributes_of;
use crate::{Result, Store, StoreError};
use sqlx::Row;
use vigie_core::cmdb::graph::{Dependencies, Indexer};
use vigie_core::cmdb::impact::{ImpactGraph, Link, Redundancy, ServiceUse};
use vigie_core::cmdb::{CiType, RelationType};
use vigie_core::ids::{CiId, TenantId};
use vigie_core::tenancy::{EntityPath, Scope};

/// A relation over indices: from, to, type, redundancy group and needs.
pub type GraphLink = (u32, u32, RelationType, Option<(String, u32)>);

/// A tenant's items (retired ones left out) and relations, over compact
/// indices.
#[derive(Clone, Debug, Default)]
pub struct CmdbGraph {
    /// Item ids ↔ indices.
    pub index: Indexer,
    /// The type of each item.
    pub types: Vec<CiType>,
    /// The name of each item.
    pub names: Vec<String>,
    /// The entity path of each item.
    pub paths: Vec<String>,
    /// How critical each item is.
    pub criticalities: Vec<vigie_core::cmdb::Criticality>,
    /// The relations: from, to, type, redundancy group and needs.
    pub links: Vec<GraphLink>,
    /// Customers of business services: service, customer, SLA.
    pub uses: Vec<(u32, String, Option<String>)>,
}

impl CmdbGraph {
    /// The graph the core analyses.
    pub fn impact_graph(&self) -> ImpactGraph {
        let links: Vec<Link<'_>> = self
            .links
            .iter()
            .map(|(from, to, relation, redundancy)| Link {
                from: *from,
                to: *to,
                relation: *relation,
                redundancy: redundancy.as_ref().map(|(group, needs)| Redundancy {
                    group,
                    needs: *needs,
                }),
            })
            .collect();
        ImpactGraph::new(self.types.clone(), &links)
    }

    /// Who needs whom, over the same indices.
    pub fn dependencies(&self) -> Dependencies {
        let edges: Vec<(u32, u32)> = self
            .links
            .iter()
            .map(|(from, to, relation, _)| relation.dependency(*from, *to))
            .collect();
        Dependencies::new(self.types.len(), &edges)
    }

    /// The customer uses, as the core takes them.
    pub fn service_uses(&self) -> Vec<ServiceUse<'_>> {
        self.uses
            .iter()
            .map(|(service, customer, sla)| ServiceUse {
                service: *service,
                customer,
                sla: sla.as_deref(),
            })
            .collect()
    }

    /// The index of an item.
    pub fn index_of(&self, id: CiId) -> Option<u32> {
        self.index.get(id.0)
    }

    /// Whether the scope covers item `index`.
    pub fn visible(&self, scope: &Scope, tenant: TenantId, index: u32) -> bool {
        self.paths
            .get(index as usize)
            .and_then(|p| EntityPath::parse(p))
            .is_some_and(|p| scope.covers(tenant, &p))
    }
}

impl Store {
    /// Loads the graph of a tenant's items that are not retired.
    pub async fn load_cmdb_graph(&self, tenant: TenantId) -> Result<CmdbGraph> {
        let mut g = CmdbGraph::default();
        let rows = crate::sql::Sql::new(
            "SELECT id, type, name, entity_path, criticality FROM cis WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND status <> 'retired' ORDER BY id")
        .query()
        .fetch_all(self.pool())
        .await?;
        g.types.reserve(rows.len());
        for row in &rows {
            g.index.insert(row.try_get("id")?);
            let t: String = row.try_get("type")?;
            g.types.push(
                t.parse()
                    .map_err(|_| StoreError::Database(format!("unexpected type `{t}` in cis")))?,
            );
            g.names.push(row.try_get("name")?);
            g.paths.push(row.try_get("entity_path")?);
            let c: String = row.try_get("criticality")?;
            g.criticalities.push(c.parse().map_err(|_| {
                StoreError::Database(format!("unexpected criticality `{c}` in cis"))
            })?);
        }
        let rows = crate::sql::Sql::new(
            "SELECT from_id, to_id, type, redundancy_group, redundancy_needs FROM ci_relations WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .query()
        .fetch_all(self.pool())
        .await?;
        g.links.reserve(rows.len());
        for row in &rows {
            let (Some(from), Some(to)) = (
                g.index.get(row.try_get("from_id")?),
                g.index.get(row.try_get("to_id")?),
            ) else {
                continue;
            };
            let t: String = row.try_get("type")?;
            let Ok(relation) = t.parse::<RelationType>() else {
                continue;
            };
            let group: Option<String> = row.try_get("redundancy_group")?;
            let needs: Option<i64> = row.try_get("redundancy_needs")?;
            let redundancy =
                group.map(|g| (g, needs.and_then(|n| u32::try_from(n).ok()).unwrap_or(1)));
            g.links.push((from, to, relation, redundancy));
        }
        let rows = crate::sql::Sql::new("SELECT id, attributes FROM cis WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND type = 'business_service' AND status <> 'retired'")
            .query()
            .fetch_all(self.pool())
            .await?;
        for row in &rows {
            let Some(index) = g.index.get(row.try_get("id")?) else {
                continue;
            };
            let attributes = attributes_of(&row.try_get::<String, _>("attributes")?);
            let sla = attributes.get("sla").cloned();
            for customer in attributes
                .get("customers")
                .map(String::as_str)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
            {
                g.uses.push((index, customer.to_owned(), sla.clone()));
            }
        }
        Ok(g)
    }
}
