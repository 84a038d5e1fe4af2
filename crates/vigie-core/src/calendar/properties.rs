//! Property tests: the arithmetic over random starts, durations and calendars
//! (the three presets and random valid segment calendars in several zones).

use std::sync::LazyLock;

use jiff::civil::{Date, Time, Weekday, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::collection::vec;
use proptest::prelude::*;

use super::{BusinessCalendar, CalendarBuilder, DEFAULT_TIME_ZONE, Segment};

static PRESETS: LazyLock<[BusinessCalendar; 3]> = LazyLock::new(|| {
    [
        BusinessCalendar::always(DEFAULT_TIME_ZONE).expect("24/7"),
        BusinessCalendar::working_hours(DEFAULT_TIME_ZONE).expect("working"),
        BusinessCalendar::environment_hours(DEFAULT_TIME_ZONE).expect("environment"),
    ]
});

/// Zones with DST at 02:00 (Paris, New York), at midnight (Santiago), by
/// 30 minutes (Lord Howe), and none (UTC).
const ZONES: [&str; 5] = [
    "Europe/Paris",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "UTC",
];

#[derive(Debug, Clone)]
enum Calendar {
    Preset(usize),
    Custom(Box<BusinessCalendar>),
}

impl Calendar {
    fn get(&self) -> &BusinessCalendar {
        match self {
            Calendar::Preset(index) => &PRESETS[*index],
            Calendar::Custom(calendar) => calendar,
        }
    }
}

fn minute(m: u16) -> Time {
    Time::new((m / 60 % 24) as i8, (m % 60) as i8, 0, 0).expect("a time")
}

/// Sorted, non-overlapping segments on a minute grid (1440 = 24:00).
fn segments() -> impl Strategy<Value = Vec<Segment>> {
    proptest::collection::btree_set(0u16..=1440, 0..7).prop_map(|cuts| {
        let cuts: Vec<u16> = cuts.into_iter().collect();
        let pairs = cuts.chunks_exact(2);
        pairs
            .map(|p| Segment::new(minute(p[0]), minute(p[1])))
            .collect()
    })
}

/// A date from 2025 to 2028.
fn day() -> impl Strategy<Value = Date> {
    (0i32..4 * 365).prop_map(|n| date(2025, 1, 1) + SignedDuration::from_hours(24 * i64::from(n)))
}

fn custom(zones: &'static [&'static str]) -> impl Strategy<Value = BusinessCalendar> {
    let week = prop::array::uniform7(segments());
    let holidays = vec(day(), 0..8);
    let closures = vec((day(), 0i64..40), 0..3);
    let exceptions = vec((day(), segments()), 0..4);
    (
        prop::sample::select(zones),
        week,
        holidays,
        closures,
        exceptions,
    )
        .prop_filter_map(
            "a calendar with weekly hours",
            |(zone, week, holidays, closures, exceptions)| {
                let mut builder = CalendarBuilder::new(zone);
                for (index, segments) in week.iter().enumerate() {
                    let weekday = Weekday::from_monday_zero_offset(index as i8).expect("weekday");
                    builder = builder.hours(weekday, segments);
                }
                for holiday in holidays {
                    builder = builder.holiday(holiday);
                }
                for (first, days) in closures {
                    builder = builder.closure(first, first + SignedDuration::from_hours(24 * days));
                }
                let mut seen = std::collections::BTreeSet::new();
                for (when, segments) in exceptions {
                    if seen.insert(when) {
                        builder = builder.exceptional_opening(when, &segments);
                    }
                }
                let calendar = builder.build().ok()?;
                let weekly = calendar.compiled.week_total > 0;
                weekly.then_some(calendar)
            },
        )
}

fn calendar() -> impl Strategy<Value = Calendar> {
    prop_oneof![
        (0usize..3).prop_map(Calendar::Preset),
        custom(&ZONES).prop_map(|c| Calendar::Custom(Box::new(c))),
    ]
}

/// An instant from 2025 to 2028, to the second.
fn start() -> impl Strategy<Value = Timestamp> {
    (1_735_689_600i64..1_861_920_000).prop_map(|s| Timestamp::from_second(s).expect("instant"))
}

/// An instant from 1900 to 2100.
fn any_year() -> impl Strategy<Value = Timestamp> {
    (-2_208_988_800i64..4_102_444_800).prop_map(|s| Timestamp::from_second(s).expect("instant"))
}

/// From one minute to 200 hours, to the second.
fn duration() -> impl Strategy<Value = SignedDuration> {
    (60i64..=200 * 3600).prop_map(SignedDuration::from_secs)
}

fn local_date(calendar: &BusinessCalendar, t: Timestamp) -> Date {
    calendar.time_zone().to_datetime(t).date()
}

