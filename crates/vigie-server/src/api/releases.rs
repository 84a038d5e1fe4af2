//! `/api/v1/releases`, `/releases/plan` and `/tenants/{id}/release-settings`:
//! releases, the release plan of a period and the tenant's release cycle.
//! Releases belong to an entity: those who read releases there read them
//! (agents, their leads, change managers, CAB members); change managers and
//! administrators plan them and move them through their lifecycle, except
//! the green light, which a member of the tenant's qualification group
//! gives. A refused transition is a 409 that lists the allowed actions.
//!
//! *Decision*: the settings live under `/tenants/{id}/` like the other
//! tenant-wide settings, so a platform administrator reaches any tenant's
//! and the isolation walker aims at them; every member of the tenant reads
//! them, `ManageReleases` on the tenant's root changes them.

use super::audit::AuditOut;
use super::categories::readable;
use super::releases_wire::{
    PlanOut, PlanQuery, ReleaseIn, ReleaseOut, ReleasePatch, ReleaseQuery, ReleaseSettingsIn,
    ReleaseSettingsOut, date_field, parse, versions,
};
use super::{ApiJson, ApiPath, ApiQuery, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem, ProblemKind};
use crate::releases::{act_on, cycle_of, default_settings, settings_in_effect, today};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::environment::reset::{ResetRules, Season};
use vigie_core::ids::{CiId, EntityId, GroupId, ReleaseId};
use vigie_core::release::cycle::{ReleaseCycle, quarter_of};
use vigie_core::release::lifecycle::ReleaseAction;
use vigie_core::release::{ComponentVersion, ReleaseKind};
use vigie_core::role::Permission;
use vigie_core::tenancy::{Actor, EntityPath, Scope};
use vigie_core::validate;
use vigie_store::{NewRelease, ReleaseChanges, ReleaseFilter, ReleaseSettingsInput, StoreError};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_releases, create_release))
        .routes(routes!(plan))
        .routes(routes!(get_release, update_release))
        .routes(routes!(qualify))
        .routes(routes!(green_light))
        .routes(routes!(deploy))
        .routes(routes!(cancel))
        .routes(routes!(release_history))
        .routes(routes!(get_settings, put_settings))
}

/// Refuses a regular release off the cycle's dates.
async fn check_date(
    state: &AppState,
    kind: ReleaseKind,
    date: jiff::civil::Date,
    tenant: vigie_core::ids::TenantId,
) -> Result<(), ApiError> {
    if kind != ReleaseKind::Regular {
        return Ok(());
    }
    let (_, settings) = settings_in_effect(state, tenant).await?;
    cycle_of(&settings)?
        .check_date(date)
        .map_err(|e| ApiError::invalid("planned_for", e.to_string()))
}

