//! `/api/v1/changes`: requests for change, their lifecycle, checklist,
//! votes and history, and the change calendar (JSON and iCalendar). Agents
//! and their leads raise and carry out changes, change managers assess,
//! schedule and close them, board members vote. The tenant's boards,
//! freezes, windows and templates are in [`settings`].

use super::audit::AuditOut;
use super::instants::{instant, optional_instant};
use super::{ApiJson, ApiPath, ApiQuery, PageParams, scope_for};
use crate::AppState;
use crate::auth::ApiActor;
use crate::changes::{self, ActionIn, ChangeError};
use crate::error::{ApiError, Problem, ProblemKind};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::change::approval::Decision;
use vigie_core::change::lifecycle::{self, ActionKind, LifecycleError, Review};
use vigie_core::change::schedule::planned_window;
use vigie_core::change::{ChangeKind, ChangeStatus, Likelihood};
use vigie_core::ids::{ChangeId, ChangeTemplateId, CiId, EntityId, TicketId};
use vigie_core::role::Permission;
use vigie_core::tenancy::Scope;
use vigie_store::{ChangeEdit, ChangeFilter, NewChange};

mod report;
pub(crate) mod settings;
mod wire;
use super::cis::parse_field as parse;
pub use wire::{
    CalendarEntryOut, CalendarOut, CalendarQuery, ChangeActionIn, ChangeIn, ChangeOut, ChangePage,
    ChangePatch, ChangeQuery, ChangeReleaseIn, CheckOut, CheckQuery, ChecklistOut, ChecklistTickIn,
    TextIn, VoteOut,
};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_changes, create_change))
        .routes(routes!(change_calendar))
        .routes(routes!(change_calendar_ics))
        .routes(routes!(get_change, update_change))
        .routes(routes!(act))
        .routes(routes!(check_window))
        .routes(routes!(get_checklist))
        .routes(routes!(tick_checklist))
        .routes(routes!(get_votes))
        .routes(routes!(change_history))
        .routes(routes!(set_release))
        .merge(report::routes())
        .merge(settings::routes())
}

impl From<ChangeError> for ApiError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Store(e) => e.into(),
            ChangeError::Window(e) => ApiError::invalid("planned_end", e.to_string()),
            ChangeError::Forbidden(p) => super::forbidden(p),
            ChangeError::Lifecycle(e) => match &e {
                LifecycleError::NotReady { missing } => ApiError {
                    field: missing.first().map(|f| (*f).to_owned()),
                    ..ApiError::new(ProblemKind::Validation, e.to_string())
                },
                LifecycleError::ReasonRequired { .. } => ApiError::invalid("reason", e.to_string()),
                LifecycleError::LessonsRequired => ApiError::invalid("lessons", e.to_string()),
                LifecycleError::Vote(v) => match v {
                    vigie_core::change::approval::ApprovalError::NotOnBoard { .. } => {
                        ApiError::forbidden(e.to_string())
                    }
                    vigie_core::change::approval::ApprovalError::CommentRequired => {
                        ApiError::invalid("comment", e.to_string())
                    }
                    _ => ApiError::new(ProblemKind::Conflict, e.to_string()),
                },
                _ => ApiError::new(ProblemKind::Conflict, e.to_string()),
            },
        }
    }
}

/// Lists the changes the caller may read, by id.
#[utoipa::path(get, path = "/changes", tag = "changes", params(ChangeQuery),
    responses((status = 200, body = ChangePage), (status = 400, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_changes(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ChangeQuery>,
) -> Result<Json<ChangePage>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewChanges)?;
    let filter = ChangeFilter {
        status: q
            .status
            .as_deref()
            .map(|v| parse::<ChangeStatus>("status", v))
            .transpose()?,
        kind: q
            .kind
            .as_deref()
            .map(|v| parse::<ChangeKind>("type", v))
            .transpose()?,
        ci: q.ci_id.map(CiId),
        caused_incidents: q.caused_incidents.unwrap_or(false),
        raised_from: optional_instant("raised_from", q.raised_from.as_deref())?,
        raised_before: optional_instant("raised_before", q.raised_before.as_deref())?,
        newest_first: false,
    };
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .request()?;
    let page = state.store().list_changes(&scope, &filter, page).await?;
    Ok(Json(ChangePage::from_page(page, ChangeOut::from)))
}

