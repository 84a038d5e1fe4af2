//! Business calendars and business-time arithmetic: the foundation of SLA clocks.
//!
//! A [`BusinessCalendar`] says when a service is "open": an IANA time zone,
//! weekly service hours (sorted, non-overlapping [`Segment`]s per weekday),
//! public holidays, annual closures and exceptional openings. Build one with
//! [`CalendarBuilder`] (every input is validated, errors name the field) or
//! take a preset ([`BusinessCalendar::working_hours`] and friends).
//!
//! # What a day's hours are
//!
//! For a civil date in the calendar's zone, the first rule that applies wins:
//! an exceptional opening on that date (its own segments, possibly none);
//! else nothing if the date is in an annual closure or is a holiday; else the
//! weekly segments of its weekday.
//!
//! # How local hours become instants
//!
//! Each segment bound (a local date and time) is turned into an instant on
//! its own with jiff's [`Disambiguation::Compatible`](jiff::tz::Disambiguation):
//! a time that occurs twice (autumn fold) means its *first* occurrence; a
//! time that does not exist (spring gap) is read with the offset in force
//! before the gap, so Paris 02:30 on the last Sunday of March is 03:30 CEST.
//! A segment end of 24:00 is midnight of the next date. The instants of a
//! day are then kept within that day (between its midnight and the next one)
//! and after the previous segment, so that no instant is ever counted twice;
//! a segment that becomes empty this way (only possible when a bound falls
//! in a gap) contributes nothing that day.
//!
//! # Arithmetic
//!
//! Business time is the measure of the union of half-open intervals
//! `[open, close)`. [`BusinessCalendar::add_business`] returns the *earliest*
//! instant at which the duration has elapsed, counted from `start` (or from
//! the next opening if `start` is outside business hours); a deadline may
//! therefore sit exactly at a closing time. A zero duration returns the next
//! business instant at or after `start` ([`BusinessCalendar::next_open`]).
//! [`BusinessCalendar::business_between`] measures `[a, b)`. Searches give up
//! with [`CalendarError::NoBusinessTime`] after [`SEARCH_HORIZON_DAYS`]
//! consecutive days without business time, so a calendar that is never open
//! cannot loop forever.

mod arithmetic;
mod builder;
mod days;
mod error;
#[cfg(test)]
mod golden;
mod holidays;
mod presets;
#[cfg(test)]
mod properties;
mod walk;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;

pub use builder::CalendarBuilder;
pub use error::{CalendarError, CalendarField};
pub use holidays::{Holidays, easter};
pub use presets::{DEFAULT_TIME_ZONE, PRESET_HOLIDAY_YEARS};

/// How many consecutive days without business time a search walks through
/// before giving up with [`CalendarError::NoBusinessTime`] (ten years).
pub const SEARCH_HORIZON_DAYS: i32 = 3653;

/// A stretch of service hours within one day, from `start` (included) to
/// `end` (excluded). An `end` of 00:00 means 24:00, the end of the day, so
/// `00:00–00:00` is the whole day. A segment never crosses midnight: a night
/// shift is two segments on two weekdays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Segment {
    /// The opening time.
    pub start: Time,
    /// The closing time; 00:00 means 24:00.
    pub end: Time,
}

impl Segment {
    /// The whole day, 00:00–24:00.
    pub const WHOLE_DAY: Segment = Segment::new(Time::midnight(), Time::midnight());

    /// A segment from `start` to `end` (00:00 meaning 24:00). It is checked
    /// when the calendar is built, where errors can name the field.
    pub const fn new(start: Time, end: Time) -> Segment {
        Segment { start, end }
    }

    /// Whether the segment runs until the end of the day (24:00).
    pub fn ends_at_midnight(&self) -> bool {
        self.end == Time::midnight()
    }

    /// The bounds in nanoseconds since midnight; the end is 86 400 s for 24:00.
    pub(crate) fn nanos(&self) -> (i64, i64) {
        let end = if self.ends_at_midnight() {
            days::DAY_NANOS
        } else {
            nanos_of_day(self.end)
        };
        (nanos_of_day(self.start), end)
    }
}

fn nanos_of_day(t: Time) -> i64 {
    let secs = i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second());
    secs * 1_000_000_000 + i64::from(t.subsec_nanosecond())
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |f: &mut fmt::Formatter<'_>, t: Time, midnight: &str| {
            if t == Time::midnight() {
                return f.write_str(midnight);
            }
            write!(f, "{:02}:{:02}", t.hour(), t.minute())?;
            if t.second() != 0 || t.subsec_nanosecond() != 0 {
                write!(f, ":{:02}", t.second())?;
            }
            Ok(())
        };
        show(f, self.start, "00:00")?;
        f.write_str("–")?;
        show(f, self.end, "24:00")
    }
}

/// An inclusive range of civil dates, such as an annual closure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateRange {
    /// The first date of the range.
    pub first: Date,
    /// The last date of the range (included).
    pub last: Date,
}

impl DateRange {
    /// The dates from `first` to `last`, both included.
    pub const fn new(first: Date, last: Date) -> DateRange {
        DateRange { first, last }
    }

    /// Whether `date` lies in the range.
    pub fn contains(&self, date: Date) -> bool {
        self.first <= date && date <= self.last
    }
}

/// A validated business calendar; see the [module documentation](self) for
/// its rules. Build one with [`CalendarBuilder`] or a preset.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    zone_name: String,
    zone: TimeZone,
    weekly: [Vec<Segment>; 7],
    holidays: BTreeSet<Date>,
    closures: Vec<DateRange>,
    exceptions: BTreeMap<Date, Vec<Segment>>,
    compiled: days::Compiled,
}

impl BusinessCalendar {
    /// Starts a calendar in the IANA time zone `time_zone`.
    pub fn builder(time_zone: &str) -> CalendarBuilder {
        CalendarBuilder::new(time_zone)
    }

    /// The IANA name of the calendar's time zone, as given.
    pub fn time_zone_name(&self) -> &str {
        &self.zone_name
    }

    /// The calendar's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The weekly segments of `day`, sorted.
    pub fn weekly_hours(&self, day: Weekday) -> &[Segment] {
        &self.weekly[weekday_index(day)]
    }

    /// The public holidays.
    pub fn holidays(&self) -> &BTreeSet<Date> {
        &self.holidays
    }

    /// The annual closures, sorted.
    pub fn closures(&self) -> &[DateRange] {
        &self.closures
    }

    /// The exceptional openings and their segments.
    pub fn exceptional_openings(&self) -> &BTreeMap<Date, Vec<Segment>> {
        &self.exceptions
    }

    /// The service hours of a civil date, after exceptions, closures and
    /// holidays (empty when the date is closed).
    pub fn hours_on(&self, date: Date) -> &[Segment] {
        if let Some(segments) = self.exceptions.get(&date) {
            segments
        } else if self.holidays.contains(&date) || self.closures.iter().any(|c| c.contains(date)) {
            &[]
        } else {
            self.weekly_hours(date.weekday())
        }
    }
}

/// Monday = 0 … Sunday = 6.
fn weekday_index(day: Weekday) -> usize {
    usize::from(day.to_monday_zero_offset().unsigned_abs())
}

/// The lowercase English name of a weekday, as used in field names.
fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}
