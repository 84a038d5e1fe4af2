//! Changing tickets: opening (numbered, optionally routed), field changes,
//! and the outcome of lifecycle actions, each with its audit line.

use super::*;
use super::{NEW_ROW_COLUMNS, NewRow};
use crate::EntityRecord;
use std::collections::HashSet;

impl Store {
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
        let mut created = self
            .create_tickets(actor, access, now, vec![(entity, new.clone(), group)])
            .await?;
        created
            .pop()
            .ok_or_else(|| StoreError::Database("no ticket was created".into()))
    }

    /// Opens several tickets, each optionally placed with a group, all or
    /// none: every one is checked as [`Store::create_ticket`] does before
    /// any is written, and an error names the position of the ticket at
    /// fault (counted from 0). Each comes with its entity as the caller read
    /// it from this store; it must lie within `access.open` (checked here,
    /// without reading it again). The writes go through the group commit,
    /// so tickets opened at the same moment by many callers share one
    /// transaction.
    pub async fn create_tickets(
        &self,
        actor: &Actor,
        access: &TicketAccess,
        now: Timestamp,
        tickets: Vec<(EntityRecord, NewTicket, Option<GroupId>)>,
    ) -> Result<Vec<TicketRecord>> {
        let several = tickets.len() > 1;
        let mut checks = NewTicketChecks::default();
        let mut prepared = Vec::with_capacity(tickets.len());
        for (i, (entity, new, group)) in tickets.into_iter().enumerate() {
            self.check_new_ticket(actor, access, &entity, &new, &mut checks)
                .await
                .map_err(|e| match e {
                    StoreError::Invalid(m) | StoreError::Forbidden(m) if several => {
                        StoreError::Invalid(format!("ticket {i}: {m}"))
                    }
                    e => e,
                })?;
            prepared.push(PreparedTicket { entity, new, group });
        }
        let prepared = std::sync::Arc::new(prepared);
        let actor = std::sync::Arc::new(actor.clone());
        let backend = self.backend;
        let sla = self.sla_cache();
        self.group_commit()
            .run(Box::new(move |tx| {
                let prepared = prepared.clone();
                let actor = actor.clone();
                let mut clocks = crate::sla::ClockContext::new(backend, sla.clone());
                Box::pin(async move {
                    let opening: Vec<_> = prepared.iter().map(|p| p.by(&actor)).collect();
                    insert_tickets(tx, backend, now, &opening, &mut clocks).await
                })
            }))
            .await
    }

    /// Checks one ticket to open in `entity`; `checks` remembers what a
    /// batch already verified.
    async fn check_new_ticket(
        &self,
        actor: &Actor,
        access: &TicketAccess,
        entity: &EntityRecord,
        new: &NewTicket,
        checks: &mut NewTicketChecks,
    ) -> Result<()> {
        // Out of reach reads as absent, as `get_entity` would answer.
        if entity.id != new.entity_id || !access.open.covers(entity.tenant_id, &entity.path) {
            return Err(StoreError::NotFound);
        }
        if new.requester_id != actor.user {
            if !access.work.covers(entity.tenant_id, &entity.path) {
                return Err(StoreError::Forbidden(
                    "only agents of the entity open tickets for someone else".into(),
                ));
            }
            if checks
                .requesters
                .insert((entity.tenant_id, new.requester_id))
            {
                let requester = self.get_user(&Scope::Platform, new.requester_id).await?;
                if requester.tenant_id != entity.tenant_id || !requester.active {
                    return Err(StoreError::Invalid(
                        "the requester is not an active user of this tenant".into(),
                    ));
                }
            }
        }
        if let Some(c) = new.category_id
            && checks
                .categories
                .insert((entity.tenant_id, c, new.ticket_type))
        {
            self.check_category(entity.tenant_id, c, new.ticket_type)
                .await?;
        }
        Ok(())
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
        // SLA: a new priority reprices the ticket's clocks.
        crate::sla::follow_clocks(&mut tx, &before, &after, now, &mut self.clock_context()).await?;
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
        let mut tx = self.write_tx().await?;
        let mut clocks = self.clock_context();
        let after = apply_outcome_in(
            &mut tx,
            &mut clocks,
            actor,
            before,
            now,
            outcome,
            assignment,
            note,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// Writes the outcome of a lifecycle action inside the caller's
/// transaction (the assignment, if any, already checked): the conditional
/// update, the audit line, the note, the survey and the clocks.
#[allow(
    clippy::too_many_arguments,
    reason = "the transaction, its clock context and the action's own inputs"
)]
pub(crate) async fn apply_outcome_in(
    tx: &mut Transaction<'static, Any>,
    clocks: &mut crate::sla::ClockContext,
    actor: &Actor,
    before: &TicketRecord,
    now: Timestamp,
    outcome: &Outcome,
    assignment: Option<Assignment>,
    note: Option<&str>,
) -> Result<TicketRecord> {
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
    let changed = sql.query().execute(&mut **tx).await?.rows_affected();
    if changed == 0 {
        return Err(StoreError::Conflict {
            what: "the ticket changed meanwhile; reload it and try again".into(),
        });
    }
    let mut fresh = Sql::new(SELECT);
    fresh.push(" AND t.id = ").bind(before.id.0);
    let after = ticket_row(&fresh.query().fetch_one(&mut **tx).await?)?;
    record(
        tx,
        actor,
        now,
        target(&after),
        Some(&fields(before)),
        Some(&fields(&after)),
    )
    .await?;
    if let Some(body) = note {
        crate::comments::insert_comment(tx, actor, now, &after, false, body).await?;
    }
    // Who is told: the requester of a resolution, the new agent or group.
    crate::notifications::capture_change(tx, actor, before, &after, note.unwrap_or(""), now)
        .await?;
    let then = vigie_core::ticket::lifecycle::consequences(before.status, after.status);
    if then.open_survey {
        crate::surveys::open_survey(tx, &after, now).await?;
    }
    if then.end_outages {
        crate::sla::end_outages_of(tx, actor, &after, now).await?;
    }
    // SLA: pause, resume, stop or reopen the ticket's clocks.
    crate::sla::follow_clocks(tx, before, &after, now, clocks).await?;
    Ok(after)
}

