//! Wire types of the service level API: calendars and targets as JSON. They
//! are read into the core's values by [`crate::sla::input`], which the web
//! forms call too; every error names the field (`weekly_hours.monday`,
//! `closures[1]`, `time_to_resolve`).

use crate::error::ApiError;
use crate::sla::input::{self, CalendarText, SegmentText, TargetText};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vigie_core::calendar::Segment;
use vigie_core::sla::{CalendarSpec, priority_label};
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

fn segment_out(s: &Segment) -> SegmentIo {
    let text = SegmentText::of(s);
    SegmentIo {
        start: text.start,
        end: text.end,
    }
}

fn segments_text(list: &[SegmentIo]) -> Vec<SegmentText> {
    list.iter()
        .map(|s| SegmentText {
            start: s.start.clone(),
            end: s.end.clone(),
        })
        .collect()
}

impl CalendarIn {
    /// The calendar as typed, for [`input::check_calendar`].
    fn text(&self) -> CalendarText {
        CalendarText {
            name: self.name.clone(),
            preset: self.preset.clone(),
            time_zone: self.time_zone.clone(),
            weekly: self
                .weekly_hours
                .as_ref()
                .map(|w| w.days().map(|(_, list)| segments_text(list))),
            french_holidays: self.french_holidays,
            holidays: self.holidays.clone(),
            closures: self
                .closures
                .iter()
                .map(|c| (c.first.clone(), c.last.clone()))
                .collect(),
            openings: self
                .exceptional_openings
                .iter()
                .map(|o| (o.date.clone(), segments_text(&o.segments)))
                .collect(),
        }
    }

    /// The validated name and spec (the calendar builds), refused as the
    /// web forms refuse it ([`input::check_calendar`]).
    pub fn spec(&self) -> Result<(String, CalendarSpec), ApiError> {
        Ok(input::check_calendar(&self.text())?)
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

impl TargetIn {
    /// The validated target (checked by the core), name and calendar,
    /// refused as the web forms refuse it ([`input::check_target`]).
    pub fn target(&self) -> Result<vigie_store::NewTarget, ApiError> {
        let text = TargetText {
            name: self.name.clone(),
            kind: self.kind.clone(),
            service_ref: self.service_ref.clone(),
            priority: self.priority.clone(),
            calendar_id: self.calendar_id,
            time_to_own: self.time_to_own,
            time_to_resolve: self.time_to_resolve,
            pause_on: self.pause_on.clone(),
            on_priority_change: self.on_priority_change.clone(),
            on_reopen: self.on_reopen.clone(),
            escalations: self
                .escalations
                .iter()
                .map(|l| (l.percent, l.action.clone()))
                .collect(),
        };
        Ok(input::check_target(&text)?)
    }
}
