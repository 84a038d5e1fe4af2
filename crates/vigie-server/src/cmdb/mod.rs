//! The CMDB use cases the API, the web UI and the command line share:
//! import (plan with the core, write with the store), export, and impact
//! analysis with its result shaped for display.

pub mod file;
mod report;

pub use report::{
    ImpactItem, ImpactReport, ImportReport, ReportChange, ReportConflict, ReportError, ReportLine,
    TouchedCustomer,
};

use file::{CmdbFile, FileItem, FileRelation, ParsedFile};
use vigie_core::Timestamp;
use vigie_core::cmdb::reconcile::plan;
use vigie_core::ids::CiId;
use vigie_core::tenancy::{Actor, Scope};
use vigie_store::{CiFilter, EntityRecord, PageRequest, Store, StoreError};

/// Who imports where, and when.
pub struct ImportJob<'a> {
    /// The importer.
    pub actor: &'a Actor,
    /// His scope for changing items.
    pub scope: &'a Scope,
    /// The entity new items belong to.
    pub entity: &'a EntityRecord,
    /// The time of the import.
    pub now: Timestamp,
}

/// Plans an import and, unless `dry_run` or a line is refused, writes it
/// all in one transaction. `progress` is told how many lines are written.
pub async fn import(
    store: &Store,
    job: &ImportJob<'_>,
    parsed: ParsedFile,
    dry_run: bool,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<ImportReport, StoreError> {
    let known = store.known_cmdb(job.entity.tenant_id, job.scope).await?;
    let mut planned = plan(
        &known.items,
        &known.relations,
        &parsed.items,
        &parsed.relations,
    );
    planned.errors.extend(parsed.errors);
    planned.errors.sort_by_key(|e| e.line);
    let mut report = ImportReport::of(&planned, dry_run);
    if !dry_run && planned.errors.is_empty() {
        store
            .apply_cmdb_import(job.actor, job.entity, job.now, &known, &planned, progress)
            .await?;
        report.applied = true;
    }
    Ok(report)
}

/// The items (and relations between them) in scope, in the import format.
pub async fn export(
    store: &Store,
    scope: &Scope,
    filter: &CiFilter,
) -> Result<CmdbFile, StoreError> {
    let mut file = CmdbFile::default();
    let mut page = PageRequest::first(500);
    let mut names = std::collections::HashSet::new();
    loop {
        let got = store.list_cis(scope, filter, page).await?;
        for c in got.items {
            names.insert(c.id);
            file.items.push(FileItem {
                ci_type: c.ci_type.to_string(),
                name: c.name,
                status: Some(c.status.to_string()),
                criticality: Some(c.criticality.to_string()),
                identifiers: c.identifiers.iter().map(ToString::to_string).collect(),
                attributes: c.attributes,
            });
        }
        match got.next_after {
            Some(after) => page.after = Some(after),
            None => break,
        }
    }
    for r in store.list_all_ci_relations(scope).await? {
        if names.contains(&r.from_id) && names.contains(&r.to_id) {
            file.relations.push(FileRelation {
                from: r.from_name,
                to: r.to_name,
                relation: r.relation.to_string(),
                redundancy_group: r.redundancy_group,
                redundancy_needs: r.redundancy_needs.and_then(|n| u32::try_from(n).ok()),
            });
        }
    }
    Ok(file)
}

/// What fails when the items `failing` (all in `scope`, of one tenant)
/// fail. The analysis covers the tenant's whole estate (a region's service
/// may run in the data centre's racks); the result lists only what the
/// scope covers, and counts the rest. The graph comes from the store's
/// per-tenant cache: one query when the CMDB has not changed.
pub async fn impact(
    store: &Store,
    scope: &Scope,
    failing: &[CiId],
) -> Result<ImpactReport, StoreError> {
    let mut tenant = None;
    for id in failing.iter().take(100) {
        let ci = store.get_ci(scope, *id).await?;
        if tenant.is_some_and(|t| t != ci.tenant_id) {
            return Err(StoreError::Invalid(
                "the failing items must belong to one tenant".into(),
            ));
        }
        tenant = Some(ci.tenant_id);
    }
    let Some(tenant) = tenant else {
        return Err(StoreError::Invalid("name at least one failing item".into()));
    };
    let loaded = store.cmdb_graph(tenant).await?;
    let graph = &loaded.graph;
    let indices: Vec<u32> = failing
        .iter()
        .filter_map(|id| graph.index_of(*id))
        .collect();
    let result = loaded.impact.impact(&indices);
    Ok(ImpactReport::of(graph, &result, scope, tenant))
}
