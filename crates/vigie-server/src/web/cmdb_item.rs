//! `/cmdb/{id}`: a configuration item's fields, its relations, its
//! neighbourhood drawn as an inline SVG, what its failure would take down
//! or degrade (items, business services, customers and agreements), the
//! tickets that name it and, for those who work events, its latest alerts.

use super::cmdb::{HERE, label};
use super::cmdb_graph::{Graph, Link, SIZE, layout};
use super::common::{
    PageResult, entity_name, entity_names_of, forbidden, frame, not_found, store_page,
};
use super::tickets::{priority_label, status_label};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::cmdb::{self, ImpactItem, TouchedCustomer};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use vigie_core::cmdb::IdentifierKind;
use vigie_core::ids::CiId;
use vigie_core::role::Permission;
use vigie_core::ticket::TicketAccess;

/// How many of the item's tickets, and of its alerts, the page lists.
const LISTED: u32 = 20;

/// The routes of the item page.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/cmdb/{id}", get(view))
}

/// The item as shown.
struct CiView {
    id: i64,
    name: String,
    ci_type: String,
    status: String,
    criticality: String,
    entity: String,
    identifiers: Vec<String>,
    attributes: Vec<(String, String)>,
}

/// An item reached by the failure, in the page's language.
struct ImpactRow {
    id: i64,
    name: String,
    ci_type: String,
    state: String,
}

impl ImpactRow {
    fn of(l: &Layout, i: ImpactItem) -> ImpactRow {
        ImpactRow {
            id: i.id,
            ci_type: label(l, "type", &i.ci_type),
            state: label(l, "impact", i.state),
            name: i.name,
        }
    }
}

/// A customer touched, in the page's language.
struct CustomerRow {
    customer: String,
    sla: String,
    service_id: i64,
    service_name: String,
    state: String,
}

impl CustomerRow {
    fn of(l: &Layout, c: TouchedCustomer) -> CustomerRow {
        CustomerRow {
            customer: c.customer,
            sla: c.sla.unwrap_or_default(),
            service_id: c.service_id,
            service_name: c.service_name,
            state: label(l, "impact", c.state),
        }
    }
}

/// An alert about the item.
struct AlertLine {
    source: String,
    check: String,
    summary: String,
    severity: String,
    firing: bool,
    count: i64,
    last_seen: String,
}

/// A ticket that names the item.
struct TicketLine {
    id: i64,
    number: i64,
    title: String,
    status: String,
    priority: String,
}

/// A relation seen from the item.
struct RelationRow {
    relation: String,
    other_id: i64,
    other_name: String,
    other_type: String,
}

#[derive(Template)]
#[template(path = "cmdb_item.html")]
struct CiPage {
    l: Layout,
    ci: CiView,
    outgoing: Vec<RelationRow>,
    incoming: Vec<RelationRow>,
    graph: Graph,
    size: String,
    down: Vec<ImpactRow>,
    degraded: Vec<ImpactRow>,
    services: Vec<ImpactRow>,
    customers: Vec<CustomerRow>,
    tickets: Vec<TicketLine>,
    /// The changes touching the item, for those who read changes.
    changes: Option<Vec<TicketLine>>,
    alerts: Option<Vec<AlertLine>>,
    hidden: usize,
}