fn ids<T>(field: &str, v: &[i64], make: impl Fn(i64) -> T) -> Result<Vec<T>, ApiError> {
    if v.len() > 500 {
        return Err(ApiError::invalid(field, format!("`{field}`: at most 500")));
    }
    Ok(v.iter().copied().map(make).collect())
}

/// Raises a change, in draft. A standard change takes its plans and
/// checklist from its template.
#[utoipa::path(post, path = "/changes", tag = "changes", request_body = ChangeIn,
    responses((status = 201, body = ChangeOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_change(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<ChangeIn>,
) -> Result<(StatusCode, Json<ChangeOut>), ApiError> {
    let scope = scope_for(&actor, Permission::WorkChanges)?;
    let entity = state
        .store()
        .get_entity(&scope, EntityId(body.entity_id))
        .await?;
    let kind: ChangeKind = parse("type", &body.kind)?;
    let mut text = body.text.validated(&body.title)?;
    let mut checklist = body
        .checklist
        .iter()
        .map(|l| validate::name("checklist", l, 300))
        .collect::<Result<Vec<_>, _>>()?;
    if checklist.len() > 100 {
        return Err(ApiError::invalid(
            "checklist",
            "at most 100 checklist items",
        ));
    }
    let template_id = match (kind, body.template_id) {
        (ChangeKind::Standard, None) => {
            return Err(ApiError::invalid(
                "template_id",
                "a standard change is made from a template of pre-approved changes; give `template_id`",
            ));
        }
        (ChangeKind::Standard, Some(t)) => {
            let template = state
                .store()
                .get_change_template(entity.tenant_id, ChangeTemplateId(t))
                .await
                .map_err(|_| {
                    ApiError::invalid("template_id", format!("there is no template {t} here"))
                })?;
            text.implementation_plan = template.implementation_plan;
            text.backout_plan = template.backout_plan;
            if text.description.is_empty() {
                text.description = template.description;
            }
            checklist.extend(template.checklist);
            Some(template.id)
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid(
                "template_id",
                "only standard changes are made from a template",
            ));
        }
        (_, None) => None,
    };
    let new = NewChange {
        kind,
        text,
        template_id,
        items: ids("ci_ids", &body.ci_ids, CiId)?,
        related_changes: ids("related_changes", &body.related_changes, ChangeId)?,
        resolves: ids("resolves", &body.resolves, TicketId)?,
        checklist,
    };
    let created = state
        .store()
        .create_change(&actor, &entity, state.clock().now(), &new)
        .await
        .map_err(invalid_links)?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

use vigie_core::validate;

/// A store refusal of a link (an item, ticket or user of another tenant)
/// as a 422 naming the field.
fn invalid_links(e: vigie_store::StoreError) -> ApiError {
    match e {
        vigie_store::StoreError::Invalid(why) => {
            let field = why.split(':').next().unwrap_or("body").to_owned();
            ApiError::invalid(&field, why)
        }
        e => e.into(),
    }
}

/// Reads a change.
#[utoipa::path(get, path = "/changes/{id}", tag = "changes", params(("id" = i64, Path)),
    responses((status = 200, body = ChangeOut), (status = 404, body = Problem)))]
async fn get_change(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ChangeOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewChanges)?;
    Ok(Json(
        state.store().get_change(&scope, ChangeId(id)).await?.into(),
    ))
}

