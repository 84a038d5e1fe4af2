//! Wire types of the service level API: calendars and targets as JSON, and
//! their reading into the core's values. Every error names the field; the
//! core's calendar errors already do (`weekly_hours.monday`, `closures[1]`).

use crate::error::ApiError;
use jiff::SignedDuration;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigie_core::calendar::{DateRange, Segment};
use vigie_core::sla::spec::{minutes, segment_of_minutes};
use vigie_core::sla::{CalendarSpec, EscalationLevel, SlaTarget, parse_priority, priority_label};
use vigie_store::{CalendarRecord, TargetRecord};

/// A stretch of service hours, `HH:MM` to `HH:MM` (`24:00` is the end of the day).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentIo {
    /// Opening time, e.g. `08:00`.
    start: String,
    /// Closing time, e.g. `18:00` or `24:00`.
    end: String,
}

/// Service hours per weekday (days left out are closed).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct WeeklyIo {
    monday: Vec<SegmentIo>,
    tuesday: Vec<SegmentIo>,
    wednesday: Vec<SegmentIo>,
    thursday: Vec<SegmentIo>,
    friday: Vec<SegmentIo>,
    saturday: Vec<SegmentIo>,
    sunday: Vec<SegmentIo>,
}

impl WeeklyIo {
    fn days(&self) -> [(&'static str, &Vec<SegmentIo>); 7] {
        [
            ("monday", &self.monday),
            ("tuesday", &self.tuesday),
            ("wednesday", &self.wednesday),
            ("thursday", &self.thursday),
            ("friday", &self.friday),
            ("saturday", &self.saturday),
            ("sunday", &self.sunday),
        ]
    }
}

/// An annual closure, both dates included.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureIo {
    /// First closed day, `YYYY-MM-DD`.
    first: String,
    /// Last closed day.
    last: String,
}

/// An exceptional opening (no segment: an exceptional closure).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningIo {
    /// The day, `YYYY-MM-DD`.
    date: String,
    /// Its hours.
    segments: Vec<SegmentIo>,
}

/// A business calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarOut {
    id: i64,
    name: String,
    time_zone: String,
    weekly_hours: WeeklyIo,
    /// Whether France's public holidays (2000–2100) are closed.
    french_holidays: bool,
    holidays: Vec<String>,
    closures: Vec<ClosureIo>,
    exceptional_openings: Vec<OpeningIo>,
}

/// A calendar to create or its new values. `preset` (`24/7`,
/// `working-hours`, `environment-hours`) starts from a ready-made calendar;
/// the fields given replace its parts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarIn {
    name: String,
    preset: Option<String>,
    /// IANA time zone (default Europe/Paris).
    time_zone: Option<String>,
    #[serde(default)]
    weekly_hours: Option<WeeklyIo>,
    french_holidays: Option<bool>,
    /// The tenant's own holidays, `YYYY-MM-DD`.
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    closures: Vec<ClosureIo>,
    #[serde(default)]
    exceptional_openings: Vec<OpeningIo>,
}

fn show_time(m: i64) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn segment_out(s: &Segment) -> SegmentIo {
    let (a, b) = minutes(s);
    SegmentIo {
        start: show_time(a),
        end: show_time(b),
    }
}

