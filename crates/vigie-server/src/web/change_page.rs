//! `/changes/{id}`: a change with its seven Rs, plans, risk, planned window
//! and its flags, items, checklist, the votes of the current round and its
//! history; and the forms of the actions the reader may take now (the same
//! use case as the API, [`crate::changes::act`]). Times are shown and typed
//! in the change windows' time zone.

use super::changes::{HERE, kind_label, local, status_label, zone_of};
use super::common::{PageResult, frame, not_found, see_other, store_page, with_status};
use super::{Layout, check_csrf, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::changes::{self as uc, ActionIn, ChangeError};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::Deserialize;
use vigie_core::change::Likelihood;
use vigie_core::change::approval::{BoardKind, Decision};
use vigie_core::change::lifecycle::{ActionKind, LifecycleError, Review, allowed_actions};
use vigie_core::ids::{ChangeId, TicketId};
use vigie_core::role::Permission;
use vigie_store::{ChangeRecord, StoreError};

/// The routes of the page.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/changes/{id}", get(view))
        .route("/changes/{id}/act", post(act))
        .route("/changes/{id}/checklist/{item}", post(tick))
}

/// A labelled field of the change.
struct Field {
    label: String,
    value: String,
}

/// A checklist line.
struct Check {
    id: i64,
    label: String,
    done: bool,
}

/// A vote of the round.
struct VoteRow {
    voter: String,
    decision: String,
    comment: String,
}

/// A line of history.
struct HistoryRow {
    at: String,
    who: String,
    what: String,
}

#[derive(Template)]
#[template(path = "change.html")]
struct ChangePage {
    l: Layout,
    error: Option<String>,
    id: i64,
    number: i64,
    title: String,
    kind: String,
    status: String,
    fields: Vec<Field>,
    flags: Vec<String>,
    items: Vec<(i64, String)>,
    checklist: Vec<Check>,
    votes: Vec<VoteRow>,
    tally: String,
    history: Vec<HistoryRow>,
    actions: Vec<(String, String)>,
    can_vote: bool,
    zone: String,
}

fn text_or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".to_owned()
    } else {
        s.to_owned()
    }
}

