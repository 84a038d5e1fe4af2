//! The walk over business intervals, day by day: the hot path under every
//! deadline and every measure.
//!
//! A day that lies inside the current offset [`Window`] is "fast": its
//! instants are local time minus the offset, a few integer operations. Any
//! other day (a DST change, a transition at midnight) is "slow": each bound
//! goes through jiff with `Disambiguation::Compatible`, clamped to the day
//! and to the previous interval, as the module documentation says. Holidays,
//! closures and exceptions are sorted vectors read with cursors that only
//! move forward; closed stretches are jumped over, and whole weeks free of
//! any special day and of any transition are added at once.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::days::{
    Compiled, DAY, DAY_NANOS, EPOCH, MAX_DAY, Span, WEEK, Window, local_day, offset_nanos,
};
use super::{BusinessCalendar, CalendarError, SEARCH_HORIZON_DAYS};

/// Yields the business intervals at or after a start instant, in order,
/// disjoint, each `(open, close)` in nanoseconds since the Unix epoch.
pub(super) struct Walker<'a> {
    zone: &'a TimeZone,
    plan: &'a Compiled,
    window: Window,
    allow_fast: bool,
    /// Measures stop at this instant; deadline searches have none and fail
    /// after the horizon instead.
    until: Option<i128>,
    from: Timestamp,
    limit: i32,
    day: i32,
    spans: &'a [Span],
    next_span: usize,
    fast: bool,
    base: i128,
    day_start: i128,
    day_end: i128,
    floor: i128,
    holiday: usize,
    closure: usize,
    exception: usize,
}

