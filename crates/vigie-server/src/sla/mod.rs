//! Service level use cases the API and the web pages share: a ticket's
//! clocks as shown (deadline, business time left, state), calendars and
//! targets as typed checked into the core's values ([`input`]), the preview
//! of a target ([`preview`]), and the monthly report. The figures are the
//! core's (`vigie_core::sla`); this module gathers their inputs from the
//! store.

pub mod escalation;
pub mod input;
pub mod preview;
mod report;

pub use report::{MonthlyReport, ServiceAvailability, monthly_report, report_csv};

use std::collections::HashMap;

use jiff::SignedDuration;
use vigie_core::Timestamp;
use vigie_core::calendar::BusinessCalendar;
use vigie_core::ids::TenantId;
use vigie_core::sla::{ClockState, Metric, TargetKind};
use vigie_store::{Store, StoreError, TicketRecord};

/// One clock of a ticket, as the ticket page and the API show it.
#[derive(Clone, Debug)]
pub struct ClockView {
    /// The target's name.
    pub target: String,
    /// SLA, OLA or UC.
    pub kind: TargetKind,
    /// Own or resolve.
    pub metric: Metric,
    /// Its state now.
    pub state: ClockState,
    /// When it runs out (while running).
    pub deadline: Option<Timestamp>,
    /// The business time allowed.
    pub allowance: SignedDuration,
    /// The business time left now (negative once breached).
    pub left: SignedDuration,
    /// When it stopped.
    pub stopped_at: Option<Timestamp>,
}

/// Built calendars of a tenant, by id.
pub(crate) struct Calendars<'a> {
    store: &'a Store,
    tenant: TenantId,
    built: HashMap<i64, BusinessCalendar>,
}

impl<'a> Calendars<'a> {
    pub(crate) fn new(store: &'a Store, tenant: TenantId) -> Self {
        Calendars {
            store,
            tenant,
            built: HashMap::new(),
        }
    }

    pub(crate) async fn get(&mut self, id: i64) -> Result<&BusinessCalendar, StoreError> {
        use std::collections::hash_map::Entry;
        match self.built.entry(id) {
            Entry::Occupied(c) => Ok(c.into_mut()),
            Entry::Vacant(slot) => {
                let spec = self.store.get_calendar(self.tenant, id).await?.spec;
                let built = spec
                    .build()
                    .map_err(|e| StoreError::Database(format!("stored calendar {id}: {e}")))?;
                Ok(slot.insert(built))
            }
        }
    }
}

/// The clocks of a ticket the caller has read, at `now`.
pub async fn ticket_clocks(
    store: &Store,
    ticket: &TicketRecord,
    now: Timestamp,
) -> Result<Vec<ClockView>, StoreError> {
    let mut calendars = Calendars::new(store, ticket.tenant_id);
    let mut out = Vec::new();
    for c in store.ticket_clocks(ticket).await? {
        let calendar = calendars.get(c.calendar_id).await?;
        out.push(ClockView {
            target: c.target_name.clone(),
            kind: c.kind,
            metric: c.clock.metric,
            state: c.clock.state_at(now),
            deadline: c.clock.deadline,
            allowance: c.clock.allowance,
            left: c.clock.left_at(now, calendar),
            stopped_at: c.clock.stopped_at,
        });
    }
    Ok(out)
}

/// A business duration as `1 h 30 min` (`-` in front when overdue).
pub fn show_duration(d: SignedDuration) -> String {
    let sign = if d.is_negative() { "-" } else { "" };
    let mins = d.as_mins().unsigned_abs();
    match (mins / 60, mins % 60) {
        (0, m) => format!("{sign}{m} min"),
        (h, 0) => format!("{sign}{h} h"),
        (h, m) => format!("{sign}{h} h {m:02} min"),
    }
}
