//! What can go wrong with a business calendar, each error naming its field.

use std::fmt;

use jiff::civil::{Date, Weekday};
use jiff::{SignedDuration, Timestamp};

use super::{DateRange, SEARCH_HORIZON_DAYS, Segment, weekday_name};

/// The part of a calendar (or of a call) that an error is about. Its
/// `Display` is a stable, machine-friendly path such as `weekly_hours.monday`,
/// `closures[2]` or `exceptional_openings.2026-05-02`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarField {
    /// The IANA time zone name.
    TimeZone,
    /// The weekly segments of one weekday.
    WeeklyHours(Weekday),
    /// The annual closure at this position, in the order given.
    Closure(usize),
    /// The exceptional opening on this date.
    ExceptionalOpening(Date),
    /// The duration passed to an arithmetic function.
    Duration,
}

impl fmt::Display for CalendarField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarField::TimeZone => f.write_str("time_zone"),
            CalendarField::WeeklyHours(day) => write!(f, "weekly_hours.{}", weekday_name(*day)),
            CalendarField::Closure(index) => write!(f, "closures[{index}]"),
            CalendarField::ExceptionalOpening(date) => write!(f, "exceptional_openings.{date}"),
            CalendarField::Duration => f.write_str("duration"),
        }
    }
}

/// Why a calendar cannot be built, or a computation cannot be done. The
/// message starts with the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The time zone name is not in the IANA database.
    #[error("time_zone: {name:?} is not a known IANA time zone")]
    UnknownTimeZone {
        /// The name given.
        name: String,
    },
    /// A segment ends at or before its start.
    #[error("{field}: the segment {segment} ends at or before its start")]
    EmptySegment {
        /// Where the segment was given.
        field: CalendarField,
        /// The segment.
        segment: Segment,
    },
    /// Two segments of the same day overlap.
    #[error("{field}: the segments {first} and {second} overlap")]
    OverlappingSegments {
        /// Where the segments were given.
        field: CalendarField,
        /// The earlier segment.
        first: Segment,
        /// The segment that starts before `first` ends.
        second: Segment,
    },
    /// A date range ends before it starts.
    #[error("{field}: the range ends on {} before it starts on {}", range.last, range.first)]
    InvalidDateRange {
        /// Where the range was given.
        field: CalendarField,
        /// The range.
        range: DateRange,
    },
    /// The same date has two exceptional openings.
    #[error("exceptional_openings.{date}: the date is given twice")]
    DuplicateExceptionalOpening {
        /// The date given twice.
        date: Date,
    },
    /// A negative duration was passed to business-time arithmetic.
    #[error("duration: {duration:?} is negative; business time only moves forward")]
    NegativeDuration {
        /// The duration given.
        duration: SignedDuration,
    },
    /// The calendar has no business time for [`SEARCH_HORIZON_DAYS`] days in a row.
    #[error(
        "the calendar has no business time for {SEARCH_HORIZON_DAYS} days in a row (search from {from})"
    )]
    NoBusinessTime {
        /// Where the search started.
        from: Timestamp,
    },
    /// The result would lie beyond the dates jiff supports (year 9999).
    #[error("the result lies beyond the supported range of dates")]
    OutOfRange,
}

impl CalendarError {
    /// The field at fault, when the error is about one.
    pub fn field(&self) -> Option<CalendarField> {
        match self {
            CalendarError::UnknownTimeZone { .. } => Some(CalendarField::TimeZone),
            CalendarError::EmptySegment { field, .. }
            | CalendarError::OverlappingSegments { field, .. }
            | CalendarError::InvalidDateRange { field, .. } => Some(*field),
            CalendarError::DuplicateExceptionalOpening { date } => {
                Some(CalendarField::ExceptionalOpening(*date))
            }
            CalendarError::NegativeDuration { .. } => Some(CalendarField::Duration),
            CalendarError::NoBusinessTime { .. } | CalendarError::OutOfRange => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::CalendarBuilder;
    use jiff::civil::{date, time};

    fn seg(start: (i8, i8), end: (i8, i8)) -> Segment {
        Segment::new(time(start.0, start.1, 0, 0), time(end.0, end.1, 0, 0))
    }

    /// Builds and expects an error: its variant (compared whole) and its message.
    fn check(builder: CalendarBuilder, expected: CalendarError, message: &str) {
        match builder.build() {
            Ok(_) => panic!("expected {expected:?}"),
            Err(error) => {
                assert_eq!(error, expected);
                assert_eq!(error.to_string(), message);
            }
        }
    }

    fn paris() -> CalendarBuilder {
        CalendarBuilder::new("Europe/Paris")
    }

    #[test]
    fn bad_input_names_the_field() {
        check(
            CalendarBuilder::new("Europe/Lutece"),
            CalendarError::UnknownTimeZone {
                name: "Europe/Lutece".into(),
            },
            "time_zone: \"Europe/Lutece\" is not a known IANA time zone",
        );
        let backwards = seg((18, 0), (8, 0));
        check(
            paris().hours(Weekday::Tuesday, &[backwards]),
            CalendarError::EmptySegment {
                field: CalendarField::WeeklyHours(Weekday::Tuesday),
                segment: backwards,
            },
            "weekly_hours.tuesday: the segment 18:00–08:00 ends at or before its start",
        );
        let empty = seg((9, 30), (9, 30));
        check(
            paris().hours(Weekday::Sunday, &[empty]),
            CalendarError::EmptySegment {
                field: CalendarField::WeeklyHours(Weekday::Sunday),
                segment: empty,
            },
            "weekly_hours.sunday: the segment 09:30–09:30 ends at or before its start",
        );
        let (morning, noon) = (seg((8, 0), (12, 30)), seg((12, 0), (14, 0)));
        check(
            paris().hours(Weekday::Monday, &[noon, morning]),
            CalendarError::OverlappingSegments {
                field: CalendarField::WeeklyHours(Weekday::Monday),
                first: morning,
                second: noon,
            },
            "weekly_hours.monday: the segments 08:00–12:30 and 12:00–14:00 overlap",
        );
        let range = DateRange::new(date(2026, 8, 14), date(2026, 7, 27));
        check(
            paris()
                .closure(date(2026, 12, 24), date(2026, 12, 31))
                .closure(range.first, range.last),
            CalendarError::InvalidDateRange {
                field: CalendarField::Closure(1),
                range,
            },
            "closures[1]: the range ends on 2026-07-27 before it starts on 2026-08-14",
        );
        let saturday = date(2026, 1, 10);
        check(
            paris()
                .exceptional_opening(saturday, &[seg((9, 0), (12, 0))])
                .exceptional_opening(saturday, &[seg((14, 0), (16, 0))]),
            CalendarError::DuplicateExceptionalOpening { date: saturday },
            "exceptional_openings.2026-01-10: the date is given twice",
        );
        check(
            paris().exceptional_opening(saturday, &[seg((9, 0), (12, 0)), seg((11, 0), (0, 0))]),
            CalendarError::OverlappingSegments {
                field: CalendarField::ExceptionalOpening(saturday),
                first: seg((9, 0), (12, 0)),
                second: seg((11, 0), (0, 0)),
            },
            "exceptional_openings.2026-01-10: the segments 09:00–12:00 and 11:00–24:00 overlap",
        );
    }

    #[test]
    fn errors_expose_their_field() {
        let error = CalendarError::DuplicateExceptionalOpening {
            date: date(2026, 1, 10),
        };
        assert_eq!(
            error.field(),
            Some(CalendarField::ExceptionalOpening(date(2026, 1, 10)))
        );
        assert_eq!(CalendarError::OutOfRange.field(), None);
    }
}