/// What a batch of new tickets already verified.
#[derive(Default)]
struct NewTicketChecks {
    requesters: HashSet<(TenantId, UserId)>,
    categories: HashSet<(TenantId, CategoryId, TicketType)>,
}

/// A checked ticket waiting for its transaction.
struct PreparedTicket {
    entity: EntityRecord,
    new: NewTicket,
    group: Option<GroupId>,
}

impl PreparedTicket {
    fn by<'a>(&'a self, actor: &'a Actor) -> Opening<'a> {
        Opening {
            actor,
            entity: &self.entity,
            new: &self.new,
            group: self.group,
        }
    }
}

/// A checked ticket to open, and who opens it (its audit line's author).
pub(crate) struct Opening<'a> {
    /// Who opens it.
    pub(crate) actor: &'a Actor,
    /// Its entity, as read.
    pub(crate) entity: &'a EntityRecord,
    /// The ticket.
    pub(crate) new: &'a NewTicket,
    /// The group it is placed with.
    pub(crate) group: Option<GroupId>,
}

/// New tickets per statement: 23 columns × 1,400 rows stays under SQLite's
/// limit of 32,766 parameters.
const NEW_PER_STATEMENT: usize = 1400;

/// Writes checked tickets, all in the caller's transaction, with a few
/// statements for the whole batch rather than a few per ticket: the
/// numbers reserved at once from each tenant's counter, the rows inserted
/// many per statement (the full-text index follows by trigger), read back
/// once with their names, their audit lines and their clocks many per
/// statement, each by its own opener. The tickets come back in the order
/// given.
pub(crate) async fn insert_tickets(
    tx: &mut Transaction<'static, Any>,
    backend: crate::Backend,
    now: Timestamp,
    prepared: &[Opening<'_>],
    clocks: &mut crate::sla::ClockContext,
) -> Result<Vec<TicketRecord>> {
    use std::collections::HashMap;
    let mut counts: HashMap<TenantId, i64> = HashMap::new();
    for p in prepared {
        *counts.entry(p.entity.tenant_id).or_default() += 1;
    }
    let mut next: HashMap<TenantId, i64> = HashMap::with_capacity(counts.len());
    for (tenant, count) in counts {
        next.insert(tenant, reserve_numbers(tx, tenant, "ticket", count).await?);
    }
    let mut numbers = Vec::with_capacity(prepared.len());
    let mut rows = Vec::with_capacity(prepared.len());
    for p in prepared {
        let (entity, new) = (p.entity, p.new);
        let author = (p.actor.user != UserId::SYSTEM).then_some(p.actor.user.0);
        let slot = next.entry(entity.tenant_id).or_insert(1);
        let number = *slot;
        *slot += 1;
        numbers.push((entity.tenant_id, number));
        let status = if p.group.is_some() {
            Status::Assigned
        } else {
            Status::New
        };
        rows.push(
            NewRow {
                tenant: entity.tenant_id,
                number,
                entity_id: entity.id,
                entity_path: &entity.path,
                new,
                status,
                group: p.group,
                assignee: None,
                resolved_at: None,
                author,
                created_at: now,
                updated_at: now,
            }
            .values(),
        );
    }
    // RETURNING order is not guaranteed: rows are matched by their number.
    let mut ids: HashMap<(TenantId, i64), i64> = HashMap::with_capacity(prepared.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(NEW_PER_STATEMENT).collect();
        let mut sql = Sql::insert_many("tickets", &NEW_ROW_COLUMNS, chunk);
        sql.push(" RETURNING id, tenant_id, number");
        for row in sql
            .for_backend(backend)
            .query()
            .fetch_all(&mut **tx)
            .await?
        {
            ids.insert(
                (TenantId(row.try_get("tenant_id")?), row.try_get("number")?),
                row.try_get("id")?,
            );
        }
    }
    let wanted: Vec<i64> = numbers
        .iter()
        .map(|n| {
            ids.get(n)
                .copied()
                .ok_or_else(|| StoreError::Database("a new ticket came back without its id".into()))
        })
        .collect::<Result<_>>()?;
    let mut read: HashMap<i64, TicketRecord> = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(NEW_PER_STATEMENT) {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND t.id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        for row in sql
            .for_backend(backend)
            .query()
            .fetch_all(&mut **tx)
            .await?
        {
            let t = ticket_row(&row)?;
            read.insert(t.id.0, t);
        }
    }
    let created: Vec<TicketRecord> = wanted
        .iter()
        .map(|id| {
            read.remove(id)
                .ok_or_else(|| StoreError::Database(format!("new ticket {id} not found")))
        })
        .collect::<Result<_>>()?;
    let lines: Vec<_> = created
        .iter()
        .map(|t| (target(t), created_fields(t)))
        .collect();
    let by: Vec<_> = prepared
        .iter()
        .zip(&lines)
        .map(|(p, (target, fields))| (p.actor, target, fields))
        .collect();
    crate::audit::record_created(tx, backend, now, &by).await?;
    // SLA: start the tickets' clocks in the same transaction.
    let mut clock_rows = Vec::new();
    for t in &created {
        let subject = crate::sla::ClockSubject::opened(t);
        clock_rows.extend(crate::sla::new_clock_rows(tx, &subject, now, clocks).await?);
    }
    crate::sla::insert_clock_rows(tx, backend, clock_rows, now).await?;
    Ok(created)
}

/// Opens a ticket inside the caller's transaction, for a caller that
/// checked it itself (the event processor opening an incident for a
/// tenant's monitoring account, the mail intake): number, row, audit line
/// and clocks.
pub(crate) async fn insert_ticket_in(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    now: Timestamp,
    entity: &EntityRecord,
    new: &NewTicket,
    group: Option<GroupId>,
    clocks: &mut crate::sla::ClockContext,
) -> Result<TicketRecord> {
    let opening = [Opening {
        actor,
        entity,
        new,
        group,
    }];
    let backend = clocks.backend();
    insert_tickets(tx, backend, now, &opening, clocks)
        .await?
        .pop()
        .ok_or_else(|| StoreError::Database("no ticket was created".into()))
}