async fn view(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let mut l = frame(&state, &session, &headers, "cmdb-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewCmdb) {
        return Err(forbidden(&l));
    }
    let Ok(id) = id.trim().parse::<i64>() else {
        return Err(not_found(&l));
    };
    let failed = |e| store_page(&l, e);
    let scope = actor.scope(Permission::ViewCmdb);
    let store = state.store();
    let item = store.get_ci(&scope, CiId(id)).await.map_err(failed)?;
    let relations = store
        .list_ci_relations(&scope, item.id)
        .await
        .map_err(failed)?;
    let impact = cmdb::impact(store, &scope, &[item.id])
        .await
        .map_err(failed)?;
    let names = entity_names_of(&state, &actor.reach(), vec![item.entity_id])
        .await
        .map_err(failed)?;
    // Tickets name items freely: by name, host name or alias.
    let mut refs = vec![item.name.clone()];
    refs.extend(
        item.identifiers
            .iter()
            .filter(|i| matches!(i.kind, IdentifierKind::Hostname | IdentifierKind::Alias))
            .map(|i| i.value.clone()),
    );
    let tickets = store
        .tickets_naming(&TicketAccess::of(actor), &refs, LISTED)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|t| TicketLine {
            id: t.id.0,
            number: t.number,
            status: status_label(&l, t.status),
            priority: priority_label(&l, t.priority),
            title: t.title,
        })
        .collect();
    let changes = if actor.can_anywhere(Permission::ViewChanges) {
        let found = store
            .list_changes(
                &actor.scope(Permission::ViewChanges),
                &vigie_store::ChangeFilter {
                    ci: Some(item.id),
                    ..Default::default()
                },
                vigie_store::PageRequest::first(LISTED),
            )
            .await
            .map_err(failed)?;
        Some(
            found
                .items
                .into_iter()
                .rev()
                .map(|c| TicketLine {
                    id: c.id.0,
                    number: c.number,
                    status: super::changes::status_label(&l, c.status),
                    priority: super::changes::kind_label(&l, c.kind),
                    title: c.title,
                })
                .collect(),
        )
    } else {
        None
    };
    let alerts = if actor.can_anywhere(Permission::WorkEvents) {
        let found = store
            .ci_alerts(item.tenant_id, item.id, LISTED)
            .await
            .map_err(failed)?;
        Some(
            found
                .into_iter()
                .map(|a| AlertLine {
                    firing: a.last_action != vigie_core::event::EventAction::Resolve,
                    severity: l.t(&format!("cmdb-severity-{}", a.severity)),
                    last_seen: a.last_seen.to_string(),
                    source: a.source,
                    check: a.check,
                    summary: a.summary,
                    count: a.count,
                })
                .collect(),
        )
    } else {
        None
    };
    let mut outgoing = Vec::new();
    let mut incoming = Vec::new();
    let mut links = Vec::new();
    for r in relations {
        let out = r.from_id == item.id;
        let (other_id, other_name, other_type) = if out {
            (r.to_id, r.to_name, r.to_type)
        } else {
            (r.from_id, r.from_name, r.from_type)
        };
        let relation = label(&l, "relation", r.relation.as_str());
        links.push(Link {
            id: other_id.0,
            name: other_name.clone(),
            relation: relation.clone(),
            outgoing: out,
        });
        let row = RelationRow {
            relation,
            other_id: other_id.0,
            other_name,
            other_type: label(&l, "type", other_type.as_str()),
        };
        if out {
            outgoing.push(row);
        } else {
            incoming.push(row);
        }
    }
    let (down, degraded): (Vec<_>, Vec<_>) = impact
        .items
        .into_iter()
        .filter(|i| i.id != item.id.0)
        .partition(|i| i.state == "down");
    let rows = |items: Vec<ImpactItem>| -> Vec<ImpactRow> {
        items.into_iter().map(|i| ImpactRow::of(&l, i)).collect()
    };
    let (down, degraded) = (rows(down), rows(degraded));
    let services = rows(impact.business_services);
    let customers = impact
        .customers
        .into_iter()
        .map(|c| CustomerRow::of(&l, c))
        .collect();
    l.title = item.name.clone();
    let ci = CiView {
        id: item.id.0,
        ci_type: label(&l, "type", item.ci_type.as_str()),
        status: label(&l, "status", item.status.as_str()),
        criticality: label(&l, "criticality", item.criticality.as_str()),
        entity: entity_name(&names, item.entity_id),
        identifiers: item.identifiers.iter().map(ToString::to_string).collect(),
        attributes: item.attributes.into_iter().collect(),
        name: item.name,
    };
    Ok(render(&CiPage {
        l,
        ci,
        outgoing,
        incoming,
        graph: layout(&links),
        size: format!("{SIZE:.0}"),
        down,
        degraded,
        services,
        customers,
        tickets,
        changes,
        alerts,
        hidden: impact.hidden,
    }))
}
