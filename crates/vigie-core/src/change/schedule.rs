//! When a change may be carried out: the tenant's change windows, its
//! freeze periods, and the flags a planned window earns.
//!
//! The **change windows** are a business calendar whose open hours are the
//! hours changes may run in; by default ([`default_windows`]) the nights
//! from 19:00 to 06:00 on working days and the whole weekend, in the
//! tenant's time zone. A planned window is *inside* when every instant of
//! it is open in that calendar (the bounds are `[start, end)`, so a change
//! from 19:00 to 06:00 fits exactly). A **freeze** is a period (year-end,
//! a migration week) when nothing is changed; a planned window that
//! overlaps it by any instant is in the freeze.
//!
//! Each problem is a [`Flag`]. Every flag blocks scheduling, except for an
//! emergency change: the emergency CAB that approved it decided it could
//! not wait, so its flags are recorded and shown but do not block.

use super::conflict::Conflict;
use crate::calendar::{BusinessCalendar, CalendarBuilder, CalendarError, Segment};
use crate::ids::FreezeId;
use crate::sla::availability::Interval;
use jiff::civil::{Time, Weekday};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// The longest planned window accepted: a change that needs more is
/// several changes.
pub const MAX_WINDOW: SignedDuration = SignedDuration::from_hours(24 * 31);

/// A period when nothing is changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Freeze {
    /// Its id.
    pub id: FreezeId,
    /// Its name, such as "year-end".
    pub name: String,
    /// The period, `[start, end)`.
    pub period: Interval,
}

/// Something wrong with a planned window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    /// Part of the planned window is outside the change windows.
    OutsideWindow {
        /// How much of it, in minutes.
        outside_minutes: i64,
    },
    /// The planned window overlaps a freeze.
    InFreeze {
        /// The freeze.
        freeze: FreezeId,
        /// Its name.
        name: String,
    },
    /// Another change touches the same or dependent items at the same time.
    Conflict(Conflict),
}

impl Flag {
    /// A sentence for the person scheduling.
    pub fn describe(&self) -> String {
        match self {
            Flag::OutsideWindow { outside_minutes } => format!(
                "{outside_minutes} minute(s) of the planned window fall outside the change windows"
            ),
            Flag::InFreeze { name, .. } => {
                format!("the planned window overlaps the freeze “{name}”")
            }
            Flag::Conflict(c) => c.describe(),
        }
    }
}

/// Why a planned window is refused outright.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// The end is not after the start.
    #[error("the planned window must end after it starts (`planned_end` after `planned_start`)")]
    EndsBeforeStart,
    /// Longer than [`MAX_WINDOW`].
    #[error("a planned window lasts at most 31 days; split the change")]
    TooLong,
}

/// Checks a planned window's bounds.
pub fn planned_window(start: Timestamp, end: Timestamp) -> Result<Interval, WindowError> {
    if end <= start {
        return Err(WindowError::EndsBeforeStart);
    }
    if end.duration_since(start) > MAX_WINDOW {
        return Err(WindowError::TooLong);
    }
    Ok(Interval::new(start, end))
}

/// The default change windows in `time_zone`: 19:00–06:00 on the nights of
/// working days (Monday 00:00–06:00 and 19:00–24:00, … Friday), and
/// Saturday and Sunday whole. No holidays: a holiday closes nothing here.
pub fn default_windows(time_zone: &str) -> Result<BusinessCalendar, CalendarError> {
    let night = [
        Segment::new(Time::midnight(), time(6)),
        Segment::new(time(19), Time::midnight()),
    ];
    CalendarBuilder::new(time_zone)
        .weekdays(&night)
        .hours_for(&[Weekday::Saturday, Weekday::Sunday], &[Segment::WHOLE_DAY])
        .build()
}

fn time(hour: i8) -> Time {
    Time::constant(hour, 0, 0, 0)
}

