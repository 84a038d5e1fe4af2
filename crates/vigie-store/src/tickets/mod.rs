//! Tickets: reading them within an actor's ticket access, creating them with
//! a per-tenant number, changing their fields, and applying the outcome of a
//! lifecycle action decided by the core. Every change is audited; the audit
//! lines of a ticket are its field history.

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Page, PageRequest, Result, Store, StoreError, from_micros, micros};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{CategoryId, EntityId, GroupId, TenantId, TicketId, UserId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};
use vigie_core::ticket::lifecycle::{Outcome, SolutionChange};
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, PendingReason, Status, TicketAccess, TicketType};

mod by_ci;
mod read;
mod write;

pub(crate) use write::{Opening, apply_outcome_in, insert_ticket_in, insert_tickets};

/// A ticket as stored, with the names the UI shows beside the ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRecord {
    /// Its id.
    pub id: TicketId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its number in the tenant (`#42`).
    pub number: i64,
    /// Its entity.
    pub entity_id: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// Incident or request.
    pub ticket_type: TicketType,
    /// Its title.
    pub title: String,
    /// Its description (Markdown source).
    pub description: String,
    /// Where it stands.
    pub status: Status,
    /// Why it waits, when pending.
    pub pending_reason: Option<PendingReason>,
    /// Who asked.
    pub requester_id: UserId,
    /// His name.
    pub requester_name: String,
    /// How it came in.
    pub channel: Channel,
    /// Its category.
    pub category_id: Option<CategoryId>,
    /// The service concerned (free reference until the CMDB).
    pub service_ref: Option<String>,
    /// The configuration items concerned (free references, comma-separated).
    pub ci_refs: String,
    /// Impact.
    pub impact: Level,
    /// Urgency.
    pub urgency: Level,
    /// Priority.
    pub priority: Priority,
    /// The group holding it.
    pub group_id: Option<GroupId>,
    /// That group's name.
    pub group_name: Option<String>,
    /// The agent holding it.
    pub assignee_id: Option<UserId>,
    /// His name.
    pub assignee_name: Option<String>,
    /// The solution given.
    pub solution: Option<String>,
    /// The solution's code.
    pub solution_code: Option<String>,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
    /// When it was closed.
    pub closed_at: Option<Timestamp>,
    /// Whether it is a major incident.
    pub major: bool,
    /// The major incident it is linked to, as a child.
    pub parent_id: Option<TicketId>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A ticket to open (values already validated, priority already decided).
#[derive(Clone, Debug)]
pub struct NewTicket {
    /// Incident or request.
    pub ticket_type: TicketType,
    /// Its entity.
    pub entity_id: EntityId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Who asks.
    pub requester_id: UserId,
    /// How it came in.
    pub channel: Channel,
    /// Category.
    pub category_id: Option<CategoryId>,
    /// Service reference.
    pub service_ref: Option<String>,
    /// Configuration item references.
    pub ci_refs: String,
    /// Impact.
    pub impact: Level,
    /// Urgency.
    pub urgency: Level,
    /// Priority from the tenant's matrix.
    pub priority: Priority,
}

/// Field changes (`None`: unchanged). Priority is decided by the caller.
#[derive(Clone, Debug, Default)]
pub struct TicketChanges {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New category (`Some(None)`: none).
    pub category_id: Option<Option<CategoryId>>,
    /// New service reference.
    pub service_ref: Option<Option<String>>,
    /// New configuration item references.
    pub ci_refs: Option<String>,
    /// New impact.
    pub impact: Option<Level>,
    /// New urgency.
    pub urgency: Option<Level>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New type.
    pub ticket_type: Option<TicketType>,
}

/// Who holds a ticket after an `assign` action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Assignment {
    /// The group.
    pub group_id: Option<GroupId>,
    /// The agent (a member of the group, when both are given).
    pub assignee_id: Option<UserId>,
}

/// The order of a ticket list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TicketSort {
    /// Newest first.
    #[default]
    Newest,
    /// P1 first, then oldest first within a priority (the work order).
    Priority,
    /// Most recently changed first.
    Updated,
}

