//! The release and environment use cases the API and the web pages share:
//! the settings in effect, a lifecycle action on a release, an
//! environment's hours checked against production's, a data refresh
//! request and a reset. Each reads what the core needs, lets the core
//! decide, and has the store write; the decisions are the core's
//! (`vigie_core::release`, `vigie_core::environment`).
//!
//! *Decision*: "today" for notices and for the year of the hours check is
//! the date in Paris time ([`DEFAULT_TIME_ZONE`]), the zone of the presets;
//! a tenant has no zone of its own yet.

use crate::AppState;
use crate::error::{ApiError, ProblemKind};
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use vigie_core::Timestamp;
use vigie_core::calendar::{BusinessCalendar, DEFAULT_TIME_ZONE};
use vigie_core::cmdb::EnvironmentKind;
use vigie_core::environment::hours::{self, HoursRefused};
use vigie_core::environment::refresh::{self, RefreshRefused};
use vigie_core::environment::reset::{self, ResetRules, Season};
use vigie_core::ids::{ReleaseId, TenantId};
use vigie_core::release::cycle::ReleaseCycle;
use vigie_core::release::lifecycle::{
    self, Qualifier, ReleaseAction, ReleaseRefused, ReleaseState,
};
use vigie_core::role::Permission;
use vigie_core::tenancy::Actor;
use vigie_store::{
    DataRefreshRecord, EnvironmentRecord, EnvironmentResetRecord, NewDataRefresh,
    NewEnvironmentReset, ReleaseRecord, ReleaseSettingsInput,
};

/// The settings of a tenant that never set its own: a release every two
/// months from 15 January 2026, no qualification group, resets in July and
/// August with three weeks' notice.
pub fn default_settings() -> ReleaseSettingsInput {
    ReleaseSettingsInput {
        cycle_months: 2,
        cycle_anchor: date(2026, 1, 15),
        qualification_group_id: None,
        reset_notice_days: i64::from(reset::DEFAULT_NOTICE_DAYS),
        reset_season_first: i64::from(Season::SUMMER.first_month()),
        reset_season_last: i64::from(Season::SUMMER.last_month()),
    }
}

/// The tenant's settings, or the defaults; and whether they are the defaults.
pub async fn settings_in_effect(
    state: &AppState,
    tenant: TenantId,
) -> Result<(bool, ReleaseSettingsInput), ApiError> {
    Ok(match state.store().release_settings(tenant).await? {
        Some(r) => (false, r.settings),
        None => (true, default_settings()),
    })
}

/// The cycle the settings describe.
pub fn cycle_of(settings: &ReleaseSettingsInput) -> Result<ReleaseCycle, ApiError> {
    ReleaseCycle::new(settings.cycle_months, settings.cycle_anchor)
        .map_err(|e| ApiError::invalid("cycle_months", e.to_string()))
}

/// The date of `now` in Paris.
pub fn today(now: Timestamp) -> Date {
    match TimeZone::get(DEFAULT_TIME_ZONE) {
        Ok(zone) => now.to_zoned(zone).date(),
        Err(_) => now.to_zoned(TimeZone::UTC).date(),
    }
}

/// Applies a lifecycle action to release `id`, read in the actor's scope:
/// `ManageReleases` for every action but the green light, which the
/// qualification team gives to the releases it reads (`ViewReleases`),
/// membership of the group deciding.
pub async fn act_on(
    state: &AppState,
    actor: &Actor,
    id: ReleaseId,
    action: ReleaseAction,
) -> Result<ReleaseRecord, ApiError> {
    let permission = if action == ReleaseAction::GreenLight {
        Permission::ViewReleases
    } else {
        Permission::ManageReleases
    };
    let scope = crate::api::scope_for(actor, permission)?;
    let release = state.store().get_release(&scope, id).await?;
    act(state, actor, &release, action).await
}

/// Applies a lifecycle action to a release, for `actor`.
pub async fn act(
    state: &AppState,
    actor: &Actor,
    release: &ReleaseRecord,
    action: ReleaseAction,
) -> Result<ReleaseRecord, ApiError> {
    let qualifier = if action == ReleaseAction::GreenLight {
        let (_, settings) = settings_in_effect(state, release.tenant_id).await?;
        match settings.qualification_group_id {
            None => Qualifier::NoGroup,
            Some(g) => {
                if state
                    .store()
                    .is_group_member(release.tenant_id, g, actor.user)
                    .await?
                {
                    Qualifier::Member
                } else {
                    Qualifier::NotMember
                }
            }
        }
    } else {
        Qualifier::NotMember
    };
    let decision = lifecycle::apply(
        ReleaseState {
            kind: release.kind,
            status: release.status,
            green_lit: release.green_light_at.is_some(),
        },
        action,
        qualifier,
    )
    .map_err(|e| match e {
        ReleaseRefused::NotQualifier { .. } => ApiError::forbidden(e.to_string()),
        e => ApiError::new(ProblemKind::Conflict, e.to_string()),
    })?;
    Ok(state
        .store()
        .move_release(actor, state.clock().now(), release, &decision)
        .await?)
}

/// The environment's kind, or a 422 naming `field` when its attribute is
/// unreadable.
pub fn kind_of(env: &EnvironmentRecord, field: &str) -> Result<EnvironmentKind, ApiError> {
    env.kind.ok_or_else(|| {
        ApiError::invalid(
            field,
            format!(
                "the environment `{}` has no readable `kind` attribute",
                env.name
            ),
        )
    })
}

