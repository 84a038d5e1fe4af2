//! The units the walk reads: day numbers, nanoseconds of the day, and
//! offset windows between the time zone's transitions.
//!
//! Days are numbered in local civil time (days since 1970-01-01) and segment
//! bounds are nanoseconds since local midnight, so an ordinary day costs a
//! few integer operations. A [`Window`] is the stretch between two
//! transitions of the zone, where the offset is constant; it says which local
//! days map to instants by plain subtraction, clear of the local times a
//! transition skips (gap) or repeats (fold).

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use super::CalendarError;

/// Nanoseconds in a civil day.
pub(crate) const DAY_NANOS: i64 = 86_400_000_000_000;
pub(super) const DAY: i128 = DAY_NANOS as i128;
pub(super) const WEEK: i128 = 7 * DAY;
/// The day number of 9999-12-31, the last date jiff supports.
pub(super) const MAX_DAY: i32 = 2_932_896;
pub(super) const EPOCH: Date = jiff::civil::date(1970, 1, 1);

/// A segment as nanoseconds since local midnight, `[start, end)`.
pub(super) type Span = (i64, i64);

/// The calendar in the shape the walk reads.
#[derive(Debug, Clone, Default)]
pub(super) struct Compiled {
    /// Merged spans per weekday, Monday first.
    pub(super) weekly: [Vec<Span>; 7],
    /// The business time of a week without special days, in nanoseconds.
    pub(super) week_total: i128,
    /// Holiday day numbers, sorted and unique.
    pub(super) holidays: Vec<i32>,
    /// Closures as inclusive day-number ranges, sorted and merged.
    pub(super) closures: Vec<(i32, i32)>,
    /// Exceptional openings by day number, sorted, with merged spans.
    pub(super) exceptions: Vec<(i32, Vec<Span>)>,
}

/// Days since 1970-01-01 of a civil date.
pub(super) fn day_number(date: Date) -> i32 {
    (date.duration_since(EPOCH).as_secs() / 86_400) as i32
}

pub(super) fn local_day(local: i128) -> i32 {
    local.div_euclid(DAY) as i32
}

pub(super) fn offset_nanos(offset: Offset) -> i128 {
    i128::from(offset.seconds()) * 1_000_000_000
}

pub(super) fn timestamp(nanos: i128) -> Result<Timestamp, CalendarError> {
    Timestamp::from_nanosecond(nanos).map_err(|_| CalendarError::OutOfRange)
}

/// Between two transitions of the zone: local = instant + `offset`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub(super) offset: i128,
    /// The instant of the next transition.
    pub(super) end: i128,
    /// Local times from here on are past the previous transition's effects.
    pub(super) first_local: i128,
    /// Local times before this are clear of the next transition's effects.
    pub(super) last_local: i128,
}

impl Window {
    pub(super) fn at(zone: &TimeZone, t: Timestamp) -> Window {
        let offset = offset_nanos(zone.to_offset(t));
        let mut window = Window {
            offset,
            end: i128::MAX,
            first_local: i128::MIN,
            last_local: i128::MAX,
        };
        let just_after = t.checked_add(SignedDuration::from_nanos(1)).unwrap_or(t);
        if let Some(previous) = zone.preceding(just_after).next() {
            let at = previous.timestamp();
            let before = at
                .checked_sub(SignedDuration::from_nanos(1))
                .map_or(offset, |b| offset_nanos(zone.to_offset(b)));
            window.first_local = at.as_nanosecond() + offset.max(before);
        }
        if let Some(next) = zone.following(t).next() {
            window.end = next.timestamp().as_nanosecond();
            window.last_local = window.end + offset.min(offset_nanos(next.offset()));
        }
        window
    }

    /// Whether every local time in `[from, to]` has exactly one instant, at
    /// this window's offset.
    pub(super) fn covers(&self, from: i128, to: i128) -> bool {
        from >= self.first_local && to < self.last_local
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers() {
        assert_eq!(day_number(EPOCH), 0);
        assert_eq!(day_number(jiff::civil::date(2026, 1, 12)), 20_465);
        assert_eq!(day_number(Date::MAX), MAX_DAY);
        // 1970-01-01 was a Thursday: index 3 counting from Monday = 0.
        assert_eq!(
            (i64::from(day_number(jiff::civil::date(2026, 1, 12))) + 3).rem_euclid(7),
            0
        );
    }

    #[test]
    fn windows_cover_the_days_clear_of_a_transition() {
        let local = |text: &str| -> i128 {
            let civil: jiff::civil::DateTime = text.parse().expect("datetime");
            let at = jiff::tz::Offset::UTC.to_timestamp(civil).expect("instant");
            at.as_nanosecond()
        };
        let day = |text: &str| {
            (
                local(&format!("{text}T00:00")),
                local(&format!("{text}T00:00")) + DAY,
            )
        };
        let paris = TimeZone::get("Europe/Paris").expect("Paris");
        let winter = Window::at(&paris, "2026-03-20T12:00Z".parse().expect("instant"));
        // Clocks jump at 02:00 local on Sunday 29 March: Saturday is clear,
        // Sunday is not.
        assert_eq!(winter.last_local, local("2026-03-29T02:00"));
        for (text, covered) in [("2026-03-28", true), ("2026-03-29", false)] {
            let (from, to) = day(text);
            assert_eq!(winter.covers(from, to), covered, "{text}");
        }
        // After the jump, local times from 03:00 on are clear again.
        let summer = Window::at(&paris, "2026-03-29T01:00Z".parse().expect("instant"));
        assert_eq!(summer.first_local, local("2026-03-29T03:00"));
        assert_eq!(summer.offset, 2 * 3_600_000_000_000);
        let (from, to) = day("2026-03-30");
        assert!(summer.covers(from, to));
        let utc = Window::at(&TimeZone::UTC, Timestamp::MIN);
        assert!(utc.covers(i128::MIN, i128::MAX - 1));
    }
}
