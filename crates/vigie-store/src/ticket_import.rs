//! Many tickets at once: the data generator of `vigie demo --tickets N` and
//! imports of history. Rows go in by hundreds per statement and thousands
//! per transaction, each with its audit line, with numbers reserved in one
//! step from the tenant's counter, and their service level clocks started
//! as of their opening (and stopped at their resolution).

use crate::sla::{ClockSubject, insert_clock_rows, new_clock_rows};
use crate::sql::{Arg, Sql};
use crate::tickets::{NEW_ROW_COLUMNS, NewRow};
use crate::{Result, Store, micros};
use sqlx::Row;
use vigie_core::Timestamp;
use vigie_core::ids::{GroupId, TenantId, TicketId, UserId};
use vigie_core::sla::TicketPhase;
use vigie_core::tenancy::{Actor, EntityPath};
use vigie_core::ticket::Status;

/// A ticket to import, with its state already decided.
#[derive(Clone, Debug)]
pub struct ImportedTicket {
    /// The opening fields (entity, requester, priority…).
    pub new: crate::NewTicket,
    /// The entity's path (the caller has read the entity).
    pub entity_path: EntityPath,
    /// Its status.
    pub status: Status,
    /// The group holding it.
    pub group_id: Option<GroupId>,
    /// The agent holding it.
    pub assignee_id: Option<UserId>,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When it was resolved, if it is.
    pub resolved_at: Option<Timestamp>,
}

/// Rows per statement: 23 columns × 400 rows stays under SQLite's limit of
/// 32,766 parameters.
const ROWS_PER_STATEMENT: usize = 400;

/// What an imported ticket's clocks know of it: opened unowned (with its
/// group, if it has one), then in its imported status since its
/// resolution, or since its opening when it is still open. The pauses and
/// the moment of ownership before the import are unknown: a resolved
/// ticket's own clock counts until its resolution.
fn history(tenant: TenantId, id: TicketId, t: &ImportedTicket) -> ClockSubject<'_> {
    let opened = if t.group_id.is_some() {
        Status::Assigned
    } else {
        Status::New
    };
    ClockSubject {
        tenant,
        ticket: id,
        service_ref: t.new.service_ref.as_deref(),
        priority: t.new.priority,
        opened: (t.created_at, TicketPhase::of(opened, None, false)),
        since: Some((
            t.resolved_at.unwrap_or(t.created_at),
            TicketPhase::of(t.status, None, t.assignee_id.is_some()),
        )),
    }
}

impl Store {
    /// Imports tickets of one tenant in one transaction; returns how many.
    /// The caller checked entities, requesters and groups.
    pub async fn import_tickets(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        tickets: &[ImportedTicket],
    ) -> Result<usize> {
        if tickets.is_empty() {
            return Ok(0);
        }
        let count = i64::try_from(tickets.len()).unwrap_or(i64::MAX);
        let mut tx = self.write_tx().await?;
        let first = crate::tickets::reserve_numbers(&mut tx, tenant, "ticket", count).await?;
        let mut clocks = self.clock_context();
        let author = (actor.user != UserId::SYSTEM).then_some(actor.user.0);
        for (chunk_index, chunk) in tickets.chunks(ROWS_PER_STATEMENT).enumerate() {
            let base = first + i64::try_from(chunk_index * ROWS_PER_STATEMENT).unwrap_or(0);
            let rows: Vec<Vec<Arg>> = chunk
                .iter()
                .zip(base..)
                .map(|(t, number)| {
                    NewRow {
                        tenant,
                        number,
                        entity_id: t.new.entity_id,
                        entity_path: &t.entity_path,
                        new: &t.new,
                        status: t.status,
                        group: t.group_id,
                        assignee: t.assignee_id,
                        resolved_at: t.resolved_at,
                        author,
                        created_at: t.created_at,
                        updated_at: t.resolved_at.unwrap_or(t.created_at),
                    }
                    .values()
                })
                .collect();
            let mut sql = Sql::insert_many("tickets", &NEW_ROW_COLUMNS, rows);
            // RETURNING order is not guaranteed: match rows by their number.
            sql.push(" RETURNING id, number");
            let sql = sql.for_backend(self.backend);
            let mut ids = Vec::with_capacity(chunk.len());
            for row in sql.query().fetch_all(&mut *tx).await? {
                let id: i64 = row.try_get("id")?;
                let number: i64 = row.try_get("number")?;
                ids.push((number, id));
            }
            ids.sort_unstable();
            let audit: Vec<Vec<Arg>> = ids
                .iter()
                .zip(chunk)
                .map(|((_, id), t)| {
                    vec![
                        tenant.0.into(),
                        t.new.entity_id.0.into(),
                        t.entity_path.as_str().into(),
                        author.into(),
                        actor.login.as_str().into(),
                        micros(now).into(),
                        "create".into(),
                        "ticket".into(),
                        (*id).into(),
                        r#"[{"field":"imported","before":null,"after":"true"}]"#.into(),
                    ]
                })
                .collect();
            Sql::insert_many("audit_log", &crate::audit::COLUMNS, audit)
                .for_backend(self.backend)
                .query()
                .execute(&mut *tx)
                .await?;
            let mut clock_rows = Vec::new();
            for ((_, id), t) in ids.iter().zip(chunk) {
                let subject = history(tenant, TicketId(*id), t);
                clock_rows.extend(new_clock_rows(&mut tx, &subject, now, &mut clocks).await?);
            }
            insert_clock_rows(&mut tx, self.backend, clock_rows, now).await?;
        }
        tx.commit().await?;
        Ok(tickets.len())
    }
}
