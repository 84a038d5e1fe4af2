//! The release cycle: a release every N months from an anchor date.
//!
//! The dates are `anchor + k × N months` for every whole `k`, before or
//! after the anchor; a day that does not exist in a month (31 April) falls
//! on that month's last day, without shifting the dates after it. The
//! quarterly plan is the list of dates in a quarter ([`quarter_of`]).

use jiff::ToSpan;
use jiff::civil::Date;

/// The longest cycle, in months.
pub const MAX_CYCLE_MONTHS: i64 = 24;

/// A validated cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseCycle {
    every_months: i32,
    anchor: Date,
}

/// A cycle that cannot be, or a period too long to list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CycleError {
    /// A number of months outside 1–24.
    #[error("`cycle_months` must be from 1 to {MAX_CYCLE_MONTHS}, not {0}")]
    Months(i64),
    /// A period that ends before it starts.
    #[error("the period ends ({to}) before it starts ({from})")]
    Reversed {
        /// The start.
        from: Date,
        /// The end.
        to: Date,
    },
    /// A period longer than ten years.
    #[error("a plan covers at most ten years")]
    TooLong,
}

/// A regular release on a date that is not one of the cycle's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "a regular release goes on a date of the release cycle (every {every_months} months from {anchor}); {date} is not one: the nearest are {previous} and {next}, or make it an exceptional release"
)]
pub struct NotACycleDate {
    /// The date asked.
    pub date: Date,
    /// The cycle's length.
    pub every_months: i32,
    /// The cycle's anchor.
    pub anchor: Date,
    /// The cycle date before it.
    pub previous: Date,
    /// The cycle date after it.
    pub next: Date,
}

impl ReleaseCycle {
    /// A release every `every_months` months from `anchor`.
    pub fn new(every_months: i64, anchor: Date) -> Result<ReleaseCycle, CycleError> {
        let every_months = i32::try_from(every_months)
            .ok()
            .filter(|m| (1..=MAX_CYCLE_MONTHS as i32).contains(m))
            .ok_or(CycleError::Months(every_months))?;
        Ok(ReleaseCycle {
            every_months,
            anchor,
        })
    }

    /// The cycle's length in months.
    pub fn every_months(&self) -> i32 {
        self.every_months
    }

    /// The anchor date.
    pub fn anchor(&self) -> Date {
        self.anchor
    }

    /// The `k`-th date (0 is the anchor; negative before it).
    fn nth(&self, k: i64) -> Option<Date> {
        let months = k.checked_mul(i64::from(self.every_months))?;
        self.anchor.checked_add(months.months()).ok()
    }

    /// The index of the first date on or after `date`.
    fn first_index_from(&self, date: Date) -> i64 {
        let months = |d: Date| i64::from(d.year()) * 12 + i64::from(d.month());
        let n = i64::from(self.every_months);
        let mut k = (months(date) - months(self.anchor)).div_euclid(n) - 1;
        while self.nth(k).is_some_and(|d| d < date) {
            k += 1;
        }
        k
    }

    /// The cycle's dates from `from` to `to`, both included.
    pub fn dates_between(&self, from: Date, to: Date) -> Result<Vec<Date>, CycleError> {
        if to < from {
            return Err(CycleError::Reversed { from, to });
        }
        if from.until(to).map(|s| s.get_days()).unwrap_or(i32::MAX) > 3653 {
            return Err(CycleError::TooLong);
        }
        let mut out = Vec::new();
        let mut k = self.first_index_from(from);
        while let Some(d) = self.nth(k).filter(|d| *d <= to) {
            out.push(d);
            k += 1;
        }
        Ok(out)
    }

    /// Whether `date` is a date of the cycle; if not, the nearest ones.
    pub fn check_date(&self, date: Date) -> Result<(), NotACycleDate> {
        let k = self.first_index_from(date);
        let next = self.nth(k).unwrap_or(date);
        if next == date {
            return Ok(());
        }
        Err(NotACycleDate {
            date,
            every_months: self.every_months,
            anchor: self.anchor,
            previous: self.nth(k - 1).unwrap_or(date),
            next,
        })
    }
}

/// The first and last dates of the quarter holding `date`.
pub fn quarter_of(date: Date) -> (Date, Date) {
    let first_month = (date.month() - 1) / 3 * 3 + 1;
    let first = Date::new(date.year(), first_month, 1).unwrap_or(date);
    let last = first
        .checked_add(3.months())
        .and_then(|d| d.yesterday())
        .unwrap_or(date);
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn every_two() -> ReleaseCycle {
        ReleaseCycle::new(2, date(2026, 1, 15)).expect("cycle")
    }

    #[test]
    fn the_quarterly_plan_is_a_list_of_dates() {
        let (first, last) = quarter_of(date(2026, 5, 20));
        assert_eq!((first, last), (date(2026, 4, 1), date(2026, 6, 30)));
        assert_eq!(
            every_two().dates_between(first, last),
            Ok(vec![date(2026, 5, 15)])
        );
        let (first, last) = quarter_of(date(2026, 2, 1));
        assert_eq!(
            every_two().dates_between(first, last),
            Ok(vec![date(2026, 1, 15), date(2026, 3, 15)])
        );
    }

    #[test]
    fn dates_before_the_anchor_and_the_period_edges_count() {
        let c = every_two();
        assert_eq!(
            c.dates_between(date(2025, 9, 15), date(2025, 11, 15)),
            Ok(vec![date(2025, 9, 15), date(2025, 11, 15)])
        );
        assert_eq!(
            c.dates_between(date(2025, 9, 16), date(2025, 11, 14)),
            Ok(vec![])
        );
        assert_eq!(
            c.dates_between(date(2026, 3, 1), date(2026, 1, 1)),
            Err(CycleError::Reversed {
                from: date(2026, 3, 1),
                to: date(2026, 1, 1)
            })
        );
        assert_eq!(
            c.dates_between(date(2026, 1, 1), date(2040, 1, 1)),
            Err(CycleError::TooLong)
        );
    }

    #[test]
    fn a_missing_day_falls_on_the_month_s_last_day_without_drifting() {
        let c = ReleaseCycle::new(1, date(2026, 1, 31)).expect("cycle");
        assert_eq!(
            c.dates_between(date(2026, 2, 1), date(2026, 4, 30)),
            Ok(vec![
                date(2026, 2, 28),
                date(2026, 3, 31),
                date(2026, 4, 30)
            ])
        );
    }

    #[test]
    fn a_regular_release_goes_on_a_cycle_date() {
        let c = every_two();
        assert_eq!(c.check_date(date(2026, 3, 15)), Ok(()));
        assert_eq!(c.check_date(date(2025, 11, 15)), Ok(()));
        let err = c.check_date(date(2026, 4, 2)).expect_err("refused");
        assert_eq!(
            (err.previous, err.next),
            (date(2026, 3, 15), date(2026, 5, 15))
        );
        assert!(err.to_string().contains("exceptional release"), "{err}");
    }

    #[test]
    fn cycle_lengths_are_bounded() {
        assert_eq!(
            ReleaseCycle::new(0, date(2026, 1, 1)),
            Err(CycleError::Months(0))
        );
        assert_eq!(
            ReleaseCycle::new(25, date(2026, 1, 1)),
            Err(CycleError::Months(25))
        );
        assert!(ReleaseCycle::new(24, date(2026, 1, 1)).is_ok());
    }
}
