//! Opening hours: an environment is never open when production is closed.
//!
//! The check compares *instants*, not local hours: an environment whose
//! calendar is in another time zone, or that opens on one of production's
//! holidays, is caught the same way. It walks both calendars over one year
//! from a given date (midnight of that date in the environment's zone) and
//! finds the first instant at which the environment is open and production
//! is not; the refusal names that day and the environment's segment.

use crate::calendar::{BusinessCalendar, CalendarError};
use jiff::civil::{Date, Time};
use jiff::{Timestamp, ToSpan};

/// Where an environment's hours exceed production's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoursExceed {
    /// The local date (in the environment's zone) of the segment at fault.
    pub date: Date,
    /// The segment's local opening time.
    pub opens: Time,
    /// The segment's local closing time (00:00: midnight at the end of the day).
    pub closes: Time,
    /// The first instant of that segment at which production is closed.
    pub first_closed: Timestamp,
}

/// Why the check could not say yes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HoursRefused {
    /// The environment is open while production is closed.
    #[error(
        "the environment's hours are wider than production's: on {} the segment {}–{} is open at {} while production is closed; an environment may only be open when production is",
        .0.date, hm(.0.opens), hm(.0.closes), .0.first_closed
    )]
    Wider(HoursExceed),
    /// A calendar could not be walked (out of range).
    #[error("the calendars cannot be compared: {0}")]
    Calendar(#[from] CalendarError),
}

fn hm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Checks that every instant at which `environment` is open, over the year
/// starting on `from` (in the environment's zone), is also open in
/// `production`.
pub fn check_within(
    environment: &BusinessCalendar,
    production: &BusinessCalendar,
    from: Date,
) -> Result<(), HoursRefused> {
    let zone = environment.time_zone();
    let start = from
        .to_zoned(zone.clone())
        .map_err(|_| CalendarError::OutOfRange)?;
    let end = start
        .checked_add(1.year())
        .map_err(|_| CalendarError::OutOfRange)?;
    let (start, end) = (start.timestamp(), end.timestamp());
    let env = environment.open_intervals(start, end)?;
    let prod = production.open_intervals(start, end)?;
    let mut p = prod.iter().peekable();
    for &(open, close) in &env {
        // `t` is the first instant of [open, close) not yet known to be
        // covered by production.
        let mut t = open;
        while t < close {
            while p.peek().is_some_and(|&&(_, pc)| pc <= t) {
                p.next();
            }
            match p.peek() {
                Some(&&(po, pc)) if po <= t => t = pc,
                _ => return Err(HoursRefused::Wider(exceed(environment, open, close, t))),
            }
        }
    }
    Ok(())
}

