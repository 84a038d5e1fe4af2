//! `/api/v1/me`: who the caller is and what he may do, and which
//! notification mails he receives.

use super::ApiJson;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::notification::NotificationKind;
use vigie_core::tenancy::Scope;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(notifications, set_notifications))
}

/// A role held on an entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyGrant {
    entity_id: i64,
    role: String,
    recursive: bool,
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    user_id: i64,
    login: String,
    display_name: String,
    tenant_id: i64,
    tenant_slug: String,
    platform_admin: bool,
    locale: Option<String>,
    roles: Vec<MyGrant>,
}

/// Tells who the token belongs to, his tenant and his roles.
#[utoipa::path(get, path = "/me", tag = "me", responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<Me>, ApiError> {
    let user = state.store().get_user(&Scope::Platform, actor.user).await?;
    let tenant = state
        .store()
        .get_tenant(&Scope::Platform, actor.tenant)
        .await?;
    Ok(Json(Me {
        user_id: user.id.0,
        login: user.login,
        display_name: user.display_name,
        tenant_id: tenant.id.0,
        tenant_slug: tenant.slug,
        platform_admin: actor.platform_admin,
        locale: user.locale,
        roles: actor
            .grants
            .iter()
            .map(|g| MyGrant {
                entity_id: g.entity.0,
                role: g.role.to_string(),
                recursive: g.recursive,
            })
            .collect(),
    }))
}

/// One kind of notification mail and whether the caller receives it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSetting {
    /// `public_reply`, `requester_reply`, `assignment`, `assigned_to_you`,
    /// `escalation`, `manager_alert`, `sla_warning`, `resolved`,
    /// `ticket_created`.
    kind: String,
    enabled: bool,
}

/// The caller's notification preferences.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSettings {
    /// Every kind, in a stable order.
    kinds: Vec<NotificationSetting>,
}

/// The kinds to turn off; every kind not listed is on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettingsIn {
    off: Vec<String>,
}

fn settings_of(off: &[NotificationKind]) -> NotificationSettings {
    NotificationSettings {
        kinds: NotificationKind::ALL
            .iter()
            .map(|k| NotificationSetting {
                kind: k.as_str().to_owned(),
                enabled: !off.contains(k),
            })
            .collect(),
    }
}

/// Which notification mails the caller receives.
#[utoipa::path(get, path = "/me/notifications", tag = "me", responses((status = 200, body = NotificationSettings), (status = 401, body = Problem)))]
async fn notifications(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> Result<Json<NotificationSettings>, ApiError> {
    let off = state.store().notification_opt_outs(actor.user).await?;
    Ok(Json(settings_of(&off)))
}

/// Sets the kinds of notification mail the caller does not want.
#[utoipa::path(put, path = "/me/notifications", tag = "me", request_body = NotificationSettingsIn, responses((status = 200, body = NotificationSettings), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn set_notifications(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<NotificationSettingsIn>,
) -> Result<Json<NotificationSettings>, ApiError> {
    if body.off.len() > NotificationKind::ALL.len() * 4 {
        return Err(ApiError::invalid("off", "too many kinds"));
    }
    let off = body
        .off
        .iter()
        .map(|k| k.parse::<NotificationKind>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::invalid("off", e.to_string()))?;
    let user = state.store().get_user(&Scope::Platform, actor.user).await?;
    let now = state.clock().now();
    let off = state
        .store()
        .set_notification_opt_outs(&actor, &user, now, &off)
        .await?;
    Ok(Json(settings_of(&off)))
}
