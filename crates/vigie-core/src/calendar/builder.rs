//! Building a calendar: collect the inputs, then validate them all at once.
//!
//! The builder accepts anything; [`CalendarBuilder::build`] checks the time
//! zone, each day's segments (sorted here, so their order does not matter),
//! the closures and the exceptional openings, and reports the first fault
//! with the field it concerns. Holidays and closures may overlap each other:
//! a closed day is closed once.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use super::days::{Compiled, Span, day_number};
use super::{
    BusinessCalendar, CalendarError, CalendarField, DateRange, Holidays, Segment, weekday_index,
};

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// The seven weekdays, Monday first.
pub(super) fn all_days() -> [Weekday; 7] {
    WEEK
}

/// Collects the parts of a [`BusinessCalendar`]; see [`CalendarBuilder::build`].
#[derive(Debug, Clone)]
pub struct CalendarBuilder {
    time_zone: String,
    weekly: [Vec<Segment>; 7],
    holidays: BTreeSet<Date>,
    closures: Vec<DateRange>,
    exceptions: Vec<(Date, Vec<Segment>)>,
}

impl CalendarBuilder {
    /// A calendar in the IANA time zone `time_zone`, closed until told otherwise.
    pub fn new(time_zone: &str) -> CalendarBuilder {
        CalendarBuilder {
            time_zone: time_zone.to_owned(),
            weekly: Default::default(),
            holidays: BTreeSet::new(),
            closures: Vec::new(),
            exceptions: Vec::new(),
        }
    }

    /// Adds service hours to one weekday.
    pub fn hours(mut self, day: Weekday, segments: &[Segment]) -> CalendarBuilder {
        self.weekly[weekday_index(day)].extend_from_slice(segments);
        self
    }

    /// Adds the same service hours to each of `days`.
    pub fn hours_for(mut self, days: &[Weekday], segments: &[Segment]) -> CalendarBuilder {
        for &day in days {
            self = self.hours(day, segments);
        }
        self
    }

    /// Adds the same service hours to Monday through Friday.
    pub fn weekdays(self, segments: &[Segment]) -> CalendarBuilder {
        self.hours_for(&WEEK[..5], segments)
    }

    /// Adds a public holiday.
    pub fn holiday(mut self, date: Date) -> CalendarBuilder {
        self.holidays.insert(date);
        self
    }

    /// Adds public holidays, such as [`Holidays::france`].
    pub fn holidays(mut self, holidays: &Holidays) -> CalendarBuilder {
        self.holidays.extend(holidays.iter());
        self
    }

    /// Adds an annual closure from `first` to `last`, both included.
    pub fn closure(mut self, first: Date, last: Date) -> CalendarBuilder {
        self.closures.push(DateRange::new(first, last));
        self
    }

    /// Opens `date` with its own segments, whatever its weekday, holidays or
    /// closures say. No segment makes an exceptional closure.
    pub fn exceptional_opening(mut self, date: Date, segments: &[Segment]) -> CalendarBuilder {
        self.exceptions.push((date, segments.to_vec()));
        self
    }

