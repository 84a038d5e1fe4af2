//! The forms of `/admin/sla` as a browser sends them, and what they show.
//!
//! A form's text is read into the values the API's bodies are read into
//! ([`CalendarText`], [`TargetText`]); [`input::check_calendar`] and
//! [`input::check_target`] then refuse them with the API's words. Only the
//! layout of the text is the form's own: a weekday's hours on one line
//! (`08:00-12:00, 14:00-18:00`), one date, closure (`2026-08-01..2026-08-15`),
//! exceptional opening (`2026-05-02 09:00-12:00`) or escalation level
//! (`75 notify`) per line. A draft shows a record, or what was typed when
//! it was refused.

use crate::refusal::Refusal;
use crate::sla::input::{self, CalendarText, SegmentText, TargetText, WEEKDAY_FIELDS};
use serde::Deserialize;
use vigie_core::calendar::Segment;
use vigie_core::sla::{CalendarSpec, PauseOn, Policy, TargetKind, priority_label};
use vigie_store::{CalendarRecord, NewTarget, TargetRecord};

/// A choice of a closed set; empty means its default.
fn chosen(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// The non-empty lines of a textarea, trimmed.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// Segments written `08:00-12:00, 14:00-18:00` (commas, semicolons or
/// spaces between them; an en dash or spaces around the dash allowed).
fn segments(field: &str, text: &str) -> Result<Vec<SegmentText>, Refusal> {
    let dashes = text.replace('–', "-");
    let tight = dashes
        .split('-')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("-");
    tight
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .enumerate()
        .map(|(i, piece)| match piece.split_once('-') {
            Some((start, end)) => Ok(SegmentText {
                start: start.to_owned(),
                end: end.to_owned(),
            }),
            None => Err(Refusal::new(
                &format!("{field}[{i}]"),
                format!("{field}[{i}]: {piece:?} is not a segment written HH:MM-HH:MM"),
            )),
        })
        .collect()
}

/// Segments as the form writes them.
fn show_segments(list: &[Segment]) -> String {
    list.iter()
        .map(|s| {
            let t = SegmentText::of(s);
            format!("{}-{}", t.start, t.end)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The creation form of a calendar: a name, a preset (empty: closed all
/// week) and a time zone (empty: the preset's).
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct NewCalendarForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// `24/7`, `working-hours`, `environment-hours`, or empty.
    #[serde(default)]
    pub preset: String,
    /// The IANA time zone.
    #[serde(default)]
    pub time_zone: String,
}

impl NewCalendarForm {
    /// The calendar as typed.
    pub fn text(&self) -> CalendarText {
        CalendarText {
            name: self.name.clone(),
            preset: chosen(&self.preset),
            time_zone: chosen(&self.time_zone),
            ..CalendarText::default()
        }
    }
}

/// The edit form of a calendar (the checkbox present when checked).
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct CalendarForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The IANA time zone.
    #[serde(default)]
    pub time_zone: String,
    /// Whether France's public holidays are closed.
    #[serde(default)]
    pub french_holidays: String,
    /// Monday's hours.
    #[serde(default)]
    pub hours_monday: String,
    /// Tuesday's hours.
    #[serde(default)]
    pub hours_tuesday: String,
    /// Wednesday's hours.
    #[serde(default)]
    pub hours_wednesday: String,
    /// Thursday's hours.
    #[serde(default)]
    pub hours_thursday: String,
    /// Friday's hours.
    #[serde(default)]
    pub hours_friday: String,
    /// Saturday's hours.
    #[serde(default)]
    pub hours_saturday: String,
    /// Sunday's hours.
    #[serde(default)]
    pub hours_sunday: String,
    /// The tenant's own holidays, one date a line.
    #[serde(default)]
    pub holidays: String,
    /// Annual closures, `first..last` a line.
    #[serde(default)]
    pub closures: String,
    /// Exceptional openings, a date and its hours a line.
    #[serde(default)]
    pub openings: String,
}

impl CalendarForm {
    fn hours(&self) -> [&str; 7] {
        [
            &self.hours_monday,
            &self.hours_tuesday,
            &self.hours_wednesday,
            &self.hours_thursday,
            &self.hours_friday,
            &self.hours_saturday,
            &self.hours_sunday,
        ]
    }

    /// The calendar as typed; a line that is not laid out as the form
    /// asks is refused naming its field.
    pub fn text(&self) -> Result<CalendarText, Refusal> {
        let mut weekly: [Vec<SegmentText>; 7] = Default::default();
        for ((slot, day), text) in weekly.iter_mut().zip(WEEKDAY_FIELDS).zip(self.hours()) {
            *slot = segments(&format!("weekly_hours.{day}"), text)?;
        }
        let holidays = self
            .holidays
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect();
        let closures = lines(&self.closures)
            .enumerate()
            .map(|(i, line)| {
                let spaced = line.replace("..", " ");
                let parts: Vec<&str> = spaced.split_whitespace().collect();
                match parts.as_slice() {
                    [first, last] => Ok(((*first).to_owned(), (*last).to_owned())),
                    _ => Err(Refusal::new(
                        &format!("closures[{i}]"),
                        format!("closures[{i}]: {line:?} is not a closure written YYYY-MM-DD..YYYY-MM-DD"),
                    )),
                }
            })
            .collect::<Result<_, _>>()?;
        let openings = lines(&self.openings)
            .enumerate()
            .map(|(i, line)| {
                let (date, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
                let field = format!("exceptional_openings[{i}].segments");
                Ok((date.to_owned(), segments(&field, rest)?))
            })
            .collect::<Result<_, Refusal>>()?;
        Ok(CalendarText {
            name: self.name.clone(),
            preset: None,
            time_zone: Some(self.time_zone.trim().to_owned()),
            weekly: Some(weekly),
            french_holidays: Some(!self.french_holidays.is_empty()),
            holidays,
            closures,
            openings,
        })
    }

    /// The checked name and spec: the form's layout, then the API's rules.
    pub fn checked(&self) -> Result<(String, CalendarSpec), Refusal> {
        input::check_calendar(&self.text()?)
    }
}

/// What the calendar form shows.
#[derive(Clone, Debug, Default)]
pub(super) struct CalendarDraft {
    /// The name.
    pub name: String,
    /// The IANA time zone.
    pub time_zone: String,
    /// Whether France's public holidays are closed.
    pub french_holidays: bool,
    /// Each weekday's hours, Monday first.
    pub hours: [String; 7],
    /// The tenant's own holidays, one date a line.
    pub holidays: String,
    /// Annual closures, `first..last` a line.
    pub closures: String,
    /// Exceptional openings, a date and its hours a line.
    pub openings: String,
}

impl CalendarDraft {
    /// A calendar's values.
    pub fn of(c: &CalendarRecord) -> CalendarDraft {
        let spec = &c.spec;
        CalendarDraft {
            name: c.name.clone(),
            time_zone: spec.time_zone.clone(),
            french_holidays: spec.french_holidays,
            hours: spec.weekly.clone().map(|day| show_segments(&day)),
            holidays: spec
                .holidays
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            closures: spec
                .closures
                .iter()
                .map(|r| format!("{}..{}", r.first, r.last))
                .collect::<Vec<_>>()
                .join("\n"),
            openings: spec
                .openings
                .iter()
                .map(|(d, s)| format!("{d} {}", show_segments(s)).trim_end().to_owned())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// What was typed.
    pub fn typed(f: &CalendarForm) -> CalendarDraft {
        CalendarDraft {
            name: f.name.clone(),
            time_zone: f.time_zone.clone(),
            french_holidays: !f.french_holidays.is_empty(),
            hours: f.hours().map(str::to_owned),
            holidays: f.holidays.clone(),
            closures: f.closures.clone(),
            openings: f.openings.clone(),
        }
    }
}

/// The form of a target (checkboxes present when checked).
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct TargetForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// `sla`, `ola` or `uc`.
    #[serde(default)]
    pub kind: String,
    /// `P1` … `P4`.
    #[serde(default)]
    pub priority: String,
    /// The service covered; empty: any.
    #[serde(default)]
    pub service: String,
    /// The calendar's id.
    #[serde(default)]
    pub calendar: String,
    /// Minutes to own; empty: not measured.
    #[serde(default)]
    pub time_to_own: String,
    /// Minutes to resolve.
    #[serde(default)]
    pub time_to_resolve: String,
    /// Paused while waiting for the requester.
    #[serde(default)]
    pub pause_customer: String,
    /// Paused while waiting for a supplier.
    #[serde(default)]
    pub pause_supplier: String,
    /// Paused while waiting for a change.
    #[serde(default)]
    pub pause_change: String,
    /// `recompute` or `restart`.
    #[serde(default)]
    pub on_priority_change: String,
    /// `recompute` or `restart`.
    #[serde(default)]
    pub on_reopen: String,
    /// Escalation levels, `PERCENT ACTION` a line.
    #[serde(default)]
    pub escalations: String,
}

/// Minutes typed in a field.
fn minutes(field: &str, text: &str) -> Result<i64, Refusal> {
    let t = text.trim();
    t.parse().map_err(|_| {
        Refusal::new(
            field,
            format!("{field}: {t:?} is not a whole number of minutes"),
        )
    })
}

impl TargetForm {
    fn pauses(&self) -> [(PauseOn, bool); 3] {
        [
            (PauseOn::Customer, !self.pause_customer.is_empty()),
            (PauseOn::Supplier, !self.pause_supplier.is_empty()),
            (PauseOn::Change, !self.pause_change.is_empty()),
        ]
    }

    /// The target as typed; a field that is not a number, or an
    /// escalation line not written `PERCENT ACTION`, is refused naming it.
    pub fn text(&self) -> Result<TargetText, Refusal> {
        let calendar_id =
            self.calendar.trim().parse::<i64>().map_err(|_| {
                Refusal::new("calendar_id", "calendar_id: a calendar must be chosen")
            })?;
        let time_to_own = match self.time_to_own.trim() {
            "" => None,
            t => Some(minutes("time_to_own", t)?),
        };
        let escalations = lines(&self.escalations)
            .enumerate()
            .map(|(i, line)| {
                let spaced = line.replace('%', " ");
                let parts: Vec<&str> = spaced.split_whitespace().collect();
                let [percent, action] = parts.as_slice() else {
                    return Err(Refusal::new(
                        &format!("escalations[{i}]"),
                        format!("escalations[{i}]: {line:?} is not a level written PERCENT ACTION, e.g. 75 notify"),
                    ));
                };
                let field = format!("escalations[{i}].percent");
                let percent = percent.parse::<i64>().map_err(|_| {
                    Refusal::new(
                        &field,
                        format!("{field}: {percent:?} is not a whole number"),
                    )
                })?;
                Ok((percent, (*action).to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(TargetText {
            name: self.name.clone(),
            kind: self.kind.trim().to_owned(),
            service_ref: chosen(&self.service),
            priority: self.priority.trim().to_owned(),
            calendar_id,
            time_to_own,
            time_to_resolve: minutes("time_to_resolve", &self.time_to_resolve)?,
            pause_on: Some(
                self.pauses()
                    .iter()
                    .filter(|(_, on)| *on)
                    .map(|(p, _)| p.as_str().to_owned())
                    .collect(),
            ),
            on_priority_change: chosen(&self.on_priority_change),
            on_reopen: chosen(&self.on_reopen),
            escalations,
        })
    }

    /// The checked target: the form's layout, then the API's rules.
    pub fn checked(&self) -> Result<NewTarget, Refusal> {
        input::check_target(&self.text()?)
    }
}

/// What the target form shows.
#[derive(Clone, Debug)]
pub(super) struct TargetDraft {
    /// The name.
    pub name: String,
    /// `sla`, `ola` or `uc`.
    pub kind: String,
    /// `P1` … `P4`.
    pub priority: String,
    /// The service covered; empty: any.
    pub service: String,
    /// The calendar's id.
    pub calendar: i64,
    /// Minutes to own; empty: not measured.
    pub time_to_own: String,
    /// Minutes to resolve.
    pub time_to_resolve: String,
    /// Paused while waiting for the requester.
    pub pause_customer: bool,
    /// Paused while waiting for a supplier.
    pub pause_supplier: bool,
    /// Paused while waiting for a change.
    pub pause_change: bool,
    /// `recompute` or `restart`.
    pub on_priority_change: String,
    /// `recompute` or `restart`.
    pub on_reopen: String,
    /// Escalation levels, `PERCENT ACTION` a line.
    pub escalations: String,
}

impl TargetDraft {
    /// A new target's defaults (the API's): an SLA, paused while waiting
    /// for the requester, recomputed on a priority change and a reopening.
    pub fn new_target(calendar: i64) -> TargetDraft {
        TargetDraft {
            name: String::new(),
            kind: TargetKind::Sla.as_str().to_owned(),
            priority: "P3".to_owned(),
            service: String::new(),
            calendar,
            time_to_own: String::new(),
            time_to_resolve: String::new(),
            pause_customer: true,
            pause_supplier: false,
            pause_change: false,
            on_priority_change: Policy::Recompute.as_str().to_owned(),
            on_reopen: Policy::Recompute.as_str().to_owned(),
            escalations: String::new(),
        }
    }

    /// A target's values.
    pub fn of(r: &TargetRecord) -> TargetDraft {
        let t = &r.target;
        TargetDraft {
            name: r.name.clone(),
            kind: t.kind.as_str().to_owned(),
            priority: priority_label(t.priority).to_owned(),
            service: t.service_ref.clone().unwrap_or_default(),
            calendar: r.calendar_id,
            time_to_own: t
                .time_to_own
                .map(|d| d.as_mins().to_string())
                .unwrap_or_default(),
            time_to_resolve: t.time_to_resolve.as_mins().to_string(),
            pause_customer: t.pause_on.contains(&PauseOn::Customer),
            pause_supplier: t.pause_on.contains(&PauseOn::Supplier),
            pause_change: t.pause_on.contains(&PauseOn::Change),
            on_priority_change: t.on_priority_change.as_str().to_owned(),
            on_reopen: t.on_reopen.as_str().to_owned(),
            escalations: t
                .levels
                .iter()
                .map(|l| format!("{} {}", l.percent, l.action))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// What was typed.
    pub fn typed(f: &TargetForm) -> TargetDraft {
        TargetDraft {
            name: f.name.clone(),
            kind: f.kind.clone(),
            priority: f.priority.clone(),
            service: f.service.clone(),
            calendar: f.calendar.trim().parse().unwrap_or(0),
            time_to_own: f.time_to_own.clone(),
            time_to_resolve: f.time_to_resolve.clone(),
            pause_customer: !f.pause_customer.is_empty(),
            pause_supplier: !f.pause_supplier.is_empty(),
            pause_change: !f.pause_change.is_empty(),
            on_priority_change: f.on_priority_change.clone(),
            on_reopen: f.on_reopen.clone(),
            escalations: f.escalations.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_core::sla::EscalationAction;

    fn calendar_form() -> CalendarForm {
        CalendarForm {
            name: "Bureau".into(),
            time_zone: "Europe/Paris".into(),
            french_holidays: "on".into(),
            hours_monday: "08:00-12:00, 14:00 – 18:00".into(),
            hours_saturday: "09:00-12:00".into(),
            holidays: "2026-05-15\n2026-06-05".into(),
            closures: "2026-08-01..2026-08-15\n2026-12-24 2026-12-31".into(),
            openings: "2026-01-03 09:00-12:00\n2026-01-10".into(),
            ..CalendarForm::default()
        }
    }

    #[test]
    fn a_calendar_form_reads_its_lines_and_round_trips() {
        let (name, spec) = calendar_form().checked().expect("valid");
        assert_eq!(name, "Bureau");
        assert_eq!(spec.weekly[0].len(), 2);
        assert_eq!(spec.weekly[1], []);
        assert_eq!(spec.weekly[5].len(), 1);
        assert_eq!((spec.holidays.len(), spec.closures.len()), (2, 2));
        assert_eq!(spec.openings[1].1, []);
        let record = CalendarRecord {
            id: 1,
            tenant_id: vigie_core::ids::TenantId(1),
            name,
            spec: spec.clone(),
            created_at: vigie_core::Timestamp::UNIX_EPOCH,
            updated_at: vigie_core::Timestamp::UNIX_EPOCH,
        };
        let draft = CalendarDraft::of(&record);
        assert_eq!(draft.hours[0], "08:00-12:00, 14:00-18:00");
        assert_eq!(
            draft.closures,
            "2026-08-01..2026-08-15\n2026-12-24..2026-12-31"
        );
        assert_eq!(draft.openings, "2026-01-03 09:00-12:00\n2026-01-10");
        let again = CalendarForm {
            name: draft.name.clone(),
            time_zone: draft.time_zone.clone(),
            french_holidays: "on".into(),
            hours_monday: draft.hours[0].clone(),
            hours_saturday: draft.hours[5].clone(),
            holidays: draft.holidays.clone(),
            closures: draft.closures.clone(),
            openings: draft.openings.clone(),
            ..CalendarForm::default()
        };
        assert_eq!(again.checked().expect("valid").1, spec);
    }

    #[test]
    fn badly_laid_out_lines_name_their_field() {
        let mut form = calendar_form();
        form.hours_tuesday = "0800".into();
        let e = form.checked().expect_err("refused");
        assert_eq!(e.field, "weekly_hours.tuesday[0]");
        let mut form = calendar_form();
        form.closures = "2026-08-01".into();
        assert_eq!(form.checked().expect_err("refused").field, "closures[0]");
        let mut form = calendar_form();
        form.hours_friday = "18:00-08:00".into();
        let e = form.checked().expect_err("refused");
        assert_eq!(e.field, "weekly_hours.friday");
    }

    fn target_form() -> TargetForm {
        TargetForm {
            name: "P2 messagerie".into(),
            kind: "sla".into(),
            priority: "P2".into(),
            service: "messagerie".into(),
            calendar: "4".into(),
            time_to_own: "60".into(),
            time_to_resolve: "480".into(),
            pause_customer: "on".into(),
            pause_change: "on".into(),
            on_priority_change: "restart".into(),
            escalations: "75 notify\n90% alert_manager\n".into(),
            ..TargetForm::default()
        }
    }

    #[test]
    fn a_target_form_reads_its_fields() {
        let new = target_form().checked().expect("valid");
        assert_eq!(new.calendar_id, 4);
        let t = &new.target;
        assert_eq!(t.service_ref.as_deref(), Some("messagerie"));
        assert_eq!(t.pause_on, [PauseOn::Customer, PauseOn::Change]);
        assert_eq!(t.on_priority_change, Policy::Restart);
        assert_eq!(t.on_reopen, Policy::Recompute);
        assert_eq!(t.levels[1].action, EscalationAction::AlertManager);
        assert_eq!(t.levels[1].percent, 90);
        let mut form = target_form();
        form.time_to_own = String::new();
        assert_eq!(form.checked().expect("valid").target.time_to_own, None);
    }

    #[test]
    fn target_fields_are_refused_by_name() {
        let cases = [
            ("time_to_resolve", "0", "time_to_resolve"),
            ("time_to_resolve", "-60", "time_to_resolve"),
            ("time_to_resolve", "huit heures", "time_to_resolve"),
            ("escalations", "75", "escalations[0]"),
            ("escalations", "trois notify", "escalations[0].percent"),
            ("escalations", "75 shout", "escalations[0].action"),
            ("calendar", "", "calendar_id"),
        ];
        for (key, value, field) in cases {
            let mut form = target_form();
            match key {
                "time_to_resolve" => form.time_to_resolve = value.into(),
                "escalations" => form.escalations = value.into(),
                _ => form.calendar = value.into(),
            }
            let e = form.checked().expect_err("refused");
            assert_eq!(e.field, field, "{key}={value}: {e}");
            assert!(e.message.starts_with(field), "{e}");
        }
    }
}
