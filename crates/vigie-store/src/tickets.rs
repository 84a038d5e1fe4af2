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
    t.created_at, t.updated_at \
    FROM tickets t JOIN users r ON r.id = t.requester_id \
    LEFT JOIN support_groups g ON g.id = t.group_id LEFT JOIN users a ON a.id = t.assignee_id WHERE 1 = 1";

/// The same columns, driven by SQLite's full-text index: FTS5 yields the
/// matching tickets newest first, so a page stops after `limit` rows
/// instead of collecting every match (`CROSS JOIN` keeps that order).
const SELECT_BY_SEARCH: &str = "SELECT t.id, t.tenant_id, t.number, t.entity_id, t.entity_path, t.type, t.title, \
    t.description, t.status, t.pending_reason, t.requester_id, r.display_name AS requester_name, t.channel, \
    t.category_id, t.service_ref, t.ci_refs, t.impact, t.urgency, t.priority, t.group_id, g.name AS group_name, \
    t.assignee_id, a.display_name AS assignee_name, t.solution, t.solution_code, t.resolved_at, t.closed_at, \
    t.created_at, t.updated_at \
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
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
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

/// The next value of a per-tenant counter, inside the caller's transaction.
async fn next_number(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    name: &str,
) -> Result<i64> {
    let updated = Sql::new("UPDATE counters SET value = value + 1 WHERE tenant_id = ")
        .bind(tenant.0)
        .push(" AND name = ")
        .bind(name)
        .push(" RETURNING value")
        .query()
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = updated {
        return Ok(row.try_get("value")?);
    }
    Sql::insert(
        "counters",
        vec![
            ("tenant_id", tenant.0.into()),
            ("name", name.into()),
            ("value", 1i64.into()),
        ],
    )
    .query()
    .execute(&mut **tx)
    .await?;
    Ok(1)
}