/// Edits a draft change (its author's text and links until it is submitted).
#[utoipa::path(patch, path = "/changes/{id}", tag = "changes", params(("id" = i64, Path)), request_body = ChangePatch,
    responses((status = 200, body = ChangeOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_change(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ChangePatch>,
) -> Result<Json<ChangeOut>, ApiError> {
    let scope = scope_for(&actor, Permission::WorkChanges)?;
    let before = state.store().get_change(&scope, ChangeId(id)).await?;
    if !lifecycle::editable(before.status) {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            format!(
                "a change that is {} is no longer edited; the change manager may send it back to draft",
                before.status
            ),
        ));
    }
    let old = before.text();
    let pick = |v: &Option<String>, old: &str| v.clone().unwrap_or_else(|| old.to_owned());
    let text_in = TextIn {
        description: pick(&body.description, &old.description),
        reason: pick(&body.reason, &old.reason),
        expected_return: pick(&body.expected_return, &old.expected_return),
        risks: pick(&body.risks, &old.risks),
        resources: pick(&body.resources, &old.resources),
        responsible_id: match body.responsible_id {
            Some(v) => v,
            None => old.responsible_id.map(|u| u.0),
        },
        relationship: pick(&body.relationship, &old.relationship),
        implementation_plan: pick(&body.implementation_plan, &old.implementation_plan),
        backout_plan: pick(&body.backout_plan, &old.backout_plan),
        backout_tested: body.backout_tested.unwrap_or(old.backout_tested),
    };
    let edit = ChangeEdit {
        text: Some(text_in.validated(&pick(&body.title, &old.title))?),
        items: body
            .ci_ids
            .as_deref()
            .map(|v| ids("ci_ids", v, CiId))
            .transpose()?,
        related_changes: body
            .related_changes
            .as_deref()
            .map(|v| ids("related_changes", v, ChangeId))
            .transpose()?,
        resolves: body
            .resolves
            .as_deref()
            .map(|v| ids("resolves", v, TicketId))
            .transpose()?,
    };
    let after = state
        .store()
        .update_change(&actor, &before, state.clock().now(), &edit)
        .await
        .map_err(invalid_links)?;
    Ok(Json(after.into()))
}

fn required<'a>(field: &str, v: &'a Option<String>) -> Result<&'a str, ApiError> {
    v.as_deref()
        .ok_or_else(|| ApiError::invalid(field, format!("this action needs `{field}`")))
}

/// The action the body asks for, parsed.
pub(crate) fn action_of(body: &ChangeActionIn) -> Result<ActionIn, ApiError> {
    let kind: ActionKind = parse("action", &body.action)?;
    let reason = || body.reason.clone().unwrap_or_default();
    Ok(match kind {
        ActionKind::Submit => ActionIn::Submit,
        ActionKind::Assess => ActionIn::Assess(parse::<Likelihood>(
            "likelihood",
            required("likelihood", &body.likelihood)?,
        )?),
        ActionKind::SendBack => ActionIn::SendBack(reason()),
        ActionKind::Vote => ActionIn::Vote(
            parse::<Decision>("decision", required("decision", &body.decision)?)?,
            body.comment.clone().unwrap_or_default(),
        ),
        ActionKind::Schedule => ActionIn::Schedule(
            instant(
                "planned_start",
                required("planned_start", &body.planned_start)?,
            )?,
            instant("planned_end", required("planned_end", &body.planned_end)?)?,
        ),
        ActionKind::Start => ActionIn::Start,
        ActionKind::Complete => ActionIn::Complete,
        ActionKind::BackOut => ActionIn::BackOut(reason()),
        ActionKind::Review => ActionIn::Review(
            Review {
                success: body.success.ok_or_else(|| {
                    ApiError::invalid(
                        "success",
                        "a review says whether the change succeeded (`success`)",
                    )
                })?,
                problems: body.problems.clone().unwrap_or_default(),
                lessons: body.lessons.clone().unwrap_or_default(),
            },
            ids("caused_incidents", &body.caused_incidents, TicketId)?,
        ),
        ActionKind::Close => ActionIn::Close,
        ActionKind::Cancel => ActionIn::Cancel(reason()),
    })
}