/// Which tickets to list.
#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    /// Only these statuses (empty: all).
    pub statuses: Vec<Status>,
    /// Only open tickets (not resolved nor closed).
    pub open_only: bool,
    /// Only this agent's.
    pub assignee_id: Option<UserId>,
    /// Only tickets nobody holds.
    pub unassigned: bool,
    /// Only this group's.
    pub group_id: Option<GroupId>,
    /// Only the groups this user belongs to.
    pub groups_of: Option<UserId>,
    /// Only this requester's.
    pub requester_id: Option<UserId>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only this type.
    pub ticket_type: Option<TicketType>,
    /// Only this entity's subtree.
    pub within: Option<EntityPath>,
    /// Only the children of this major incident.
    pub parent_id: Option<TicketId>,
    /// Words found in the title, the description or the conversation
    /// (the database's full-text engine; see `Store::full_text`).
    pub q: Option<String>,
    /// The order.
    pub sort: TicketSort,
}

const SELECT: &str = "SELECT t.id, t.tenant_id, t.number, t.entity_id, t.entity_path, t.type, t.title, \
    t.description, t.status, t.pending_reason, t.requester_id, r.display_name AS requester_name, t.channel, \
    t.category_id, t.service_ref, t.ci_refs, t.impact, t.urgency, t.priority, t.group_id, g.name AS group_name, \
    t.assignee_id, a.display_name AS assignee_name, t.solution, t.solution_code, t.resolved_at, t.closed_at, \
    t.major, t.parent_id, t.created_at, t.updated_at \
    FROM tickets t JOIN users r ON r.id = t.requester_id \
    LEFT JOIN support_groups g ON g.id = t.group_id LEFT JOIN users a ON a.id = t.assignee_id WHERE 1 = 1";

/// The same columns, driven by SQLite's full-text index: FTS5 yields the
/// matching tickets newest first, so a page stops after `limit` rows
/// instead of collecting every match (`CROSS JOIN` keeps that order).
const SELECT_BY_SEARCH: &str = "SELECT t.id, t.tenant_id, t.number, t.entity_id, t.entity_path, t.type, t.title, \
    t.description, t.status, t.pending_reason, t.requester_id, r.display_name AS requester_name, t.channel, \
    t.category_id, t.service_ref, t.ci_refs, t.impact, t.urgency, t.priority, t.group_id, g.name AS group_name, \
    t.assignee_id, a.display_name AS assignee_name, t.solution, t.solution_code, t.resolved_at, t.closed_at, \
    t.major, t.parent_id, t.created_at, t.updated_at \
    FROM ticket_search CROSS JOIN tickets t ON t.id = ticket_search.rowid JOIN users r ON r.id = t.requester_id \
    LEFT JOIN support_groups g ON g.id = t.group_id LEFT JOIN users a ON a.id = t.assignee_id WHERE 1 = 1";

/// The sort key of the priority order, packed in one integer so that one
/// cursor continues it: the rank (1–4) above any id.
const RANK_FACTOR: i64 = 1_000_000_000_000_000;

fn parse<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|e: T::Err| StoreError::Database(format!("column {column}: {e}")))
}

