//! The change report of a month, shared by the API
//! (`GET /api/v1/changes/report`) and the web page (`/changes/report`):
//! the changes raised that month that the reader may see, their figures
//! as the core counts them ([`vigie_core::change::report`]), and the
//! changes whose review links incidents they caused.

use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use vigie_core::Timestamp;
use vigie_core::change::report::{ChangeFacts, ChangeReport, summarise};
use vigie_core::tenancy::Scope;
use vigie_store::{ChangeFilter, ChangeRecord, PageRequest, Store, StoreError};

/// Changes one report reads at most; beyond, it says it is cut.
pub const MAX_REPORTED: usize = 20_000;

/// Changes read per query.
const PAGE: u32 = 500;

/// A month's report.
#[derive(Clone, Debug)]
pub struct MonthReport {
    /// The month's first day, in the change windows' zone.
    pub month: Date,
    /// Its first instant.
    pub from: Timestamp,
    /// The first instant of the next month.
    pub to: Timestamp,
    /// The figures.
    pub figures: ChangeReport,
    /// The changes that caused incidents, by number.
    pub causing: Vec<ChangeRecord>,
    /// Whether more than [`MAX_REPORTED`] changes were raised (the figures
    /// count the first ones only).
    pub cut: bool,
}

/// The month `text` names (`2026-01`), or the one holding `today`; `None`
/// when the text is not a month.
pub fn month_of(text: Option<&str>, today: Date) -> Option<Date> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Some(today.first_of_month()),
        Some(t) => format!("{t}-01")
            .parse::<Date>()
            .ok()
            .filter(|d| t.len() == 7 && d.day() == 1),
    }
}

/// The report of the changes raised during `month` (in `zone`) that
/// `scope` covers.
pub async fn month_report(
    store: &Store,
    scope: &Scope,
    month: Date,
    zone: &TimeZone,
) -> Result<MonthReport, StoreError> {
    let instant = |d: Date| {
        d.to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|e| StoreError::Invalid(format!("month: {e}")))
    };
    let (from, to) = (instant(month)?, instant(month.saturating_add(1.month()))?);
    let filter = ChangeFilter {
        raised_from: Some(from),
        raised_before: Some(to),
        ..ChangeFilter::default()
    };
    let mut changes = Vec::new();
    let mut after = None;
    let mut cut = false;
    loop {
        let page = store
            .list_changes(scope, &filter, PageRequest { after, limit: PAGE })
            .await?;
        changes.extend(page.items);
        if changes.len() >= MAX_REPORTED {
            cut = page.next_after.is_some() || changes.len() > MAX_REPORTED;
            changes.truncate(MAX_REPORTED);
            break;
        }
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let facts: Vec<ChangeFacts> = changes
        .iter()
        .map(|c| ChangeFacts {
            kind: c.kind,
            status: c.status,
            review_success: c.review_success,
            flagged: !c.flags.is_empty(),
            incidents_caused: c.caused.len(),
        })
        .collect();
    let figures = summarise(&facts);
    let mut causing: Vec<ChangeRecord> = changes
        .into_iter()
        .filter(|c| !c.caused.is_empty())
        .collect();
    causing.sort_by_key(|c| c.number);
    Ok(MonthReport {
        month,
        from,
        to,
        figures,
        causing,
        cut,
    })
}

#[cfg(test)]
mod tests {
    use super::month_of;
    use jiff::civil::date;

    #[test]
    fn a_month_is_a_year_and_a_month_or_this_month() {
        let today = date(2026, 3, 17);
        assert_eq!(month_of(None, today), Some(date(2026, 3, 1)));
        assert_eq!(month_of(Some(" "), today), Some(date(2026, 3, 1)));
        assert_eq!(month_of(Some("2025-12"), today), Some(date(2025, 12, 1)));
        assert_eq!(month_of(Some("2025-13"), today), None);
        assert_eq!(month_of(Some("2025-12-01"), today), None);
        assert_eq!(month_of(Some("december"), today), None);
    }
}
