//! `/audit`: the audit log in the reader's scope, filtered by kind of record
//! and record id, page after page.

use super::common::{
    Choice, PAGE_SIZE, PageResult, forbidden, frame, link, narrowed, parse_id, store_page, utc,
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
use vigie_core::role::Permission;
use vigie_store::{AuditFilter, AuditRecord, PageRequest};

const HERE: &str = "/audit";

/// The kinds of audited record.
const RECORD_TYPES: [&str; 6] = ["tenant", "entity", "user", "grant", "group", "token"];

/// The routes of the audit page.
pub(super) fn router() -> Router<AppState> {
    Router::new().route(HERE, get(list))
}

/// One field's change.
struct ChangeRow {
    field: String,
    before: String,
    after: String,
}

/// One line of the log.
struct AuditRow {
    id: i64,
    at: String,
    who: String,
    who_link: Option<String>,
    action: String,
    record: String,
    record_link: Option<String>,
    changes: Vec<ChangeRow>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    l: Layout,
    record_type: String,
    record_id: String,
    types: Vec<Choice>,
    rows: Vec<AuditRow>,
    next: Option<String>,
    first: Option<String>,
}

/// The filters and position.
#[derive(Deserialize)]
pub(super) struct AuditQuery {
    #[serde(default)]
    record_type: String,
    #[serde(default)]
    record_id: String,
    #[serde(default)]
    after: String,
}

/// Where a record can be seen, if it has a page.
fn record_link(record_type: &str, id: i64) -> Option<String> {
    match record_type {
        "user" => Some(format!("/admin/users/{id}")),
        "group" => Some(format!("/admin/groups/{id}")),
        _ => None,
    }
}

/// A value of a change, or a dash when absent.
fn shown(v: Option<String>) -> String {
    v.unwrap_or_else(|| "—".to_owned())
}

fn row(l: &Layout, a: AuditRecord) -> AuditRow {
    let type_label = if RECORD_TYPES.contains(&a.record_type.as_str()) {
        l.t(&format!("record-{}", a.record_type))
    } else {
        a.record_type.clone()
    };
    AuditRow {
        id: a.id,
        at: utc(a.at),
        who: a.actor_label,
        who_link: a.actor_user_id.map(|u| format!("/admin/users/{u}")),
        action: match a.action.as_str() {
            "create" | "update" | "delete" => l.t(&format!("audit-action-{}", a.action)),
            other => other.to_owned(),
        },
        record: format!("{type_label} #{}", a.record_id),
        record_link: record_link(&a.record_type, a.record_id),
        changes: a
            .changes
            .into_iter()
            .map(|c| ChangeRow {
                field: c.field,
                before: shown(c.before),
                after: shown(c.after),
            })
            .collect(),
    }
}

async fn list(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Query(query): Query<AuditQuery>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "audit-title", HERE).await?;
    let actor = &session.actor;
    if !actor.can_anywhere(Permission::ViewAudit) {
        return Err(forbidden(&l));
    }
    let scope = narrowed(&state, &session, actor.scope(Permission::ViewAudit))
        .await
        .map_err(|e| store_page(&l, e))?;
    let record_type = Some(query.record_type.trim())
        .filter(|t| RECORD_TYPES.contains(t))
        .map(str::to_owned);
    let record_id = parse_id(&query.record_id);
    let filter = AuditFilter {
        record_type: record_type.clone(),
        record_id,
        actor_user_id: None,
        newest_first: true,
    };
    let after = parse_id(&query.after);
    let page = state
        .store()
        .list_audit(
            &scope,
            &filter,
            PageRequest {
                after,
                limit: PAGE_SIZE,
            },
        )
        .await
        .map_err(|e| store_page(&l, e))?;
    let record_type = record_type.unwrap_or_default();
    let record_id = record_id.map(|n| n.to_string()).unwrap_or_default();
    let params = |after: Option<i64>| {
        let mut p = vec![
            ("record_type", record_type.clone()),
            ("record_id", record_id.clone()),
        ];
        if let Some(a) = after {
            p.push(("after", a.to_string()));
        }
        link(HERE, &p)
    };
    let next = page.next_after.map(|n| params(Some(n)));
    let first = after.map(|_| params(None));
    let mut types = vec![Choice::keyed(&l, "", "audit-all-records")];
    types.extend(
        RECORD_TYPES
            .iter()
            .map(|t| Choice::keyed(&l, t, &format!("record-{t}"))),
    );
    let rows = page.items.into_iter().map(|a| row(&l, a)).collect();
    Ok(render(&AuditPage {
        l,
        record_type,
        record_id,
        types,
        rows,
        next,
        first,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_with_a_page_are_linked() {
        assert_eq!(record_link("user", 3).as_deref(), Some("/admin/users/3"));
        assert_eq!(record_link("group", 4).as_deref(), Some("/admin/groups/4"));
        assert_eq!(record_link("token", 5), None);
        assert_eq!(shown(None), "—");
        assert_eq!(shown(Some("x".into())), "x");
    }
}
