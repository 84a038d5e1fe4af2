//! `/cmdb/{id}`: a configuration item's fields, its relations, its
//! neighbourhood drawn as an inline SVG, and what its failure would take
//! down or degrade.

use super::cmdb::HERE;
use super::cmdb_graph::{Graph, Link, SIZE, layout};
use super::common::{
    PageResult, entity_name, entity_names_of, forbidden, frame, not_found, store_page,
};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::cmdb::{self, ImpactItem};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use vigie_core::ids::CiId;
use vigie_core::role::Permission;

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
    down: Vec<ImpactItem>,
    degraded: Vec<ImpactItem>,
    services: Vec<ImpactItem>,
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
        links.push(Link {
            id: other_id.0,
            name: other_name.clone(),
            relation: r.relation.to_string(),
            outgoing: out,
        });
        let row = RelationRow {
            relation: r.relation.to_string(),
            other_id: other_id.0,
            other_name,
            other_type: other_type.to_string(),
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
    l.title = item.name.clone();
    let ci = CiView {
        id: item.id.0,
        ci_type: item.ci_type.to_string(),
        status: item.status.to_string(),
        criticality: item.criticality.to_string(),
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
        services: impact.business_services,
        hidden: impact.hidden,
    }))
}