fn ticket_row(row: &AnyRow) -> Result<TicketRecord> {
    let path: String = row.try_get("entity_path")?;
    let pending: Option<String> = row.try_get("pending_reason")?;
    Ok(TicketRecord {
        id: TicketId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        number: row.try_get("number")?,
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("malformed entity path {path:?}")))?,
        ticket_type: parse(row, "type")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        status: parse(row, "status")?,
        pending_reason: pending
            .map(|p| p.parse().map_err(|e| StoreError::Database(format!("{e}"))))
            .transpose()?,
        requester_id: UserId(row.try_get("requester_id")?),
        requester_name: row.try_get("requester_name")?,
        channel: parse(row, "channel")?,
        category_id: row
            .try_get::<Option<i64>, _>("category_id")?
            .map(CategoryId),
        service_ref: row.try_get("service_ref")?,
        ci_refs: row.try_get("ci_refs")?,
        impact: parse(row, "impact")?,
        urgency: parse(row, "urgency")?,
        priority: parse(row, "priority")?,
        group_id: row.try_get::<Option<i64>, _>("group_id")?.map(GroupId),
        group_name: row.try_get("group_name")?,
        assignee_id: row.try_get::<Option<i64>, _>("assignee_id")?.map(UserId),
        assignee_name: row.try_get("assignee_name")?,
        solution: row.try_get("solution")?,
        solution_code: row.try_get("solution_code")?,
        resolved_at: row
            .try_get::<Option<i64>, _>("resolved_at")?
            .map(from_micros),
        closed_at: row.try_get::<Option<i64>, _>("closed_at")?.map(from_micros),
        major: crate::get_bool(row, "major")?,
        parent_id: row.try_get::<Option<i64>, _>("parent_id")?.map(TicketId),
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

/// The fields a ticket's creation line records: every audited field but
/// the description, whose text the ticket's own row holds (as GLPI, iTop
/// and Jira record a creation without copying the text). Nothing is lost:
/// a later edit of the description records its text before and after, so
/// the first text stays in the trail once it changes; and a 5–50 KB mail's
/// text is not written twice.
fn created_fields(t: &TicketRecord) -> Fields {
    let mut all = fields(t);
    all.retain(|(name, _)| *name != "description");
    all
}

/// The audited fields of a ticket.
fn fields(t: &TicketRecord) -> Fields {
    vec![
        ("type", Some(t.ticket_type.to_string())),
        ("title", Some(t.title.clone())),
        ("description", Some(t.description.clone())),
        ("status", Some(t.status.to_string())),
        ("pending_reason", t.pending_reason.map(|p| p.to_string())),
        ("entity_id", Some(t.entity_id.to_string())),
        ("requester_id", Some(t.requester_id.to_string())),
        ("channel", Some(t.channel.to_string())),
        ("category_id", t.category_id.map(|c| c.to_string())),
        ("service_ref", t.service_ref.clone()),
        ("ci_refs", Some(t.ci_refs.clone()).filter(|s| !s.is_empty())),
        ("impact", Some(t.impact.to_string())),
        ("urgency", Some(t.urgency.to_string())),
        ("priority", Some(t.priority.to_string())),
        ("group_id", t.group_id.map(|g| g.to_string())),
        ("assignee_id", t.assignee_id.map(|a| a.to_string())),
        ("solution", t.solution.clone()),
        ("solution_code", t.solution_code.clone()),
        ("major", t.major.then(|| "true".to_owned())),
        ("parent_id", t.parent_id.map(|p| p.to_string())),
    ]
}

fn target(t: &TicketRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(t.tenant_id),
        entity_id: Some(t.entity_id.0),
        entity_path: Some(&t.entity_path),
        record_type: "ticket",
        record_id: t.id.0,
    }
}

/// Adds the rows an access may read: its `see` scope, plus the tickets the
/// actor opened himself.
fn readable(sql: &mut Sql, access: &TicketAccess) {
    sql.scope_or(
        &access.see,
        "t.tenant_id",
        "t.entity_path",
        Some(("t.requester_id", access.user.0)),
    );
}

/// The columns of a new ticket's row, in the order of [`NewRow::values`].
pub(crate) const NEW_ROW_COLUMNS: [&str; 23] = [
    "tenant_id",
    "number",
    "entity_id",
    "entity_path",
    "type",
    "title",
    "description",
    "status",
    "requester_id",
    "channel",
    "category_id",
    "service_ref",
    "ci_refs",
    "impact",
    "urgency",
    "priority",
    "priority_rank",
    "group_id",
    "assignee_id",
    "resolved_at",
    "created_by",
    "created_at",
    "updated_at",
];

/// A ticket row to insert many per statement: opened now (a batch) or in
/// the past (an import), its number already reserved.
pub(crate) struct NewRow<'a> {
    pub(crate) tenant: TenantId,
    pub(crate) number: i64,
    pub(crate) entity_id: EntityId,
    pub(crate) entity_path: &'a EntityPath,
    pub(crate) new: &'a NewTicket,
    pub(crate) status: Status,
    pub(crate) group: Option<GroupId>,
    pub(crate) assignee: Option<UserId>,
    pub(crate) resolved_at: Option<Timestamp>,
    /// The user who opened it (`None`: Vigie itself).
    pub(crate) author: Option<i64>,
    pub(crate) created_at: Timestamp,
    pub(crate) updated_at: Timestamp,
}

