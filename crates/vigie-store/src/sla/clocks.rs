//! The clocks of tickets: started when a ticket opens and moved when it
//! changes, inside the transaction of that change; read for the ticket page
//! and the monthly report. What a clock does is the core's
//! (`vigie_core::sla::clock`); this file loads its inputs and writes its
//! results, with the next escalation instant kept on the row for the job.

use std::collections::HashMap;
use std::sync::Arc;

use super::cache::{SlaCache, TenantSla};
use super::targets::{TargetRecord, tenant_targets};
use super::{load_calendar, parse};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, TicketRecord, from_micros, micros};
use jiff::SignedDuration;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use vigie_core::Timestamp;
use vigie_core::calendar::BusinessCalendar;
use vigie_core::ids::{TenantId, TicketId};
use vigie_core::sla::escalate::{due_levels, next_due_at};
use vigie_core::sla::report::{ReportRow, Verdict};
use vigie_core::sla::{
    EscalationLevel, Metric, SlaClock, TargetKind, TicketPhase, clocks_to_start, select_targets,
};

/// A clock as stored, with its target's name and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockRecord {
    /// Its id.
    pub id: i64,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its ticket.
    pub ticket_id: TicketId,
    /// The target it measures against.
    pub target_id: i64,
    /// That target's name.
    pub target_name: String,
    /// That target's kind.
    pub kind: TargetKind,
    /// The calendar it counts in.
    pub calendar_id: i64,
    /// The clock itself.
    pub clock: SlaClock,
    /// When its next escalation level falls due.
    pub next_escalation_at: Option<Timestamp>,
}

pub(super) const SELECT: &str = "SELECT c.id, c.tenant_id, c.ticket_id, c.target_id, g.name AS target_name, \
    g.kind, g.calendar_id, c.metric, c.allowance_us, c.elapsed_us, c.started_at, c.running_since, \
    c.stopped_at, c.deadline, c.next_escalation_at FROM sla_clocks c JOIN sla_targets g ON g.id = c.target_id";

fn instant(row: &AnyRow, column: &str) -> Result<Option<Timestamp>> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_micros))
}

pub(super) fn clock_row(row: &AnyRow) -> Result<ClockRecord> {
    Ok(ClockRecord {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        ticket_id: TicketId(row.try_get("ticket_id")?),
        target_id: row.try_get("target_id")?,
        target_name: row.try_get("target_name")?,
        kind: parse(row, "kind")?,
        calendar_id: row.try_get("calendar_id")?,
        clock: SlaClock {
            metric: parse(row, "metric")?,
            allowance: SignedDuration::from_micros(row.try_get("allowance_us")?),
            elapsed: SignedDuration::from_micros(row.try_get("elapsed_us")?),
            started_at: from_micros(row.try_get("started_at")?),
            running_since: instant(row, "running_since")?,
            stopped_at: instant(row, "stopped_at")?,
            deadline: instant(row, "deadline")?,
        },
        next_escalation_at: instant(row, "next_escalation_at")?,
    })
}

/// The phase a clock sees of a ticket.
pub(super) fn phase_of(t: &TicketRecord) -> TicketPhase {
    TicketPhase::of(t.status, t.pending_reason, t.assignee_id.is_some())
}

/// Built calendars by id, loaded once per transaction.
#[derive(Default)]
pub(super) struct Calendars(HashMap<i64, BusinessCalendar>);

impl Calendars {
    /// The calendars built so far, by id.
    pub(super) fn into_map(self) -> HashMap<i64, BusinessCalendar> {
        self.0
    }

    pub(super) async fn get(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        tenant: TenantId,
        id: i64,
    ) -> Result<&BusinessCalendar> {
        use std::collections::hash_map::Entry;
        match self.0.entry(id) {
            Entry::Occupied(built) => Ok(built.into_mut()),
            Entry::Vacant(slot) => {
                let spec = load_calendar(tx, tenant, id).await?.spec;
                let built = spec
                    .build()
                    .map_err(|e| StoreError::Database(format!("stored calendar {id}: {e}")))?;
                Ok(slot.insert(built))
            }
        }
    }
}

