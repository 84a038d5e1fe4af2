//! Calendars and targets as typed — by the API's JSON body or by the web
//! forms — read into the core's values and checked by the core
//! ([`CalendarSpec::build`], [`SlaTarget::validate`]). The API and the web
//! pages call the same two functions, so they refuse the same values with
//! the same words, each message starting with the field at fault
//! (`weekly_hours.monday`, `holidays[0]`, `time_to_resolve`…).

use jiff::SignedDuration;
use jiff::civil::Date;
use vigie_core::calendar::{DEFAULT_TIME_ZONE, DateRange, Segment};
use vigie_core::sla::spec::{minutes, segment_of_minutes};
use vigie_core::sla::{CalendarSpec, EscalationLevel, SlaTarget, parse_priority};
use vigie_store::NewTarget;

use crate::refusal::Refusal;

/// A stretch of service hours as typed: `HH:MM` to `HH:MM` (`24:00` is
/// the end of the day).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentText {
    /// Opening time, e.g. `08:00`.
    pub start: String,
    /// Closing time, e.g. `18:00`.
    pub end: String,
}

impl SegmentText {
    /// A segment as it is written back (`08:00`, `24:00`).
    pub fn of(segment: &Segment) -> SegmentText {
        let (a, b) = minutes(segment);
        SegmentText {
            start: show_time(a),
            end: show_time(b),
        }
    }
}

/// A calendar as typed, before it is checked.
#[derive(Clone, Debug, Default)]
pub struct CalendarText {
    /// Its name.
    pub name: String,
    /// The ready-made calendar it starts from (`24/7`, `working-hours`,
    /// `environment-hours`); `None`: closed all week.
    pub preset: Option<String>,
    /// IANA time zone; `None`: the preset's (Europe/Paris).
    pub time_zone: Option<String>,
    /// Segments per weekday, Monday first; `None`: the preset's.
    pub weekly: Option<[Vec<SegmentText>; 7]>,
    /// Whether France's public holidays are closed; `None`: the preset's.
    pub french_holidays: Option<bool>,
    /// The tenant's own holidays, `YYYY-MM-DD`.
    pub holidays: Vec<String>,
    /// Annual closures, first and last day included.
    pub closures: Vec<(String, String)>,
    /// Exceptional openings: a day and its hours (none: closed that day).
    pub openings: Vec<(String, Vec<SegmentText>)>,
}

/// The weekdays as the field names spell them, Monday first.
pub const WEEKDAY_FIELDS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn show_time(m: i64) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn read_time(field: &str, text: &str) -> Result<i64, Refusal> {
    let bad = || {
        Refusal::new(
            field,
            format!("{field}: {text:?} is not a time written HH:MM"),
        )
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if (0..=24).contains(&h) && (0..60).contains(&m) && (h < 24 || (h == 24 && m == 0)) {
        Ok(h * 60 + m)
    } else {
        Err(bad())
    }
}

fn read_segments(field: &str, list: &[SegmentText]) -> Result<Vec<Segment>, Refusal> {
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            let start = read_time(&format!("{field}[{i}].start"), &s.start)?;
            let end = read_time(&format!("{field}[{i}].end"), &s.end)?;
            segment_of_minutes(start, end)
                .ok_or_else(|| Refusal::new(field, format!("{field}[{i}]: out of the day")))
        })
        .collect()
}

fn read_date(field: &str, text: &str) -> Result<Date, Refusal> {
    text.parse().map_err(|_| {
        Refusal::new(
            field,
            format!("{field}: {text:?} is not a date written YYYY-MM-DD"),
        )
    })
}

/// The validated name and spec of a calendar (it builds).
pub fn check_calendar(text: &CalendarText) -> Result<(String, CalendarSpec), Refusal> {
    let name = vigie_core::validate::name("name", &text.name, 200)?;
    let mut spec = match text.preset.as_deref() {
        Some(p) => CalendarSpec::preset(p).ok_or_else(|| {
            Refusal::new(
                "preset",
                "preset: expected `24/7`, `working-hours` or `environment-hours`",
            )
        })?,
        None => CalendarSpec::closed(DEFAULT_TIME_ZONE),
    };
    if let Some(zone) = &text.time_zone {
        spec.time_zone = zone.clone();
    }
    if let Some(weekly) = &text.weekly {
        for ((slot, day), list) in spec.weekly.iter_mut().zip(WEEKDAY_FIELDS).zip(weekly) {
            *slot = read_segments(&format!("weekly_hours.{day}"), list)?;
        }
    }
    if let Some(french) = text.french_holidays {
        spec.french_holidays = french;
    }
    for (i, d) in text.holidays.iter().enumerate() {
        spec.holidays.push(read_date(&format!("holidays[{i}]"), d)?);
    }
    for (i, (first, last)) in text.closures.iter().enumerate() {
        let field = format!("closures[{i}]");
        spec.closures.push(DateRange::new(
            read_date(&field, first)?,
            read_date(&field, last)?,
        ));
    }
    for (i, (date, segments)) in text.openings.iter().enumerate() {
        let field = format!("exceptional_openings[{i}]");
        let date = read_date(&format!("{field}.date"), date)?;
        spec.openings
            .push((date, read_segments(&format!("{field}.segments"), segments)?));
    }
    if let Err(e) = spec.build() {
        let field = e
            .field()
            .map(|f| f.to_string())
            .unwrap_or_else(|| "calendar".into());
        return Err(Refusal::new(&field, e.to_string()));
    }
    Ok((name, spec))
}

