//! The JSON shapes of `/api/v1/changes`.

use crate::api::page::page_type;
use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigie_core::change::lifecycle::allowed_actions;
use vigie_core::ids::UserId;
use vigie_core::validate;
use vigie_store::{ChangeRecord, ChangeText, ChecklistItem, PlannedRecord, VoteRecord};

/// The longest free text of a change field.
const TEXT: usize = 20_000;

/// A change to raise.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeIn {
    /// The entity it belongs to.
    pub(super) entity_id: i64,
    /// `standard` (needs `template_id`), `normal` or `emergency`.
    #[serde(rename = "type")]
    pub(super) kind: String,
    /// A one-line title.
    pub(super) title: String,
    #[serde(flatten)]
    pub(super) text: TextIn,
    /// The template of a standard change: its plans and checklist are taken.
    pub(super) template_id: Option<i64>,
    /// The configuration items it touches.
    #[serde(default)]
    pub(super) ci_ids: Vec<i64>,
    /// Related changes.
    #[serde(default)]
    pub(super) related_changes: Vec<i64>,
    /// Incidents or problems it resolves.
    #[serde(default)]
    pub(super) resolves: Vec<i64>,
    /// The pre-change checklist, e.g. "snapshot taken".
    #[serde(default)]
    pub(super) checklist: Vec<String>,
}

/// The seven Rs and the plans, as sent.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TextIn {
    /// What is changed.
    #[serde(default)]
    pub(super) description: String,
    /// Why it is needed.
    #[serde(default)]
    pub(super) reason: String,
    /// The return expected.
    #[serde(default)]
    pub(super) expected_return: String,
    /// The risks.
    #[serde(default)]
    pub(super) risks: String,
    /// The resources it needs.
    #[serde(default)]
    pub(super) resources: String,
    /// Who is responsible (a user of the tenant).
    pub(super) responsible_id: Option<i64>,
    /// How it relates to other changes.
    #[serde(default)]
    pub(super) relationship: String,
    /// How it is carried out.
    #[serde(default)]
    pub(super) implementation_plan: String,
    /// How it is undone.
    #[serde(default)]
    pub(super) backout_plan: String,
    /// Whether the backout plan was tested.
    #[serde(default)]
    pub(super) backout_tested: bool,
}

fn text(field: &str, value: &str) -> Result<String, ApiError> {
    if value.chars().count() > TEXT {
        return Err(ApiError::invalid(
            field,
            format!("`{field}` has at most {TEXT} characters"),
        ));
    }
    Ok(value.trim().to_owned())
}

impl TextIn {
    /// The text to store, validated field by field.
    pub(super) fn validated(&self, title: &str) -> Result<ChangeText, ApiError> {
        Ok(ChangeText {
            title: validate::name("title", title, 200)?,
            description: text("description", &self.description)?,
            reason: text("reason", &self.reason)?,
            expected_return: text("expected_return", &self.expected_return)?,
            risks: text("risks", &self.risks)?,
            resources: text("resources", &self.resources)?,
            responsible_id: self.responsible_id.map(UserId),
            relationship: text("relationship", &self.relationship)?,
            implementation_plan: text("implementation_plan", &self.implementation_plan)?,
            backout_plan: text("backout_plan", &self.backout_plan)?,
            backout_tested: self.backout_tested,
        })
    }
}

/// An edit of a draft change: the fields given replace the stored ones.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePatch {
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) reason: Option<String>,
    pub(super) expected_return: Option<String>,
    pub(super) risks: Option<String>,
    pub(super) resources: Option<String>,
    #[serde(default, deserialize_with = "crate::api::nullable")]
    #[schema(value_type = Option<i64>)]
    pub(super) responsible_id: Option<Option<i64>>,
    pub(super) relationship: Option<String>,
    pub(super) implementation_plan: Option<String>,
    pub(super) backout_plan: Option<String>,
    pub(super) backout_tested: Option<bool>,
    pub(super) ci_ids: Option<Vec<i64>>,
    pub(super) related_changes: Option<Vec<i64>>,
    pub(super) resolves: Option<Vec<i64>>,
}

