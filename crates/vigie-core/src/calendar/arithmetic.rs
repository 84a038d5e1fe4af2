//! Business-time arithmetic: deadlines, measures and the next opening.
//!
//! All four functions read the same walk of business intervals, so they
//! agree with each other exactly: `business_between(s, add_business(s, d))`
//! is `d`, to the nanosecond.

use jiff::{SignedDuration, Timestamp};

use super::days::timestamp;
use super::walk::Walker;
use super::{BusinessCalendar, CalendarError};

impl BusinessCalendar {
    /// The instant at which `duration` of business time has elapsed after
    /// `start`: the SLA deadline of a ticket opened at `start`.
    ///
    /// Counting begins at `start` if the calendar is open then, else at the
    /// next opening. The result is the *earliest* such instant, so it may sit
    /// exactly on a closing time (4 hours from 14:00 on an 8h–18h day is
    /// 18:00 that day, not 08:00 the next). A zero duration returns the next
    /// business instant at or after `start`, as [`next_open`](Self::next_open).
    ///
    /// Errors: [`CalendarError::NegativeDuration`]; [`CalendarError::NoBusinessTime`]
    /// when the calendar is closed for ten years in a row;
    /// [`CalendarError::OutOfRange`] past the year 9999.
    pub fn add_business(
        &self,
        start: Timestamp,
        duration: SignedDuration,
    ) -> Result<Timestamp, CalendarError> {
        self.add_with(start, duration, true)
    }

