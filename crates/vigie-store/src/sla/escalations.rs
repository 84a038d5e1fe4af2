//! Escalation before breach, the store's part: the clocks whose next level
//! is due, what the job needs to decide, and firing a level exactly once —
//! the marker (its primary key refuses a second one), the clock's next
//! instant, and the effect on the ticket (internal note, history line,
//! priority or group) in one transaction.

use super::clocks::{ClockRecord, SELECT, clock_row, follow_clocks};
use super::targets::{TargetRecord, target_row};
use super::{load_calendar, targets};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, TicketRecord, micros};
use sqlx::Row;
use vigie_core::Timestamp;
use vigie_core::ids::{GroupId, TicketId};
use vigie_core::sla::{CalendarSpec, EscalationLevel};
use vigie_core::tenancy::Actor;
use vigie_core::ticket::Status;
use vigie_core::ticket::priority::Priority;

/// What the job needs to decide the levels due on one clock.
#[derive(Clone, Debug)]
pub struct EscalationCase {
    /// The clock.
    pub clock: ClockRecord,
    /// Its target (with the levels).
    pub target: TargetRecord,
    /// The calendar it counts in.
    pub calendar: CalendarSpec,
    /// The levels already fired.
    pub fired: Vec<EscalationLevel>,
    /// Its ticket.
    pub ticket: TicketRecord,
}

/// What firing a level does to the ticket; each leaves an internal note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EscalationEffect {
    /// Only the note (notify; alert the manager).
    Note(String),
    /// A new priority (a history line), and the note.
    Raise {
        /// The priority after the raise.
        priority: Priority,
        /// The note.
        note: String,
    },
    /// To another group, released from its agent, in the status the
    /// lifecycle decided; and the note.
    Move {
        /// The group.
        group: GroupId,
        /// The status after the move.
        status: Status,
        /// The note.
        note: String,
    },
}

/// One escalation level firing: what it does and whom it tells.
#[derive(Clone, Copy, Debug)]
pub struct Firing<'a> {
    /// The level.
    pub level: EscalationLevel,
    /// What it does to the ticket.
    pub effect: &'a EscalationEffect,
    /// Whom it tells (decided by `vigie_core::notification`).
    pub notify: &'a [vigie_core::notification::Notification],
}

