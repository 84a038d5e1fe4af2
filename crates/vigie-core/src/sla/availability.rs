//! Availability of a service over a period, from its outage records.
//!
//! The period splits in two: *service hours* (the business time of the
//! service's calendar) and *out of hours* (the rest). Approved maintenance
//! is taken out of both the time the service owes and its downtime.
//! Availability in each part is `1 − downtime / time owed`; with nothing
//! owed it is 100 %. Outages and maintenance may overlap each other or
//! themselves: each instant counts once.

use jiff::{SignedDuration, Timestamp};

use crate::calendar::BusinessCalendar;

/// A half-open stretch of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    /// The first instant.
    pub start: Timestamp,
    /// The first instant after it.
    pub end: Timestamp,
}

impl Interval {
    /// `[start, end)`.
    pub const fn new(start: Timestamp, end: Timestamp) -> Interval {
        Interval { start, end }
    }
}

/// Availability of one service over one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Availability {
    /// Time owed in service hours (maintenance excluded).
    pub owed_in_hours: SignedDuration,
    /// Downtime in service hours (maintenance excluded).
    pub down_in_hours: SignedDuration,
    /// Time owed out of hours (maintenance excluded).
    pub owed_out_of_hours: SignedDuration,
    /// Downtime out of hours (maintenance excluded).
    pub down_out_of_hours: SignedDuration,
}

impl Availability {
    /// Availability in service hours, in percent.
    pub fn in_hours_percent(&self) -> f64 {
        percent(self.down_in_hours, self.owed_in_hours)
    }

    /// Availability out of hours, in percent.
    pub fn out_of_hours_percent(&self) -> f64 {
        percent(self.down_out_of_hours, self.owed_out_of_hours)
    }
}

fn percent(down: SignedDuration, owed: SignedDuration) -> f64 {
    if owed.is_zero() {
        return 100.0;
    }
    100.0 * (1.0 - down.as_secs_f64() / owed.as_secs_f64())
}

/// The availability over `period` of a service with these service hours,
/// outages and approved maintenance windows.
pub fn availability(
    hours: &BusinessCalendar,
    period: Interval,
    outages: &[Interval],
    maintenance: &[Interval],
) -> Availability {
    let maintenance = union(maintenance, period);
    let down = subtract(&union(outages, period), &maintenance);
    let (down_in, down_all) = measure(hours, &down);
    let (kept_in, kept_all) = measure(hours, &maintenance);
    let in_hours = hours.business_between(period.start, period.end);
    let whole = period
        .end
        .duration_since(period.start)
        .max(SignedDuration::ZERO);
    Availability {
        owed_in_hours: in_hours - kept_in,
        down_in_hours: down_in,
        owed_out_of_hours: (whole - in_hours) - (kept_all - kept_in),
        down_out_of_hours: down_all - down_in,
    }
}

/// Business time and total time of disjoint intervals.
fn measure(hours: &BusinessCalendar, intervals: &[Interval]) -> (SignedDuration, SignedDuration) {
    intervals.iter().fold(
        (SignedDuration::ZERO, SignedDuration::ZERO),
        |(business, all), i| {
            (
                business + hours.business_between(i.start, i.end),
                all + i.end.duration_since(i.start),
            )
        },
    )
}

/// The intervals clipped to `within`, sorted and merged.
pub fn union(intervals: &[Interval], within: Interval) -> Vec<Interval> {
    let mut clipped: Vec<Interval> = intervals
        .iter()
        .map(|i| Interval::new(i.start.max(within.start), i.end.min(within.end)))
        .filter(|i| i.start < i.end)
        .collect();
    clipped.sort();
    let mut merged: Vec<Interval> = Vec::with_capacity(clipped.len());
    for i in clipped {
        match merged.last_mut() {
            Some(last) if i.start <= last.end => last.end = last.end.max(i.end),
            _ => merged.push(i),
        }
    }
    merged
}

/// `a` minus `b`, both sorted and merged.
fn subtract(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::with_capacity(a.len());
    for &i in a {
        let mut start = i.start;
        for cut in b.iter().filter(|c| c.end > i.start && c.start < i.end) {
            if cut.start > start {
                out.push(Interval::new(start, cut.start));
            }
            start = start.max(cut.end);
        }
        if start < i.end {
            out.push(Interval::new(start, i.end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DEFAULT_TIME_ZONE;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("an instant")
    }

    fn span(a: &str, b: &str) -> Interval {
        Interval::new(at(a), at(b))
    }

    #[test]
    fn downtime_counts_once_and_maintenance_is_not_owed() {
        let hours = BusinessCalendar::working_hours(DEFAULT_TIME_ZONE).expect("preset");
        // February 2026: 20 working days of 10 h = 200 h owed in hours;
        // 28 × 24 − 200 = 472 h out of hours.
        let month = span("2026-02-01T00:00+01:00", "2026-03-01T00:00+01:00");
        // A 2 h outage Monday 9:00–11:00, recorded twice (overlapping), and
        // a night outage 20:00–22:00 on Tuesday.
        let outages = [
            span("2026-02-02T09:00+01:00", "2026-02-02T11:00+01:00"),
            span("2026-02-02T10:00+01:00", "2026-02-02T10:30+01:00"),
            span("2026-02-03T20:00+01:00", "2026-02-03T22:00+01:00"),
        ];
        // Approved maintenance Monday 10:00–12:00: only 9:00–10:00 is down.
        let maintenance = [span("2026-02-02T10:00+01:00", "2026-02-02T12:00+01:00")];
        let a = availability(&hours, month, &outages, &maintenance);
        assert_eq!(a.owed_in_hours, SignedDuration::from_hours(198));
        assert_eq!(a.down_in_hours, SignedDuration::from_hours(1));
        assert_eq!(a.owed_out_of_hours, SignedDuration::from_hours(472));
        assert_eq!(a.down_out_of_hours, SignedDuration::from_hours(2));
        assert!((a.in_hours_percent() - 100.0 * 197.0 / 198.0).abs() < 1e-9);
        assert!((a.out_of_hours_percent() - 100.0 * 470.0 / 472.0).abs() < 1e-9);
        // No outage: 100 %; an outage outside the period does not count.
        let before = [span("2026-01-30T09:00+01:00", "2026-01-30T11:00+01:00")];
        let none = availability(&hours, month, &before, &[]);
        assert_eq!(none.in_hours_percent(), 100.0);
        assert_eq!(none.out_of_hours_percent(), 100.0);
    }
}
