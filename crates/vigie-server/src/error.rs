//! One error type for the HTTP layer, sent as RFC 9457 `application/problem+json`.
//!
//! Each kind has a stable `type` (`/problems/<code>`), a status and a title;
//! `detail` says what to fix. Server-side failures are logged with their
//! cause and answered with a generic message, never a stack trace.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use vigie_core::validate::InvalidValue;
use vigie_store::StoreError;

/// The error kinds Vigie answers with. Their codes are a stable contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Malformed request: syntax, bad cursor, bad parameter.
    BadRequest,
    /// No or invalid credentials.
    Unauthorized,
    /// Authenticated but not allowed.
    Forbidden,
    /// No such record in the caller's scope.
    NotFound,
    /// Method not allowed on this route.
    MethodNotAllowed,
    /// Uniqueness or reference conflict.
    Conflict,
    /// Body too large.
    PayloadTooLarge,
    /// Body not JSON.
    UnsupportedMediaType,
    /// Well-formed but invalid values.
    Validation,
    /// Too many attempts.
    RateLimited,
    /// Unexpected server failure.
    Internal,
    /// Dependency (database) unavailable.
    Unavailable,
}

impl ProblemKind {
    /// Every kind, for documentation and tests.
    pub const ALL: [ProblemKind; 12] = [
        ProblemKind::BadRequest,
        ProblemKind::Unauthorized,
        ProblemKind::Forbidden,
        ProblemKind::NotFound,
        ProblemKind::MethodNotAllowed,
        ProblemKind::Conflict,
        ProblemKind::PayloadTooLarge,
        ProblemKind::UnsupportedMediaType,
        ProblemKind::Validation,
        ProblemKind::RateLimited,
        ProblemKind::Internal,
        ProblemKind::Unavailable,
    ];

    /// The stable code, last part of the `type` URI.
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "bad-request",
            ProblemKind::Unauthorized => "unauthorized",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::Conflict => "conflict",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::Validation => "validation",
            ProblemKind::RateLimited => "rate-limited",
            ProblemKind::Internal => "internal",
            ProblemKind::Unavailable => "unavailable",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::BadRequest => StatusCode::BAD_REQUEST,
            ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::Conflict => StatusCode::CONFLICT,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// A short human title, the same for every occurrence.
    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "The request is malformed",
            ProblemKind::Unauthorized => "Authentication is required",
            ProblemKind::Forbidden => "You are not allowed to do this",
            ProblemKind::NotFound => "No such resource",
            ProblemKind::MethodNotAllowed => "Method not allowed",
            ProblemKind::Conflict => "The request conflicts with existing data",
            ProblemKind::PayloadTooLarge => "The request body is too large",
            ProblemKind::UnsupportedMediaType => "The request body must be JSON",
            ProblemKind::Validation => "Some values are invalid",
            ProblemKind::RateLimited => "Too many attempts",
            ProblemKind::Internal => "Internal error",
            ProblemKind::Unavailable => "Service unavailable",
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `/problems/not-found`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time and how to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error a handler returns; becomes a problem document.
#[derive(Debug)]
pub struct ApiError {
    /// The kind.
    pub kind: ProblemKind,
    /// The detail shown to the client.
    pub detail: Option<String>,
    /// The field at fault.
    pub field: Option<String>,
    /// Seconds to wait, for rate limits.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error of `kind` with a detail.
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        ApiError {
            kind,
            detail: Some(detail.into()),
            field: None,
            retry_after: None,
        }
    }

    /// 404 in words that do not reveal whether the record exists elsewhere.
    pub fn not_found() -> Self {
        ApiError::new(
            ProblemKind::NotFound,
            "no such resource, or it is outside your scope",
        )
    }

    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(ProblemKind::Forbidden, detail)
    }

    /// 400.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::new(ProblemKind::BadRequest, detail)
    }

    /// 401.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(ProblemKind::Unauthorized, detail)
    }

    /// 422 about one field.
    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        ApiError {
            field: Some(field.to_owned()),
            ..ApiError::new(ProblemKind::Validation, detail)
        }
    }

    /// 500, logging the cause.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            ProblemKind::Internal,
            "an unexpected error occurred; it has been logged",
        )
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("/problems/{}", self.kind.code()),
            title: self.kind.title().to_owned(),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
            field: self.field.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.kind.status(), Json(self.problem())).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict { what } => ApiError::new(ProblemKind::Conflict, what),
            StoreError::Forbidden(why) => ApiError::forbidden(why),
            StoreError::Invalid(why) => ApiError::new(ProblemKind::Validation, why),
            StoreError::Busy => ApiError {
                retry_after: Some(1),
                ..ApiError::new(
                    ProblemKind::Unavailable,
                    "too many writes are waiting; retry in a second",
                )
            },
            StoreError::Config(_) | StoreError::Database(_) => ApiError::internal(e),
        }
    }
}

impl From<InvalidValue> for ApiError {
    fn from(e: InvalidValue) -> Self {
        ApiError::invalid(e.field(), e.to_string())
    }
}

impl From<crate::refusal::Refusal> for ApiError {
    fn from(e: crate::refusal::Refusal) -> Self {
        ApiError::invalid(&e.field, e.message)
    }
}

impl From<crate::changes::settings::SettingsError> for ApiError {
    fn from(e: crate::changes::settings::SettingsError) -> Self {
        match e {
            crate::changes::settings::SettingsError::Refused(r) => r.into(),
            crate::changes::settings::SettingsError::Store(e) => e.into(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let kind = match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ProblemKind::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ProblemKind::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => ProblemKind::Validation,
            _ => ProblemKind::BadRequest,
        };
        ApiError::new(kind, r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request(r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        // A path that does not parse (`/users/abc`) names nothing.
        ApiError::new(ProblemKind::NotFound, r.body_text())
    }
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> Self {
        let kind = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ProblemKind::PayloadTooLarge
        } else {
            ProblemKind::BadRequest
        };
        ApiError::new(kind, r.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_store_is_a_503_with_retry_after() {
        let res = ApiError::from(StoreError::Busy).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            res.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
        assert_eq!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
    }
}
