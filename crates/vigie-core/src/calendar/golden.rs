//! Golden, hand-worked deadlines: each expectation says why in a comment.
//! Instants are written in RFC 3339 with their Paris offset, so a case reads
//! `(opened, business hours, due)`.

use jiff::civil::{Weekday, date, time};
use jiff::{SignedDuration, Timestamp};

use super::{BusinessCalendar, CalendarBuilder, DEFAULT_TIME_ZONE, Segment};

/// An instant written in RFC 3339 with its offset, e.g. `2026-01-09T17:30+01:00`.
pub(super) fn at(text: &str) -> Timestamp {
    text.parse().expect("an RFC 3339 instant")
}

/// An instant shown the same way, in Paris time.
pub(super) fn show(t: Timestamp) -> String {
    let zone = jiff::tz::TimeZone::get(DEFAULT_TIME_ZONE).expect("Paris");
    t.to_zoned(zone).strftime("%Y-%m-%dT%H:%M%:z").to_string()
}

/// A whole number of hours.
pub(super) fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// The working-hours preset in Paris.
pub(super) fn working() -> BusinessCalendar {
    BusinessCalendar::working_hours(DEFAULT_TIME_ZONE).expect("preset")
}

/// A segment between two whole hours (0 as the end meaning 24:00).
pub(super) fn seg(start: i8, end: i8) -> Segment {
    Segment::new(time(start, 0, 0, 0), time(end, 0, 0, 0))
}

/// Checks a deadline, and that measuring back gives the duration.
pub(super) fn check(calendar: &BusinessCalendar, start: &str, duration: SignedDuration, due: &str) {
    let got = calendar.add_business(at(start), duration);
    let got = got.expect("a deadline");
    assert_eq!(show(got), due, "{start} + {duration:?}");
    assert_eq!(calendar.business_between(at(start), got), duration);
}

/// Checks a table of `(opened, business hours, due)`.
fn check_all(calendar: &BusinessCalendar, cases: &[(&str, i64, &str)]) {
    for &(start, h, due) in cases {
        check(calendar, start, hours(h), due);
    }
}

/// Business time between two instants written in RFC 3339.
fn between(calendar: &BusinessCalendar, from: &str, to: &str) -> SignedDuration {
    calendar.business_between(at(from), at(to))
}

#[test]
fn working_hours_deadlines() {
    check_all(
        &working(),
        &[
            // Friday 17:30: 30 min on Friday, weekend closed, 3 h 30 on Monday.
            ("2026-01-09T17:30+01:00", 4, "2026-01-12T11:30+01:00"),
            // Same, but Monday 6 April is Easter Monday: the 3 h 30 fall on
            // Tuesday, in summer time since 29 March.
            ("2026-04-03T17:30+02:00", 4, "2026-04-07T11:30+02:00"),
            // Opened on a holiday (Friday 1 May): counting starts Monday 08:00.
            ("2026-05-01T10:00+02:00", 4, "2026-05-04T12:00+02:00"),
            // Wednesday 16:00 before Ascension (Thursday 14 May): 2 h, then Friday.
            ("2026-05-13T16:00+02:00", 4, "2026-05-15T10:00+02:00"),
            // The deadline may sit exactly on the closing time.
            ("2026-01-12T14:00+01:00", 4, "2026-01-12T18:00+01:00"),
            // Across the spring DST weekend: 1 h Friday (CET), 1 h Monday (CEST).
            ("2026-03-27T17:00+01:00", 2, "2026-03-30T09:00+02:00"),
            // 30 business hours from Friday 17:30: 0.5 + 10 (Mon) + 10 (Tue) + 9.5.
            ("2026-01-09T17:30+01:00", 30, "2026-01-14T17:30+01:00"),
            // 72 business hours: 0.5 + 50 (a whole week) + 20 (Mon, Tue) + 1.5.
            ("2026-01-09T17:30+01:00", 72, "2026-01-21T09:30+01:00"),
        ],
    );
}

#[test]
fn split_days_and_lunch() {
    let cal = CalendarBuilder::new(DEFAULT_TIME_ZONE)
        .weekdays(&[seg(8, 12), seg(14, 18)])
        .build()
        .expect("valid");
    check_all(
        &cal,
        &[
            // Monday 10:00 + 4 h: 10–12, then 14–16.
            ("2026-01-12T10:00+01:00", 4, "2026-01-12T16:00+01:00"),
            // Opened during lunch: counting starts at 14:00.
            ("2026-01-12T12:30+01:00", 1, "2026-01-12T15:00+01:00"),
            // A morning's worth ends at noon, not at 14:00.
            ("2026-01-12T08:00+01:00", 4, "2026-01-12T12:00+01:00"),
            // Friday 17:00: 1 h Friday, 4 h Monday morning, 1 h after lunch.
            ("2026-01-09T17:00+01:00", 6, "2026-01-12T15:00+01:00"),
        ],
    );
    let monday = between(&cal, "2026-01-12T00:00+01:00", "2026-01-13T00:00+01:00");
    assert_eq!(monday, hours(8));
}

