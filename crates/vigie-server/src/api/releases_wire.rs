//! The JSON shapes of releases, release settings, environments, data
//! refreshes and environment resets, and the parsing of their dates and
//! names into the core's types (refusals name the field).

use crate::error::ApiError;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use vigie_core::environment::rank;
use vigie_core::release::lifecycle::{ReleaseState, allowed};
use vigie_core::release::{ComponentVersion, check_versions};
use vigie_store::{
    DataRefreshRecord, EnvironmentRecord, EnvironmentResetRecord, ReleaseRecord,
    ReleaseSettingsInput,
};

/// A civil date `YYYY-MM-DD`, or 422 naming `field`.
pub(crate) fn date_field(field: &str, text: &str) -> Result<Date, ApiError> {
    text.trim().parse().map_err(|_| {
        ApiError::invalid(
            field,
            format!(
                "`{field}` must be a date written YYYY-MM-DD, not `{}`",
                text.chars().take(40).collect::<String>()
            ),
        )
    })
}

/// One of a closed set of names, or 422 naming `field`.
pub(crate) fn parse<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| ApiError::invalid(field, e.to_string()))
}

/// A component's version in a release.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersionIo {
    /// The component's name.
    pub component: String,
    /// The configuration item, when the component is one.
    pub ci_id: Option<i64>,
    /// The version text.
    pub version: String,
}

/// Checks a version list with the core.
pub(crate) fn versions(list: Vec<VersionIo>) -> Result<Vec<ComponentVersion>, ApiError> {
    check_versions(
        list.into_iter()
            .map(|v| ComponentVersion {
                component: v.component,
                ci_id: v.ci_id,
                version: v.version,
            })
            .collect(),
    )
    .map_err(|e| ApiError::invalid(&e.field(), e.to_string()))
}

/// A release to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReleaseIn {
    /// The entity it belongs to (usually the tenant's root).
    pub entity_id: i64,
    /// Its name, unique in the tenant (e.g. `MEP 2026-03`).
    pub name: String,
    /// `regular`, `exceptional` or `patch`.
    pub kind: String,
    /// The planned production date, `YYYY-MM-DD`; a regular release's must
    /// be a date of the release cycle.
    pub planned_for: String,
    /// What it brings.
    #[serde(default)]
    pub description: Option<String>,
    /// The component versions.
    #[serde(default)]
    pub versions: Vec<VersionIo>,
}

/// Changes to a release (planned or in qualification); absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReleasePatch {
    /// A new name.
    pub name: Option<String>,
    /// A new date.
    pub planned_for: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// The new versions, all of them.
    pub versions: Option<Vec<VersionIo>>,
}

/// A release.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseOut {
    id: i64,
    entity_id: i64,
    name: String,
    /// `regular`, `exceptional` or `patch`.
    kind: String,
    /// `planned`, `qualification`, `green_lit`, `deployed` or `cancelled`.
    status: String,
    planned_for: String,
    description: String,
    versions: Vec<VersionIo>,
    /// The changes it carries (filled by change management).
    change_ids: Vec<i64>,
    /// Who gave the green light, and when.
    green_light_by: Option<i64>,
    green_light_at: Option<String>,
    deployed_at: Option<String>,
    /// The actions its status allows (`qualify`, `green-light`, `deploy`, `cancel`).
    allowed_actions: Vec<String>,
    created_at: String,
    updated_at: String,
}

impl From<ReleaseRecord> for ReleaseOut {
    fn from(r: ReleaseRecord) -> Self {
        let state = ReleaseState {
            kind: r.kind,
            status: r.status,
            green_lit: r.green_light_at.is_some(),
        };
        ReleaseOut {
            id: r.id.0,
            entity_id: r.entity_id.0,
            name: r.name,
            kind: r.kind.to_string(),
            status: r.status.to_string(),
            planned_for: r.planned_for.to_string(),
            description: r.description,
            versions: r
                .versions
                .into_iter()
                .map(|v| VersionIo {
                    component: v.component,
                    ci_id: v.ci_id,
                    version: v.version,
                })
                .collect(),
            change_ids: r.change_ids,
            green_light_by: r.green_light_by.map(|u| u.0),
            green_light_at: r.green_light_at.map(|t| t.to_string()),
            deployed_at: r.deployed_at.map(|t| t.to_string()),
            allowed_actions: allowed(state).iter().map(|a| a.to_string()).collect(),
            created_at: r.created_at.to_string(),
            updated_at: r.updated_at.to_string(),
        }
    }
}

/// Which releases to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReleaseQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Planned on or after this date (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Planned on or before this date (`YYYY-MM-DD`).
    pub to: Option<String>,
}

/// The period of a plan; both default to the current quarter's bounds.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// The first day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// The last day (`YYYY-MM-DD`), at most ten years after `from`.
    pub to: Option<String>,
}

/// The release plan of a period: the cycle's dates and the releases planned.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOut {
    from: String,
    to: String,
    cycle_months: i64,
    cycle_anchor: String,
    /// The dates of the regular releases, from the cycle.
    dates: Vec<String>,
    /// The releases planned in the period, by date.
    releases: Vec<ReleaseOut>,
}

impl PlanOut {
    /// The plan's wire form.
    pub(crate) fn new(
        from: Date,
        to: Date,
        settings: &ReleaseSettingsInput,
        dates: Vec<Date>,
        releases: Vec<ReleaseRecord>,
    ) -> Self {
        PlanOut {
            from: from.to_string(),
            to: to.to_string(),
            cycle_months: settings.cycle_months,
            cycle_anchor: settings.cycle_anchor.to_string(),
            dates: dates.iter().map(Date::to_string).collect(),
            releases: releases.into_iter().map(ReleaseOut::from).collect(),
        }
    }
}