/// Acts on a change. A refused transition is a 409 naming the allowed
/// actions; a change lacking some of its seven Rs is a 422 naming them; a
/// vote by someone not on the board is a 403; a window in a freeze, outside
/// the change windows or in conflict is a 409 unless the change is an
/// emergency one.
#[utoipa::path(post, path = "/changes/{id}/actions", tag = "changes", params(("id" = i64, Path)), request_body = ChangeActionIn,
    responses((status = 200, body = ChangeOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn act(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ChangeActionIn>,
) -> Result<Json<ChangeOut>, ApiError> {
    // Scope first: someone who cannot see the change learns nothing from
    // the validation of his request.
    let scope = scope_for(&actor, Permission::ViewChanges)?;
    state.store().get_change(&scope, ChangeId(id)).await?;
    let action = action_of(&body)?;
    let after = changes::act(&state, &actor, ChangeId(id), action)
        .await
        .map_err(|e| match e {
            ChangeError::Store(vigie_store::StoreError::Invalid(why)) => {
                ApiError::invalid("caused_incidents", why)
            }
            e => e.into(),
        })?;
    Ok(Json(after.into()))
}

/// What a planned window would be flagged for (outside the change windows,
/// in a freeze, conflicts with other changes), without scheduling.
#[utoipa::path(get, path = "/changes/{id}/window-check", tag = "changes", params(("id" = i64, Path), CheckQuery),
    responses((status = 200, body = CheckOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn check_window(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<CheckQuery>,
) -> Result<Json<CheckOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewChanges)?;
    let change = state.store().get_change(&scope, ChangeId(id)).await?;
    let window = planned_window(
        instant(
            "planned_start",
            required("planned_start", &q.planned_start)?,
        )?,
        instant("planned_end", required("planned_end", &q.planned_end)?)?,
    )
    .map_err(|e| ApiError::invalid("planned_end", e.to_string()))?;
    let flags = changes::flags_for(&state, &change, window).await?;
    Ok(Json(CheckOut {
        allowed: !lifecycle::flags_block(change.kind, &flags),
        flags: flags.iter().map(changes::flag_json).collect(),
    }))
}

/// The pre-change checklist.
#[utoipa::path(get, path = "/changes/{id}/checklist", tag = "changes", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ChecklistOut>), (status = 404, body = Problem)))]
async fn get_checklist(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ChecklistOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewChanges)?;
    let change = state.store().get_change(&scope, ChangeId(id)).await?;
    let items = state.store().change_checklist(&change).await?;
    Ok(Json(items.into_iter().map(ChecklistOut::from).collect()))
}

/// Ticks or unticks a checklist item (until the change is carried out).
#[utoipa::path(put, path = "/changes/{id}/checklist/{item_id}", tag = "changes",
    params(("id" = i64, Path), ("item_id" = i64, Path)), request_body = ChecklistTickIn,
    responses((status = 200, body = ChecklistOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn tick_checklist(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, item)): ApiPath<(i64, i64)>,
    ApiJson(body): ApiJson<ChecklistTickIn>,
) -> Result<Json<ChecklistOut>, ApiError> {
    let scope = scope_for(&actor, Permission::WorkChanges)?;
    let change = state.store().get_change(&scope, ChangeId(id)).await?;
    if !lifecycle::checklist_open(change.status) {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            format!(
                "the checklist of a change that is {} is closed",
                change.status
            ),
        ));
    }
    let item = state
        .store()
        .tick_checklist(&actor, &change, state.clock().now(), item, body.done)
        .await?;
    Ok(Json(item.into()))
}

/// The votes of the current round.
#[utoipa::path(get, path = "/changes/{id}/votes", tag = "changes", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<VoteOut>), (status = 404, body = Problem)))]
async fn get_votes(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<VoteOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewChanges)?;
    let change = state.store().get_change(&scope, ChangeId(id)).await?;
    let votes = state.store().change_votes(&change).await?;
    Ok(Json(votes.into_iter().map(VoteOut::from).collect()))
}