    /// Validates everything and builds the calendar.
    pub fn build(self) -> Result<BusinessCalendar, CalendarError> {
        let zone = TimeZone::get(&self.time_zone).map_err(|_| CalendarError::UnknownTimeZone {
            name: self.time_zone.clone(),
        })?;
        let mut weekly = self.weekly;
        let mut compiled = Compiled::default();
        for day in WEEK {
            let index = weekday_index(day);
            let field = CalendarField::WeeklyHours(day);
            compiled.weekly[index] = check_segments(field, &mut weekly[index])?;
            compiled.week_total += compiled.weekly[index]
                .iter()
                .map(|&(start, end)| i128::from(end - start))
                .sum::<i128>();
        }
        for (index, range) in self.closures.iter().enumerate() {
            if range.last < range.first {
                let field = CalendarField::Closure(index);
                return Err(CalendarError::InvalidDateRange {
                    field,
                    range: *range,
                });
            }
        }
        let mut exceptions = BTreeMap::new();
        for (date, mut segments) in self.exceptions {
            let field = CalendarField::ExceptionalOpening(date);
            let spans = check_segments(field, &mut segments)?;
            if exceptions.insert(date, segments).is_some() {
                return Err(CalendarError::DuplicateExceptionalOpening { date });
            }
            compiled.exceptions.push((day_number(date), spans));
        }
        compiled.exceptions.sort_by_key(|(day, _)| *day);
        compiled.holidays = self.holidays.iter().map(|&d| day_number(d)).collect();
        let mut closures = self.closures;
        closures.sort();
        compiled.closures = merge_ranges(&closures);
        Ok(BusinessCalendar {
            zone_name: self.time_zone,
            zone,
            weekly,
            holidays: self.holidays,
            closures,
            exceptions,
            compiled,
        })
    }
}

/// Sorts one day's segments, checks them, and returns them as merged spans.
fn check_segments(
    field: CalendarField,
    segments: &mut [Segment],
) -> Result<Vec<Span>, CalendarError> {
    if let Some(&segment) = segments.iter().find(|s| s.nanos().1 <= s.nanos().0) {
        return Err(CalendarError::EmptySegment { field, segment });
    }
    segments.sort_by_key(Segment::nanos);
    let mut spans: Vec<Span> = Vec::with_capacity(segments.len());
    for (index, segment) in segments.iter().enumerate() {
        let (start, end) = segment.nanos();
        match spans.last_mut() {
            Some(last) if last.1 > start => {
                return Err(CalendarError::OverlappingSegments {
                    field,
                    first: segments[index - 1],
                    second: *segment,
                });
            }
            // Touching segments (12:00–14:00 then 14:00–18:00) make one span.
            Some(last) if last.1 == start => last.1 = end,
            _ => spans.push((start, end)),
        }
    }
    Ok(spans)
}

/// Sorted inclusive date ranges as merged day-number ranges.
fn merge_ranges(ranges: &[DateRange]) -> Vec<(i32, i32)> {
    let mut merged: Vec<(i32, i32)> = Vec::with_capacity(ranges.len());
    for range in ranges {
        let (first, last) = (day_number(range.first), day_number(range.last));
        match merged.last_mut() {
            Some(previous) if first <= previous.1.saturating_add(1) => {
                previous.1 = previous.1.max(last);
            }
            _ => merged.push((first, last)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn seg(start: (i8, i8), end: (i8, i8)) -> Segment {
        Segment::new(time(start.0, start.1, 0, 0), time(end.0, end.1, 0, 0))
    }

    #[test]
    fn valid_input_is_sorted_and_kept() {
        let calendar = CalendarBuilder::new("Europe/Paris")
            .hours(
                Weekday::Monday,
                &[seg((14, 0), (18, 0)), seg((8, 0), (12, 0))],
            )
            .hours(
                Weekday::Saturday,
                &[seg((22, 0), (0, 0)), seg((0, 0), (6, 0))],
            )
            .closure(date(2026, 8, 1), date(2026, 8, 15))
            .closure(date(2026, 7, 27), date(2026, 8, 2))
            .build();
        let Ok(calendar) = calendar else {
            panic!("valid calendar refused: {calendar:?}");
        };
        assert_eq!(
            calendar.weekly_hours(Weekday::Monday),
            [seg((8, 0), (12, 0)), seg((14, 0), (18, 0))]
        );
        assert_eq!(
            calendar.weekly_hours(Weekday::Saturday)[1].to_string(),
            "22:00–24:00"
        );
        // The two overlapping closures merge into one stretch of days.
        assert_eq!(calendar.compiled.closures.len(), 1);
        assert_eq!(calendar.compiled.week_total, 8 * 3_600_000_000_000 * 2);
        assert_eq!(calendar.time_zone_name(), "Europe/Paris");
    }
}