/// Refuses versions naming a configuration item the caller cannot read
/// (another tenant's, or outside his scope): 422 naming `versions[i].ci_id`.
async fn check_items(
    state: &AppState,
    actor: &Actor,
    versions: &[ComponentVersion],
) -> Result<(), ApiError> {
    if versions.iter().all(|v| v.ci_id.is_none()) {
        return Ok(());
    }
    let scope = actor.scope(Permission::ViewCmdb);
    for (i, v) in versions.iter().enumerate() {
        if let Some(id) = v.ci_id {
            match state.store().get_ci(&scope, CiId(id)).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    return Err(ApiError::invalid(
                        &format!("versions[{i}].ci_id"),
                        "no such configuration item in your scope",
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

/// Lists the releases the caller may read, by planned date.
#[utoipa::path(get, path = "/releases", tag = "releases", params(ReleaseQuery),
    responses((status = 200, body = Vec<ReleaseOut>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_releases(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ReleaseQuery>,
) -> Result<Json<Vec<ReleaseOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewReleases)?;
    let filter = ReleaseFilter {
        status: q
            .status
            .as_deref()
            .map(|v| parse("status", v))
            .transpose()?,
        kind: q.kind.as_deref().map(|v| parse("kind", v)).transpose()?,
        from: q
            .from
            .as_deref()
            .map(|v| date_field("from", v))
            .transpose()?,
        to: q.to.as_deref().map(|v| date_field("to", v)).transpose()?,
    };
    let list = state.store().list_releases(&scope, &filter).await?;
    Ok(Json(list.into_iter().map(ReleaseOut::from).collect()))
}

/// The release plan of a period (default: the current quarter): the dates
/// of the release cycle and the releases the caller may read planned then.
#[utoipa::path(get, path = "/releases/plan", tag = "releases", params(PlanQuery),
    responses((status = 200, body = PlanOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn plan(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> Result<Json<PlanOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewReleases)?;
    let (first, last) = quarter_of(today(state.clock().now()));
    let from = q
        .from
        .as_deref()
        .map(|v| date_field("from", v))
        .transpose()?;
    let to = q.to.as_deref().map(|v| date_field("to", v)).transpose()?;
    let from = from.unwrap_or(first);
    let to = to.unwrap_or(if from <= last {
        last
    } else {
        quarter_of(from).1
    });
    let (_, settings) = settings_in_effect(&state, actor.tenant).await?;
    let dates = cycle_of(&settings)?
        .dates_between(from, to)
        .map_err(|e| ApiError::invalid("to", e.to_string()))?;
    let filter = ReleaseFilter {
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let releases = state.store().list_releases(&scope, &filter).await?;
    Ok(Json(PlanOut::new(from, to, &settings, dates, releases)))
}

/// Reads a release.
#[utoipa::path(get, path = "/releases/{id}", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = ReleaseOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_release(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReleaseOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewReleases)?;
    Ok(Json(
        state
            .store()
            .get_release(&scope, ReleaseId(id))
            .await?
            .into(),
    ))
}

/// Plans a release in an entity. A regular release goes on a date of the
/// cycle (422 naming `planned_for` with the nearest dates otherwise).
#[utoipa::path(post, path = "/releases", tag = "releases", request_body = ReleaseIn,
    responses((status = 201, body = ReleaseOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_release(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<ReleaseIn>,
) -> Result<(StatusCode, Json<ReleaseOut>), ApiError> {
    let scope = scope_for(&actor, Permission::ManageReleases)?;
    let entity = state
        .store()
        .get_entity(&scope, EntityId(body.entity_id))
        .await?;
    let kind: ReleaseKind = parse("kind", &body.kind)?;
    let planned_for = date_field("planned_for", &body.planned_for)?;
    let new = NewRelease {
        name: validate::name("name", &body.name, 200)?,
        kind,
        planned_for,
        description: body.description.unwrap_or_default().trim().to_owned(),
        versions: versions(body.versions)?,
    };
    check_date(&state, kind, planned_for, entity.tenant_id).await?;
    check_items(&state, &actor, &new.versions).await?;
    let created = state
        .store()
        .create_release(&actor, &entity, state.clock().now(), &new)
        .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Changes a release that is planned or in qualification.
#[utoipa::path(patch, path = "/releases/{id}", tag = "releases", params(("id" = i64, Path)), request_body = ReleasePatch,
    responses((status = 200, body = ReleaseOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_release(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReleasePatch>,
) -> Result<Json<ReleaseOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageReleases)?;
    let before = state.store().get_release(&scope, ReleaseId(id)).await?;
    if !before.status.is_editable() {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            format!(
                "a release that is {} can no longer be changed; only planned releases and releases in qualification are",
                before.status
            ),
        ));
    }
    let changes = ReleaseChanges {
        name: body
            .name
            .as_deref()
            .map(|v| validate::name("name", v, 200))
            .transpose()?,
        planned_for: body
            .planned_for
            .as_deref()
            .map(|v| date_field("planned_for", v))
            .transpose()?,
        description: body.description.map(|d| d.trim().to_owned()),
        versions: body.versions.map(versions).transpose()?,
    };
    if let Some(d) = changes.planned_for {
        check_date(&state, before.kind, d, before.tenant_id).await?;
    }
    if let Some(v) = &changes.versions {
        check_items(&state, &actor, v).await?;
    }
    let after = state
        .store()
        .update_release(&actor, state.clock().now(), &before, &changes)
        .await?;
    Ok(Json(after.into()))
}

async fn transition(
    state: &AppState,
    actor: &Actor,
    id: i64,
    action: ReleaseAction,
) -> Result<Json<ReleaseOut>, ApiError> {
    Ok(Json(
        act_on(state, actor, ReleaseId(id), action).await?.into(),
    ))
}

/// Hands a planned release to the qualification team.
#[utoipa::path(post, path = "/releases/{id}/qualify", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = ReleaseOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn qualify(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReleaseOut>, ApiError> {
    transition(&state, &actor, id, ReleaseAction::Qualify).await
}

/// The qualification team's green light, given once by a member of the
/// tenant's qualification group (403 for anyone else).
#[utoipa::path(post, path = "/releases/{id}/green-light", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = ReleaseOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn green_light(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReleaseOut>, ApiError> {
    transition(&state, &actor, id, ReleaseAction::GreenLight).await
}

/// Records the deployment; an exceptional release or a patch needs its
/// green light first (409).
#[utoipa::path(post, path = "/releases/{id}/deploy", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = ReleaseOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn deploy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReleaseOut>, ApiError> {
    transition(&state, &actor, id, ReleaseAction::Deploy).await
}

/// Gives a release up.
#[utoipa::path(post, path = "/releases/{id}/cancel", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = ReleaseOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn cancel(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReleaseOut>, ApiError> {
    transition(&state, &actor, id, ReleaseAction::Cancel).await
}

/// Every change of the release, oldest first.
#[utoipa::path(get, path = "/releases/{id}/history", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AuditOut>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn release_history(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AuditOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewReleases)?;
    let release = state.store().get_release(&scope, ReleaseId(id)).await?;
    let lines = state.store().release_history(&release).await?;
    Ok(Json(lines.into_iter().map(AuditOut::from).collect()))
}

/// Reads the tenant's release settings (every member of the tenant).
#[utoipa::path(get, path = "/tenants/{id}/release-settings", tag = "releases", params(("id" = i64, Path)),
    responses((status = 200, body = ReleaseSettingsOut), (status = 404, body = Problem)))]
