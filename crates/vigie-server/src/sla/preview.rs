//! "A P2 opened now would be due at …": the deadlines of a ticket opened
//! now against one of the tenant's targets, for the API's
//! `/tenants/{id}/sla/preview` and the preview form of `/admin/sla`. The
//! target is the one named, or the SLA target the core selects for a
//! priority and a service ([`select_targets`]); the clocks are the core's.

use crate::refusal::Refusal;
use vigie_core::Timestamp;
use vigie_core::ids::TenantId;
use vigie_core::sla::{Metric, SlaClock, TargetKind, TicketPhase, parse_priority, select_targets};
use vigie_core::ticket::Status;
use vigie_core::ticket::priority::Priority;
use vigie_store::{Store, StoreError};

/// Which ticket to preview.
#[derive(Clone, Debug, Default)]
pub struct PreviewAsk {
    /// A target id; it wins over the priority.
    pub target: Option<i64>,
    /// `P1` … `P4`: the SLA target covering it (and the service).
    pub priority: Option<String>,
    /// The service of the ticket.
    pub service: Option<String>,
}

/// When a ticket opened now would be due.
#[derive(Clone, Debug)]
pub struct Preview {
    /// The target's id.
    pub target_id: i64,
    /// The target's name.
    pub target: String,
    /// The priority it covers.
    pub priority: Priority,
    /// The time zone of the target's calendar.
    pub time_zone: String,
    /// Now.
    pub opened_at: Timestamp,
    /// When it must be owned, if the target measures it.
    pub own_due: Option<Timestamp>,
    /// When it must be resolved.
    pub resolve_due: Option<Timestamp>,
}

/// Why there is no preview.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The question names no target of the tenant; the refusal says which
    /// field.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored calendar does not build (it was checked when written).
    #[error("stored calendar: {0}")]
    Calendar(vigie_core::calendar::CalendarError),
}

/// The deadlines of a ticket of `tenant` opened at `now`.
pub async fn preview(
    store: &Store,
    tenant: TenantId,
    now: Timestamp,
    ask: &PreviewAsk,
) -> Result<Preview, PreviewError> {
    let records = store.list_targets(tenant).await?;
    let record = match (ask.target, ask.priority.as_deref()) {
        (Some(t), _) => records
            .into_iter()
            .find(|r| r.target.id == t)
            .ok_or_else(|| Refusal::new("target", "target: there is no such target here"))?,
        (None, Some(p)) => {
            let priority = parse_priority(p)
                .ok_or_else(|| Refusal::new("priority", "priority: expected P1, P2, P3 or P4"))?;
            let targets: Vec<_> = records.iter().map(|r| r.target.clone()).collect();
            let service = ask.service.as_deref().filter(|s| !s.is_empty());
            let chosen = select_targets(&targets, service, priority)
                .into_iter()
                .find(|t| t.kind == TargetKind::Sla)
                .map(|t| t.id)
                .ok_or_else(|| Refusal::new("priority", "priority: no SLA target covers it"))?;
            records
                .into_iter()
                .find(|r| r.target.id == chosen)
                .ok_or(StoreError::NotFound)?
        }
        (None, None) => records
            .into_iter()
            .next()
            .ok_or_else(|| Refusal::new("target", "target: the tenant has no target yet"))?,
    };
    let spec = store.get_calendar(tenant, record.calendar_id).await?.spec;
    let calendar = spec.build().map_err(PreviewError::Calendar)?;
    let phase = TicketPhase::of(Status::New, None, false);
    let due = |metric| {
        SlaClock::start(&record.target, metric, &phase, now, &calendar).and_then(|c| c.deadline)
    };
    Ok(Preview {
        target_id: record.target.id,
        own_due: due(Metric::Own),
        resolve_due: due(Metric::Resolve),
        target: record.name,
        priority: record.target.priority,
        time_zone: spec.time_zone,
        opened_at: now,
    })
}