#[test]
fn closures_and_exceptional_openings() {
    let summer = CalendarBuilder::working_hours(DEFAULT_TIME_ZONE)
        .closure(date(2026, 7, 27), date(2026, 8, 14))
        .build()
        .expect("valid");
    // Friday 24 July 16:00: 2 h on Friday, closed three weeks, then the
    // weekend of 15 August (a holiday too); Monday 17 August 08:00 + 2 h.
    check(
        &summer,
        "2026-07-24T16:00+02:00",
        hours(4),
        "2026-08-17T10:00+02:00",
    );
    let closed = between(&summer, "2026-07-27T00:00+02:00", "2026-08-15T00:00+02:00");
    assert_eq!(closed, SignedDuration::ZERO);

    let opened = CalendarBuilder::working_hours(DEFAULT_TIME_ZONE)
        .exceptional_opening(date(2026, 1, 10), &[seg(9, 12)])
        .exceptional_opening(date(2026, 4, 6), &[seg(8, 12)])
        .build()
        .expect("valid");
    check_all(
        &opened,
        &[
            // Friday 17:30: 30 min, Saturday 09:00–12:00 (3 h), Monday 08:00–08:30.
            ("2026-01-09T17:30+01:00", 4, "2026-01-12T08:30+01:00"),
            // Easter Monday morning is open despite the holiday: 30 min + 3 h 30.
            ("2026-04-03T17:30+02:00", 4, "2026-04-06T11:30+02:00"),
            // ... but only the morning: 30 min + 4 h, then 1 h 30 on Tuesday.
            ("2026-04-03T17:30+02:00", 6, "2026-04-07T09:30+02:00"),
        ],
    );
}

#[test]
fn around_the_clock_across_dst() {
    let cal = BusinessCalendar::always(DEFAULT_TIME_ZONE).expect("preset");
    check_all(
        &cal,
        &[
            // 29 March: 02:00–03:00 does not exist, so 4 h from 00:30 is 05:30.
            ("2026-03-29T00:30+01:00", 4, "2026-03-29T05:30+02:00"),
            // 25 October: 02:00–03:00 happens twice, so 4 h from 00:30 is
            // 03:30; 2 h and 3 h land on the first and second 02:30.
            ("2026-10-25T00:30+02:00", 4, "2026-10-25T03:30+01:00"),
            ("2026-10-25T00:30+02:00", 2, "2026-10-25T02:30+02:00"),
            ("2026-10-25T00:30+02:00", 3, "2026-10-25T02:30+01:00"),
        ],
    );
    // The two local days last 23 h and 25 h.
    let spring = between(&cal, "2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00");
    let autumn = between(&cal, "2026-10-25T00:00+02:00", "2026-10-26T00:00+01:00");
    assert_eq!((spring, autumn), (hours(23), hours(25)));
}

#[test]
fn segment_bounds_in_a_gap_or_a_fold() {
    let sunday_night = |start: (i8, i8), end: i8| {
        let segment = Segment::new(time(start.0, start.1, 0, 0), time(end, 0, 0, 0));
        let builder = CalendarBuilder::new(DEFAULT_TIME_ZONE).hours(Weekday::Sunday, &[segment]);
        builder.build().expect("valid")
    };
    let (march, march_end) = ("2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00");
    let (october, october_end) = ("2026-10-25T00:00+02:00", "2026-10-26T00:00+01:00");
    // 01:00–04:00 on the spring day: 01:00 CET to 04:00 CEST is 2 h.
    let night = sunday_night((1, 0), 4);
    assert_eq!(between(&night, march, march_end), hours(2));
    // 02:30 does not exist: read with the winter offset it is 03:30 CEST,
    // so 02:30–05:00 lasts 1 h 30 and opens at 03:30.
    let from_gap = sunday_night((2, 30), 5);
    assert_eq!(
        between(&from_gap, march, march_end),
        SignedDuration::from_mins(90)
    );
    check(&from_gap, march, hours(0), "2026-03-29T03:30+02:00");
    // 02:30 happens twice in autumn: the first one (CEST) opens, so
    // 02:30–04:00 lasts 2 h 30.
    let from_fold = sunday_night((2, 30), 4);
    assert_eq!(
        between(&from_fold, october, october_end),
        SignedDuration::from_mins(150)
    );
    check(&from_fold, october, hours(0), "2026-10-25T02:30+02:00");
}

#[test]
fn a_pause_moves_the_deadline_by_the_paused_business_time() {
    let cal = working();
    let start = at("2026-01-09T17:30+01:00");
    let target = hours(8);
    // Friday 30 min + Monday 7 h 30: due Monday 15:30.
    let deadline = cal.add_business(start, target).expect("deadline");
    assert_eq!(show(deadline), "2026-01-12T15:30+01:00");
    // Paused pending the customer for 3 business hours: the deadline moves
    // by 3 business hours, 2 h 30 on Monday and 30 min on Tuesday.
    let moved = cal.add_business(deadline, hours(3)).expect("moved");
    assert_eq!(show(moved), "2026-01-13T08:30+01:00");
    assert_eq!(cal.business_between(start, moved), target + hours(3));
}