impl NewRow<'_> {
    /// The row's values, in [`NEW_ROW_COLUMNS`] order.
    pub(crate) fn values(&self) -> Vec<crate::sql::Arg> {
        let n = self.new;
        vec![
            self.tenant.0.into(),
            self.number.into(),
            self.entity_id.0.into(),
            self.entity_path.as_str().into(),
            n.ticket_type.as_str().into(),
            n.title.as_str().into(),
            n.description.as_str().into(),
            self.status.as_str().into(),
            n.requester_id.0.into(),
            n.channel.as_str().into(),
            n.category_id.map(|c| c.0).into(),
            n.service_ref.clone().into(),
            n.ci_refs.as_str().into(),
            n.impact.as_str().into(),
            n.urgency.as_str().into(),
            n.priority.as_str().into(),
            i64::from(n.priority.rank()).into(),
            self.group.map(|g| g.0).into(),
            self.assignee.map(|u| u.0).into(),
            self.resolved_at.map(micros).into(),
            self.author.into(),
            micros(self.created_at).into(),
            micros(self.updated_at).into(),
        ]
    }
}

/// The next value of a per-tenant counter, inside the caller's transaction.
pub(crate) async fn next_number(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    name: &str,
) -> Result<i64> {
    reserve_numbers(tx, tenant, name, 1).await
}

/// Reserves the next `count` values of a per-tenant counter, inside the
/// caller's transaction; returns the first (the others follow it).
pub(crate) async fn reserve_numbers(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    name: &str,
    count: i64,
) -> Result<i64> {
    let updated = Sql::new("UPDATE counters SET value = value + ")
        .bind(count)
        .push(" WHERE tenant_id = ")
        .bind(tenant.0)
        .push(" AND name = ")
        .bind(name)
        .push(" RETURNING value")
        .query()
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = updated {
        let last: i64 = row.try_get("value")?;
        return Ok(last - count + 1);
    }
    Sql::insert(
        "counters",
        vec![
            ("tenant_id", tenant.0.into()),
            ("name", name.into()),
            ("value", count.into()),
        ],
    )
    .query()
    .execute(&mut **tx)
    .await?;
    Ok(1)
}

// --- SLA hooks: reading and auditing a ticket inside a transaction held by
// the SLA module (escalations change a ticket in the marker's transaction).

/// A ticket by id, inside the caller's transaction (no access check: the
/// caller decided).
pub(crate) async fn ticket_in_tx(
    tx: &mut Transaction<'static, Any>,
    id: TicketId,
) -> Result<TicketRecord> {
    let mut sql = Sql::new(SELECT);
    sql.push(" AND t.id = ").bind(id.0);
    ticket_row(&sql.query().fetch_one(&mut **tx).await?)
}

/// The audit line of a ticket change, inside the caller's transaction.
pub(crate) async fn audit_change(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    now: Timestamp,
    before: &TicketRecord,
    after: &TicketRecord,
) -> Result<()> {
    record(
        tx,
        actor,
        now,
        target(after),
        Some(&fields(before)),
        Some(&fields(after)),
    )
    .await
}

/// The tenant's tickets among `ids`, read inside a transaction (the
/// tickets a batch of mails answers), one statement per 500 ids.
pub(crate) async fn tickets_in(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    ids: &[TicketId],
) -> Result<std::collections::HashMap<TicketId, TicketRecord>> {
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND t.tenant_id = ")
            .bind(tenant.0)
            .push(" AND t.id IN (");
        sql.bind_list(chunk.iter().map(|id| id.0));
        sql.push(")");
        for row in sql.query().fetch_all(&mut **tx).await? {
            let t = ticket_row(&row)?;
            found.insert(t.id, t);
        }
    }
    Ok(found)
}
