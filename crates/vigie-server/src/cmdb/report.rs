//! The results of an import and of an impact analysis, as the API sends
//! them and the web pages and the command line show them.

use serde::Serialize;
use utoipa::ToSchema;
use vigie_core::cmdb::impact::{Impact, ImpactState};
use vigie_core::cmdb::reconcile::{ImportPlan, LineAction};
use vigie_core::ids::TenantId;
use vigie_core::tenancy::Scope;
use vigie_store::CmdbGraph;

/// A field an import line changes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportChange {
    /// The field.
    pub field: String,
    /// Its value before.
    pub before: Option<String>,
    /// Its value after.
    pub after: Option<String>,
}

/// A value two sources disagree on: the known one is kept until a human
/// decides.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportConflict {
    /// The field.
    pub field: String,
    /// The value kept.
    pub known: String,
    /// The value of the file.
    pub incoming: String,
}

/// What one line of the file does.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportLine {
    /// The line (CSV: in the file; JSON: items then relations, from 1).
    pub line: usize,
    /// `ci` or `relation`.
    pub record: &'static str,
    /// `create`, `update`, `merge` or `unchanged`.
    pub action: &'static str,
    /// The item's name (after a merge, the known name), or `from → to`.
    pub name: String,
    /// What changes.
    pub changes: Vec<ReportChange>,
    /// What a human must decide.
    pub conflicts: Vec<ReportConflict>,
}

/// A refused line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportError {
    /// The line (0: the file as a whole).
    pub line: usize,
    /// Why it is refused.
    pub message: String,
}

/// The preview or the result of an import.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Whether this was only a preview.
    pub dry_run: bool,
    /// Whether the import was written (never when a line is refused).
    pub applied: bool,
    /// Items created.
    pub created: usize,
    /// Items updated (same name).
    pub updated: usize,
    /// Items merged into an item known by its identifiers.
    pub merged: usize,
    /// Lines with nothing to change.
    pub unchanged: usize,
    /// Relations created.
    pub relations_created: usize,
    /// What each accepted line does (unchanged lines left out).
    pub lines: Vec<ReportLine>,
    /// The refused lines.
    pub errors: Vec<ReportError>,
}

impl ImportReport {
    /// The report of a plan.
    pub fn of(plan: &ImportPlan, dry_run: bool) -> ImportReport {
        let items = |a: LineAction| plan.items.iter().filter(|i| i.action == a).count();
        let mut lines: Vec<ReportLine> = plan
            .items
            .iter()
            .filter(|i| i.action != LineAction::Unchanged || !i.conflicts.is_empty())
            .map(|i| ReportLine {
                line: i.line,
                record: "ci",
                action: i.action.as_str(),
                name: i.name.clone(),
                changes: i
                    .changes
                    .iter()
                    .map(|c| ReportChange {
                        field: c.field.clone(),
                        before: c.before.clone(),
                        after: c.after.clone(),
                    })
                    .collect(),
                conflicts: i
                    .conflicts
                    .iter()
                    .map(|c| ReportConflict {
                        field: c.field.clone(),
                        known: c.known.clone(),
                        incoming: c.incoming.clone(),
                    })
                    .collect(),
            })
            .collect();
        lines.extend(
            plan.relations
                .iter()
                .filter(|r| r.action == LineAction::Create)
                .map(|r| ReportLine {
                    line: r.line,
                    record: "relation",
                    action: r.action.as_str(),
                    name: format!("{} {} {}", r.draft.from, r.draft.relation, r.draft.to),
                    changes: Vec::new(),
                    conflicts: Vec::new(),
                }),
        );
        ImportReport {
            dry_run,
            applied: false,
            created: items(LineAction::Create),
            updated: items(LineAction::Update),
            merged: items(LineAction::Merge),
            unchanged: plan.count(LineAction::Unchanged),
            relations_created: plan
                .relations
                .iter()
                .filter(|r| r.action == LineAction::Create)
                .count(),
            lines,
            errors: plan
                .errors
                .iter()
                .map(|e| ReportError {
                    line: e.line,
                    message: e.message.clone(),
                })
                .collect(),
        }
    }
}

/// An item reached by a failure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImpactItem {
    /// The item.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ci_type: String,
    /// `down` or `degraded`.
    pub state: &'static str,
    /// The item whose failure reached it first, when it is visible.
    pub cause_id: Option<i64>,
    /// That item's name.
    pub cause_name: Option<String>,
}

/// A customer whose service is reached.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TouchedCustomer {
    /// The customer, as the service's attribute `customers` names it.
    pub customer: String,
    /// The agreement, from the service's attribute `sla`.
    pub sla: Option<String>,
    /// The business service.
    pub service_id: i64,
    /// Its name.
    pub service_name: String,
    /// `down` or `degraded`.
    pub state: &'static str,
}

/// The result of an impact analysis.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImpactReport {
    /// Every item reached, the failing ones included, down first.
    pub items: Vec<ImpactItem>,
    /// The business services reached.
    pub business_services: Vec<ImpactItem>,
    /// The customers and agreements touched.
    pub customers: Vec<TouchedCustomer>,
    /// Items reached outside the caller's scope (not listed).
    pub hidden: usize,
}

impl ImpactReport {
    /// Shapes the result of the core for `scope`.
    pub fn of(graph: &CmdbGraph, impact: &Impact, scope: &Scope, tenant: TenantId) -> ImpactReport {
        let visible = |i: u32| graph.visible(scope, tenant, i);
        let item = |(i, state): (u32, ImpactState)| {
            let cause = impact.cause(i).filter(|c| visible(*c));
            ImpactItem {
                id: graph.index.id(i),
                name: graph.names[i as usize].clone(),
                ci_type: graph.types[i as usize].to_string(),
                state: state.as_str(),
                cause_id: cause.map(|c| graph.index.id(c)),
                cause_name: cause.map(|c| graph.names[c as usize].clone()),
            }
        };
        let mut hidden = 0;
        let mut items = Vec::new();
        for (i, s) in impact.impacted() {
            if visible(i) {
                items.push(item((i, s)));
            } else {
                hidden += 1;
            }
        }
        items.sort_by_key(|i| (i.state != "down", i.name.clone()));
        let business_services = impact
            .business_services()
            .filter(|(i, _)| visible(*i))
            .map(item)
            .collect();
        let uses = graph.service_uses();
        let customers = impact
            .touched(&uses)
            .into_iter()
            .filter(|(u, _)| visible(u.service))
            .map(|(u, state)| TouchedCustomer {
                customer: u.customer.to_owned(),
                sla: u.sla.map(str::to_owned),
                service_id: graph.index.id(u.service),
                service_name: graph.names[u.service as usize].clone(),
                state: state.as_str(),
            })
            .collect();
        ImpactReport {
            items,
            business_services,
            customers,
            hidden,
        }
    }
}
