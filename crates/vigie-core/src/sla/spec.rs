//! A calendar as a tenant writes it down, before it is built: what the
//! store keeps and the API edits. [`CalendarSpec::build`] turns it into a
//! [`BusinessCalendar`] through the builder, which checks every field.

use jiff::civil::{Date, Time, Weekday};

use crate::calendar::{
    BusinessCalendar, CalendarBuilder, CalendarError, DEFAULT_TIME_ZONE, DateRange, Holidays,
    PRESET_HOLIDAY_YEARS, Segment,
};

/// The weekdays, Monday first, as the spec's `weekly` array is indexed.
pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// The parts of a business calendar, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSpec {
    /// IANA time zone.
    pub time_zone: String,
    /// Weekly segments, Monday first.
    pub weekly: [Vec<Segment>; 7],
    /// Whether France's public holidays (2000–2100) are closed days.
    pub french_holidays: bool,
    /// The tenant's own holidays.
    pub holidays: Vec<Date>,
    /// Annual closures.
    pub closures: Vec<DateRange>,
    /// Exceptional openings (no segment: an exceptional closure).
    pub openings: Vec<(Date, Vec<Segment>)>,
}

/// The ready-made calendars.
pub const PRESETS: [&str; 3] = ["24/7", "working-hours", "environment-hours"];

impl CalendarSpec {
    /// A calendar closed all week, in `time_zone`.
    pub fn closed(time_zone: &str) -> CalendarSpec {
        CalendarSpec {
            time_zone: time_zone.to_owned(),
            weekly: Default::default(),
            french_holidays: false,
            holidays: Vec::new(),
            closures: Vec::new(),
            openings: Vec::new(),
        }
    }

    /// A preset by name ([`PRESETS`]): `24/7`; `working-hours`
    /// (Monday–Friday 8h–18h, French holidays); `environment-hours`
    /// (Monday–Friday 7h–19h, French holidays). In Europe/Paris.
    pub fn preset(name: &str) -> Option<CalendarSpec> {
        let hours = |start: i8, end: i8| Segment::new(time(start), time(end));
        let mut spec = CalendarSpec::closed(DEFAULT_TIME_ZONE);
        let (days, segment) = match name {
            "24/7" => (7, Segment::WHOLE_DAY),
            "working-hours" => (5, hours(8, 18)),
            "environment-hours" => (5, hours(7, 19)),
            _ => return None,
        };
        for day in spec.weekly.iter_mut().take(days) {
            day.push(segment);
        }
        spec.french_holidays = days == 5;
        Some(spec)
    }

    /// Builds the calendar; errors name the field (`weekly_hours.monday`,
    /// `closures[1]`, `time_zone`…).
    pub fn build(&self) -> Result<BusinessCalendar, CalendarError> {
        let mut builder = CalendarBuilder::new(&self.time_zone);
        for (day, segments) in WEEKDAYS.iter().zip(&self.weekly) {
            builder = builder.hours(*day, segments);
        }
        if self.french_holidays {
            builder = builder.holidays(&Holidays::france(PRESET_HOLIDAY_YEARS));
        }
        for &date in &self.holidays {
            builder = builder.holiday(date);
        }
        for range in &self.closures {
            builder = builder.closure(range.first, range.last);
        }
        for (date, segments) in &self.openings {
            builder = builder.exceptional_opening(*date, segments);
        }
        builder.build()
    }
}

fn time(hour: i8) -> Time {
    Time::new(hour % 24, 0, 0, 0).unwrap_or(Time::midnight())
}

/// Minutes since midnight of a segment bound; 24:00 is 1440.
pub fn minutes(segment: &Segment) -> (i64, i64) {
    let of = |t: Time| i64::from(t.hour()) * 60 + i64::from(t.minute());
    let end = if segment.ends_at_midnight() {
        1440
    } else {
        of(segment.end)
    };
    (of(segment.start), end)
}

/// A segment from minutes since midnight (1440 meaning 24:00); `None` when
/// a bound is outside 0–1440.
pub fn segment_of_minutes(start: i64, end: i64) -> Option<Segment> {
    let at = |m: i64| -> Option<Time> {
        if !(0..=1440).contains(&m) {
            return None;
        }
        Time::new(
            i8::try_from(m / 60 % 24).ok()?,
            i8::try_from(m % 60).ok()?,
            0,
            0,
        )
        .ok()
    };
    Some(Segment::new(at(start)?, at(end)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_build_and_segments_round_trip_through_minutes() {
        for name in PRESETS {
            let spec = CalendarSpec::preset(name).expect("a preset");
            assert!(spec.build().is_ok(), "{name}");
        }
        assert_eq!(CalendarSpec::preset("never"), None);
        let working = CalendarSpec::preset("working-hours").expect("preset");
        assert_eq!(minutes(&working.weekly[0][0]), (480, 1080));
        assert_eq!(working.weekly[5], []);
        let whole = segment_of_minutes(0, 1440).expect("whole day");
        assert_eq!(whole, Segment::WHOLE_DAY);
        assert_eq!(minutes(&whole), (0, 1440));
        assert_eq!(segment_of_minutes(-1, 60), None);
        let mut backwards = CalendarSpec::closed("Europe/Paris");
        backwards.weekly[1].push(segment_of_minutes(1080, 480).expect("bounds"));
        let error = backwards
            .build()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.starts_with("weekly_hours.tuesday"), "{error}");
    }
}