fn read_time(field: &str, text: &str) -> Result<i64, ApiError> {
    let bad = || {
        ApiError::invalid(
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

fn read_segments(field: &str, list: &[SegmentIo]) -> Result<Vec<Segment>, ApiError> {
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            let start = read_time(&format!("{field}[{i}].start"), &s.start)?;
            let end = read_time(&format!("{field}[{i}].end"), &s.end)?;
            segment_of_minutes(start, end)
                .ok_or_else(|| ApiError::invalid(field, format!("{field}[{i}]: out of the day")))
        })
        .collect()
}

fn read_date(field: &str, text: &str) -> Result<Date, ApiError> {
    text.parse().map_err(|_| {
        ApiError::invalid(
            field,
            format!("{field}: {text:?} is not a date written YYYY-MM-DD"),
        )
    })
}

impl CalendarIn {
    /// The validated name and spec (the calendar builds).
    pub fn spec(&self) -> Result<(String, CalendarSpec), ApiError> {
        let name = vigie_core::validate::name("name", &self.name, 200)?;
        let mut spec = match self.preset.as_deref() {
            Some(p) => CalendarSpec::preset(p).ok_or_else(|| {
                ApiError::invalid(
                    "preset",
                    "preset: expected `24/7`, `working-hours` or `environment-hours`",
                )
            })?,
            None => CalendarSpec::closed(vigie_core::calendar::DEFAULT_TIME_ZONE),
        };
        if let Some(zone) = &self.time_zone {
            spec.time_zone = zone.clone();
        }
        if let Some(weekly) = &self.weekly_hours {
            for (slot, (day, list)) in spec.weekly.iter_mut().zip(weekly.days()) {
                *slot = read_segments(&format!("weekly_hours.{day}"), list)?;
            }
        }
        if let Some(french) = self.french_holidays {
            spec.french_holidays = french;
        }
        for (i, d) in self.holidays.iter().enumerate() {
            spec.holidays.push(read_date(&format!("holidays[{i}]"), d)?);
        }
        for (i, c) in self.closures.iter().enumerate() {
            let field = format!("closures[{i}]");
            spec.closures.push(DateRange::new(
                read_date(&field, &c.first)?,
                read_date(&field, &c.last)?,
            ));
        }
        for (i, o) in self.exceptional_openings.iter().enumerate() {
            let field = format!("exceptional_openings[{i}]");
            let date = read_date(&format!("{field}.date"), &o.date)?;
            spec.openings.push((
                date,
                read_segments(&format!("{field}.segments"), &o.segments)?,
            ));
        }
        if let Err(e) = spec.build() {
            let field = e
                .field()
                .map(|f| f.to_string())
                .unwrap_or_else(|| "calendar".into());
            return Err(ApiError::invalid(&field, e.to_string()));
        }
        Ok((name, spec))
    }
}

/// The wire form of a spec.
pub fn calendar_out(id: i64, name: &str, spec: &CalendarSpec) -> CalendarOut {
    let day = |i: usize| spec.weekly[i].iter().map(segment_out).collect();
    CalendarOut {
        id,
        name: name.to_owned(),
        time_zone: spec.time_zone.clone(),
        weekly_hours: WeeklyIo {
            monday: day(0),
            tuesday: day(1),
            wednesday: day(2),
            thursday: day(3),
            friday: day(4),
            saturday: day(5),
            sunday: day(6),
        },
        french_holidays: spec.french_holidays,
        holidays: spec.holidays.iter().map(|d| d.to_string()).collect(),
        closures: spec
            .closures
            .iter()
            .map(|r| ClosureIo {
                first: r.first.to_string(),
                last: r.last.to_string(),
            })
            .collect(),
        exceptional_openings: spec
            .openings
            .iter()
            .map(|(d, s)| OpeningIo {
                date: d.to_string(),
                segments: s.iter().map(segment_out).collect(),
            })
            .collect(),
    }
}

impl From<CalendarRecord> for CalendarOut {
    fn from(c: CalendarRecord) -> Self {
        calendar_out(c.id, &c.name, &c.spec)
    }
}

/// An escalation level: at `percent` % of the allowance, do `action`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelIo {
    /// 1–1000.
    percent: i64,
    /// `notify`, `raise_priority`, `next_level` or `alert_manager`.
    action: String,
}

/// A service level target.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetOut {
    id: i64,
    name: String,
    /// `sla`, `ola` or `uc`.
    kind: String,
    /// The service it covers; absent: any service.
    service_ref: Option<String>,
    /// `P1` … `P4`.
    priority: String,
    calendar_id: i64,
    /// Minutes of business time to own the ticket.
    time_to_own: Option<i64>,
    /// Minutes of business time to resolve it.
    time_to_resolve: i64,
    /// Pending reasons that pause the clocks.
    pause_on: Vec<String>,
    /// `recompute` or `restart`.
    on_priority_change: String,
    /// `recompute` or `restart`.
    on_reopen: String,
    escalations: Vec<LevelIo>,
}