async fn calendar(
    state: &AppState,
    tenant: TenantId,
    id: i64,
) -> Result<BusinessCalendar, ApiError> {
    let record = state
        .store()
        .get_calendar(tenant, id)
        .await
        .map_err(|_| ApiError::invalid("calendar_id", "no such calendar in this tenant"))?;
    record
        .spec
        .build()
        .map_err(|e| ApiError::invalid("calendar_id", e.to_string()))
}

fn wider(e: HoursRefused, whose: &str) -> ApiError {
    match e {
        HoursRefused::Wider(_) => ApiError::invalid("calendar_id", format!("{whose}{e}")),
        HoursRefused::Calendar(_) => ApiError::invalid("calendar_id", e.to_string()),
    }
}

/// Sets an environment's hours (`None` clears them), refused when they
/// would be wider than production's. For a production environment, the
/// other environments' hours must fit in the new ones.
pub async fn set_hours(
    state: &AppState,
    actor: &Actor,
    env: &EnvironmentRecord,
    calendar_id: Option<i64>,
) -> Result<EnvironmentRecord, ApiError> {
    let kind = kind_of(env, "id")?;
    let now = state.clock().now();
    if let Some(id) = calendar_id {
        let cal = calendar(state, env.tenant_id, id).await?;
        let from = today(now);
        let others = state
            .store()
            .tenant_environments_with_hours(env.tenant_id)
            .await?;
        if kind == EnvironmentKind::Production {
            for other in others.iter().filter(|o| {
                o.id != env.id && o.kind.is_some_and(|k| k != EnvironmentKind::Production)
            }) {
                let Some(other_id) = other.calendar_id else {
                    continue;
                };
                let theirs = calendar(state, env.tenant_id, other_id).await?;
                hours::check_within(&theirs, &cal, from).map_err(|e| {
                    wider(
                        e,
                        &format!(
                            "these hours would leave `{}` open outside them: ",
                            other.name
                        ),
                    )
                })?;
            }
        } else {
            let productions: Vec<&EnvironmentRecord> = others
                .iter()
                .filter(|o| o.kind == Some(EnvironmentKind::Production))
                .collect();
            if productions.is_empty() {
                return Err(ApiError::new(
                    ProblemKind::Conflict,
                    "production's hours are not set: give the production environment its hours first, \
                     since no environment may be open when production is not",
                ));
            }
            for prod in productions {
                let Some(prod_id) = prod.calendar_id else {
                    continue;
                };
                let theirs = calendar(state, env.tenant_id, prod_id).await?;
                hours::check_within(&cal, &theirs, from).map_err(|e| wider(e, ""))?;
            }
        }
    }
    Ok(state
        .store()
        .set_environment_settings(actor, now, env, calendar_id, env.reset_season)
        .await?)
}

/// Asks for a data refresh from `source` into `target`, decided by the core.
pub async fn request_refresh(
    state: &AppState,
    actor: &Actor,
    source: &EnvironmentRecord,
    target: &EnvironmentRecord,
    requested_for: Date,
    anonymise: Option<bool>,
    note: String,
) -> Result<DataRefreshRecord, ApiError> {
    if source.id == target.id {
        return Err(ApiError::invalid(
            "target_environment_id",
            RefreshRefused::SameEnvironment.to_string(),
        ));
    }
    let from = kind_of(source, "source_environment_id")?;
    let into = kind_of(target, "target_environment_id")?;
    let plan = refresh::check(from, into, anonymise).map_err(|e| {
        let field = match e {
            RefreshRefused::AnonymisationRequired => "anonymise",
            _ => "target_environment_id",
        };
        ApiError::invalid(field, e.to_string())
    })?;
    let now = state.clock().now();
    if requested_for < today(now) {
        return Err(ApiError::invalid(
            "requested_for",
            format!("a refresh is asked for today ({}) or later", today(now)),
        ));
    }
    Ok(state
        .store()
        .create_data_refresh(
            actor,
            now,
            &NewDataRefresh {
                source,
                target,
                requested_for,
                anonymise: plan.anonymise,
                note,
            },
        )
        .await?)
}

/// Plans a reset of `env` for `partner` on `planned_for`, checked by the core
/// against the notice, the season (the environment's own, else the
/// tenant's) and the resets already planned.
pub async fn plan_reset(
    state: &AppState,
    actor: &Actor,
    env: &EnvironmentRecord,
    partner: String,
    planned_for: Date,
) -> Result<EnvironmentResetRecord, ApiError> {
    let (_, settings) = settings_in_effect(state, env.tenant_id).await?;
    let (first, last) = env
        .reset_season
        .unwrap_or((settings.reset_season_first, settings.reset_season_last));
    let season = Season::new(first, last).map_err(|e| ApiError::internal(e.to_string()))?;
    let rules = ResetRules::new(season, settings.reset_notice_days)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let existing = state.store().environment_reset_dates(env, &partner).await?;
    let now = state.clock().now();
    reset::check(&rules, today(now), planned_for, &existing)
        .map_err(|e| ApiError::invalid("planned_for", e.to_string()))?;
    Ok(state
        .store()
        .create_environment_reset(
            actor,
            now,
            &NewEnvironmentReset {
                environment: env,
                partner,
                planned_for,
                rules,
            },
        )
        .await?)
}