impl<'a> Walker<'a> {
    /// A walk from `start`; `until` bounds a measure. `allow_fast` is false
    /// only in tests, to check the fast path against jiff.
    pub(super) fn new(
        calendar: &'a BusinessCalendar,
        start: Timestamp,
        until: Option<Timestamp>,
        allow_fast: bool,
    ) -> Walker<'a> {
        let zone = &calendar.zone;
        let plan = &calendar.compiled;
        let window = Window::at(zone, start);
        let t = start.as_nanosecond();
        // Start one day early: with a gap at midnight, an instant can belong
        // to the day before its local date.
        let first = local_day(t + window.offset) - 1;
        let limit = match until {
            Some(u) => local_day(u.as_nanosecond() + offset_nanos(zone.to_offset(u))) + 1,
            None => first.saturating_add(SEARCH_HORIZON_DAYS + 1),
        };
        Walker {
            zone,
            plan,
            window,
            allow_fast,
            until: until.map(Timestamp::as_nanosecond),
            from: start,
            limit,
            day: first - 1,
            spans: &[],
            next_span: 0,
            fast: false,
            base: 0,
            day_start: 0,
            day_end: 0,
            floor: t,
            holiday: plan.holidays.partition_point(|&d| d < first),
            closure: plan.closures.partition_point(|&(_, last)| last < first),
            exception: plan.exceptions.partition_point(|(d, _)| *d < first),
        }
    }

    /// The next business interval, or `None` once past `until`.
    pub(super) fn next_interval(&mut self) -> Result<Option<(i128, i128)>, CalendarError> {
        loop {
            while let Some(&(start, end)) = self.spans.get(self.next_span) {
                self.next_span += 1;
                let (open, close) = if self.fast {
                    (self.base + i128::from(start), self.base + i128::from(end))
                } else {
                    let open = self.instant(start)?.max(self.day_start);
                    (open, self.instant(end)?.min(self.day_end))
                };
                let open = open.max(self.floor);
                if close > open {
                    self.floor = close;
                    if self.until.is_none() {
                        self.limit = self.day.saturating_add(SEARCH_HORIZON_DAYS);
                    }
                    return Ok(Some((open, close)));
                }
            }
            if !self.enter(self.day + 1)? {
                return Ok(None);
            }
        }
    }

    /// Moves to the first day from `day` on with service hours.
    fn enter(&mut self, mut day: i32) -> Result<bool, CalendarError> {
        loop {
            if day > self.limit || day > MAX_DAY {
                return match self.until {
                    Some(_) => Ok(false),
                    None if day > self.limit => {
                        Err(CalendarError::NoBusinessTime { from: self.from })
                    }
                    None => Err(CalendarError::OutOfRange),
                };
            }
            let (spans, next) = self.spans_on(day);
            if spans.is_empty() {
                day = next;
                continue;
            }
            self.day = day;
            self.spans = spans;
            self.next_span = 0;
            let local = i128::from(day) * DAY;
            // Past the window's transition: read the zone again.
            if self.allow_fast
                && local - self.window.offset >= self.window.end
                && let Ok(at) = Timestamp::from_nanosecond(local - self.window.offset)
            {
                self.window = Window::at(self.zone, at);
            }
            self.fast = self.allow_fast && self.window.covers(local, local + DAY);
            if self.fast {
                self.base = local - self.window.offset;
            } else {
                self.day_start = self.instant(0)?;
                self.day_end = self.instant(DAY_NANOS)?;
            }
            return Ok(true);
        }
    }

    /// The instant of `nanos` after local midnight of the current day, with
    /// jiff's compatible disambiguation.
    fn instant(&self, nanos: i64) -> Result<i128, CalendarError> {
        let local = i128::from(self.day) * DAY + i128::from(nanos);
        let since_epoch =
            SignedDuration::try_from_nanos_i128(local).ok_or(CalendarError::OutOfRange)?;
        let civil = DateTime::from(EPOCH)
            .checked_add(since_epoch)
            .map_err(|_| CalendarError::OutOfRange)?;
        let at = self.zone.to_ambiguous_timestamp(civil).compatible();
        Ok(at.map_err(|_| CalendarError::OutOfRange)?.as_nanosecond())
    }

    /// Moves the cursors to `day`.
    fn advance(&mut self, day: i32) {
        let plan = self.plan;
        while plan.holidays.get(self.holiday).is_some_and(|&d| d < day) {
            self.holiday += 1;
        }
        while plan
            .closures
            .get(self.closure)
            .is_some_and(|&(_, last)| last < day)
        {
            self.closure += 1;
        }
        while plan
            .exceptions
            .get(self.exception)
            .is_some_and(|(d, _)| *d < day)
        {
            self.exception += 1;
        }
    }

    /// The spans of `day` and, when it is closed, the next day worth a look.
    fn spans_on(&mut self, day: i32) -> (&'a [Span], i32) {
        self.advance(day);
        let plan = self.plan;
        let next_exception = match plan.exceptions.get(self.exception) {
            Some((d, spans)) if *d == day => return (spans, day + 1),
            Some((d, _)) => *d,
            None => i32::MAX,
        };
        if let Some(&(first, last)) = plan.closures.get(self.closure)
            && first <= day
        {
            return (&[], last.saturating_add(1).min(next_exception));
        }
        if plan.holidays.get(self.holiday) == Some(&day) {
            return (&[], day + 1);
        }
        if plan.week_total == 0 {
            return (&[], next_exception);
        }
        let weekday = (i64::from(day) + 3).rem_euclid(7) as usize;
        (&plan.weekly[weekday], day + 1)
    }

    /// Jumps over whole weeks that hold no special day and no time zone
    /// transition, while their business time stays within `budget`; returns
    /// the business time jumped over. Only between days.
    pub(super) fn skip_weeks(&mut self, budget: i128) -> i128 {
        let total = self.plan.week_total;
        if !self.allow_fast || total == 0 || budget < total || self.next_span < self.spans.len() {
            return 0;
        }
        let day = self.day + 1;
        let local = i128::from(day) * DAY;
        let base = local - self.window.offset;
        if local < self.window.first_local || base < self.floor {
            return 0;
        }
        self.advance(day);
        let plan = self.plan;
        let special = [
            plan.holidays.get(self.holiday).copied(),
            plan.closures
                .get(self.closure)
                .map(|&(first, _)| first.max(day)),
            plan.exceptions.get(self.exception).map(|(d, _)| *d),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(i32::MAX);
        let mut weeks = ((i128::from(special) - i128::from(day)) / 7)
            .min(budget / total)
            .min(self.window.last_local.saturating_sub(local + 1) / WEEK)
            .min(i128::from((MAX_DAY - day) / 7));
        if let Some(until) = self.until {
            weeks = weeks.min((until - base) / WEEK);
        }
        if weeks <= 0 {
            return 0;
        }
        self.day = day + (weeks * 7) as i32 - 1;
        self.spans = &[];
        self.next_span = 0;
        self.floor = base + weeks * WEEK;
        if self.until.is_none() {
            self.limit = self.day.saturating_add(SEARCH_HORIZON_DAYS);
        }
        weeks * total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_across_midnight_loses_no_instant() {
        // A zone whose clocks jump from Sunday 23:30 to Monday 00:30 on the
        // last Sunday of March: Monday's midnight does not exist and is read
        // as 01:00 summer time, so the instants from the jump until then
        // belong to Sunday's day even though their local date is Monday.
        let Ok(mut calendar) = super::super::BusinessCalendar::always("UTC") else {
            panic!("24/7 in UTC");
        };
        calendar.zone = TimeZone::posix("AAA-1BBB,M3.5.0/23:30,M10.5.0/3").expect("a POSIX zone");
        let jump: Timestamp = "2026-03-29T22:30Z".parse().expect("instant");
        let hour = SignedDuration::from_hours(1);
        for allow_fast in [true, false] {
            assert_eq!(
                calendar.add_with(jump, SignedDuration::ZERO, allow_fast),
                Ok(jump)
            );
            assert_eq!(calendar.add_with(jump, hour, allow_fast), Ok(jump + hour));
            assert_eq!(
                calendar.between_with(jump - hour, jump + hour, allow_fast),
                2 * hour
            );
        }
    }
}