impl From<TargetRecord> for TargetOut {
    fn from(r: TargetRecord) -> Self {
        let t = r.target;
        TargetOut {
            id: t.id,
            name: r.name,
            kind: t.kind.to_string(),
            service_ref: t.service_ref,
            priority: priority_label(t.priority).to_owned(),
            calendar_id: r.calendar_id,
            time_to_own: t.time_to_own.map(|d| d.as_mins()),
            time_to_resolve: t.time_to_resolve.as_mins(),
            pause_on: t.pause_on.iter().map(|p| p.to_string()).collect(),
            on_priority_change: t.on_priority_change.to_string(),
            on_reopen: t.on_reopen.to_string(),
            escalations: t
                .levels
                .iter()
                .map(|l| LevelIo {
                    percent: i64::from(l.percent),
                    action: l.action.to_string(),
                })
                .collect(),
        }
    }
}

/// A target to create, or its new values.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetIn {
    name: String,
    /// `sla`, `ola` or `uc`.
    kind: String,
    /// The service it covers; absent: any service.
    service_ref: Option<String>,
    /// `P1` … `P4` (or `critique` … `bas`).
    priority: String,
    calendar_id: i64,
    /// Minutes of business time to own the ticket (absent: not measured).
    time_to_own: Option<i64>,
    /// Minutes of business time to resolve it (positive).
    time_to_resolve: i64,
    /// Pending reasons that pause the clocks (default `customer`).
    pause_on: Option<Vec<String>>,
    /// `recompute` (default) or `restart`.
    on_priority_change: Option<String>,
    /// `recompute` (default) or `restart`.
    on_reopen: Option<String>,
    #[serde(default)]
    escalations: Vec<LevelIo>,
}

fn named<T: std::str::FromStr<Err = vigie_core::ticket::UnknownName>>(
    field: &str,
    text: &str,
) -> Result<T, ApiError> {
    text.parse()
        .map_err(|e: T::Err| ApiError::invalid(field, format!("{field}: {e}")))
}

impl TargetIn {
    /// The validated target (checked by the core), name and calendar.
    pub fn target(&self) -> Result<vigie_store::NewTarget, ApiError> {
        let name = vigie_core::validate::name("name", &self.name, 200)?;
        let priority = parse_priority(&self.priority)
            .ok_or_else(|| ApiError::invalid("priority", "priority: expected P1, P2, P3 or P4"))?;
        let mut target = SlaTarget::new(
            named("kind", &self.kind)?,
            priority,
            SignedDuration::from_mins(self.time_to_resolve.clamp(-1, i64::MAX / 60_000_000_000)),
        );
        target.service_ref = self.service_ref.clone().filter(|s| !s.is_empty());
        target.time_to_own = self
            .time_to_own
            .map(|m| SignedDuration::from_mins(m.clamp(-1, i64::MAX / 60_000_000_000)));
        if let Some(list) = &self.pause_on {
            target.pause_on = list
                .iter()
                .enumerate()
                .map(|(i, p)| named(&format!("pause_on[{i}]"), p))
                .collect::<Result<_, _>>()?;
        }
        if let Some(p) = &self.on_priority_change {
            target.on_priority_change = named("on_priority_change", p)?;
        }
        if let Some(p) = &self.on_reopen {
            target.on_reopen = named("on_reopen", p)?;
        }
        for (i, level) in self.escalations.iter().enumerate() {
            let field = format!("escalations[{i}]");
            let percent = u16::try_from(level.percent).unwrap_or(0);
            target.levels.push(EscalationLevel::new(
                percent,
                named(&format!("{field}.action"), &level.action)?,
            ));
        }
        target
            .validate()
            .map_err(|e| ApiError::invalid(&e.field, e.to_string()))?;
        Ok(vigie_store::NewTarget {
            name,
            calendar_id: self.calendar_id,
            target,
        })
    }
}