fn micros_of(d: SignedDuration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn clock_values(
    clock: &SlaClock,
    next: Option<Timestamp>,
    now: Timestamp,
) -> Vec<(&'static str, crate::sql::Arg)> {
    vec![
        ("allowance_us", micros_of(clock.allowance).into()),
        ("elapsed_us", micros_of(clock.elapsed).into()),
        ("started_at", micros(clock.started_at).into()),
        ("running_since", clock.running_since.map(micros).into()),
        ("stopped_at", clock.stopped_at.map(micros).into()),
        ("deadline", clock.deadline.map(micros).into()),
        ("next_escalation_at", next.map(micros).into()),
        ("updated_at", micros(now).into()),
    ]
}

/// What starting clocks reads once per transaction: each tenant's targets
/// and their calendars built, from the store's cache when the tenant's
/// service level settings did not change (one read of their revision),
/// so that a batch of tickets, and each ticket after the first, reads and
/// builds none of them.
pub(crate) struct ClockContext {
    backend: crate::Backend,
    cache: Arc<SlaCache>,
    tenants: HashMap<TenantId, Arc<TenantSla>>,
}

impl ClockContext {
    /// A context for one transaction, taking settings from `cache`.
    pub(crate) fn new(backend: crate::Backend, cache: Arc<SlaCache>) -> Self {
        ClockContext {
            backend,
            cache,
            tenants: HashMap::new(),
        }
    }

    /// The database the transaction runs on.
    pub(crate) fn backend(&self) -> crate::Backend {
        self.backend
    }

    async fn tenant(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        tenant: TenantId,
    ) -> Result<Arc<TenantSla>> {
        if let Some(settings) = self.tenants.get(&tenant) {
            return Ok(settings.clone());
        }
        let settings = self.cache.tenant(tx, tenant).await?;
        self.tenants.insert(tenant, settings.clone());
        Ok(settings)
    }
}

impl Store {
    /// A clock context using this store's cache of service level settings.
    pub(crate) fn clock_context(&self) -> ClockContext {
        ClockContext::new(self.backend, self.sla_cache())
    }

    /// This store's cache of service level settings, shared by its clones.
    pub(crate) fn sla_cache(&self) -> Arc<SlaCache> {
        self.sla.clone()
    }
}

/// The columns of a clock row, in the order of [`new_clock_rows`].
const CLOCK_COLUMNS: [&str; 12] = [
    "allowance_us",
    "elapsed_us",
    "started_at",
    "running_since",
    "stopped_at",
    "deadline",
    "next_escalation_at",
    "updated_at",
    "tenant_id",
    "ticket_id",
    "target_id",
    "metric",
];

/// Clock rows per statement: 12 columns × 2,000 rows stays under SQLite's
/// limit of 32,766 parameters.
const CLOCKS_PER_STATEMENT: usize = 2000;

/// What starting a ticket's clocks needs to know of it.
pub(crate) struct ClockSubject<'a> {
    /// Its tenant.
    pub(crate) tenant: TenantId,
    /// The ticket.
    pub(crate) ticket: TicketId,
    /// Its service.
    pub(crate) service_ref: Option<&'a str>,
    /// Its priority.
    pub(crate) priority: vigie_core::ticket::priority::Priority,
    /// When it opened, and in which phase.
    pub(crate) opened: (Timestamp, TicketPhase),
    /// For history (imported tickets): the phase it reached since, and
    /// when. Escalation levels already due at the import are recorded as
    /// done, and never fire.
    pub(crate) since: Option<(Timestamp, TicketPhase)>,
}

impl<'a> ClockSubject<'a> {
    /// A ticket just opened.
    pub(crate) fn opened(ticket: &'a TicketRecord) -> Self {
        ClockSubject {
            tenant: ticket.tenant_id,
            ticket: ticket.id,
            service_ref: ticket.service_ref.as_deref(),
            priority: ticket.priority,
            opened: (ticket.created_at, phase_of(ticket)),
            since: None,
        }
    }
}