/// A tenant's release settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseSettingsOut {
    /// Whether these are the defaults (the tenant never set its own).
    default: bool,
    cycle_months: i64,
    cycle_anchor: String,
    /// The group whose members give green lights.
    qualification_group_id: Option<i64>,
    reset_notice_days: i64,
    reset_season_first_month: i64,
    reset_season_last_month: i64,
}

impl ReleaseSettingsOut {
    /// The settings' wire form.
    pub(crate) fn new(default: bool, s: &ReleaseSettingsInput) -> Self {
        ReleaseSettingsOut {
            default,
            cycle_months: s.cycle_months,
            cycle_anchor: s.cycle_anchor.to_string(),
            qualification_group_id: s.qualification_group_id.map(|g| g.0),
            reset_notice_days: s.reset_notice_days,
            reset_season_first_month: s.reset_season_first,
            reset_season_last_month: s.reset_season_last,
        }
    }
}

/// Release settings to write; absent reset fields take the defaults.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReleaseSettingsIn {
    /// A regular release every so many months (1–24).
    pub cycle_months: i64,
    /// The date the cycle counts from (`YYYY-MM-DD`).
    pub cycle_anchor: String,
    /// The group whose members give green lights.
    pub qualification_group_id: Option<i64>,
    /// The notice an environment reset needs, in days (default 21).
    pub reset_notice_days: Option<i64>,
    /// The reset season's first month, 1–12 (default 7).
    pub reset_season_first_month: Option<i64>,
    /// The reset season's last month, 1–12 (default 8; before the first: across the new year).
    pub reset_season_last_month: Option<i64>,
}

/// An environment.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnvironmentOut {
    /// The configuration item's id.
    id: i64,
    entity_id: i64,
    name: String,
    /// `development`, `qualification`, `acceptance`, `pre_production`,
    /// `training` or `production`; null if the item's attribute is unreadable.
    kind: Option<String>,
    /// Its place in the order, development 0 … production 5.
    rank: Option<u8>,
    /// The calendar of its opening hours.
    calendar_id: Option<i64>,
    /// Its own reset season, if it has one (else the tenant's).
    reset_season: Option<[i64; 2]>,
}

impl From<EnvironmentRecord> for EnvironmentOut {
    fn from(e: EnvironmentRecord) -> Self {
        EnvironmentOut {
            id: e.id.0,
            entity_id: e.entity_id.0,
            name: e.name,
            kind: e.kind.map(|k| k.to_string()),
            rank: e.kind.map(rank),
            calendar_id: e.calendar_id,
            reset_season: e.reset_season.map(|(a, b)| [a, b]),
        }
    }
}

/// An environment's opening hours.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HoursIn {
    /// A calendar of the tenant; null clears the hours.
    pub calendar_id: Option<i64>,
}

/// An environment's own reset season; both null: the tenant's applies.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetSeasonIn {
    /// The first month, 1–12.
    pub first_month: Option<i64>,
    /// The last month, 1–12 (before the first: across the new year).
    pub last_month: Option<i64>,
}

/// A data refresh request to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DataRefreshIn {
    /// The environment whose data is copied.
    pub source_environment_id: i64,
    /// The environment that receives it (lower in the order).
    pub target_environment_id: i64,
    /// The day it is wanted (`YYYY-MM-DD`, today or later).
    pub requested_for: String,
    /// Whether to anonymise; always true from production (false is refused).
    pub anonymise: Option<bool>,
    /// Why, and anything the environments' team should know.
    #[serde(default)]
    pub note: Option<String>,
}

/// A data refresh request.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataRefreshOut {
    id: i64,
    entity_id: i64,
    source_environment_id: i64,
    target_environment_id: i64,
    requested_for: String,
    anonymise: bool,
    /// `requested`, `approved`, `done` or `refused`.
    status: String,
    note: String,
    requester_id: Option<i64>,
    created_at: String,
    updated_at: String,
}

impl From<DataRefreshRecord> for DataRefreshOut {
    fn from(r: DataRefreshRecord) -> Self {
        DataRefreshOut {
            id: r.id.0,
            entity_id: r.entity_id.0,
            source_environment_id: r.source_id.0,
            target_environment_id: r.target_id.0,
            requested_for: r.requested_for.to_string(),
            anonymise: r.anonymise,
            status: r.status.to_string(),
            note: r.note,
            requester_id: r.requester_id.map(|u| u.0),
            created_at: r.created_at.to_string(),
            updated_at: r.updated_at.to_string(),
        }
    }
}

/// A reset to plan.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnvironmentResetIn {
    /// The environment.
    pub environment_id: i64,
    /// The partner it is reset for (a named organisation, free text).
    pub partner: String,
    /// The day (`YYYY-MM-DD`), in the season and with the notice.
    pub planned_for: String,
}

/// A planned reset.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnvironmentResetOut {
    id: i64,
    entity_id: i64,
    environment_id: i64,
    partner: String,
    planned_for: String,
    notice_days: i64,
    /// The season it was planned under: first and last month.
    season: [i64; 2],
    requester_id: Option<i64>,
    created_at: String,
}

impl From<EnvironmentResetRecord> for EnvironmentResetOut {
    fn from(r: EnvironmentResetRecord) -> Self {
        EnvironmentResetOut {
            id: r.id.0,
            entity_id: r.entity_id.0,
            environment_id: r.environment_id.0,
            partner: r.partner,
            planned_for: r.planned_for.to_string(),
            notice_days: r.notice_days,
            season: [r.season.0, r.season.1],
            requester_id: r.requester_id.map(|u| u.0),
            created_at: r.created_at.to_string(),
        }
    }
}
