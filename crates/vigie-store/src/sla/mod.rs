//! Service level management: business calendars, targets, the clocks of
//! each ticket, escalation markers, services' availability promises and
//! outages. The rules are the core's (`vigie_core::sla`); this module keeps
//! their inputs and results, and moves the clocks in the transaction of the
//! ticket change that moves them ([`insert_clocks_with`], [`follow_clocks`]).

mod cache;
mod calendars;
mod clocks;
mod escalations;
mod outages;
mod targets;

pub(crate) use cache::SlaCache;
pub(crate) use clocks::{
    ClockContext, ClockSubject, follow_clocks, insert_clock_rows, new_clock_rows,
};
pub use clocks::{ClockRecord, ReportQuery};
pub use escalations::{EscalationCase, EscalationEffect, Firing};
pub(crate) use outages::end_outages_of;
pub use outages::{NewOutage, OutageRecord, ServiceLevelRecord};
pub use targets::{NewTarget, TargetRecord};

use crate::{Result, StoreError, from_micros};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use vigie_core::Timestamp;
use vigie_core::ids::TenantId;
use vigie_core::sla::CalendarSpec;

/// A business calendar as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarRecord {
    /// Its id.
    pub id: i64,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its name, unique in the tenant.
    pub name: String,
    /// What it says (validated by the core before it was written).
    pub spec: CalendarSpec,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

fn parse<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|e: T::Err| StoreError::Database(format!("column {column}: {e}")))
}

fn calendar_head(row: &AnyRow) -> Result<CalendarRecord> {
    let mut spec = CalendarSpec::closed(&row.try_get::<String, _>("time_zone")?);
    spec.french_holidays = crate::get_bool(row, "french_holidays")?;
    Ok(CalendarRecord {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        name: row.try_get("name")?,
        spec,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

/// Reads a stored `YYYY-MM-DD`.
fn date(text: &str) -> Result<jiff::civil::Date> {
    text.parse()
        .map_err(|e| StoreError::Database(format!("stored date {text:?}: {e}")))
}

/// Reads a calendar of `tenant` with its hours and dates, inside `tx`.
pub(crate) async fn load_calendar(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    id: i64,
) -> Result<CalendarRecord> {
    let head = crate::sql::Sql::new(calendars::SELECT)
        .push(" WHERE tenant_id = ")
        .bind(tenant.0)
        .push(" AND id = ")
        .bind(id)
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut record = calendar_head(&head)?;
    let hours = crate::sql::Sql::new(
        "SELECT weekday, starts_min, ends_min FROM sla_calendar_hours WHERE calendar_id = ",
    )
    .bind(id)
    .push(" ORDER BY weekday, starts_min")
    .query()
    .fetch_all(&mut **tx)
    .await?;
    for row in hours {
        let day: i64 = row.try_get("weekday")?;
        let segment = segment(&row)?;
        let slot = usize::try_from(day)
            .ok()
            .and_then(|d| record.spec.weekly.get_mut(d))
            .ok_or_else(|| StoreError::Database(format!("stored weekday {day}")))?;
        slot.push(segment);
    }
    let days = crate::sql::Sql::new(
        "SELECT kind, first_day, last_day, starts_min, ends_min FROM sla_calendar_days WHERE calendar_id = ",
    )
    .bind(id)
    .push(" ORDER BY first_day, starts_min")
    .query()
    .fetch_all(&mut **tx)
    .await?;
    for row in days {
        let kind: String = row.try_get("kind")?;
        let first = date(&row.try_get::<String, _>("first_day")?)?;
        match kind.as_str() {
            "holiday" => record.spec.holidays.push(first),
            "closure" => {
                let last: Option<String> = row.try_get("last_day")?;
                let last = last.as_deref().map(date).transpose()?.unwrap_or(first);
                record
                    .spec
                    .closures
                    .push(vigie_core::calendar::DateRange::new(first, last));
            }
            _ => {
                let start: Option<i64> = row.try_get("starts_min")?;
                let segments = match record.spec.openings.iter_mut().find(|(d, _)| *d == first) {
                    Some((_, s)) => s,
                    None => {
                        record.spec.openings.push((first, Vec::new()));
                        let last = record.spec.openings.len() - 1;
                        &mut record.spec.openings[last].1
                    }
                };
                if start.is_some() {
                    segments.push(segment(&row)?);
                }
            }
        }
    }
    Ok(record)
}

fn segment(row: &AnyRow) -> Result<vigie_core::calendar::Segment> {
    let (start, end): (i64, i64) = (row.try_get("starts_min")?, row.try_get("ends_min")?);
    vigie_core::sla::spec::segment_of_minutes(start, end)
        .ok_or_else(|| StoreError::Database(format!("stored segment {start}–{end}")))
}
