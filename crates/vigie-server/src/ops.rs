//! Operations endpoints: liveness, readiness, Prometheus metrics, and the
//! middleware that counts requests.

use crate::AppState;
use crate::error::{ApiError, ProblemKind};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/problems/{code}", get(problem_doc))
}

/// Explains a problem `type`, so that the relative URIs in problem
/// documents resolve to something a person can read.
async fn problem_doc(axum::extract::Path(code): axum::extract::Path<String>) -> Response {
    match ProblemKind::ALL.into_iter().find(|k| k.code() == code) {
        Some(kind) => (
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "{}\n\nHTTP status {}. The `detail` member of the problem document says what went wrong \
                 this time and, for validation errors, `field` names the field at fault.\n",
                kind.title(),
                kind.status().as_u16()
            ),
        )
            .into_response(),
        None => ApiError::not_found().into_response(),
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store().ping().await.map(|()| "ready\n").map_err(|e| {
        ApiError::new(
            ProblemKind::Unavailable,
            format!("the database does not answer: {e}"),
        )
    })
}

/// The process-wide Prometheus recorder, installed on first use.
fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (several apps in one
        // test process): then this one only renders what it has.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

async fn metrics() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus().render(),
    )
}

/// Counts requests and their durations by route template and status.
pub(crate) async fn track_metrics(req: Request, next: Next) -> Response {
    prometheus();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("vigie_http_requests_total", &labels).increment(1);
    metrics::histogram!("vigie_http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    res
}
