//! Ready-made calendars: around the clock, working hours, environment hours.
//!
//! Each preset exists as a builder (to add a tenant's own holidays or
//! closures before building) and as a built calendar. The presets with
//! French holidays carry them for [`PRESET_HOLIDAY_YEARS`].

use std::ops::RangeInclusive;

use jiff::civil::time;

use super::{BusinessCalendar, CalendarBuilder, CalendarError, Holidays, Segment};

/// The time zone the presets are usually built in.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Paris";

/// The years whose French holidays the presets include.
pub const PRESET_HOLIDAY_YEARS: RangeInclusive<i16> = 2000..=2100;

const fn hours(start: i8, end: i8) -> Segment {
    Segment::new(time(start, 0, 0, 0), time(end, 0, 0, 0))
}

const ALL_DAY: [Segment; 1] = [Segment::WHOLE_DAY];
const WORKING: [Segment; 1] = [hours(8, 18)];
const ENVIRONMENT: [Segment; 1] = [hours(7, 19)];

impl CalendarBuilder {
    /// Every day, 24 hours a day, no holiday: 24/7 service.
    pub fn always(time_zone: &str) -> CalendarBuilder {
        CalendarBuilder::new(time_zone).hours_for(&super::builder::all_days(), &ALL_DAY)
    }

    /// Monday to Friday, 08:00–18:00, closed on French public holidays.
    pub fn working_hours(time_zone: &str) -> CalendarBuilder {
        CalendarBuilder::new(time_zone)
            .weekdays(&WORKING)
            .holidays(&Holidays::france(PRESET_HOLIDAY_YEARS))
    }

    /// Monday to Friday, 07:00–19:00, closed on French public holidays: the
    /// hours when test and pre-production environments are supported.
    pub fn environment_hours(time_zone: &str) -> CalendarBuilder {
        CalendarBuilder::new(time_zone)
            .weekdays(&ENVIRONMENT)
            .holidays(&Holidays::france(PRESET_HOLIDAY_YEARS))
    }
}

impl BusinessCalendar {
    /// The 24/7 calendar in `time_zone` (usually [`DEFAULT_TIME_ZONE`]).
    pub fn always(time_zone: &str) -> Result<BusinessCalendar, CalendarError> {
        CalendarBuilder::always(time_zone).build()
    }

    /// Working hours in `time_zone`: Monday–Friday 08:00–18:00, French holidays.
    pub fn working_hours(time_zone: &str) -> Result<BusinessCalendar, CalendarError> {
        CalendarBuilder::working_hours(time_zone).build()
    }

    /// Environment hours in `time_zone`: Monday–Friday 07:00–19:00, French holidays.
    pub fn environment_hours(time_zone: &str) -> Result<BusinessCalendar, CalendarError> {
        CalendarBuilder::environment_hours(time_zone).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{Weekday, date};

    fn check(calendar: &BusinessCalendar, day: Weekday, expected: &[Segment]) {
        assert_eq!(calendar.weekly_hours(day), expected, "{day:?}");
    }

    #[test]
    fn the_presets_say_what_their_names_say() -> Result<(), CalendarError> {
        let always = BusinessCalendar::always(DEFAULT_TIME_ZONE)?;
        let working = BusinessCalendar::working_hours(DEFAULT_TIME_ZONE)?;
        let environment = BusinessCalendar::environment_hours(DEFAULT_TIME_ZONE)?;
        for day in super::super::builder::all_days() {
            check(&always, day, &ALL_DAY);
            let weekend = matches!(day, Weekday::Saturday | Weekday::Sunday);
            check(&working, day, if weekend { &[] } else { &WORKING });
            check(&environment, day, if weekend { &[] } else { &ENVIRONMENT });
        }
        assert!(always.holidays().is_empty());
        assert!(working.holidays().contains(&date(2026, 4, 6)));
        assert!(environment.holidays().contains(&date(2100, 12, 25)));
        assert_eq!(working.hours_on(date(2026, 7, 14)), []);
        assert_eq!(working.time_zone_name(), "Europe/Paris");
        Ok(())
    }

    #[test]
    fn presets_take_any_zone_and_refuse_unknown_ones() {
        let reunion = BusinessCalendar::working_hours("Indian/Reunion");
        assert!(reunion.is_ok_and(|c| c.time_zone_name() == "Indian/Reunion"));
        assert!(matches!(
            BusinessCalendar::always("Mars/Olympus_Mons"),
            Err(CalendarError::UnknownTimeZone { .. })
        ));
    }

    #[test]
    fn a_tenant_adds_its_own_dates_to_a_preset() -> Result<(), CalendarError> {
        let calendar = CalendarBuilder::working_hours(DEFAULT_TIME_ZONE)
            .holiday(date(2026, 5, 15))
            .closure(date(2026, 12, 24), date(2026, 12, 31))
            .build()?;
        assert_eq!(calendar.hours_on(date(2026, 5, 15)), []);
        assert_eq!(calendar.hours_on(date(2026, 12, 28)), []);
        assert_eq!(calendar.hours_on(date(2027, 1, 4)), WORKING);
        Ok(())
    }
}