/// A target as typed, before it is checked.
#[derive(Clone, Debug, Default)]
pub struct TargetText {
    /// Its name.
    pub name: String,
    /// `sla`, `ola` or `uc`.
    pub kind: String,
    /// The service it covers; `None` or empty: any service.
    pub service_ref: Option<String>,
    /// `P1` … `P4` (or `critique` … `bas`).
    pub priority: String,
    /// The calendar of the tenant its allowances are counted in.
    pub calendar_id: i64,
    /// Minutes of business time to own the ticket; `None`: not measured.
    pub time_to_own: Option<i64>,
    /// Minutes of business time to resolve it (positive).
    pub time_to_resolve: i64,
    /// Pending reasons that pause the clocks; `None`: `customer`.
    pub pause_on: Option<Vec<String>>,
    /// `recompute` or `restart`; `None`: `recompute`.
    pub on_priority_change: Option<String>,
    /// `recompute` or `restart`; `None`: `recompute`.
    pub on_reopen: Option<String>,
    /// Escalation levels: a percentage of the allowance and an action
    /// (`notify`, `raise_priority`, `next_level`, `alert_manager`).
    pub escalations: Vec<(i64, String)>,
}

fn named<T: std::str::FromStr<Err = vigie_core::ticket::UnknownName>>(
    field: &str,
    text: &str,
) -> Result<T, Refusal> {
    text.parse()
        .map_err(|e: T::Err| Refusal::new(field, format!("{field}: {e}")))
}

/// Minutes as a duration, clamped so that a huge number stays a (refused)
/// huge duration and a negative one stays negative.
fn duration_of(mins: i64) -> SignedDuration {
    SignedDuration::from_mins(mins.clamp(-1, i64::MAX / 60_000_000_000))
}

/// The validated target (checked by the core), with its name and calendar.
/// Whether the calendar is the tenant's is the store's to say.
pub fn check_target(text: &TargetText) -> Result<NewTarget, Refusal> {
    let name = vigie_core::validate::name("name", &text.name, 200)?;
    let priority = parse_priority(&text.priority)
        .ok_or_else(|| Refusal::new("priority", "priority: expected P1, P2, P3 or P4"))?;
    let mut target = SlaTarget::new(
        named("kind", &text.kind)?,
        priority,
        duration_of(text.time_to_resolve),
    );
    target.service_ref = text.service_ref.clone().filter(|s| !s.is_empty());
    target.time_to_own = text.time_to_own.map(duration_of);
    if let Some(list) = &text.pause_on {
        target.pause_on = list
            .iter()
            .enumerate()
            .map(|(i, p)| named(&format!("pause_on[{i}]"), p))
            .collect::<Result<_, _>>()?;
    }
    if let Some(p) = &text.on_priority_change {
        target.on_priority_change = named("on_priority_change", p)?;
    }
    if let Some(p) = &text.on_reopen {
        target.on_reopen = named("on_reopen", p)?;
    }
    for (i, (percent, action)) in text.escalations.iter().enumerate() {
        let field = format!("escalations[{i}]");
        let percent = u16::try_from(*percent).unwrap_or(0);
        target.levels.push(EscalationLevel::new(
            percent,
            named(&format!("{field}.action"), action)?,
        ));
    }
    target
        .validate()
        .map_err(|e| Refusal::new(&e.field, e.to_string()))?;
    Ok(NewTarget {
        name,
        calendar_id: text.calendar_id,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: &str, end: &str) -> SegmentText {
        SegmentText {
            start: start.into(),
            end: end.into(),
        }
    }

    fn refusal<T: std::fmt::Debug>(r: Result<T, Refusal>) -> Refusal {
        match r {
            Ok(v) => panic!("accepted: {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn calendars_are_refused_naming_the_field() {
        let mut text = CalendarText {
            name: "Bureau".into(),
            preset: Some("working-hours".into()),
            ..CalendarText::default()
        };
        let (name, spec) = check_calendar(&text).expect("the preset builds");
        assert_eq!((name.as_str(), spec.weekly[0].len()), ("Bureau", 1));
        let mut weekly: [Vec<SegmentText>; 7] = Default::default();
        weekly[0] = vec![seg("08:00", "12:30"), seg("12:00", "14:00")];
        text.weekly = Some(weekly.clone());
        let e = refusal(check_calendar(&text));
        assert_eq!(e.field, "weekly_hours.monday");
        assert!(e.message.contains("overlap"), "{e}");
        weekly[0] = vec![seg("8h", "12:00")];
        text.weekly = Some(weekly);
        assert_eq!(
            refusal(check_calendar(&text)).message,
            "weekly_hours.monday[0].start: \"8h\" is not a time written HH:MM"
        );
        text.weekly = None;
        text.holidays = vec!["2026-02-30".into()];
        assert_eq!(refusal(check_calendar(&text)).field, "holidays[0]");
        text.holidays.clear();
        text.time_zone = Some("Europe/Lutece".into());
        assert_eq!(refusal(check_calendar(&text)).field, "time_zone");
    }

    #[test]
    fn targets_are_refused_naming_the_field() {
        let mut text = TargetText {
            name: "P2".into(),
            kind: "sla".into(),
            priority: "P2".into(),
            calendar_id: 1,
            time_to_resolve: 480,
            escalations: vec![(75, "notify".into())],
            ..TargetText::default()
        };
        let new = check_target(&text).expect("valid");
        assert_eq!(new.target.levels.len(), 1);
        text.time_to_resolve = 0;
        assert_eq!(
            refusal(check_target(&text)).message,
            "time_to_resolve: must be a positive duration"
        );
        text.time_to_resolve = 60;
        text.escalations = vec![(90, "shout".into())];
        assert_eq!(refusal(check_target(&text)).field, "escalations[0].action");
    }

    #[test]
    fn segments_are_written_back_as_typed() {
        let whole = SegmentText::of(&Segment::WHOLE_DAY);
        assert_eq!(whole, seg("00:00", "24:00"));
    }
}
