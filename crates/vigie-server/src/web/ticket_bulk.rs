//! Bulk actions from the queues: the agent ticks rows and takes them,
//! assigns them to a group, sets their priority or resolves them, through
//! the same path as one ticket's action (`desk::bulk_act`). Each ticket is
//! decided on its own; the answer says how many changed and why the others
//! did not.

use super::common::{FormError, PageResult, explain, frame, parse_id, with_status};
use super::ticket_page::{Refusal, lifecycle_refusal};
use super::tickets::HERE;
use super::{Layout, MessagePage, render};
use crate::AppState;
use crate::auth::WebSession;
use crate::desk::{self, ActError, AssignTo, BulkAction, MAX_BULK};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use vigie_core::ids::GroupId;
use vigie_core::ticket::TicketAccess;
use vigie_core::ticket::priority::Priority;
use vigie_core::validate;
use vigie_store::{Assignment, StoreError};

/// One ticket the action did not change.
struct RefusedRow {
    id: i64,
    label: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "tickets_bulk.html")]
struct BulkPage {
    l: Layout,
    summary: String,
    refused: Vec<RefusedRow>,
    back: String,
}

/// The form's fields; `id` comes once per ticked row.
#[derive(Default)]
struct BulkForm {
    csrf: String,
    action: String,
    group: String,
    priority: String,
    solution: String,
    code: String,
    back: String,
    ids: Vec<i64>,
}

impl BulkForm {
    fn read(pairs: Vec<(String, String)>) -> BulkForm {
        let mut f = BulkForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "action" => f.action = v,
                "group" => f.group = v,
                "priority" => f.priority = v,
                "solution" => f.solution = v,
                "code" => f.code = v,
                "back" => f.back = v,
                "id" => f.ids.extend(parse_id(&v)),
                _ => {}
            }
        }
        f
    }

    /// The action asked for, or why it cannot be done at all.
    fn action(&self) -> Result<BulkAction, FormError> {
        match self.action.as_str() {
            "take" => Ok(BulkAction::Assign(AssignTo::Myself)),
            "assign" => {
                let group =
                    parse_id(&self.group).ok_or(FormError::Refused("bulk-group-missing"))?;
                Ok(BulkAction::Assign(AssignTo::Explicit(Assignment {
                    group_id: Some(GroupId(group)),
                    assignee_id: None,
                })))
            }
            "priority" => self
                .priority
                .parse::<Priority>()
                .map(BulkAction::Priority)
                .map_err(|_| FormError::Refused("bulk-priority-missing")),
            "resolve" => {
                let solution = super::tickets::long_text("solution", &self.solution)?;
                if solution.trim().is_empty() {
                    return Err(FormError::Refused("bulk-solution-missing"));
                }
                let code = validate::name("code", &self.code, 50)?;
                Ok(BulkAction::Resolve { solution, code })
            }
            _ => Err(FormError::Refused("bulk-action-missing")),
        }
    }

    /// Where to go back: a queue address, never elsewhere.
    fn back(&self) -> String {
        let b = self.back.trim();
        if b.starts_with(HERE) && !b.contains("//") {
            b.to_owned()
        } else {
            HERE.to_owned()
        }
    }
}

#[allow(
    clippy::result_large_err,
    reason = "the error is the page to answer with, returned once per request"
)]
fn refusal_words(
    l: &Layout,
    e: ActError,
) -> Result<(StatusCode, String), axum::response::Response> {
    match e {
        // A ticket out of reach is one refusal among others, not the page.
        ActError::Store(StoreError::NotFound) => Ok((StatusCode::NOT_FOUND, l.t("not-found"))),
        ActError::Store(e) => explain(l, FormError::Store(e)),
        ActError::Lifecycle(e) => match lifecycle_refusal(l, &e) {
            Refusal::Worded(status, words) => Ok((status, words)),
            Refusal::Form(f) => explain(l, f),
        },
    }
}

/// Applies the ticked rows' action and reports.
pub(super) async fn apply(
    State(state): State<AppState>,
    session: WebSession,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let l = frame(&state, &session, &headers, "tickets-queue-title", HERE).await?;
    let form = BulkForm::read(pairs);
    super::check_csrf(&session, &l, &form.csrf)?;
    let ids = desk::distinct_ids(form.ids.iter().copied());
    let action = if ids.is_empty() {
        Err(FormError::Refused("bulk-none-ticked"))
    } else if ids.len() > MAX_BULK {
        Err(FormError::Refused("bulk-too-many"))
    } else {
        form.action()
    };
    let action = match action {
        Ok(a) => a,
        Err(e) => {
            let (status, message) = explain(&l, e)?;
            return Ok(with_status(render(&MessagePage { l, message }), status));
        }
    };
    let results = desk::bulk_act(&state, &session.actor, &ids, &action).await;
    let access = TicketAccess::of(&session.actor);
    let mut changed = 0;
    let mut refused = Vec::new();
    let mut first_status = None;
    for (id, result) in results {
        match result {
            Ok(_) => changed += 1,
            Err(e) => {
                let (status, reason) = refusal_words(&l, e)?;
                first_status.get_or_insert(status);
                let label = match state.store().get_ticket(&access, id).await {
                    Ok(t) => format!("#{} {}", t.number, t.title),
                    Err(_) => format!("{} {id}", l.t("bulk-ticket")),
                };
                refused.push(RefusedRow {
                    id: id.0,
                    label,
                    reason,
                });
            }
        }
    }
    let summary = l.lang.t2(
        "bulk-summary",
        ("changed", changed.to_string()),
        ("refused", refused.len().to_string()),
    );
    let status = match first_status {
        Some(s) if changed == 0 => s,
        _ => StatusCode::OK,
    };
    let page = BulkPage {
        summary,
        refused,
        back: form.back(),
        l,
    };
    Ok(with_status(render(&page), status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BulkForm {
        BulkForm::read(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn ticked_rows_and_the_action_are_read() {
        let f = form(&[
            ("id", "3"),
            ("id", "x"),
            ("id", "5"),
            ("action", "priority"),
            ("priority", "haut"),
        ]);
        assert_eq!(f.ids, vec![3, 5]);
        assert!(matches!(
            f.action(),
            Ok(BulkAction::Priority(Priority::Haut))
        ));
        assert!(matches!(
            form(&[("action", "take")]).action(),
            Ok(BulkAction::Assign(AssignTo::Myself))
        ));
        assert!(form(&[("action", "assign")]).action().is_err());
        assert!(
            form(&[("action", "resolve"), ("code", "fixed")])
                .action()
                .is_err()
        );
        assert!(form(&[("action", "delete")]).action().is_err());
    }

    #[test]
    fn going_back_stays_on_the_queues() {
        assert_eq!(
            form(&[("back", "/tickets?queue=open")]).back(),
            "/tickets?queue=open"
        );
        assert_eq!(
            form(&[("back", "https://evil.example/")]).back(),
            "/tickets"
        );
        assert_eq!(
            form(&[("back", "/tickets//evil.example")]).back(),
            "/tickets"
        );
    }
}
