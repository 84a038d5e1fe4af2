//! `/api/v1/users/{id}/absences`: when someone is away and who takes his
//! tickets meanwhile. A user records his own; administrators of his entity
//! record them for him.

use super::instants::instant;
use super::{ApiJson, ApiPath, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::ids::UserId;
use vigie_core::role::Permission;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::absence::{self, Absence, AbsenceKind};
use vigie_store::{AbsenceRecord, UserRecord};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_absences, create_absence))
        .routes(routes!(delete_absence))
}

/// An absence.
#[derive(Debug, Serialize, ToSchema)]
pub struct AbsenceOut {
    id: i64,
    user_id: i64,
    /// `leave`, `sickness`, `training` or `other`.
    kind: String,
    starts_at: String,
    /// Excluded.
    ends_at: String,
    /// Who takes the tickets meanwhile.
    backup_id: Option<i64>,
}

impl From<AbsenceRecord> for AbsenceOut {
    fn from(r: AbsenceRecord) -> Self {
        AbsenceOut {
            id: r.id,
            user_id: r.absence.user.0,
            kind: r.absence.kind.to_string(),
            starts_at: r.absence.starts_at.to_string(),
            ends_at: r.absence.ends_at.to_string(),
            backup_id: r.absence.backup.map(|b| b.0),
        }
    }
}

/// An absence to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsenceIn {
    /// `leave`, `sickness`, `training` or `other`.
    kind: String,
    /// RFC 3339, e.g. `2026-07-27T00:00:00+02:00`.
    starts_at: String,
    /// RFC 3339; excluded.
    ends_at: String,
    /// Who takes the tickets meanwhile; default: they go back to their group.
    backup_id: Option<i64>,
}

/// The user if the actor may read (or, with `manage`, change) his absences.
async fn subject(
    state: &AppState,
    actor: &Actor,
    id: i64,
    manage: bool,
) -> Result<UserRecord, ApiError> {
    let id = UserId(id);
    if actor.user == id {
        return Ok(state.store().get_user(&Scope::Platform, id).await?);
    }
    let permission = if manage {
        Permission::ManageDirectory
    } else {
        Permission::ViewDirectory
    };
    Ok(state
        .store()
        .get_user(&scope_for(actor, permission)?, id)
        .await?)
}

/// A user's absences that have not ended.
#[utoipa::path(get, path = "/users/{id}/absences", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AbsenceOut>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_absences(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AbsenceOut>>, ApiError> {
    let user = subject(&state, &actor, id, false).await?;
    let list = state
        .store()
        .list_absences(user.id, state.clock().now())
        .await?;
    Ok(Json(list.into_iter().map(AbsenceOut::from).collect()))
}

/// Records an absence; while it lasts, the user's open tickets go to the
/// backup (if he is there and may hold them) or back to their group.
#[utoipa::path(post, path = "/users/{id}/absences", tag = "users", params(("id" = i64, Path)), request_body = AbsenceIn,
    responses((status = 201, body = AbsenceOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_absence(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AbsenceIn>,
) -> Result<(StatusCode, Json<AbsenceOut>), ApiError> {
    let user = subject(&state, &actor, id, true).await?;
    let new = Absence {
        user: user.id,
        kind: body
            .kind
            .parse::<AbsenceKind>()
            .map_err(|e| ApiError::invalid("kind", e.to_string()))?,
        starts_at: instant("starts_at", &body.starts_at)?,
        ends_at: instant("ends_at", &body.ends_at)?,
        backup: body.backup_id.map(UserId),
    };
    absence::check(&new).map_err(|e| {
        let field = if matches!(e, absence::AbsenceError::SelfBackup) {
            "backup_id"
        } else {
            "ends_at"
        };
        ApiError::invalid(field, e.to_string())
    })?;
    let record = state
        .store()
        .create_absence(&actor, state.clock().now(), &user, &new)
        .await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// Deletes an absence.
#[utoipa::path(delete, path = "/users/{id}/absences/{absence_id}", tag = "users",
    params(("id" = i64, Path), ("absence_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_absence(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, absence)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let user = subject(&state, &actor, id, true).await?;
    state
        .store()
        .delete_absence(&actor, state.clock().now(), &user, absence)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