/// An action on a change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeActionIn {
    /// `submit`, `assess`, `send_back`, `vote`, `schedule`, `start`,
    /// `complete`, `back_out`, `review`, `close` or `cancel`.
    pub(super) action: String,
    /// For `assess`: `low`, `medium` or `high`.
    pub(super) likelihood: Option<String>,
    /// For `send_back`, `back_out` and `cancel`.
    pub(super) reason: Option<String>,
    /// For `vote`: `approve` or `reject`.
    pub(super) decision: Option<String>,
    /// For `vote` (required to reject).
    pub(super) comment: Option<String>,
    /// For `schedule`: RFC 3339.
    pub(super) planned_start: Option<String>,
    /// For `schedule`: RFC 3339.
    pub(super) planned_end: Option<String>,
    /// For `review`.
    pub(super) success: Option<bool>,
    /// For `review`.
    pub(super) problems: Option<String>,
    /// For `review` (required when it did not succeed).
    pub(super) lessons: Option<String>,
    /// For `review`: incidents the change caused.
    #[serde(default)]
    pub(super) caused_incidents: Vec<i64>,
}

/// A checklist tick.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistTickIn {
    /// Done or not.
    pub(super) done: bool,
}

/// A checklist item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistOut {
    id: i64,
    label: String,
    done: bool,
    done_by: Option<i64>,
    done_at: Option<String>,
}

impl From<ChecklistItem> for ChecklistOut {
    fn from(i: ChecklistItem) -> Self {
        ChecklistOut {
            id: i.id,
            label: i.label,
            done: i.done_at.is_some(),
            done_by: i.done_by.map(|u| u.0),
            done_at: i.done_at.map(|t| t.to_string()),
        }
    }
}

/// A vote of the current round.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteOut {
    board: String,
    voter_id: i64,
    decision: String,
    comment: String,
    voted_at: String,
}

impl From<VoteRecord> for VoteOut {
    fn from(v: VoteRecord) -> Self {
        VoteOut {
            board: v.board.to_string(),
            voter_id: v.vote.voter.0,
            decision: v.vote.decision.to_string(),
            comment: v.vote.comment,
            voted_at: v.voted_at.to_string(),
        }
    }
}

/// A request for change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    id: i64,
    tenant_id: i64,
    entity_id: i64,
    number: i64,
    #[serde(rename = "type")]
    kind: String,
    status: String,
    /// What the status allows, in the order offered.
    allowed_actions: Vec<String>,
    title: String,
    description: String,
    raised_by: i64,
    reason: String,
    expected_return: String,
    risks: String,
    resources: String,
    responsible_id: Option<i64>,
    relationship: String,
    related_changes: Vec<i64>,
    likelihood: Option<String>,
    impact_class: Option<String>,
    risk: Option<String>,
    implementation_plan: String,
    backout_plan: String,
    backout_tested: bool,
    template_id: Option<i64>,
    planned_start: Option<String>,
    planned_end: Option<String>,
    /// What the planned window was flagged for: `{flag, message, …}`.
    #[schema(value_type = Vec<Object>)]
    flags: Vec<serde_json::Value>,
    /// The fields still to fill in before it may be submitted.
    missing: Vec<String>,
    ci_ids: Vec<i64>,
    resolves: Vec<i64>,
    caused_incidents: Vec<i64>,
    /// The release it belongs to.
    release_id: Option<i64>,
    review_success: Option<bool>,
    review_problems: String,
    review_lessons: String,
    /// Pass back unchanged; bumped by every write.
    version: i64,
    created_at: String,
    updated_at: String,
}

