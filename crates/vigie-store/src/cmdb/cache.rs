//! The tenant's CMDB graph kept in memory between impact analyses.
//!
//! Loading 100,000 items and 300,000 relations takes seconds; an analysis
//! over them takes a fraction of a millisecond. Every write to a tenant's
//! items or relations raises the tenant's revision (table
//! `cmdb_revisions`) in its own transaction; a reader asks for the revision
//! first (one indexed row), and reuses the graph it holds when the number is
//! the same. The revision is read before the graph, so a graph can only be
//! newer than the revision it is filed under, never older: a change made
//! meanwhile makes the next reader reload.

use super::graph::CmdbGraph;
use crate::sql::Sql;
use crate::{Result, Store};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use vigie_core::cmdb::graph::Dependencies;
use vigie_core::cmdb::impact::ImpactGraph;
use vigie_core::ids::TenantId;

/// A tenant's graph, with the adjacency the core analyses, as of one
/// revision.
#[derive(Debug)]
pub struct LoadedGraph {
    /// The revision it was filed under.
    pub revision: i64,
    /// Items, names, places and relations.
    pub graph: CmdbGraph,
    /// The adjacency built from them.
    pub impact: ImpactGraph,
    /// Who needs whom, both ways (for change conflicts).
    pub dependencies: Dependencies,
}

/// Graphs by tenant, and one lock that makes concurrent misses load once.
#[derive(Debug, Default)]
pub(crate) struct GraphCache {
    graphs: Mutex<HashMap<TenantId, Arc<LoadedGraph>>>,
    loading: tokio::sync::Mutex<()>,
}

impl GraphCache {
    fn get(&self, tenant: TenantId, revision: i64) -> Option<Arc<LoadedGraph>> {
        let graphs = self.graphs.lock().ok()?;
        graphs
            .get(&tenant)
            .filter(|g| g.revision == revision)
            .cloned()
    }

    fn put(&self, tenant: TenantId, graph: Arc<LoadedGraph>) {
        if let Ok(mut graphs) = self.graphs.lock() {
            graphs.insert(tenant, graph);
        }
    }
}

/// Raises the tenant's CMDB revision inside the transaction that changes
/// its items or relations.
pub(crate) async fn bump_revision(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: TenantId,
) -> Result<()> {
    Sql::new("INSERT INTO cmdb_revisions (tenant_id, revision) VALUES (")
        .bind(tenant.0)
        .push(", 1) ON CONFLICT (tenant_id) DO UPDATE SET revision = cmdb_revisions.revision + 1")
        .query()
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// The tenant's CMDB revision: 0 before its first change.
    pub async fn cmdb_revision(&self, tenant: TenantId) -> Result<i64> {
        let row = Sql::new("SELECT revision FROM cmdb_revisions WHERE tenant_id = ")
            .bind(tenant.0)
            .query()
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(row) => row.try_get("revision")?,
            None => 0,
        })
    }

    /// The tenant's graph for impact analysis, from memory when nothing
    /// changed since it was loaded (one query), else loaded again.
    pub async fn cmdb_graph(&self, tenant: TenantId) -> Result<Arc<LoadedGraph>> {
        let revision = self.cmdb_revision(tenant).await?;
        if let Some(graph) = self.graphs.get(tenant, revision) {
            return Ok(graph);
        }
        let _loading = self.graphs.loading.lock().await;
        // Another reader may have loaded it while this one waited.
        let revision = self.cmdb_revision(tenant).await?;
        if let Some(graph) = self.graphs.get(tenant, revision) {
            return Ok(graph);
        }
        let graph = self.load_cmdb_graph(tenant).await?;
        let impact = graph.impact_graph();
        let dependencies = graph.dependencies();
        let loaded = Arc::new(LoadedGraph {
            revision,
            graph,
            impact,
            dependencies,
        });
        self.graphs.put(tenant, loaded.clone());
        Ok(loaded)
    }
}

impl Store {
    /// What events and mails are matched by: every identifier of the
    /// tenant's items in service or planned (host names, aliases, IPs,
    /// serials, external ids), plus each item's name as an alias.
    pub async fn ci_identifiers(
        &self,
        tenant: TenantId,
    ) -> Result<
        Vec<(
            vigie_core::ids::CiId,
            vigie_core::cmdb::IdentifierKind,
            String,
        )>,
    > {
        use vigie_core::cmdb::IdentifierKind;
        use vigie_core::ids::CiId;
        let mut out = Vec::new();
        let rows = Sql::new(
            "SELECT i.ci_id, i.kind, i.value FROM ci_identifiers i JOIN cis c ON c.id = i.ci_id \
             WHERE i.tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND c.status <> 'retired' ORDER BY i.ci_id, i.id")
        .query()
        .fetch_all(self.pool())
        .await?;
        for row in &rows {
            let kind: String = row.try_get("kind")?;
            let Ok(kind) = kind.parse::<IdentifierKind>() else {
                continue;
            };
            out.push((CiId(row.try_get("ci_id")?), kind, row.try_get("value")?));
        }
        let rows = Sql::new("SELECT id, name FROM cis WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND status <> 'retired' ORDER BY id")
            .query()
            .fetch_all(self.pool())
            .await?;
        for row in &rows {
            out.push((
                CiId(row.try_get("id")?),
                IdentifierKind::Alias,
                row.try_get("name")?,
            ));
        }
        Ok(out)
    }
}
