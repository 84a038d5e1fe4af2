//! The satisfaction survey page: reached by the link sent to the requester,
//! without logging in; the unguessable token in the address is the key
//! (and stands in for a CSRF token: a forged form cannot know it).

use super::{Layout, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use vigie_core::ticket::survey::{SurveyError, check_answer};
use vigie_store::StoreError;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/survey/{token}", get(show).post(answer))
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    l: Layout,
    token: String,
    /// Whether the form is shown (false: already answered or thanked).
    open: bool,
    message: Option<String>,
    error: Option<String>,
}

fn page(
    headers: &HeaderMap,
    token: &str,
    open: bool,
    message: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let l = Layout::anonymous(headers, "survey-title", String::new());
    let message = message.map(|k| l.t(k));
    let mut res = render(&SurveyPage {
        l,
        token: token.to_owned(),
        open,
        message,
        error,
    });
    *res.status_mut() = status;
    res
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    match state.store().survey_by_token(&token).await {
        Ok(s) if s.answered_at.is_some() => page(
            &headers,
            &token,
            false,
            Some("survey-already"),
            None,
            StatusCode::OK,
        ),
        Ok(_) => page(&headers, &token, true, None, None, StatusCode::OK),
        Err(StoreError::NotFound) => page(
            &headers,
            &token,
            false,
            Some("survey-unknown"),
            None,
            StatusCode::NOT_FOUND,
        ),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// The answer form.
#[derive(Deserialize)]
pub(super) struct AnswerForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

async fn answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    let lang = super::anonymous_lang(&headers);
    let rating = form.rating.trim().parse::<i64>().unwrap_or(0);
    let comment = match check_answer(rating, &form.comment) {
        Ok(c) => c,
        Err(e) => {
            let key = match e {
                SurveyError::Rating => "survey-error-rating",
                SurveyError::Comment => "survey-error-comment",
            };
            return page(
                &headers,
                &token,
                true,
                None,
                Some(lang.t(key)),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    match state
        .store()
        .answer_survey(&token, state.clock().now(), rating, comment.as_deref())
        .await
    {
        Ok(()) => page(
            &headers,
            &token,
            false,
            Some("survey-thanks"),
            None,
            StatusCode::OK,
        ),
        Err(StoreError::Conflict { .. }) => page(
            &headers,
            &token,
            false,
            Some("survey-already"),
            None,
            StatusCode::CONFLICT,
        ),
        Err(StoreError::NotFound) => page(
            &headers,
            &token,
            false,
            Some("survey-unknown"),
            None,
            StatusCode::NOT_FOUND,
        ),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}
