//! `/cmdb`: the configuration items the user may read, filtered by type
//! and text, fifty to a page. The item page is in [`super::cmdb_item`].

use super::common::{
    PAGE_SIZE, PageResult, forbidden, frame, link, narrowed, parse_id, store_page,
};
use super::{Layout, render};
use crate::AppState;
use crate::auth::WebSession;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use serde::Deserialize;
use vigie_core::cmdb::CiType;
use vigie_core::role::Permission;
use vigie_store::{CiFilter, PageRequest};

/// The path of the list, and the navigation section of the CMDB pages.
pub(super) const HERE: &str = "/cmdb";

/// The routes of the list.
pub(super) fn router() -> Router<AppState> {
    Router::new().route(HERE, get(list))
}

/// The words of the CMDB vocabulary in the page's language: `kind` is
/// `type`, `status`, `criticality`, `relation` or `impact`, `value` the
/// name the API uses (`power_feed`, `located_in`…).
pub(super) fn label(l: &Layout, kind: &str, value: &str) -> String {
    l.t(&format!("ci-{kind}-{value}"))
}

/// One line of the list.
struct CiRow {
    id: i64,
    name: String,
    ci_type: String,
    status: String,
    criticality: String,
}

#[derive(Template)]
#[template(path = "cmdb.html")]
struct CmdbPage {
    l: Layout,
    rows: Vec<CiRow>,
    types: Vec<(String, String)>,
    ci_type: String,
    q: String,
    next: Option<String>,
    first: Option<String>,
}

/// The list's filters and position.
#[derive(Deserialize)]
pub(super) struct ListQuery {
    #[serde(default, rename = "type")]
    ci_type: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

async fn list(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "cmdb-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewCmdb) {
        return Err(forbidden(&l));
    }
    let failed = |e| store_page(&l, e);
    let scope = narrowed(&state, &session, actor.scope(Permission::ViewCmdb))
        .await
        .map_err(failed)?;
    // An unknown type is no filter: the select only offers known ones.
    let ci_type = query.ci_type.trim().parse::<CiType>().ok();
    let text = query.q.trim();
    let filter = CiFilter {
        ci_type,
        q: (!text.is_empty()).then(|| text.to_owned()),
        ..CiFilter::default()
    };
    let after = parse_id(&query.after);
    let page = state
        .store()
        .list_cis(
            &scope,
            &filter,
            PageRequest {
                after,
                limit: PAGE_SIZE,
            },
        )
        .await
        .map_err(failed)?;
    let rows = page
        .items
        .into_iter()
        .map(|c| CiRow {
            id: c.id.0,
            ci_type: label(&l, "type", c.ci_type.as_str()),
            status: label(&l, "status", c.status.as_str()),
            criticality: label(&l, "criticality", c.criticality.as_str()),
            name: c.name,
        })
        .collect();
    let type_value = ci_type.map(|t| t.to_string()).unwrap_or_default();
    let params = |after: String| {
        vec![
            ("type", type_value.clone()),
            ("q", text.to_owned()),
            ("after", after),
        ]
    };
    let next = page.next_after.map(|n| link(HERE, &params(n.to_string())));
    let first = after.map(|_| link(HERE, &params(String::new())));
    let types = CiType::ALL
        .iter()
        .map(|t| (t.as_str().to_owned(), label(&l, "type", t.as_str())))
        .collect();
    Ok(render(&CmdbPage {
        l,
        rows,
        types,
        ci_type: type_value,
        q: text.to_owned(),
        next,
        first,
    }))
}
