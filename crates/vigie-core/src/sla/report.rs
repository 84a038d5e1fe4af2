//! The monthly service level report, as pure functions over rows.
//!
//! The store hands one [`ReportRow`] per ticket opened in the month (its
//! priority, type, and the verdicts of its own and resolution clocks for
//! the kind reported on); [`MonthFigures::of`] folds them in one pass. A
//! clock counts as *measured* once it is met or breached; a clock still
//! running (or paused) within its allowance is not counted yet, so a
//! percentage is "met / measured". The trend compares the share of
//! resolutions in time with the previous month's.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::{ClockState, Metric};
use crate::ticket::TicketType;
use crate::ticket::priority::Priority;

/// The verdict of one clock when the report is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Its state.
    pub state: ClockState,
    /// Business time beyond the allowance (zero when within it).
    pub overdue: SignedDuration,
}

/// One ticket of the month, as the report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// Its number in the tenant.
    pub number: i64,
    /// Its title.
    pub title: String,
    /// Incident or request.
    pub ticket_type: TicketType,
    /// Its priority.
    pub priority: Priority,
    /// Its service.
    pub service_ref: Option<String>,
    /// The own clock's verdict, if measured.
    pub own: Option<Verdict>,
    /// The resolution clock's verdict, if measured.
    pub resolve: Option<Verdict>,
    /// What explains a breach: the resolution code, or the pending reason.
    pub reason: Option<String>,
}

/// Met and measured clocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InTime {
    /// Clocks met.
    pub met: u64,
    /// Clocks met or breached.
    pub measured: u64,
}

impl InTime {
    fn add(&mut self, verdict: Option<Verdict>) {
        match verdict.map(|v| v.state) {
            Some(ClockState::Met) => {
                self.met += 1;
                self.measured += 1;
            }
            Some(ClockState::Breached) => self.measured += 1,
            _ => {}
        }
    }

    /// `met / measured` in percent, `None` when nothing was measured.
    pub fn percent(&self) -> Option<f64> {
        (self.measured > 0).then(|| 100.0 * self.met as f64 / self.measured as f64)
    }
}

/// The figures of one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorityFigures {
    /// The priority.
    pub priority: Priority,
    /// Tickets opened.
    pub tickets: u64,
    /// Owned in time.
    pub owned: InTime,
    /// Resolved in time.
    pub resolved: InTime,
}

/// One breach, for the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// The ticket's number.
    pub number: i64,
    /// Its title.
    pub title: String,
    /// Its priority.
    pub priority: Priority,
    /// Its service.
    pub service_ref: Option<String>,
    /// Which clock.
    pub metric: Metric,
    /// By how much.
    pub overdue: SignedDuration,
    /// Why, when known.
    pub reason: Option<String>,
}

/// The figures of a month.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthFigures {
    /// P1 to P4.
    pub by_priority: [PriorityFigures; 4],
    /// Service requests resolved in time.
    pub requests: InTime,
    /// The breaches (at most `breach_limit`, the longest overdue first).
    pub breaches: Vec<Breach>,
    /// How many breaches there were in all.
    pub breach_count: u64,
}

impl MonthFigures {
    /// Folds the rows of a month, keeping at most `breach_limit` breaches.
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a ReportRow>, breach_limit: usize) -> Self {
        let mut by_priority = [
            Priority::Critique,
            Priority::Haut,
            Priority::Moyen,
            Priority::Bas,
        ]
        .map(|priority| PriorityFigures {
            priority,
            tickets: 0,
            owned: InTime::default(),
            resolved: InTime::default(),
        });
        let mut requests = InTime::default();
        let mut breaches = Vec::new();
        let mut breach_count = 0;
        for row in rows {
            let line = &mut by_priority[usize::from(row.priority.rank().clamp(1, 4) - 1)];
            line.tickets += 1;
            line.owned.add(row.own);
            line.resolved.add(row.resolve);
            if row.ticket_type == TicketType::Request {
                requests.add(row.resolve);
            }
            for (metric, verdict) in [(Metric::Own, row.own), (Metric::Resolve, row.resolve)] {
                let Some(v) = verdict.filter(|v| v.state == ClockState::Breached) else {
                    continue;
                };
                breach_count += 1;
                breaches.push(Breach {
                    number: row.number,
                    title: row.title.clone(),
                    priority: row.priority,
                    service_ref: row.service_ref.clone(),
                    metric,
                    overdue: v.overdue,
                    reason: row.reason.clone(),
                });
                if breaches.len() > breach_limit.saturating_mul(2).max(64) {
                    keep_worst(&mut breaches, breach_limit);
                }
            }
        }
        keep_worst(&mut breaches, breach_limit);
        MonthFigures {
            by_priority,
            requests,
            breaches,
            breach_count,
        }
    }

    /// Everything resolved in time, all priorities together.
    pub fn resolved(&self) -> InTime {
        self.by_priority
            .iter()
            .fold(InTime::default(), |a, p| InTime {
                met: a.met + p.resolved.met,
                measured: a.measured + p.resolved.measured,
            })
    }

    /// Everything owned in time, all priorities together.
    pub fn owned(&self) -> InTime {
        self.by_priority
            .iter()
            .fold(InTime::default(), |a, p| InTime {
                met: a.met + p.owned.met,
                measured: a.measured + p.owned.measured,
            })
    }

    /// Tickets opened.
    pub fn tickets(&self) -> u64 {
        self.by_priority.iter().map(|p| p.tickets).sum()
    }
}