/// The field history of a change, oldest first.
#[utoipa::path(get, path = "/changes/{id}/history", tag = "changes", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AuditOut>), (status = 404, body = Problem)))]
async fn change_history(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AuditOut>>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewChanges)?;
    let change = state.store().get_change(&scope, ChangeId(id)).await?;
    let lines = state.store().change_history(&change).await?;
    Ok(Json(lines.into_iter().map(AuditOut::from).collect()))
}

/// Puts a change in a release (or takes it out): the releases group the
/// changes of a cycle. A change that is finished stays where it was.
#[utoipa::path(put, path = "/changes/{id}/release", tag = "changes", params(("id" = i64, Path)), request_body = ChangeReleaseIn,
    responses((status = 200, body = ChangeOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn set_release(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ChangeReleaseIn>,
) -> Result<Json<ChangeOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ManageChanges)?;
    let before = state.store().get_change(&scope, ChangeId(id)).await?;
    if before.status.is_final() {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            format!("a change that is {} stays in its release", before.status),
        ));
    }
    let after = state
        .store()
        .set_change_release(&actor, &before, state.clock().now(), body.release_id)
        .await
        .map_err(invalid_links)?;
    Ok(Json(after.into()))
}

/// The period asked for: `from` (default a week ago) to `to` (default 60
/// days later), at most 400 days.
fn period(
    now: jiff::Timestamp,
    q: &CalendarQuery,
) -> Result<(jiff::Timestamp, jiff::Timestamp), ApiError> {
    let from = match &q.from {
        Some(v) => instant("from", v)?,
        None => now - SignedDuration::from_hours(24 * 7),
    };
    let to = match &q.to {
        Some(v) => instant("to", v)?,
        None => from + SignedDuration::from_hours(24 * 60),
    };
    if to <= from {
        return Err(ApiError::invalid("to", "`to` must come after `from`"));
    }
    if to.duration_since(from) > SignedDuration::from_hours(24 * 400) {
        return Err(ApiError::invalid(
            "to",
            "a calendar covers at most 400 days",
        ));
    }
    Ok((from, to))
}

async fn calendar_of(
    state: &AppState,
    scope: &Scope,
    tenant: vigie_core::ids::TenantId,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> Result<CalendarOut, ApiError> {
    let changes = state
        .store()
        .planned_changes(tenant, from, to, Some(scope))
        .await?;
    let freezes = state
        .store()
        .list_freezes(tenant, from)
        .await?
        .into_iter()
        .filter(|f| f.starts_at < to)
        .map(settings::FreezeOut::from)
        .collect();
    Ok(CalendarOut {
        from: from.to_string(),
        to: to.to_string(),
        changes: changes.into_iter().map(CalendarEntryOut::from).collect(),
        freezes,
    })
}

/// The change calendar of a period: the changes with a planned window the
/// caller may read, and the freezes.
#[utoipa::path(get, path = "/changes/calendar", tag = "changes", params(CalendarQuery),
    responses((status = 200, body = CalendarOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn change_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> Result<Json<CalendarOut>, ApiError> {
    let scope = scope_for(&actor, Permission::ViewChanges)?;
    let (from, to) = period(state.clock().now(), &q)?;
    Ok(Json(
        calendar_of(&state, &scope, actor.tenant, from, to).await?,
    ))
}

/// The change calendar as iCalendar (`text/calendar`), for calendar clients.
#[utoipa::path(get, path = "/changes/calendar.ics", tag = "changes", params(CalendarQuery),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 403, body = Problem)))]
async fn change_calendar_ics(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> Result<Response, ApiError> {
    let scope = scope_for(&actor, Permission::ViewChanges)?;
    let now = state.clock().now();
    let (from, to) = period(now, &q)?;
    let changes = state
        .store()
        .planned_changes(actor.tenant, from, to, Some(&scope))
        .await?;
    let tenant = state
        .store()
        .get_tenant(&Scope::Platform, actor.tenant)
        .await?;
    let body = changes::ics::calendar(&tenant.name, &tenant.slug, now, &changes);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"changes.ics\"",
            ),
        ],
        body,
    )
        .into_response())
}
