//! `/api/v1/audit`: who changed which field of which record, and when.

use super::page::page_type;
use super::{ApiQuery, PageParams, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::UserId;
use vigie_core::role::Permission;
use vigie_store::{AuditFilter, AuditRecord};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// One field's change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    field: String,
    before: Option<String>,
    after: Option<String>,
}

/// A line of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    id: i64,
    tenant_id: Option<i64>,
    actor_user_id: Option<i64>,
    /// The writer's login, or `system`.
    actor: String,
    at: String,
    /// `create`, `update` or `delete`.
    action: String,
    record_type: String,
    record_id: i64,
    changes: Vec<ChangeOut>,
}

impl From<AuditRecord> for AuditOut {
    fn from(a: AuditRecord) -> Self {
        AuditOut {
            id: a.id,
            tenant_id: a.tenant_id.map(|t| t.0),
            actor_user_id: a.actor_user_id.map(|u| u.0),
            actor: a.actor_label,
            at: a.at.to_string(),
            action: a.action,
            record_type: a.record_type,
            record_id: a.record_id,
            changes: a
                .changes
                .into_iter()
                .map(|c| ChangeOut {
                    field: c.field,
                    before: c.before,
                    after: c.after,
                })
                .collect(),
        }
    }
}

page_type!(AuditPage, AuditOut);

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `tenant`, `entity`, `user`, `grant`, `group` or `token`.
    record_type: Option<String>,
    /// One record's id (with `record_type`).
    record_id: Option<i64>,
    /// What one user did.
    actor_user_id: Option<i64>,
    /// `asc` (oldest first, the default) or `desc` (newest first).
    order: Option<String>,
    /// How many items (1–200, default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Lists the audit log in the caller's scope, oldest first unless `order=desc`.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem), (status = 403, body = Problem)))]
async fn list_audit(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewAudit)?;
    let filter = AuditFilter {
        record_type: q.record_type,
        record_id: q.record_id,
        actor_user_id: q.actor_user_id.map(UserId),
        newest_first: match q.order.as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(ApiError::bad_request("`order` must be `asc` or `desc`")),
        },
    };
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .request()?;
    let page = state.store().list_audit(&scope, &filter, page).await?;
    Ok(Json(AuditPage::from_page(page, AuditOut::from)))
}