fn keep_worst(breaches: &mut Vec<Breach>, limit: usize) {
    breaches.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.number.cmp(&b.number)));
    breaches.truncate(limit);
}

/// The change of the share resolved in time against the previous month, in
/// percentage points (`None` when either month measured nothing).
pub fn trend(current: &MonthFigures, previous: &MonthFigures) -> Option<f64> {
    Some(current.resolved().percent()? - previous.resolved().percent()?)
}

/// Why a month is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("month: {0:?} is not a month written YYYY-MM")]
pub struct BadMonth(pub String);

/// Reads `YYYY-MM`, returning the first day of the month.
pub fn parse_month(text: &str) -> Result<Date, BadMonth> {
    let bad = || BadMonth(text.chars().take(32).collect());
    let (year, month) = text.split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(bad());
    }
    let year: i16 = year.parse().map_err(|_| bad())?;
    let month: i8 = month.parse().map_err(|_| bad())?;
    Date::new(year, month, 1).map_err(|_| bad())
}

/// The instants `[start, end)` of the month beginning on `first`, in `zone`.
pub fn month_range(first: Date, zone: &TimeZone) -> Option<(Timestamp, Timestamp)> {
    let next = first.checked_add(jiff::Span::new().months(1)).ok()?;
    let start = first.to_zoned(zone.clone()).ok()?.timestamp();
    let end = next.to_zoned(zone.clone()).ok()?.timestamp();
    Some((start, end))
}

/// The first day of the previous month.
pub fn previous_month(first: Date) -> Option<Date> {
    first.checked_sub(jiff::Span::new().months(1)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: i64, priority: Priority, own: ClockState, resolve: ClockState) -> ReportRow {
        let verdict = |state, hours| Verdict {
            state,
            overdue: SignedDuration::from_hours(hours),
        };
        ReportRow {
            number,
            title: format!("ticket {number}"),
            ticket_type: if number % 2 == 0 {
                TicketType::Request
            } else {
                TicketType::Incident
            },
            priority,
            service_ref: None,
            own: Some(verdict(own, 0)),
            resolve: Some(verdict(resolve, number)),
            reason: None,
        }
    }

    #[test]
    fn figures_count_met_over_measured_and_list_the_worst_breaches() {
        use ClockState::*;
        let rows = [
            row(1, Priority::Critique, Met, Met),
            row(2, Priority::Critique, Met, Breached),
            row(3, Priority::Critique, Breached, Running),
            row(4, Priority::Bas, Met, Met),
            row(5, Priority::Bas, Met, Breached),
        ];
        let f = MonthFigures::of(&rows, 2);
        let p1 = f.by_priority[0];
        assert_eq!(
            (p1.tickets, p1.owned, p1.resolved.measured),
            (
                3,
                InTime {
                    met: 2,
                    measured: 3
                },
                2
            )
        );
        assert_eq!(f.tickets(), 5);
        assert_eq!(
            f.resolved(),
            InTime {
                met: 2,
                measured: 4
            }
        );
        assert_eq!(
            f.requests,
            InTime {
                met: 1,
                measured: 2
            }
        );
        assert_eq!(f.breach_count, 3);
        let worst: Vec<_> = f.breaches.iter().map(|b| (b.number, b.metric)).collect();
        assert_eq!(worst, [(5, Metric::Resolve), (2, Metric::Resolve)]);
        let before = MonthFigures::of(&rows[..1], 10);
        assert_eq!(trend(&f, &before), Some(-50.0));
        assert_eq!(trend(&f, &MonthFigures::of(&[], 10)), None);
    }

    #[test]
    fn months_are_read_strictly_and_cut_in_the_zone() {
        assert_eq!(parse_month("2026-11"), Ok(jiff::civil::date(2026, 11, 1)));
        for bad in ["2026-13", "2026-1", "26-11", "novembre", "2026-11-01"] {
            assert!(parse_month(bad).is_err(), "{bad}");
        }
        let zone = TimeZone::get("Europe/Paris").expect("Paris");
        let (start, end) = month_range(jiff::civil::date(2026, 3, 1), &zone).expect("range");
        assert_eq!(start.to_string(), "2026-02-28T23:00:00Z");
        assert_eq!(end.to_string(), "2026-03-31T22:00:00Z");
        assert_eq!(
            previous_month(jiff::civil::date(2026, 1, 1)),
            Some(jiff::civil::date(2025, 12, 1))
        );
    }
}