fn midnight(zone: &TimeZone, day: Date) -> Timestamp {
    let civil = day.to_datetime(Time::midnight());
    zone.to_ambiguous_timestamp(civil)
        .compatible()
        .expect("midnight")
}

/// Holidays and closure days that no exception reopens, in 2025–2028.
fn closed_days(calendar: &BusinessCalendar) -> Vec<Date> {
    let mut days: Vec<Date> = calendar.holidays().iter().copied().collect();
    for closure in calendar.closures() {
        days.extend(
            closure
                .first
                .series(jiff::Span::new().days(1))
                .take_while(|d| *d <= closure.last),
        );
    }
    days.retain(|d| calendar.hours_on(*d).is_empty() && d.year() >= 2025 && d.year() <= 2028);
    days
}

proptest! {
    #[test]
    fn measuring_a_deadline_gives_back_its_duration(cal in calendar(), s in start(), d in duration()) {
        let cal = cal.get();
        let due = cal.add_business(s, d).expect("deadline");
        prop_assert_eq!(cal.business_between(s, due), d);
        prop_assert!(due.duration_since(s) >= d);
    }

    #[test]
    fn deadlines_grow_with_start_and_duration(
        cal in calendar(), s1 in start(), s2 in start(), d1 in duration(), d2 in duration(),
    ) {
        let cal = cal.get();
        let add = |s, d| cal.add_business(s, d).expect("deadline");
        prop_assert!(add(s1.min(s2), d1) <= add(s1.max(s2), d1));
        prop_assert!(add(s1, d1.min(d2)) <= add(s1, d1.max(d2)));
    }

    #[test]
    fn deadlines_fall_in_business_hours(cal in calendar(), s in start(), d in duration()) {
        let cal = cal.get();
        let due = cal.add_business(s, d).expect("deadline");
        // The last nanosecond counted is open, on a day with service hours.
        let last = due - SignedDuration::from_nanos(1);
        prop_assert!(cal.is_open(last));
        prop_assert!(!cal.hours_on(local_date(cal, last)).is_empty());
        let next = cal.next_open(s).expect("next opening");
        prop_assert!(cal.is_open(next));
        prop_assert!(!cal.hours_on(local_date(cal, next)).is_empty());
    }

    #[test]
    fn closed_days_count_for_nothing(cal in calendar(), pick in any::<prop::sample::Index>()) {
        let cal = cal.get();
        let days = closed_days(cal);
        prop_assume!(!days.is_empty());
        let day = days[pick.index(days.len())];
        let (from, to) = (midnight(cal.time_zone(), day), midnight(cal.time_zone(), day.tomorrow().expect("date")));
        prop_assert_eq!(cal.business_between(from, to), SignedDuration::ZERO);
    }

    #[test]
    fn around_the_clock_business_time_is_elapsed_time(
        zone in prop::sample::select(&ZONES[..]), s in any_year(), d in duration(),
    ) {
        let cal = BusinessCalendar::always(zone).expect("24/7");
        prop_assert_eq!(cal.add_business(s, d), Ok(s + d));
        prop_assert_eq!(cal.business_between(s, s + d), d);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The fast path (offset windows, whole weeks) agrees with jiff bound by
    /// bound, in zones with odd histories, from 1900 to 2100.
    #[test]
    fn the_fast_path_agrees_with_jiff(
        cal in custom(&["Europe/Paris", "America/Santiago", "Australia/Lord_Howe", "Pacific/Apia",
                        "Asia/Kolkata", "Europe/Moscow", "America/Sao_Paulo", "Africa/Casablanca"]),
        s in any_year(),
        d in duration(),
    ) {
        let fast = cal.add_with(s, d, true);
        prop_assert_eq!(&fast, &cal.add_with(s, d, false));
        let end = s + SignedDuration::from_hours(24 * 30);
        prop_assert_eq!(cal.between_with(s, end, true), cal.between_with(s, end, false));
    }

    /// On the presets, whose bounds never touch a DST change, business time
    /// is simply the minutes whose local time lies in the day's hours.
    #[test]
    fn the_presets_agree_with_minute_counting(which in 0usize..3, s in start(), minutes in 1i64..7200) {
        let cal = &PRESETS[which];
        let s = Timestamp::from_second(s.as_second() / 60 * 60).expect("instant");
        let open_minutes = (0..minutes)
            .filter(|m| {
                let local = cal.time_zone().to_datetime(s + SignedDuration::from_mins(*m));
                cal.hours_on(local.date()).iter().any(|seg| {
                    seg.start <= local.time() && (seg.ends_at_midnight() || local.time() < seg.end)
                })
            })
            .count();
        let measured = cal.business_between(s, s + SignedDuration::from_mins(minutes));
        prop_assert_eq!(measured, SignedDuration::from_mins(open_minutes as i64));
    }
}