impl From<ChangeRecord> for ChangeOut {
    fn from(c: ChangeRecord) -> Self {
        let missing = vigie_core::change::readiness(&crate::changes::preparation(&c))
            .into_iter()
            .map(str::to_owned)
            .collect();
        ChangeOut {
            id: c.id.0,
            tenant_id: c.tenant_id.0,
            entity_id: c.entity_id.0,
            number: c.number,
            kind: c.kind.to_string(),
            status: c.status.to_string(),
            allowed_actions: allowed_actions(c.kind, c.status)
                .into_iter()
                .map(|a| a.to_string())
                .collect(),
            title: c.title,
            description: c.description,
            raised_by: c.raised_by.0,
            reason: c.reason,
            expected_return: c.expected_return,
            risks: c.risks,
            resources: c.resources,
            responsible_id: c.responsible_id.map(|u| u.0),
            relationship: c.relationship,
            related_changes: c.related_changes.iter().map(|c| c.0).collect(),
            likelihood: c.likelihood.map(|v| v.to_string()),
            impact_class: c.impact_class.map(|v| v.to_string()),
            risk: c.risk.map(|v| v.to_string()),
            implementation_plan: c.implementation_plan,
            backout_plan: c.backout_plan,
            backout_tested: c.backout_tested,
            template_id: c.template_id.map(|t| t.0),
            planned_start: c.planned_start.map(|t| t.to_string()),
            planned_end: c.planned_end.map(|t| t.to_string()),
            flags: c.flags,
            missing,
            ci_ids: c.items.iter().map(|c| c.0).collect(),
            resolves: c.resolves.iter().map(|c| c.0).collect(),
            caused_incidents: c.caused.iter().map(|c| c.0).collect(),
            release_id: c.release_id,
            review_success: c.review_success,
            review_problems: c.review_problems,
            review_lessons: c.review_lessons,
            version: c.version,
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.to_string(),
        }
    }
}

page_type!(ChangePage, ChangeOut);

/// Filters of the change list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ChangeQuery {
    /// Only this status.
    pub(super) status: Option<String>,
    /// Only this type.
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    /// Only changes touching this configuration item.
    pub(super) ci_id: Option<i64>,
    /// Only changes whose review links incidents they caused.
    pub(super) caused_incidents: Option<bool>,
    /// Only changes raised at or after this instant (RFC 3339).
    pub(super) raised_from: Option<String>,
    /// Only changes raised before this instant (RFC 3339).
    pub(super) raised_before: Option<String>,
    /// At most this many (1–500, default 50).
    pub(super) limit: Option<u32>,
    /// From `next_cursor`.
    pub(super) cursor: Option<String>,
}

/// The period of the calendar.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    /// RFC 3339; default: now minus 7 days.
    pub(super) from: Option<String>,
    /// RFC 3339; default: `from` plus 60 days (at most 400 days after it).
    pub(super) to: Option<String>,
}

/// A change on the calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarEntryOut {
    id: i64,
    number: i64,
    title: String,
    #[serde(rename = "type")]
    kind: String,
    status: String,
    planned_start: String,
    planned_end: String,
    ci_ids: Vec<i64>,
    #[schema(value_type = Vec<Object>)]
    flags: Vec<serde_json::Value>,
}

impl From<PlannedRecord> for CalendarEntryOut {
    fn from(p: PlannedRecord) -> Self {
        CalendarEntryOut {
            id: p.id.0,
            number: p.number,
            title: p.title,
            kind: p.kind.to_string(),
            status: p.status.to_string(),
            planned_start: p.start.to_string(),
            planned_end: p.end.to_string(),
            ci_ids: p.items.iter().map(|c| c.0).collect(),
            flags: p.flags,
        }
    }
}

/// The calendar of a period: the changes and the freezes.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarOut {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) changes: Vec<CalendarEntryOut>,
    pub(super) freezes: Vec<super::settings::FreezeOut>,
}

/// The flags a planned window would earn, without scheduling.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CheckQuery {
    /// RFC 3339 (required).
    pub(super) planned_start: Option<String>,
    /// RFC 3339 (required).
    pub(super) planned_end: Option<String>,
}

/// What a check found.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckOut {
    /// Whether the window could be used by this change.
    pub(super) allowed: bool,
    #[schema(value_type = Vec<Object>)]
    pub(super) flags: Vec<serde_json::Value>,
}

/// The release a change belongs to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeReleaseIn {
    /// A release of the tenant, or null to take the change out.
    pub(super) release_id: Option<i64>,
}
