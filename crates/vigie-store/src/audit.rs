//! The audit log: written inside every write transaction, read by scope.

use crate::sql::Sql;
use crate::{Page, PageRequest, Result, from_micros, micros};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use vigie_core::Timestamp;
use vigie_core::audit::{AuditAction, FieldChange, Fields, action_of, diff};
use vigie_core::ids::{TenantId, UserId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// A line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its id, increasing.
    pub id: i64,
    /// The tenant the record belongs to (`None`: platform-wide).
    pub tenant_id: Option<TenantId>,
    /// The entity the record belongs to, if any.
    pub entity_id: Option<i64>,
    /// Who wrote (`None`: Vigie itself or a command-line operator).
    pub actor_user_id: Option<UserId>,
    /// The writer's login or a description of the system actor.
    pub actor_label: String,
    /// When.
    pub at: Timestamp,
    /// What was done.
    pub action: String,
    /// The kind of record (`entity`, `user`, …).
    pub record_type: String,
    /// The record's id.
    pub record_id: i64,
    /// The fields that changed.
    pub changes: Vec<FieldChange>,
}

/// Which audit lines to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this kind of record.
    pub record_type: Option<String>,
    /// Only this record (with `record_type`).
    pub record_id: Option<i64>,
    /// Only what this user did.
    pub actor_user_id: Option<UserId>,
    /// Newest first (pages continue below `after`) instead of oldest first.
    pub newest_first: bool,
}

/// Where the audited record sits, for scoping reads of the log.
pub(crate) struct AuditTarget<'a> {
    pub tenant: Option<TenantId>,
    pub entity_id: Option<i64>,
    pub entity_path: Option<&'a EntityPath>,
    pub record_type: &'static str,
    pub record_id: i64,
}

/// Records a write in the audit log, in the write's own transaction. Does
/// nothing when no audited field changed.
pub(crate) async fn record(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    now: Timestamp,
    target: AuditTarget<'_>,
    before: Option<&Fields>,
    after: Option<&Fields>,
) -> Result<()> {
    let Some(row) = line(actor, now, &target, before, after)? else {
        return Ok(());
    };
    let values = COLUMNS.iter().copied().zip(row).collect();
    Sql::insert("audit_log", values)
        .query()
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The columns of an audit line, in the order of [`line`]; for the writers
/// of many lines at once.
pub(crate) const COLUMNS: [&str; 10] = [
    "tenant_id",
    "entity_id",
    "entity_path",
    "actor_user_id",
    "actor_label",
    "at",
    "action",
    "record_type",
    "record_id",
    "changes",
];

/// The values of one audit line, or `None` when no audited field changed.
fn line(
    actor: &Actor,
    now: Timestamp,
    target: &AuditTarget<'_>,
    before: Option<&Fields>,
    after: Option<&Fields>,
) -> Result<Option<Vec<crate::sql::Arg>>> {
    let empty = Fields::new();
    let changes = diff(before.unwrap_or(&empty), after.unwrap_or(&empty));
    let action = action_of(before, after);
    if changes.is_empty() && action == AuditAction::Update {
        return Ok(None);
    }
    let changes_json = serde_json::to_string(&changes)
        .map_err(|e| crate::StoreError::Database(format!("audit encoding: {e}")))?;
    let actor_id = (actor.user != UserId::SYSTEM).then_some(actor.user.0);
    Ok(Some(vec![
        target.tenant.map(|t| t.0).into(),
        target.entity_id.into(),
        target.entity_path.map(|p| p.as_str().to_owned()).into(),
        actor_id.into(),
        actor.login.as_str().into(),
        micros(now).into(),
        action.as_str().into(),
        target.record_type.into(),
        target.record_id.into(),
        changes_json.into(),
    ]))
}

/// Records many lines at once, each by its own actor (what a batch of
/// mails attaches), many per statement; lines that change nothing are
/// left out as [`record`] leaves them out.
pub(crate) async fn record_many(
    tx: &mut Transaction<'static, Any>,
    backend: crate::Backend,
    now: Timestamp,
    lines: &[(&Actor, AuditTarget<'_>, Option<&Fields>, Option<&Fields>)],
) -> Result<()> {
    let mut rows = Vec::with_capacity(lines.len());
    for (actor, target, before, after) in lines {
        if let Some(row) = line(actor, now, target, *before, *after)? {
            rows.push(row);
        }
    }
    for sql in Sql::insert_chunks(backend, "audit_log", &COLUMNS, rows) {
        sql.query().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Records the creation of many records, each by its own actor (tickets
/// opened by the senders of a batch of mails), in the write's own
/// transaction, many lines per statement.
pub(crate) async fn record_created(
    tx: &mut Transaction<'static, Any>,
    backend: crate::Backend,
    now: Timestamp,
    created: &[(&Actor, &AuditTarget<'_>, &Fields)],
) -> Result<()> {
    let mut rows = Vec::with_capacity(created.len());
    for (actor, target, fields) in created {
        if let Some(row) = line(actor, now, target, None, Some(fields))? {
            rows.push(row);
        }
    }
    for sql in Sql::insert_chunks(backend, "audit_log", &COLUMNS, rows) {
        sql.query().execute(&mut **tx).await?;
    }
    Ok(())
}

impl crate::Store {
    /// Lists audit lines in scope, oldest first unless the filter asks for
    /// the newest first. Lines of platform-wide
    /// records (tenants) are visible to platform administrators only, and
    /// lines about a tenant itself to the tenant's administrators' scope
    /// through its root entities.
    pub async fn list_audit(
        &self,
        scope: &Scope,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>> {
        let mut sql = Sql::new(
            "SELECT id, tenant_id, entity_id, actor_user_id, actor_label, at, action, \
             record_type, record_id, changes FROM audit_log WHERE 1 = 1",
        );
        sql.scope(scope, "tenant_id", "entity_path");
        if let Some(t) = &filter.record_type {
            sql.push(" AND record_type = ").bind(t.as_str());
        }
        if let Some(id) = filter.record_id {
            sql.push(" AND record_id = ").bind(id);
        }
        if let Some(u) = filter.actor_user_id {
            sql.push(" AND actor_user_id = ").bind(u.0);
        }
        let (after_op, order) = if filter.newest_first {
            (" AND id < ", " ORDER BY id DESC LIMIT ")
        } else {
            (" AND id > ", " ORDER BY id LIMIT ")
        };
        if let Some(after) = page.after {
            sql.push(after_op).bind(after);
        }
        sql.push(order).bind(page.fetch_limit());
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows.iter().map(audit_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page, |r| r.id))
    }
}

pub(crate) fn audit_row(row: &AnyRow) -> Result<AuditRecord> {
    let changes: String = row.try_get("changes")?;
    Ok(AuditRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get::<Option<i64>, _>("tenant_id")?.map(TenantId),
        entity_id: row.try_get("entity_id")?,
        actor_user_id: row.try_get::<Option<i64>, _>("actor_user_id")?.map(UserId),
        actor_label: row.try_get("actor_label")?,
        at: from_micros(row.try_get("at")?),
        action: row.try_get("action")?,
        record_type: row.try_get("record_type")?,
        record_id: row.try_get("record_id")?,
        changes: serde_json::from_str(&changes).unwrap_or_default(),
    })
}
