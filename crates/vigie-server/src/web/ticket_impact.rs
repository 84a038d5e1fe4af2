//! The impact section of a ticket's page: the configuration items the
//! ticket names that the CMDB knows (by name, identifier, or `ci:ID` as
//! incidents opened from events write it), and what their failure takes
//! down: business services, customers and agreements. Shown to those who
//! read the CMDB.

use super::Layout;
use super::cmdb::label;
use crate::AppState;
use crate::cmdb;
use vigie_core::ids::CiId;
use vigie_core::role::Permission;
use vigie_core::tenancy::Actor;
use vigie_store::{StoreError, TicketRecord};

/// An item the ticket names.
pub(super) struct NamedItem {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) ci_type: String,
}

/// A business service or customer touched.
pub(super) struct Touched {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) detail: String,
    pub(super) state: String,
}

/// The section.
pub(super) struct TicketImpact {
    pub(super) items: Vec<NamedItem>,
    pub(super) down: usize,
    pub(super) degraded: usize,
    pub(super) services: Vec<Touched>,
    pub(super) customers: Vec<Touched>,
}

/// The most references looked up.
const REFS: usize = 10;

/// The section for `ticket`, or `None` when the reader does not read the
/// CMDB or the ticket names no known item.
pub(super) async fn ticket_impact(
    state: &AppState,
    l: &Layout,
    actor: &Actor,
    ticket: &TicketRecord,
) -> Result<Option<TicketImpact>, StoreError> {
    if !actor.can_anywhere(Permission::ViewCmdb) {
        return Ok(None);
    }
    let scope = actor.scope(Permission::ViewCmdb);
    let store = state.store();
    let mut found = Vec::new();
    for reference in ticket
        .ci_refs
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .take(REFS)
    {
        let by_id = reference
            .strip_prefix("ci:")
            .and_then(|n| n.parse::<i64>().ok());
        match by_id {
            Some(id) => match store.get_ci(&scope, CiId(id)).await {
                Ok(ci) => found.push(ci),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            },
            None => found.extend(store.find_cis_by_ref(&scope, reference).await?),
        }
    }
    found.retain(|c| c.tenant_id == ticket.tenant_id);
    found.sort_by_key(|c| c.id);
    found.dedup_by_key(|c| c.id);
    if found.is_empty() {
        return Ok(None);
    }
    let ids: Vec<CiId> = found.iter().map(|c| c.id).collect();
    let report = cmdb::impact(store, &scope, &ids).await?;
    let down = report.items.iter().filter(|i| i.state == "down").count();
    Ok(Some(TicketImpact {
        down,
        degraded: report.items.len() - down,
        items: found
            .into_iter()
            .map(|c| NamedItem {
                id: c.id.0,
                ci_type: label(l, "type", c.ci_type.as_str()),
                name: c.name,
            })
            .collect(),
        services: report
            .business_services
            .into_iter()
            .map(|s| Touched {
                id: s.id,
                name: s.name,
                detail: String::new(),
                state: label(l, "impact", s.state),
            })
            .collect(),
        customers: report
            .customers
            .into_iter()
            .map(|c| Touched {
                id: c.service_id,
                name: c.customer,
                detail: c.sla.unwrap_or_default(),
                state: label(l, "impact", c.state),
            })
            .collect(),
    }))
}