/// A clock to insert: its row in [`CLOCK_COLUMNS`] order, and the
/// escalation levels it starts past (history only), to be recorded as done.
pub(crate) struct NewClock {
    row: Vec<crate::sql::Arg>,
    key: (i64, i64, &'static str),
    passed: Vec<EscalationLevel>,
}

/// The clocks a ticket starts: one per target that applies (the core's
/// `select_targets`) and metric it measures, to insert. `ctx` keeps what
/// earlier tickets of the same transaction already read.
pub(crate) async fn new_clock_rows(
    tx: &mut Transaction<'static, Any>,
    subject: &ClockSubject<'_>,
    now: Timestamp,
    ctx: &mut ClockContext,
) -> Result<Vec<NewClock>> {
    let settings = ctx.tenant(tx, subject.tenant).await?;
    let mut clocks = Vec::new();
    if settings.targets.is_empty() {
        return Ok(clocks);
    }
    let (opened_at, phase) = &subject.opened;
    for target in select_targets(&settings.targets, subject.service_ref, subject.priority) {
        let Some(record) = settings.records.iter().find(|r| r.target.id == target.id) else {
            continue;
        };
        let Some(calendar) = settings.calendar(record.calendar_id) else {
            continue;
        };
        for metric in target.metrics() {
            let Some(mut clock) = SlaClock::start(target, metric, phase, *opened_at, calendar)
            else {
                continue;
            };
            let mut passed = Vec::new();
            if let Some((at, later)) = &subject.since {
                clock = clock.follow(target, later, *at, calendar);
                passed = due_levels(&target.levels, &clock, &[], now, calendar);
            }
            let next = next_due_at(&target.levels, &clock, &passed, calendar);
            let mut row: Vec<crate::sql::Arg> = clock_values(&clock, next, now)
                .into_iter()
                .map(|(_, v)| v)
                .collect();
            row.extend([
                subject.tenant.0.into(),
                subject.ticket.0.into(),
                target.id.into(),
                metric.as_str().into(),
            ]);
            clocks.push(NewClock {
                row,
                key: (subject.ticket.0, target.id, metric.as_str()),
                passed,
            });
        }
    }
    Ok(clocks)
}

/// Marker rows per statement: 4 columns × 5,000 rows stays under SQLite's
/// limit of 32,766 parameters.
const MARKERS_PER_STATEMENT: usize = 5000;

/// Writes clocks from [`new_clock_rows`], many per statement, and the
/// levels they start past as done (so that none fires later for what
/// happened before the import).
pub(crate) async fn insert_clock_rows(
    tx: &mut Transaction<'static, Any>,
    backend: crate::Backend,
    clocks: Vec<NewClock>,
    now: Timestamp,
) -> Result<()> {
    let mut passed: HashMap<(i64, i64, &'static str), Vec<EscalationLevel>> = HashMap::new();
    let mut rows = Vec::with_capacity(clocks.len());
    for c in clocks {
        if !c.passed.is_empty() {
            passed.insert(c.key, c.passed);
        }
        rows.push(c.row);
    }
    let mut markers: Vec<Vec<crate::sql::Arg>> = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CLOCKS_PER_STATEMENT).collect();
        let mut sql = Sql::insert_many("sla_clocks", &CLOCK_COLUMNS, chunk);
        if passed.is_empty() {
            sql.for_backend(backend).query().execute(&mut **tx).await?;
            continue;
        }
        sql.push(" RETURNING id, ticket_id, target_id, metric");
        for row in sql
            .for_backend(backend)
            .query()
            .fetch_all(&mut **tx)
            .await?
        {
            let metric: String = row.try_get("metric")?;
            let metric: Metric = metric
                .parse()
                .map_err(|e| StoreError::Database(format!("metric: {e}")))?;
            let key = (
                row.try_get::<i64, _>("ticket_id")?,
                row.try_get::<i64, _>("target_id")?,
                metric.as_str(),
            );
            let id: i64 = row.try_get("id")?;
            for level in passed.get(&key).map(Vec::as_slice).unwrap_or_default() {
                markers.push(vec![
                    id.into(),
                    i64::from(level.percent).into(),
                    level.action.as_str().into(),
                    micros(now).into(),
                ]);
            }
        }
    }
    let mut markers = markers.into_iter().peekable();
    while markers.peek().is_some() {
        let chunk: Vec<_> = markers.by_ref().take(MARKERS_PER_STATEMENT).collect();
        Sql::insert_many(
            "sla_escalations_fired",
            &["clock_id", "percent", "action", "fired_at"],
            chunk,
        )
        .for_backend(backend)
        .query()
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The levels already fired, per clock of a ticket.
pub(super) async fn fired_of_ticket(
    tx: &mut Transaction<'static, Any>,
    ticket: TicketId,
) -> Result<HashMap<i64, Vec<EscalationLevel>>> {
    let rows = Sql::new(
        "SELECT f.clock_id, f.percent, f.action FROM sla_escalations_fired f \
         JOIN sla_clocks c ON c.id = f.clock_id WHERE c.ticket_id = ",
    )
    .bind(ticket.0)
    .query()
    .fetch_all(&mut **tx)
    .await?;
    let mut fired: HashMap<i64, Vec<EscalationLevel>> = HashMap::new();
    for row in rows {
        let percent: i64 = row.try_get("percent")?;
        let level = EscalationLevel::new(
            u16::try_from(percent).unwrap_or(u16::MAX),
            parse(&row, "action")?,
        );
        fired
            .entry(row.try_get("clock_id")?)
            .or_default()
            .push(level);
    }
    Ok(fired)
}

/// Moves the clocks of a ticket after a change, inside the transaction of
/// that change (the tenant's targets and calendars from `ctx`). A new priority or service changes the targets that apply:
/// each clock is measured against the target of the same kind that applies
/// now (if there is one; else it keeps its own), and the clocks of targets
/// that start to apply start now (the core's `clocks_to_start`). A new
/// status, pending reason or agent moves them (pause, resume, stop,
/// reopen).
pub(crate) async fn follow_clocks(
    tx: &mut Transaction<'static, Any>,
    before: &TicketRecord,
    after: &TicketRecord,
    now: Timestamp,
    ctx: &mut ClockContext,
) -> Result<()> {
    let retargeted = before.priority != after.priority || before.service_ref != after.service_ref;
    let moved = phase_of(before) != phase_of(after);
    if !retargeted && !moved {
        return Ok(());
    }
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE c.ticket_id = ")
        .bind(after.id.0)
        .push(" ORDER BY c.id");
    let rows = sql.query().fetch_all(&mut **tx).await?;
    if rows.is_empty() && !retargeted {
        return Ok(());
    }
    let settings = ctx.tenant(tx, after.tenant_id).await?;
    let records = &settings.records;
    let chosen = select_targets(
        &settings.targets,
        after.service_ref.as_deref(),
        after.priority,
    );
    let calendar_of = |id: i64| {
        settings
            .calendar(id)
            .ok_or_else(|| StoreError::Database(format!("calendar {id} of a target is missing")))
    };
    let fired = fired_of_ticket(tx, after.id).await?;
    let phase = phase_of(after);
    let mut measured = Vec::with_capacity(rows.len());
    for row in rows {
        let stored = clock_row(&row)?;
        measured.push((stored.kind, stored.clock.metric));
        let Some(mut record) = records.iter().find(|r| r.target.id == stored.target_id) else {
            continue;
        };
        let mut clock = stored.clock;
        if retargeted {
            let new = chosen
                .iter()
                .find(|t| t.kind == stored.kind && t.allowance(clock.metric).is_some())
                .and_then(|t| records.iter().find(|r| r.target.id == t.id))
                .filter(|new| new.target.id != record.target.id);
            if let Some(new) = new {
                let settled = clock.settle(now, calendar_of(record.calendar_id)?);
                let calendar = calendar_of(new.calendar_id)?;
                clock = settled.reprice(&new.target, &phase, now, calendar);
                record = new;
            }
        }
        let calendar = calendar_of(record.calendar_id)?;
        if moved {
            clock = clock.follow(&record.target, &phase, now, calendar);
        }
        let done = fired.get(&stored.id).map(Vec::as_slice).unwrap_or_default();
        let next = next_due_at(&record.target.levels, &clock, done, calendar);
        write_clock(tx, stored.id, record, &clock, next, now).await?;
    }
    if retargeted {
        for (target, metric) in clocks_to_start(&chosen, &measured, &phase) {
            let Some(record) = records.iter().find(|r| r.target.id == target.id) else {
                continue;
            };
            let calendar = calendar_of(record.calendar_id)?;
            let Some(clock) = SlaClock::start(target, metric, &phase, now, calendar) else {
                continue;
            };
            let next = next_due_at(&target.levels, &clock, &[], calendar);
            let mut values = clock_values(&clock, next, now);
            values.extend([
                ("tenant_id", after.tenant_id.0.into()),
                ("ticket_id", after.id.0.into()),
                ("target_id", target.id.into()),
                ("metric", metric.as_str().into()),
            ]);
            Sql::insert("sla_clocks", values)
                .query()
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

async fn write_clock(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    target: &TargetRecord,
    clock: &SlaClock,
    next: Option<Timestamp>,
    now: Timestamp,
) -> Result<()> {
    let mut values = clock_values(clock, next, now);
    values.push(("target_id", target.target.id.into()));
    Sql::update("sla_clocks", values, ("id", id.into()))
        .query()
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives the running clocks counted in calendar `id` their deadline again
/// (the calendar changed), with their next escalation instant.
pub(super) async fn recompute_calendar(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    id: i64,
    calendar: &BusinessCalendar,
    now: Timestamp,
) -> Result<()> {
    let records = tenant_targets(tx, tenant).await?;
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE g.calendar_id = ")
        .bind(id)
        .push(" AND c.tenant_id = ")
        .bind(tenant.0)
        .push(" AND c.stopped_at IS NULL");
    let rows = sql.query().fetch_all(&mut **tx).await?;
    for row in rows {
        let stored = clock_row(&row)?;
        let Some(record) = records.iter().find(|r| r.target.id == stored.target_id) else {
            continue;
        };
        let fired = fired_of_ticket(tx, stored.ticket_id).await?;
        let clock = stored.clock.recompute(calendar);
        let done = fired.get(&stored.id).map(Vec::as_slice).unwrap_or_default();
        let next = next_due_at(&record.target.levels, &clock, done, calendar);
        write_clock(tx, stored.id, record, &clock, next, now).await?;
    }
    Ok(())
}

/// Gives the open clocks of target `id` their next escalation instant again
/// (its levels changed); their allowance stays the one they started with.
pub(super) async fn refresh_target(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    id: i64,
) -> Result<()> {
    let records = tenant_targets(tx, tenant).await?;
    let Some(record) = records.iter().find(|r| r.target.id == id) else {
        return Ok(());
    };
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE c.target_id = ")
        .bind(id)
        .push(" AND c.tenant_id = ")
        .bind(tenant.0)
        .push(" AND c.stopped_at IS NULL");
    let rows = sql.query().fetch_all(&mut **tx).await?;
    let mut calendars = Calendars::default();
    for row in rows {
        let stored = clock_row(&row)?;
        let fired = fired_of_ticket(tx, stored.ticket_id).await?;
        let calendar = calendars.get(tx, tenant, record.calendar_id).await?;
        let done = fired.get(&stored.id).map(Vec::as_slice).unwrap_or_default();
        let next = next_due_at(&record.target.levels, &stored.clock, done, calendar);
        Sql::new("UPDATE sla_clocks SET next_escalation_at = ")
            .bind(next.map(micros))
            .push(" WHERE id = ")
            .bind(stored.id)
            .query()
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Which tickets a monthly report covers.
#[derive(Clone, Debug)]
pub struct ReportQuery {
    /// The tenant.
    pub tenant: TenantId,
    /// The kind of target reported on (usually SLA).
    pub kind: TargetKind,
    /// Tickets opened from this instant…
    pub from: Timestamp,
    /// …until this one (excluded).
    pub to: Timestamp,
    /// Only this service's tickets.
    pub service: Option<String>,
    /// The instant the verdicts are taken at.
    pub now: Timestamp,
}

impl Store {
    /// The clocks of a ticket the caller has read.
    pub async fn ticket_clocks(&self, ticket: &TicketRecord) -> Result<Vec<ClockRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE c.ticket_id = ")
            .bind(ticket.id.0)
            .push(" AND c.tenant_id = ")
            .bind(ticket.tenant_id.0)
            .push(" ORDER BY g.kind, c.metric, c.id");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(clock_row).collect()
    }

    /// One row per ticket opened in the period, with the verdicts of its
    /// clocks of the kind reported on, at `query.now`.
    pub async fn sla_report_rows(&self, query: &ReportQuery) -> Result<Vec<ReportRow>> {
        let mut sql = Sql::new(
            "SELECT t.id AS ticket, t.number, t.title, t.type, t.priority, t.service_ref, t.solution_code, \
             t.pending_reason, c.metric, c.allowance_us, c.elapsed_us, c.started_at, c.running_since, \
             c.stopped_at, c.deadline, g.calendar_id FROM tickets t \
             LEFT JOIN sla_clocks c ON c.ticket_id = t.id AND c.target_id IN \
             (SELECT id FROM sla_targets WHERE tenant_id = ",
        );
        sql.bind(query.tenant.0)
            .push(" AND kind = ")
            .bind(query.kind.as_str())
            .push(") LEFT JOIN sla_targets g ON g.id = c.target_id WHERE t.tenant_id = ")
            .bind(query.tenant.0)
            .push(" AND t.created_at >= ")
            .bind(micros(query.from))
            .push(" AND t.created_at < ")
            .bind(micros(query.to));
        if let Some(s) = &query.service {
            sql.push(" AND t.service_ref = ").bind(s.as_str());
        }
        sql.push(" ORDER BY t.id");
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut tx = self.pool().begin().await?;
        let mut calendars = Calendars::default();
        let mut out: Vec<ReportRow> = Vec::new();
        let mut last_ticket = None;
        for row in rows {
            let ticket: i64 = row.try_get("ticket")?;
            if last_ticket != Some(ticket) {
                last_ticket = Some(ticket);
                let code: Option<String> = row.try_get("solution_code")?;
                let pending: Option<String> = row.try_get("pending_reason")?;
                out.push(ReportRow {
                    number: row.try_get("number")?,
                    title: row.try_get("title")?,
                    ticket_type: parse(&row, "type")?,
                    priority: parse(&row, "priority")?,
                    service_ref: row.try_get("service_ref")?,
                    own: None,
                    resolve: None,
                    reason: code.or(pending.map(|p| format!("pending {p}"))),
                });
            }
            let Some(metric) = row.try_get::<Option<String>, _>("metric")? else {
                continue;
            };
            let metric: Metric = metric
                .parse()
                .map_err(|e| StoreError::Database(format!("metric: {e}")))?;
            let clock = SlaClock {
                metric,
                allowance: SignedDuration::from_micros(row.try_get("allowance_us")?),
                elapsed: SignedDuration::from_micros(row.try_get("elapsed_us")?),
                started_at: from_micros(row.try_get("started_at")?),
                running_since: instant(&row, "running_since")?,
                stopped_at: instant(&row, "stopped_at")?,
                deadline: instant(&row, "deadline")?,
            };
            let state = clock.state_at(query.now);
            let overdue = if state == vigie_core::sla::ClockState::Breached {
                let calendar = calendars
                    .get(&mut tx, query.tenant, row.try_get("calendar_id")?)
                    .await?;
                (-clock.left_at(query.now, calendar)).max(SignedDuration::ZERO)
            } else {
                SignedDuration::ZERO
            };
            if let Some(last) = out.last_mut() {
                let verdict = Some(Verdict { state, overdue });
                match metric {
                    Metric::Own => last.own = verdict,
                    Metric::Resolve => last.resolve = verdict,
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}