impl Store {
    /// Clocks whose next escalation instant is at or before `now`, oldest first.
    pub async fn due_clocks(&self, now: Timestamp, limit: i64) -> Result<Vec<i64>> {
        let rows = Sql::new("SELECT id FROM sla_clocks WHERE next_escalation_at <= ")
            .bind(micros(now))
            .push(" AND stopped_at IS NULL ORDER BY next_escalation_at, id LIMIT ")
            .bind(limit)
            .query()
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// The earliest escalation instant still ahead, of any tenant.
    pub async fn next_escalation(&self) -> Result<Option<Timestamp>> {
        let row = Sql::new(
            "SELECT MIN(next_escalation_at) AS next FROM sla_clocks WHERE stopped_at IS NULL",
        )
        .query()
        .fetch_one(self.pool())
        .await?;
        Ok(row
            .try_get::<Option<i64>, _>("next")?
            .map(crate::from_micros))
    }

    /// Everything needed to decide the due levels of clock `id`.
    pub async fn escalation_case(&self, id: i64) -> Result<EscalationCase> {
        let mut tx = self.pool().begin().await?;
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE c.id = ").bind(id);
        let clock = clock_row(
            &sql.query()
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?,
        )?;
        let mut sql = Sql::new(targets::SELECT);
        sql.push(" WHERE id = ").bind(clock.target_id);
        let target = target_row(&sql.query().fetch_one(&mut *tx).await?)?;
        let calendar = load_calendar(&mut tx, clock.tenant_id, target.calendar_id)
            .await?
            .spec;
        let fired = super::clocks::fired_of_ticket(&mut tx, clock.ticket_id)
            .await?
            .remove(&id)
            .unwrap_or_default();
        let ticket = crate::tickets::ticket_in_tx(&mut tx, clock.ticket_id).await?;
        tx.commit().await?;
        Ok(EscalationCase {
            clock,
            target,
            calendar,
            fired,
            ticket,
        })
    }

    /// Records the next escalation instant of a clock (nothing was due).
    pub async fn set_next_escalation(&self, id: i64, next: Option<Timestamp>) -> Result<()> {
        Sql::new("UPDATE sla_clocks SET next_escalation_at = ")
            .bind(next.map(micros))
            .push(" WHERE id = ")
            .bind(id)
            .query()
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The group of the lowest support level above `level` in the ticket's
    /// tenant, if any.
    pub async fn next_level_group(
        &self,
        ticket: &TicketRecord,
        level: i64,
    ) -> Result<Option<GroupId>> {
        let row = Sql::new("SELECT id FROM support_groups WHERE tenant_id = ")
            .bind(ticket.tenant_id.0)
            .push(" AND level > ")
            .bind(level)
            .push(" ORDER BY level, id LIMIT 1")
            .query()
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok(GroupId(r.try_get("id")?))).transpose()
    }

    /// Fires `level` of clock `clock_id` once: returns `false`, changing
    /// nothing, if it already fired (another instance, an earlier run).
    /// The marker, the clock's `next` instant, the effect on the ticket and
    /// the notifications `notify` are one transaction.
    pub async fn fire_escalation(
        &self,
        clock_id: i64,
        ticket: TicketId,
        firing: Firing<'_>,
        next: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool> {
        let Firing {
            level,
            effect,
            notify,
        } = firing;
        let system = Actor::system();
        let mut tx = self.write_tx().await?;
        let mut marker = Sql::insert(
            "sla_escalations_fired",
            vec![
                ("clock_id", clock_id.into()),
                ("percent", i64::from(level.percent).into()),
                ("action", level.action.as_str().into()),
                ("fired_at", micros(now).into()),
            ],
        );
        marker.push(" ON CONFLICT (clock_id, percent, action) DO NOTHING");
        if marker.query().execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        Sql::new("UPDATE sla_clocks SET next_escalation_at = ")
            .bind(next.map(micros))
            .push(" WHERE id = ")
            .bind(clock_id)
            .query()
            .execute(&mut *tx)
            .await?;
        let before = crate::tickets::ticket_in_tx(&mut tx, ticket).await?;
        let note = match effect {
            EscalationEffect::Note(note) => note,
            EscalationEffect::Raise { priority, note } => {
                let mut sql = Sql::update(
                    "tickets",
                    vec![
                        ("priority", priority.as_str().into()),
                        ("priority_rank", i64::from(priority.rank()).into()),
                        ("updated_at", micros(now).into()),
                    ],
                    ("id", ticket.0.into()),
                );
                sql.push(" AND status = ").bind(before.status.as_str());
                sql.query().execute(&mut *tx).await?;
                let after = crate::tickets::ticket_in_tx(&mut tx, ticket).await?;
                crate::tickets::audit_change(&mut tx, &system, now, &before, &after).await?;
                note
            }
            EscalationEffect::Move {
                group,
                status,
                note,
            } => {
                let mut sql = Sql::update(
                    "tickets",
                    vec![
                        ("group_id", group.0.into()),
                        ("assignee_id", Option::<i64>::None.into()),
                        ("status", status.as_str().into()),
                        ("updated_at", micros(now).into()),
                    ],
                    ("id", ticket.0.into()),
                );
                sql.push(" AND status = ").bind(before.status.as_str());
                sql.query().execute(&mut *tx).await?;
                let after = crate::tickets::ticket_in_tx(&mut tx, ticket).await?;
                crate::tickets::audit_change(&mut tx, &system, now, &before, &after).await?;
                follow_clocks(&mut tx, &before, &after, now, &mut self.clock_context()).await?;
                crate::notifications::capture_change(&mut tx, &system, &before, &after, note, now)
                    .await?;
                note
            }
        };
        let current = crate::tickets::ticket_in_tx(&mut tx, ticket).await?;
        crate::comments::insert_comment(&mut tx, &system, now, &current, false, note).await?;
        crate::notifications::capture(&mut tx, &current, &system, notify, note, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