fn exceed(
    calendar: &BusinessCalendar,
    open: Timestamp,
    close: Timestamp,
    at: Timestamp,
) -> HoursExceed {
    let zone = calendar.time_zone();
    let opens = open.to_zoned(zone.clone());
    let closes = close.to_zoned(zone.clone());
    HoursExceed {
        date: opens.date(),
        opens: opens.time(),
        closes: closes.time(),
        first_closed: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{CalendarBuilder, Segment};
    use jiff::civil::{Weekday, date, time};

    const PARIS: &str = "Europe/Paris";

    fn seg(a: i8, b: i8) -> Segment {
        Segment::new(time(a, 0, 0, 0), time(b, 0, 0, 0))
    }

    fn weekdays(zone: &str, a: i8, b: i8) -> BusinessCalendar {
        CalendarBuilder::new(zone)
            .weekdays(&[seg(a, b)])
            .build()
            .expect("calendar")
    }

    fn refused(env: &BusinessCalendar, prod: &BusinessCalendar) -> HoursExceed {
        match check_within(env, prod, date(2026, 1, 1)) {
            Err(HoursRefused::Wider(e)) => e,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn environment_hours_fit_in_round_the_clock_production() {
        let prod = BusinessCalendar::always(PARIS).expect("always");
        let env = BusinessCalendar::environment_hours(PARIS).expect("env");
        assert_eq!(check_within(&env, &prod, date(2026, 1, 1)), Ok(()));
        // Equal hours are not wider.
        assert_eq!(check_within(&prod, &prod, date(2026, 1, 1)), Ok(()));
        assert_eq!(check_within(&env, &env, date(2026, 1, 1)), Ok(()));
    }

    #[test]
    fn an_earlier_opening_is_named_with_its_day_and_segment() {
        let prod = weekdays(PARIS, 8, 18);
        let env = weekdays(PARIS, 7, 19);
        let e = refused(&env, &prod);
        // 2026-01-01 is a Thursday.
        assert_eq!(e.date, date(2026, 1, 1));
        assert_eq!((e.opens, e.closes), (time(7, 0, 0, 0), time(19, 0, 0, 0)));
        assert_eq!(e.first_closed.to_string(), "2026-01-01T06:00:00Z");
        let text = HoursRefused::Wider(e).to_string();
        assert!(
            text.contains("on 2026-01-01 the segment 07:00–19:00"),
            "{text}"
        );
    }

    #[test]
    fn a_later_closing_is_caught_at_production_s_closing_time() {
        let prod = weekdays(PARIS, 7, 18);
        let env = weekdays(PARIS, 7, 19);
        let e = refused(&env, &prod);
        assert_eq!(e.first_closed.to_string(), "2026-01-01T17:00:00Z");
    }

    #[test]
    fn a_weekend_opening_is_caught_on_the_first_saturday() {
        let prod = weekdays(PARIS, 7, 19);
        let env = CalendarBuilder::new(PARIS)
            .weekdays(&[seg(8, 18)])
            .hours(Weekday::Saturday, &[seg(9, 12)])
            .build()
            .expect("calendar");
        let e = refused(&env, &prod);
        assert_eq!(e.date, date(2026, 1, 3));
        assert_eq!(e.opens, time(9, 0, 0, 0));
    }

    #[test]
    fn an_environment_open_on_production_s_holiday_is_refused() {
        let prod = CalendarBuilder::new(PARIS)
            .weekdays(&[seg(7, 19)])
            .holiday(date(2026, 5, 1))
            .build()
            .expect("prod");
        let env = weekdays(PARIS, 8, 18);
        let e = refused(&env, &prod);
        assert_eq!(e.date, date(2026, 5, 1));
        // With the same holiday, it fits.
        let env = CalendarBuilder::new(PARIS)
            .weekdays(&[seg(8, 18)])
            .holiday(date(2026, 5, 1))
            .build()
            .expect("env");
        assert_eq!(check_within(&env, &prod, date(2026, 1, 1)), Ok(()));
    }

    #[test]
    fn time_zones_are_compared_as_instants_across_daylight_saving_changes() {
        // Production 07:00–19:00 in Paris; the environment 06:00–18:00 in
        // London, which is 07:00–19:00 in Paris all year: it fits, DST
        // changes included (both zones change on the same Sunday).
        let prod = weekdays(PARIS, 7, 19);
        let london = weekdays("Europe/London", 6, 18);
        assert_eq!(check_within(&london, &prod, date(2026, 1, 1)), Ok(()));
        // New York changes its clocks three weeks before Paris: 01:00–13:00
        // there is 07:00–19:00 in Paris in winter, but 06:00–18:00 in
        // Paris from the second Sunday of March until Paris changes too.
        let new_york = weekdays("America/New_York", 1, 13);
        let e = refused(&new_york, &prod);
        assert_eq!(e.date, date(2026, 3, 9));
        assert_eq!(e.first_closed.to_string(), "2026-03-09T05:00:00Z");
    }

    #[test]
    fn a_production_closed_on_the_day_of_a_dst_change_is_respected() {
        // Round the clock, Paris; production closes on the night of the
        // spring change (a closure of one day): an environment open that
        // Sunday is refused, one closed that Sunday fits.
        let prod = CalendarBuilder::always(PARIS)
            .closure(date(2026, 3, 29), date(2026, 3, 29))
            .build()
            .expect("prod");
        let env = CalendarBuilder::always(PARIS).build().expect("env");
        let e = refused(&env, &prod);
        assert_eq!(e.date, date(2026, 3, 29));
        assert_eq!(e.first_closed.to_string(), "2026-03-28T23:00:00Z");
        let env = BusinessCalendar::environment_hours(PARIS).expect("env");
        assert_eq!(check_within(&env, &prod, date(2026, 1, 1)), Ok(()));
    }

    #[test]
    fn only_the_year_from_the_given_date_is_checked() {
        let prod = CalendarBuilder::new(PARIS)
            .weekdays(&[seg(7, 19)])
            .closure(date(2028, 1, 3), date(2028, 1, 7))
            .build()
            .expect("prod");
        let env = weekdays(PARIS, 8, 18);
        assert_eq!(check_within(&env, &prod, date(2026, 1, 1)), Ok(()));
        let e = refused_from(&env, &prod, date(2027, 6, 1));
        assert_eq!(e.date, date(2028, 1, 3));
    }

    fn refused_from(env: &BusinessCalendar, prod: &BusinessCalendar, from: Date) -> HoursExceed {
        match check_within(env, prod, from) {
            Err(HoursRefused::Wider(e)) => e,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