    /// The business time in `[a, b)`; zero when `b <= a`.
    pub fn business_between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        self.between_with(a, b, true)
    }

    /// The first business instant at or after `t`: `t` itself when the
    /// calendar is open at `t`.
    pub fn next_open(&self, t: Timestamp) -> Result<Timestamp, CalendarError> {
        self.add_with(t, SignedDuration::ZERO, true)
    }

    /// Whether the calendar is open at `t` (intervals are half-open: open at
    /// 08:00, closed at 18:00 on an 8h–18h day).
    pub fn is_open(&self, t: Timestamp) -> bool {
        self.next_open(t) == Ok(t)
    }

    /// The business intervals `[open, close)` that meet `[from, until)`, in
    /// order and disjoint, each cut to that range. Two intervals may touch
    /// (a calendar open at midnight gives one interval per day), so callers
    /// compare instants, not the number of intervals.
    pub fn open_intervals(
        &self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<(Timestamp, Timestamp)>, CalendarError> {
        let mut out = Vec::new();
        if until <= from {
            return Ok(out);
        }
        let end = until.as_nanosecond();
        let mut walk = Walker::new(self, from, Some(until), true);
        while let Some((open, close)) = walk.next_interval()? {
            if open >= end {
                break;
            }
            out.push((timestamp(open)?, timestamp(close.min(end))?));
        }
        Ok(out)
    }

    /// [`add_business`](Self::add_business), with the fast path switchable
    /// for tests.
    pub(super) fn add_with(
        &self,
        start: Timestamp,
        duration: SignedDuration,
        allow_fast: bool,
    ) -> Result<Timestamp, CalendarError> {
        if duration.is_negative() {
            return Err(CalendarError::NegativeDuration { duration });
        }
        let mut remaining = duration.as_nanos();
        let mut walk = Walker::new(self, start, None, allow_fast);
        loop {
            if remaining > 0 {
                remaining -= walk.skip_weeks(remaining - 1);
            }
            let Some((open, close)) = walk.next_interval()? else {
                return Err(CalendarError::OutOfRange);
            };
            if remaining <= close - open {
                return timestamp(open + remaining);
            }
            remaining -= close - open;
        }
    }

    /// [`business_between`](Self::business_between), with the fast path
    /// switchable for tests.
    pub(super) fn between_with(
        &self,
        a: Timestamp,
        b: Timestamp,
        allow_fast: bool,
    ) -> SignedDuration {
        if b <= a {
            return SignedDuration::ZERO;
        }
        let until = b.as_nanosecond();
        let mut walk = Walker::new(self, a, Some(b), allow_fast);
        let mut total: i128 = 0;
        loop {
            total += walk.skip_weeks(i128::MAX);
            match walk.next_interval() {
                Ok(Some((open, close))) if open < until => {
                    total += close.min(until) - open;
                    if close >= until {
                        break;
                    }
                }
                _ => break,
            }
        }
        SignedDuration::try_from_nanos_i128(total).unwrap_or(SignedDuration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::golden::{at, check, hours, seg, working};
    use crate::calendar::{CalendarBuilder, DEFAULT_TIME_ZONE};
    use jiff::civil::date;

    #[test]
    fn zero_duration_is_the_next_business_instant() {
        let cal = working();
        let cases = [
            // Saturday: the next opening, Monday 08:00.
            ("2026-01-10T10:00+01:00", "2026-01-12T08:00+01:00"),
            // Inside business hours: the start itself.
            ("2026-01-12T10:00+01:00", "2026-01-12T10:00+01:00"),
            // At 18:00, which is excluded: the next morning.
            ("2026-01-12T18:00+01:00", "2026-01-13T08:00+01:00"),
        ];
        for (start, due) in cases {
            check(&cal, start, hours(0), due);
        }
        let open = |text: &str| cal.is_open(at(text));
        assert!(open("2026-01-12T08:00+01:00"));
        assert!(open("2026-01-12T17:59:59.999999999+01:00"));
        assert!(!open("2026-01-12T18:00+01:00"));
        assert!(!open("2026-04-06T10:00+02:00"), "Easter Monday");
    }

    #[test]
    fn impossible_requests_fail_instead_of_looping() {
        let start = at("2026-01-09T17:30+01:00");
        let build = |builder: CalendarBuilder| builder.build().expect("valid");
        let never = build(CalendarBuilder::new(DEFAULT_TIME_ZONE));
        let no_time = Err(CalendarError::NoBusinessTime { from: start });
        assert_eq!(never.add_business(start, hours(1)), no_time);
        assert_eq!(never.next_open(start), no_time);
        let fifty_years = never.business_between(start, at("2076-01-01T00:00Z"));
        assert_eq!(fifty_years, SignedDuration::ZERO);
        // Closed for twenty years: the search stops after ten.
        let shut = CalendarBuilder::working_hours(DEFAULT_TIME_ZONE)
            .closure(date(2026, 1, 10), date(2046, 1, 1));
        assert_eq!(build(shut).add_business(start, hours(1)), no_time);
        // One exceptional opening five years ahead is found.
        let rare = CalendarBuilder::new(DEFAULT_TIME_ZONE)
            .exceptional_opening(date(2031, 1, 6), &[seg(9, 10)]);
        check(
            &build(rare),
            "2026-01-09T17:30+01:00",
            hours(1),
            "2031-01-06T10:00+01:00",
        );
        // Business time does not run backwards.
        let negative = working().add_business(start, hours(-1));
        let duration = hours(-1);
        assert_eq!(negative, Err(CalendarError::NegativeDuration { duration }));
        let message = negative.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.starts_with("duration: "), "{message}");
        let far = working().add_business(start, SignedDuration::MAX);
        assert_eq!(far, Err(CalendarError::OutOfRange));
    }

    #[test]
    fn the_ends_of_time_neither_panic_nor_hang() {
        let always = BusinessCalendar::always(DEFAULT_TIME_ZONE).expect("preset");
        let (first, last) = (Timestamp::MIN, Timestamp::MAX);
        let beyond = always.add_business(last, hours(1));
        assert_eq!(beyond, Err(CalendarError::OutOfRange));
        assert_eq!(always.add_business(first, hours(1)), Ok(first + hours(1)));
        let everything = always.business_between(first, last);
        assert_eq!(everything, last.duration_since(first));
        // Working hours over twenty thousand years: 50 h a week, less holidays.
        let total = working().business_between(first, last).as_hours();
        let (low, high) = (49 * 52 * 19_000, 50 * 53 * 20_000);
        assert!(low < total && total < high, "{total}");
    }
}