/// The flags of a planned window against the windows and the freezes
/// (conflicts with other changes are found by [`super::conflict`]).
pub fn check(planned: Interval, windows: &BusinessCalendar, freezes: &[Freeze]) -> Vec<Flag> {
    let mut flags = Vec::new();
    let wall = planned.end.duration_since(planned.start);
    let open = windows.business_between(planned.start, planned.end);
    let outside = wall - open;
    if outside > SignedDuration::ZERO {
        // Rounded up: one second outside is a minute to fix.
        let minutes = (outside.as_secs() + 59) / 60;
        flags.push(Flag::OutsideWindow {
            outside_minutes: minutes,
        });
    }
    for f in freezes {
        if f.period.start < planned.end && planned.start < f.period.end {
            flags.push(Flag::InFreeze {
                freeze: f.id,
                name: f.name.clone(),
            });
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn planned(a: &str, b: &str) -> Interval {
        planned_window(ts(a), ts(b)).unwrap()
    }

    fn paris() -> BusinessCalendar {
        default_windows("Europe/Paris").unwrap()
    }

    fn outside(flags: &[Flag]) -> Option<i64> {
        flags.iter().find_map(|f| match f {
            Flag::OutsideWindow { outside_minutes } => Some(*outside_minutes),
            _ => None,
        })
    }

    #[test]
    fn a_night_change_fits_its_window_exactly() {
        // Tuesday 2026-01-13, 19:00–06:00 Paris (UTC+1).
        let p = planned("2026-01-13T18:00:00Z", "2026-01-14T05:00:00Z");
        assert!(check(p, &paris(), &[]).is_empty());
    }

    #[test]
    fn window_edges_count_to_the_minute() {
        // One minute before 19:00 Paris.
        let early = planned("2026-01-13T17:59:00Z", "2026-01-13T20:00:00Z");
        assert_eq!(outside(&check(early, &paris(), &[])), Some(1));
        // Ending one second after 06:00 is still a minute outside.
        let late = planned("2026-01-14T04:00:00Z", "2026-01-14T05:00:01Z");
        assert_eq!(outside(&check(late, &paris(), &[])), Some(1));
        // A working-day afternoon is wholly outside.
        let day = planned("2026-01-13T13:00:00Z", "2026-01-13T15:00:00Z");
        assert_eq!(outside(&check(day, &paris(), &[])), Some(120));
    }

    #[test]
    fn the_weekend_is_open_from_friday_evening_to_monday_morning() {
        // Friday 2026-01-16 19:00 Paris to Monday 06:00.
        let p = planned("2026-01-16T18:00:00Z", "2026-01-19T05:00:00Z");
        assert!(check(p, &paris(), &[]).is_empty());
    }

    #[test]
    fn time_zones_and_summer_time_move_the_window() {
        // 18:30Z is 19:30 in winter (inside) but 20:30 in summer (inside);
        // 17:30Z is 18:30 in winter (outside) but 19:30 in summer (inside).
        let winter = planned("2026-01-13T17:30:00Z", "2026-01-13T19:00:00Z");
        assert_eq!(outside(&check(winter, &paris(), &[])), Some(30));
        let summer = planned("2026-07-14T17:30:00Z", "2026-07-14T19:00:00Z");
        assert!(check(summer, &paris(), &[]).is_empty());
        // The same UTC window in New York (UTC-5 in January) is 12:30: outside.
        let ny = default_windows("America/New_York").unwrap();
        assert_eq!(outside(&check(winter, &ny, &[])), Some(90));
    }

    #[test]
    fn freezes_count_from_their_first_instant_to_their_last() {
        let freeze = Freeze {
            id: FreezeId(1),
            name: "year-end".into(),
            period: Interval::new(ts("2026-12-20T00:00:00Z"), ts("2027-01-04T00:00:00Z")),
        };
        let calendar = BusinessCalendar::always("UTC").unwrap();
        let before = planned("2026-12-19T22:00:00Z", "2026-12-20T00:00:00Z");
        assert!(check(before, &calendar, std::slice::from_ref(&freeze)).is_empty());
        let touching = planned("2026-12-19T23:00:00Z", "2026-12-20T00:00:01Z");
        assert_eq!(
            check(touching, &calendar, std::slice::from_ref(&freeze)),
            vec![Flag::InFreeze {
                freeze: FreezeId(1),
                name: "year-end".into()
            }]
        );
        let after = planned("2027-01-04T00:00:00Z", "2027-01-04T02:00:00Z");
        assert!(check(after, &calendar, &[freeze]).is_empty());
    }

    #[test]
    fn bad_windows_are_refused() {
        let t = ts("2026-01-13T18:00:00Z");
        assert_eq!(planned_window(t, t), Err(WindowError::EndsBeforeStart));
        assert_eq!(
            planned_window(t, t - SignedDuration::from_hours(1)),
            Err(WindowError::EndsBeforeStart)
        );
        assert_eq!(
            planned_window(t, t + SignedDuration::from_hours(24 * 32)),
            Err(WindowError::TooLong)
        );
    }
}