impl Store {
    /// Lists the tickets an access may read.
    pub async fn list_tickets(
        &self,
        access: &TicketAccess,
        filter: &TicketFilter,
        page: PageRequest,
    ) -> Result<Page<TicketRecord>> {
        let search = filter.q.as_deref().and_then(|q| self.search_words(q));
        let search_first = search.is_some()
            && self.backend() == crate::Backend::Sqlite
            && filter.sort == TicketSort::Newest;
        let mut sql = Sql::new(if search_first {
            SELECT_BY_SEARCH
        } else {
            SELECT
        });
        readable(&mut sql, access);
        if !filter.statuses.is_empty() {
            sql.push(" AND t.status IN (");
            for (i, s) in filter.statuses.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(s.as_str());
            }
            sql.push(")");
        }
        if filter.open_only {
            sql.push(" AND t.status NOT IN ('resolved', 'closed')");
        }
        if let Some(a) = filter.assignee_id {
            sql.push(" AND t.assignee_id = ").bind(a.0);
        }
        if filter.unassigned {
            sql.push(" AND t.assignee_id IS NULL");
        }
        if let Some(g) = filter.group_id {
            sql.push(" AND t.group_id = ").bind(g.0);
        }
        if let Some(u) = filter.groups_of {
            sql.push(" AND t.group_id IN (SELECT group_id FROM group_members WHERE user_id = ")
                .bind(u.0)
                .push(")");
        }
        if let Some(r) = filter.requester_id {
            sql.push(" AND t.requester_id = ").bind(r.0);
        }
        if let Some(p) = filter.priority {
            sql.push(" AND t.priority = ").bind(p.as_str());
        }
        if let Some(k) = filter.ticket_type {
            sql.push(" AND t.type = ").bind(k.as_str());
        }
        if let Some(p) = &filter.within {
            sql.push(" AND t.entity_path LIKE ")
                .bind(format!("{}%", p.as_str()));
        }
        match (&search, search_first) {
            (Some(query), true) => {
                sql.push(" AND ticket_search MATCH ").bind(query.clone());
            }
            (Some(query), false) => self.full_text(&mut sql, query),
            (None, _) => {}
        }
        match filter.sort {
            TicketSort::Newest if search_first => {
                if let Some(after) = page.after {
                    sql.push(" AND ticket_search.rowid < ").bind(after);
                }
                sql.push(" ORDER BY ticket_search.rowid DESC");
            }
            TicketSort::Newest => {
                if let Some(after) = page.after {
                    sql.push(" AND t.id < ").bind(after);
                }
                sql.push(" ORDER BY t.id DESC");
            }
            TicketSort::Priority => {
                if let Some(after) = page.after {
                    sql.push(" AND (t.priority_rank * ")
                        .bind(RANK_FACTOR)
                        .push(" + t.id) > ")
                        .bind(after);
                }
                sql.push(" ORDER BY t.priority_rank, t.id");
            }
        }
        sql.push(" LIMIT ").bind(page.fetch_limit());
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows.iter().map(ticket_row).collect::<Result<Vec<_>>>()?;
        let sort = filter.sort;
        Ok(Page::from_rows(items, page, move |t| match sort {
            TicketSort::Newest => t.id.0,
            TicketSort::Priority => i64::from(t.priority.rank()) * RANK_FACTOR + t.id.0,
        }))
    }

    /// The full-text query for what a user typed, in the backend's syntax,
    /// or `None` when it holds no word. SQLite (FTS5): every word must
    /// appear, accents folded, the last word as a prefix; each word is
    /// quoted, so nothing typed is FTS5 syntax. PostgreSQL: the words,
    /// stemmed in French or in English by `full_text`.
    fn search_words(&self, q: &str) -> Option<String> {
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(16)
            .map(str::to_lowercase)
            .collect();
        let last = words.len().checked_sub(1)?;
        Some(match self.backend() {
            crate::Backend::Sqlite => words
                .iter()
                .enumerate()
                .map(|(i, w)| format!("\"{w}\"{}", if i == last { "*" } else { "" }))
                .collect::<Vec<_>>()
                .join(" "),
            crate::Backend::Postgres => words.join(" "),
        })
    }

    /// Adds the full-text condition for a query made by `search_words`.
    fn full_text(&self, sql: &mut Sql, query: &str) {
        match self.backend() {
            crate::Backend::Sqlite => {
                sql.push(
                    " AND t.id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ",
                )
                .bind(query)
                .push(")");
            }
            crate::Backend::Postgres => {
                sql.push(" AND t.id IN (SELECT ticket_id FROM ticket_search WHERE doc @@ (plainto_tsquery('french', ")
                    .bind(query)
                    .push(") || plainto_tsquery('english', ")
                    .bind(query)
                    .push(")))");
            }
        }
    }

    /// Reads a ticket the access may read.
    pub async fn get_ticket(&self, access: &TicketAccess, id: TicketId) -> Result<TicketRecord> {
        let mut sql = Sql::new(SELECT);
        readable(&mut sql, access);
        sql.push(" AND t.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(ticket_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Reads a ticket the access may work (not merely read).
    pub async fn get_workable_ticket(
        &self,
        access: &TicketAccess,
        id: TicketId,
    ) -> Result<TicketRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(&access.work, "t.tenant_id", "t.entity_path");
        sql.push(" AND t.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        match row {
            Some(row) => ticket_row(&row),
            // Readable but not workable: say so; unreadable: not found.
            None => match self.get_ticket(access, id).await {
                Ok(_) => Err(StoreError::Forbidden(
                    "your roles do not include working this ticket".into(),
                )),
                Err(e) => Err(e),
            },
        }
    }

    /// Opens a ticket. The entity must be one where the actor holds a role;
    /// opening for someone else needs the right to work the entity's tickets,
    /// and the requester must be an active user of the tenant.
    pub async fn create_ticket(
        &self,
        actor: &Actor,
        access: &TicketAccess,
        now: Timestamp,
        new: &NewTicket,
    ) -> Result<TicketRecord> {
        self.create_routed_ticket(actor, access, now, new, None)
            .await
    }

    /// Like [`Store::create_ticket`], placing the ticket with the group an
    /// assignment rule chose (it starts `assigned`).
    pub async fn create_routed_ticket(
        &self,
        actor: &Actor,
        access: &TicketAccess,
        now: Timestamp,
        new: &NewTicket,
        group: Option<GroupId>,
    ) -> Result<TicketRecord> {
        let entity = self.get_entity(&access.open, new.entity_id).await?;
        if new.requester_id != actor.user {
            if !access.work.covers(entity.tenant_id, &entity.path) {
                return Err(StoreError::Forbidden(
                    "only agents of the entity open tickets for someone else".into(),
                ));
            }
            let requester = self.get_user(&Scope::Platform, new.requester_id).await?;
            if requester.tenant_id != entity.tenant_id || !requester.active {
                return Err(StoreError::Invalid(
                    "the requester is not an active user of this tenant".into(),
                ));
            }
        }
        if let Some(c) = new.category_id {
            self.check_category(entity.tenant_id, c, new.ticket_type)
                .await?;
        }
        let mut tx = self.write_tx().await?;
        let number = next_number(&mut tx, entity.tenant_id, "ticket").await?;
        let id = Sql::insert(
            "tickets",
            vec![
                ("tenant_id", entity.tenant_id.0.into()),
                ("number", number.into()),
                ("entity_id", entity.id.0.into()),
                ("entity_path", entity.path.as_str().into()),
                ("type", new.ticket_type.as_str().into()),
                ("title", new.title.as_str().into()),
                ("description", new.description.as_str().into()),
                (
                    "status",
                    if group.is_some() {
                        Status::Assigned
                    } else {
                        Status::New
                    }
                    .as_str()
                    .into(),
                ),
                ("group_id", group.map(|g| g.0).into()),
                ("requester_id", new.requester_id.0.into()),
                ("channel", new.channel.as_str().into()),
                ("category_id", new.category_id.map(|c| c.0).into()),
                ("service_ref", new.service_ref.clone().into()),
                ("ci_refs", new.ci_refs.as_str().into()),
                ("impact", new.impact.as_str().into()),
                ("urgency", new.urgency.as_str().into()),
                ("priority", new.priority.as_str().into()),
                ("priority_rank", i64::from(new.priority.rank()).into()),
                (
                    "created_by",
                    (actor.user != UserId::SYSTEM)
                        .then_some(actor.user.0)
                        .into(),
                ),
                ("created_at", micros(now).into()),
                ("updated_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let mut sql = Sql::new(SELECT);
        sql.push(" AND t.id = ").bind(id);
        let created = ticket_row(&sql.query().fetch_one(&mut *tx).await?)?;
        record(
            &mut tx,
            actor,
            now,
            target(&created),
            None,
            Some(&fields(&created)),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Checks that a category exists in the tenant, is active and fits the
    /// ticket type.
    pub(crate) async fn check_category(
        &self,
        tenant: TenantId,
        id: CategoryId,
        kind: TicketType,
    ) -> Result<()> {
        let c = self.get_category(tenant, id).await.map_err(|e| match e {
            StoreError::NotFound => StoreError::Invalid(format!("there is no category {id}")),
            e => e,
        })?;
        if !c.active {
            return Err(StoreError::Invalid(format!(
                "the category `{}` is no longer in use",
                c.name
            )));
        }
        if c.applies_to != "both" && c.applies_to != kind.as_str() {
            return Err(StoreError::Invalid(format!(
                "the category `{}` is for {}s only",
                c.name, c.applies_to
            )));
        }
        Ok(())
    }

    /// Changes a ticket's fields; the actor must be able to work it.
    /// Closed tickets do not change.
    pub async fn update_ticket(
        &self,
        actor: &Actor,
        access: &TicketAccess,
        now: Timestamp,
        id: TicketId,
        changes: &TicketChanges,
    ) -> Result<TicketRecord> {
        let before = self.get_workable_ticket(access, id).await?;
        if before.status == Status::Closed {
            return Err(StoreError::Conflict {
                what: "a closed ticket does not change".into(),
            });
        }
        let mut after = before.clone();
        if let Some(v) = &changes.title {
            after.title = v.clone();
        }
        if let Some(v) = &changes.description {
            after.description = v.clone();
        }
        if let Some(v) = changes.ticket_type {
            after.ticket_type = v;
        }
        if let Some(v) = changes.category_id {
            after.category_id = v;
        }
        if let Some(c) = after
            .category_id
            .filter(|_| changes.category_id.is_some() || changes.ticket_type.is_some())
        {
            self.check_category(before.tenant_id, c, after.ticket_type)
                .await?;
        }
        if let Some(v) = &changes.service_ref {
            after.service_ref = v.clone();
        }
        if let Some(v) = &changes.ci_refs {
            after.ci_refs = v.clone();
        }
        if let Some(v) = changes.impact {
            after.impact = v;
        }
        if let Some(v) = changes.urgency {
            after.urgency = v;
        }
        if let Some(v) = changes.priority {
            after.priority = v;
        }
        after.updated_at = now;
        let mut tx = self.write_tx().await?;
        Sql::update(
            "tickets",
            vec![
                ("title", after.title.as_str().into()),
                ("description", after.description.as_str().into()),
                ("type", after.ticket_type.as_str().into()),
                ("category_id", after.category_id.map(|c| c.0).into()),
                ("service_ref", after.service_ref.clone().into()),
                ("ci_refs", after.ci_refs.as_str().into()),
                ("impact", after.impact.as_str().into()),
                ("urgency", after.urgency.as_str().into()),
                ("priority", after.priority.as_str().into()),
                ("priority_rank", i64::from(after.priority.rank()).into()),
                ("updated_at", micros(now).into()),
            ],
            ("id", id.0.into()),
        )
        .query()
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            now,
            target(&after),
            Some(&fields(&before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Checks who may hold a ticket: a group of its tenant, an active user
    /// of its tenant, a member of the group when both are given.
    async fn check_assignment(&self, tenant: TenantId, a: &Assignment) -> Result<()> {
        if let Some(g) = a.group_id {
            let group = self
                .get_group(&Scope::Platform, g)
                .await
                .map_err(|_| StoreError::Invalid(format!("there is no group {g}")))?;
            if group.tenant_id != tenant {
                return Err(StoreError::Invalid(format!("there is no group {g}")));
            }
        }
        if let Some(u) = a.assignee_id {
            let user = self
                .get_user(&Scope::Platform, u)
                .await
                .map_err(|_| StoreError::Invalid(format!("there is no user {u}")))?;
            if user.tenant_id != tenant || !user.active {
                return Err(StoreError::Invalid(format!(
                    "there is no active user {u} here"
                )));
            }
            if let Some(g) = a.group_id {
                let members = self.list_group_members(&Scope::Platform, g).await?;
                if !members.iter().any(|m| m.id == u) {
                    return Err(StoreError::Invalid(format!(
                        "{} is not a member of that group",
                        user.login
                    )));
                }
            }
        }
        if a.group_id.is_none() && a.assignee_id.is_none() {
            return Err(StoreError::Invalid(
                "an assignment needs a group or an agent".into(),
            ));
        }
        Ok(())
    }

    /// Writes the outcome of a lifecycle action decided by the core, if the
    /// ticket is still in the status the decision was made from (otherwise
    /// a conflict: someone acted meanwhile). `assignment` is for `assign`.
    pub async fn apply_ticket_outcome(
        &self,
        actor: &Actor,
        before: &TicketRecord,
        now: Timestamp,
        outcome: &Outcome,
        assignment: Option<Assignment>,
    ) -> Result<TicketRecord> {
        self.apply_ticket_outcome_with_note(actor, before, now, outcome, assignment, None)
            .await
    }

    /// Like [`Store::apply_ticket_outcome`], also writing an internal note
    /// (e.g. the reason of an escalation) in the same transaction.
    pub async fn apply_ticket_outcome_with_note(
        &self,
        actor: &Actor,
        before: &TicketRecord,
        now: Timestamp,
        outcome: &Outcome,
        assignment: Option<Assignment>,
        note: Option<&str>,
    ) -> Result<TicketRecord> {
        if let Some(a) = &assignment {
            self.check_assignment(before.tenant_id, a).await?;
        }
        let mut after = before.clone();
        after.status = outcome.status;
        after.pending_reason = outcome.pending_reason;
        after.resolved_at = outcome.resolved_at;
        after.closed_at = outcome.closed_at;
        match &outcome.solution {
            SolutionChange::Keep => {}
            SolutionChange::Set(s, c) => {
                after.solution = Some(s.clone());
                after.solution_code = Some(c.clone());
            }
            SolutionChange::Clear => {
                after.solution = None;
                after.solution_code = None;
            }
        }
        if let Some(a) = assignment {
            after.group_id = a.group_id;
            after.assignee_id = a.assignee_id;
        }
        after.updated_at = now;
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::update(
            "tickets",
            vec![
                ("status", after.status.as_str().into()),
                (
                    "pending_reason",
                    after.pending_reason.map(|p| p.as_str().to_owned()).into(),
                ),
                ("solution", after.solution.clone().into()),
                ("solution_code", after.solution_code.clone().into()),
                ("resolved_at", after.resolved_at.map(micros).into()),
                ("closed_at", after.closed_at.map(micros).into()),
                ("group_id", after.group_id.map(|g| g.0).into()),
                ("assignee_id", after.assignee_id.map(|u| u.0).into()),
                ("updated_at", micros(now).into()),
            ],
            ("id", before.id.0.into()),
        );
        sql.push(" AND status = ").bind(before.status.as_str());
        let changed = sql.query().execute(&mut *tx).await?.rows_affected();
        if changed == 0 {
            return Err(StoreError::Conflict {
                what: "the ticket changed meanwhile; reload it and try again".into(),
            });
        }
        let mut fresh = Sql::new(SELECT);
        fresh.push(" AND t.id = ").bind(before.id.0);
        let after = ticket_row(&fresh.query().fetch_one(&mut *tx).await?)?;
        record(
            &mut tx,
            actor,
            now,
            target(&after),
            Some(&fields(before)),
            Some(&fields(&after)),
        )
        .await?;
        if let Some(body) = note {
            crate::comments::insert_comment(&mut tx, actor, now, &after, false, body).await?;
        }
        tx.commit().await?;
        Ok(after)
    }
}