async fn show(
    state: &AppState,
    session: &WebSession,
    l: Layout,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let actor = &session.actor;
    let store = state.store();
    let change = store
        .get_change(&actor.scope(Permission::ViewChanges), ChangeId(id))
        .await
        .map_err(|e| store_page(&l, e))?;
    let zone = zone_of(state, session)
        .await
        .map_err(|e| store_page(&l, e))?;
    let reach = actor.reach();
    let mut items = Vec::new();
    for ci in &change.items {
        let name = match store.get_ci(&reach, *ci).await {
            Ok(c) => c.name,
            Err(_) => format!("#{ci}"),
        };
        items.push((ci.0, name));
    }
    let checklist: Vec<Check> = store
        .change_checklist(&change)
        .await
        .map_err(|e| store_page(&l, e))?
        .into_iter()
        .map(|i| Check {
            id: i.id,
            label: i.label,
            done: i.done_at.is_some(),
        })
        .collect();
    let votes = store
        .change_votes(&change)
        .await
        .map_err(|e| store_page(&l, e))?;
    let board = match BoardKind::for_change(change.kind) {
        Some(kind) => store
            .change_board(change.tenant_id, kind)
            .await
            .map_err(|e| store_page(&l, e))?,
        None => None,
    };
    let tally = board
        .as_ref()
        .map(|b| {
            let t = b
                .board()
                .tally(&votes.iter().map(|v| v.vote.clone()).collect::<Vec<_>>());
            l.lang.t2(
                "change-tally",
                ("approvals", t.approvals.to_string()),
                ("quorum", t.quorum.to_string()),
            )
        })
        .unwrap_or_default();
    let mut vote_rows = Vec::new();
    for v in &votes {
        let voter = match store.get_user(&reach, v.vote.voter).await {
            Ok(u) => u.display_name,
            Err(_) => format!("#{}", v.vote.voter),
        };
        vote_rows.push(VoteRow {
            voter,
            decision: l.t(&format!("change-decision-{}", v.vote.decision.as_str())),
            comment: v.vote.comment.clone(),
        });
    }
    let history = store
        .change_history(&change)
        .await
        .map_err(|e| store_page(&l, e))?
        .into_iter()
        .map(|h| HistoryRow {
            at: local(h.at, &zone),
            who: h.actor_label.clone(),
            what: h
                .changes
                .iter()
                .map(|c| format!("{}: {}", c.field, c.after.clone().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect();
    let allowed = allowed_actions(change.kind, change.status);
    let can_vote = allowed.contains(&ActionKind::Vote)
        && board
            .as_ref()
            .is_some_and(|b| b.members.contains(&actor.user))
        && !votes.iter().any(|v| v.vote.voter == actor.user);
    let actions = allowed
        .into_iter()
        .filter(|a| *a != ActionKind::Vote)
        .filter(|a| {
            actor.can(
                uc::permission_for(*a),
                change.tenant_id,
                &change.entity_path,
            )
        })
        .map(|a| {
            (
                a.as_str().to_owned(),
                l.t(&format!("change-action-{}", a.as_str().replace('_', "-"))),
            )
        })
        .collect();
    let mut fields = vec![
        Field {
            label: l.t("change-field-description"),
            value: text_or_dash(&change.description),
        },
        Field {
            label: l.t("change-field-reason"),
            value: text_or_dash(&change.reason),
        },
        Field {
            label: l.t("change-field-expected-return"),
            value: text_or_dash(&change.expected_return),
        },
        Field {
            label: l.t("change-field-risks"),
            value: text_or_dash(&change.risks),
        },
        Field {
            label: l.t("change-field-resources"),
            value: text_or_dash(&change.resources),
        },
        Field {
            label: l.t("change-field-relationship"),
            value: text_or_dash(&change.relationship),
        },
        Field {
            label: l.t("change-field-implementation-plan"),
            value: text_or_dash(&change.implementation_plan),
        },
        Field {
            label: l.t("change-field-backout-plan"),
            value: text_or_dash(&change.backout_plan),
        },
        Field {
            label: l.t("change-field-backout-tested"),
            value: l.t(if change.backout_tested { "yes" } else { "no" }),
        },
    ];
    if let Some(r) = change.risk {
        fields.push(Field {
            label: l.t("change-field-risk"),
            value: l.t(&format!("change-risk-{}", r.as_str().replace('_', "-"))),
        });
    }
    if let (Some(a), Some(b)) = (change.planned_start, change.planned_end) {
        fields.push(Field {
            label: l.t("change-field-window"),
            value: format!("{} → {}", local(a, &zone), local(b, &zone)),
        });
    }
    if let Some(success) = change.review_success {
        fields.push(Field {
            label: l.t("change-field-review"),
            value: format!(
                "{} — {} {}",
                l.t(if success {
                    "change-review-success"
                } else {
                    "change-review-failure"
                }),
                change.review_problems,
                change.review_lessons
            ),
        });
    }
    let flags = change.flags.iter().map(|f| flag_text(&l, f)).collect();
    Ok(render(&ChangePage {
        error,
        id: change.id.0,
        number: change.number,
        title: change.title.clone(),
        kind: kind_label(&l, change.kind),
        status: status_label(&l, change.status),
        fields,
        flags,
        items,
        checklist,
        votes: vote_rows,
        tally,
        history,
        actions,
        can_vote,
        zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        l,
    }))
}

/// A stored flag in the page's language.
fn flag_text(l: &Layout, f: &serde_json::Value) -> String {
    match f["flag"].as_str() {
        Some("outside_window") => l.lang.t1(
            "change-flag-outside-window",
            "minutes",
            f["outside_minutes"].to_string(),
        ),
        Some("in_freeze") => l.lang.t1(
            "change-flag-in-freeze",
            "name",
            f["name"].as_str().unwrap_or("").to_owned(),
        ),
        Some("conflict") => l
            .lang
            .t1("change-flag-conflict", "number", f["number"].to_string()),
        _ => f["message"].as_str().unwrap_or("").to_owned(),
    }
}

async fn view(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "change-title", HERE).await?;
    let Some(id) = super::common::parse_id(&id) else {
        return Err(not_found(&l));
    };
    show(&state, &session, l, id, None).await
}

/// An action form.
#[derive(Debug, Deserialize)]
struct ActForm {
    #[serde(default)]
    csrf: String,
    action: String,
    #[serde(default)]
    likelihood: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    planned_start: String,
    #[serde(default)]
    planned_end: String,
    #[serde(default)]
    success: Option<String>,
    #[serde(default)]
    problems: String,
    #[serde(default)]
    lessons: String,
    #[serde(default)]
    caused_incidents: String,
}

/// A `datetime-local` value read in `zone`.
fn local_instant(text: &str, zone: &TimeZone) -> Option<jiff::Timestamp> {
    let dt: DateTime = text.trim().parse().ok()?;
    dt.to_zoned(zone.clone()).ok().map(|z| z.timestamp())
}

/// The refusal of an action in the page's language where it has words of
/// its own, else the rule's own sentence.
#[allow(
    clippy::result_large_err,
    reason = "the error is the page to answer with, returned once per request"
)]
fn refusal(l: &Layout, e: ChangeError) -> Result<(StatusCode, String), axum::response::Response> {
    Ok(match e {
        ChangeError::Store(StoreError::Conflict { what }) => (
            StatusCode::CONFLICT,
            l.lang.t1("error-conflict", "detail", what),
        ),
        ChangeError::Store(StoreError::Invalid(why)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            l.lang.t1("error-invalid", "detail", why),
        ),
        ChangeError::Store(e) => return Err(store_page(l, e)),
        ChangeError::Forbidden(_) => (StatusCode::FORBIDDEN, l.t("change-not-yours")),
        ChangeError::Window(_) => (StatusCode::UNPROCESSABLE_ENTITY, l.t("change-bad-window")),
        ChangeError::Lifecycle(LifecycleError::NotReady { missing }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            l.lang.t1(
                "change-not-ready",
                "fields",
                missing
                    .iter()
                    .map(|f| l.t(&format!("change-field-{}", f.replace('_', "-"))))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ),
        ChangeError::Lifecycle(LifecycleError::ScheduleBlocked { flags }) => (
            StatusCode::CONFLICT,
            l.lang.t1(
                "change-schedule-blocked",
                "flags",
                flags
                    .iter()
                    .map(|f| flag_text(l, &serde_json::to_value(f).unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(" ; "),
            ),
        ),
        ChangeError::Lifecycle(e) => (
            StatusCode::CONFLICT,
            l.lang.t1("error-refused", "detail", e.to_string()),
        ),
    })
}

async fn act(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<ActForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "change-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let zone = zone_of(&state, &session)
        .await
        .map_err(|e| store_page(&l, e))?;
    let parsed = parse_action(&form, &zone);
    let result = match parsed {
        Err(key) => Err((StatusCode::UNPROCESSABLE_ENTITY, l.t(key))),
        Ok(action) => match uc::act(&state, &session.actor, ChangeId(id), action).await {
            Ok(_) => Ok(()),
            Err(ChangeError::Store(StoreError::NotFound)) => return Err(not_found(&l)),
            Err(e) => Err(refusal(&l, e)?),
        },
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/changes/{id}"))),
        Err((status, message)) => {
            let page = show(&state, &session, l, id, Some(message)).await?;
            Ok(with_status(page, status))
        }
    }
}

fn parse_action(form: &ActForm, zone: &TimeZone) -> Result<ActionIn, &'static str> {
    let kind: ActionKind = form.action.parse().map_err(|_| "change-bad-action")?;
    Ok(match kind {
        ActionKind::Submit => ActionIn::Submit,
        ActionKind::Assess => ActionIn::Assess(
            form.likelihood
                .parse::<Likelihood>()
                .map_err(|_| "change-bad-likelihood")?,
        ),
        ActionKind::SendBack => ActionIn::SendBack(form.reason.clone()),
        ActionKind::Vote => ActionIn::Vote(
            form.decision
                .parse::<Decision>()
                .map_err(|_| "change-bad-action")?,
            form.comment.clone(),
        ),
        ActionKind::Schedule => ActionIn::Schedule(
            local_instant(&form.planned_start, zone).ok_or("change-bad-window")?,
            local_instant(&form.planned_end, zone).ok_or("change-bad-window")?,
        ),
        ActionKind::Start => ActionIn::Start,
        ActionKind::Complete => ActionIn::Complete,
        ActionKind::BackOut => ActionIn::BackOut(form.reason.clone()),
        ActionKind::Review => ActionIn::Review(
            Review {
                success: form.success.is_some(),
                problems: form.problems.clone(),
                lessons: form.lessons.clone(),
            },
            form.caused_incidents
                .split([',', ' '])
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    s.trim()
                        .parse::<i64>()
                        .map(TicketId)
                        .map_err(|_| "change-bad-tickets")
                })
                .collect::<Result<_, _>>()?,
        ),
        ActionKind::Close => ActionIn::Close,
        ActionKind::Cancel => ActionIn::Cancel(form.reason.clone()),
    })
}

/// A checklist tick form.
#[derive(Debug, Deserialize)]
struct TickForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    done: Option<String>,
}

async fn tick(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Path((id, item)): Path<(i64, i64)>,
    Form(form): Form<TickForm>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "change-title", HERE).await?;
    check_csrf(&session, &l, &form.csrf)?;
    let store = state.store();
    let change: ChangeRecord = store
        .get_change(&session.actor.scope(Permission::WorkChanges), ChangeId(id))
        .await
        .map_err(|e| store_page(&l, e))?;
    if !vigie_core::change::lifecycle::checklist_open(change.status) {
        let page = show(
            &state,
            &session,
            l.clone(),
            id,
            Some(l.t("change-checklist-closed")),
        )
        .await?;
        return Ok(with_status(page, StatusCode::CONFLICT));
    }
    store
        .tick_checklist(
            &session.actor,
            &change,
            state.clock().now(),
            item,
            form.done.is_some(),
        )
        .await
        .map_err(|e| store_page(&l, e))?;
    Ok(see_other(&format!("/changes/{id}")))
}
