//! What the event processor knows of a tenant's CMDB: the identifiers that
//! match an event to an item, and each item's parents (for correlation
//! below a failing rack or feed). Built once per CMDB revision and kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use vigie_core::cmdb::{Criticality, RelationType};
use vigie_core::event::correlate::Ancestry;
use vigie_core::event::enrich::CiIndex;
use vigie_core::ids::{CiId, TenantId};
use vigie_store::{Store, StoreError};

/// A tenant's CMDB as event processing sees it.
pub struct CmdbView {
    /// The revision it was built from.
    pub revision: i64,
    /// Identifiers → items.
    pub index: CiIndex,
    /// Item → its outgoing relations (the items it sits in, runs on, is
    /// powered by…).
    parents: HashMap<CiId, Vec<(RelationType, CiId)>>,
    /// How critical each item is.
    criticality: HashMap<CiId, Criticality>,
}

impl CmdbView {
    /// How critical an item is (`None`: not in the view).
    pub fn criticality(&self, ci: CiId) -> Option<Criticality> {
        self.criticality.get(&ci).copied()
    }
}

impl Ancestry for CmdbView {
    fn parents(&self, ci: CiId) -> Vec<(RelationType, CiId)> {
        self.parents.get(&ci).cloned().unwrap_or_default()
    }
}

/// Views by tenant.
#[derive(Default)]
pub struct CmdbViews {
    views: Mutex<HashMap<TenantId, Arc<CmdbView>>>,
}

impl CmdbViews {
    /// The tenant's view, rebuilt when its CMDB changed.
    pub async fn get(&self, store: &Store, tenant: TenantId) -> Result<Arc<CmdbView>, StoreError> {
        let revision = store.cmdb_revision(tenant).await?;
        if let Some(view) = self
            .views
            .lock()
            .ok()
            .and_then(|v| v.get(&tenant).cloned())
            .filter(|v| v.revision == revision)
        {
            return Ok(view);
        }
        let identifiers = store.ci_identifiers(tenant).await?;
        let (index, refused) = CiIndex::build(
            identifiers
                .iter()
                .map(|(ci, kind, value)| (*ci, *kind, value.as_str())),
        );
        if !refused.is_empty() {
            tracing::debug!(tenant = %tenant, refused = refused.len(), "identifiers not usable for matching");
        }
        let loaded = store.cmdb_graph(tenant).await?;
        let graph = &loaded.graph;
        let mut parents: HashMap<CiId, Vec<(RelationType, CiId)>> = HashMap::new();
        for (from, to, relation, _) in &graph.links {
            parents
                .entry(CiId(graph.index.id(*from)))
                .or_default()
                .push((*relation, CiId(graph.index.id(*to))));
        }
        let criticality = graph
            .criticalities
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let i = u32::try_from(i).ok()?;
                Some((CiId(graph.index.id(i)), *c))
            })
            .collect();
        let view = Arc::new(CmdbView {
            revision,
            index,
            parents,
            criticality,
        });
        if let Ok(mut views) = self.views.lock() {
            views.insert(tenant, view.clone());
        }
        Ok(view)
    }
}