async fn get_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReleaseSettingsOut>, ApiError> {
    let tenant = readable(&actor, id)?;
    state.store().get_tenant(&Scope::Platform, tenant).await?;
    let (default, settings) = settings_in_effect(&state, tenant).await?;
    Ok(Json(ReleaseSettingsOut::new(default, &settings)))
}

/// Sets the tenant's release cycle, qualification group and reset rules
/// (change managers and administrators of the tenant's root).
#[utoipa::path(put, path = "/tenants/{id}/release-settings", tag = "releases", params(("id" = i64, Path)), request_body = ReleaseSettingsIn,
    responses((status = 200, body = ReleaseSettingsOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReleaseSettingsIn>,
) -> Result<Json<ReleaseSettingsOut>, ApiError> {
    let tenant = readable(&actor, id)?;
    let record = state.store().get_tenant(&Scope::Platform, tenant).await?;
    let root = record
        .root_entity_id
        .map(EntityPath::root)
        .ok_or_else(ApiError::not_found)?;
    if !actor.can(Permission::ManageReleases, tenant, &root) {
        return Err(ApiError::forbidden(
            "only the tenant's change managers and administrators set its release cycle",
        ));
    }
    let anchor = date_field("cycle_anchor", &body.cycle_anchor)?;
    let cycle = ReleaseCycle::new(body.cycle_months, anchor)
        .map_err(|e| ApiError::invalid("cycle_months", e.to_string()))?;
    let defaults = default_settings();
    let first = body
        .reset_season_first_month
        .unwrap_or(defaults.reset_season_first);
    let last = body
        .reset_season_last_month
        .unwrap_or(defaults.reset_season_last);
    let season = Season::new(first, last).map_err(|e| {
        let field = match e {
            vigie_core::environment::reset::ResetRuleError::Month { field, .. } => field,
            _ => "reset_season_first_month",
        };
        let field = field.replace("season_", "reset_season_");
        ApiError::invalid(&field, e.to_string())
    })?;
    let notice = body.reset_notice_days.unwrap_or(defaults.reset_notice_days);
    ResetRules::new(season, notice)
        .map_err(|e| ApiError::invalid("reset_notice_days", e.to_string()))?;
    if let Some(g) = body.qualification_group_id {
        let group = state
            .store()
            .get_group(&Scope::Platform, GroupId(g))
            .await
            .ok()
            .filter(|g| g.tenant_id == tenant);
        if group.is_none() {
            return Err(ApiError::invalid(
                "qualification_group_id",
                "no such group in this tenant",
            ));
        }
    }
    let input = ReleaseSettingsInput {
        cycle_months: i64::from(cycle.every_months()),
        cycle_anchor: cycle.anchor(),
        qualification_group_id: body.qualification_group_id.map(GroupId),
        reset_notice_days: notice,
        reset_season_first: first,
        reset_season_last: last,
    };
    state
        .store()
        .set_release_settings(&actor, tenant, state.clock().now(), &input)
        .await?;
    Ok(Json(ReleaseSettingsOut::new(false, &input)))
}
