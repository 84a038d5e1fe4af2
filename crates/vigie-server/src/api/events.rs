//! Event ingestion: the generic JSON endpoint, the Alertmanager webhook,
//! the PagerDuty Events API v2 and the Zabbix media type. Each request is
//! authenticated by an integration key (`Authorization: Bearer KEY`, or
//! PagerDuty's `routing_key`), decoded by the core, and answered only once
//! its events are committed (202). A retried delivery is stored once; a
//! refused request stores nothing; when too many writes wait, the answer is
//! 503 with `Retry-After`.

use crate::AppState;
use crate::auth::{INTEGRATION_KEY_PREFIX, sha256_hex};
use crate::error::{ApiError, Problem, ProblemKind};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigie_core::event::Event;
use vigie_core::event::decode::{self, DecodeError};
use vigie_store::{IncomingEvent, Ingested, IntegrationKeyRecord};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(generic))
        .routes(routes!(alertmanager))
        .routes(routes!(pagerduty))
        .routes(routes!(zabbix))
}

/// What became of the events of a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Events stored by this request.
    accepted: usize,
    /// Events already stored by an earlier delivery.
    duplicates: usize,
}

impl From<Ingested> for Accepted {
    fn from(i: Ingested) -> Self {
        Accepted {
            accepted: i.accepted,
            duplicates: i.duplicates,
        }
    }
}

/// PagerDuty's answer to an accepted event.
#[derive(Debug, Serialize, ToSchema)]
pub struct PagerDutyAccepted {
    /// Always `success`.
    status: &'static str,
    /// Always `Event processed`.
    message: &'static str,
    /// The key of the alert, given or derived: send it again to acknowledge
    /// or resolve.
    dedup_key: String,
}

fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ProblemKind::PayloadTooLarge,
                "the body is over the size limit",
            )
        } else {
            ApiError::new(
                ProblemKind::BadRequest,
                format!("the body could not be read: {r}"),
            )
        }
    })
}

fn refused(e: DecodeError) -> ApiError {
    let field = if e.path.is_empty() || e.path == "$" {
        "$".to_owned()
    } else {
        e.path.clone()
    };
    ApiError {
        field: Some(field),
        ..ApiError::new(ProblemKind::BadRequest, e.to_string())
    }
}

/// The live key a secret names, or 401.
async fn key_of(state: &AppState, secret: &str) -> Result<IntegrationKeyRecord, ApiError> {
    let secret = secret.trim();
    if secret.is_empty() || secret.len() > 256 {
        return Err(ApiError::unauthorized("send an integration key"));
    }
    state
        .store()
        .authenticate_integration_key(&sha256_hex(secret), state.clock().now())
        .await?
        .ok_or_else(|| {
            let hint = if secret.starts_with(INTEGRATION_KEY_PREFIX) {
                "the integration key is unknown or revoked"
            } else {
                "this is not an integration key (they start with `vgk_`)"
            };
            ApiError::unauthorized(hint)
        })
}

/// The key sent as `Authorization: Bearer KEY`.
async fn bearer_key(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<IntegrationKeyRecord, ApiError> {
    let secret = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .ok_or_else(|| {
            ApiError::unauthorized("send the integration key as `Authorization: Bearer KEY`")
        })?;
    key_of(state, secret).await
}

/// Stores the events and wakes the processor.
async fn store(
    state: &AppState,
    key: &IntegrationKeyRecord,
    events: Vec<Event>,
) -> Result<Ingested, ApiError> {
    let n = events.len();
    let incoming = events.into_iter().map(IncomingEvent::of).collect();
    let ingested = state
        .store()
        .ingest_events(key, state.clock().now(), incoming)
        .await?;
    metrics::counter!("vigie_events_received_total").increment(n as u64);
    metrics::counter!("vigie_events_duplicate_total").increment(ingested.duplicates as u64);
    state.events_waiting().notify_one();
    Ok(ingested)
}

/// The formats sent with `Authorization: Bearer KEY`: read the body,
/// authenticate, decode with `decode`, store, answer 202.
async fn with_bearer(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    decode: impl FnOnce(
        &[u8],
        &IntegrationKeyRecord,
        jiff::Timestamp,
    ) -> Result<Vec<Event>, DecodeError>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let body = body_of(body)?;
    let key = bearer_key(state, headers).await?;
    let events = decode(&body, &key, state.clock().now()).map_err(refused)?;
    let ingested = store(state, &key, events).await?;
    Ok((StatusCode::ACCEPTED, Json(ingested.into())))
}

/// Stores events in Vigie's own JSON format: one object or an array.
#[utoipa::path(
    post, path = "/events", tag = "events",
    request_body(content = String, description = "An event object or an array of them \
        (source, resource, check, severity, summary, details, labels, time, dedup_key, action)",
        content_type = "application/json"),
    responses(
        (status = 202, description = "Stored (or already stored)", body = Accepted),
        (status = 400, description = "Malformed body; `field` names the offending one", body = Problem),
        (status = 401, description = "Unknown or revoked integration key", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 503, description = "Busy: retry after `Retry-After` seconds", body = Problem)
    )
)]
async fn generic(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    with_bearer(&state, &headers, body, |body, _, now| {
        decode::generic(body, now)
    })
    .await
}

/// Stores the alerts of an Alertmanager webhook notification (version 4).
#[utoipa::path(
    post, path = "/integrations/alertmanager", tag = "events",
    request_body(content = String, description = "Alertmanager's webhook payload, version 4",
        content_type = "application/json"),
    responses(
        (status = 202, description = "Stored (or already stored)", body = Accepted),
        (status = 400, description = "Malformed payload or wrong version", body = Problem),
        (status = 401, description = "Unknown or revoked integration key", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 503, description = "Busy: retry after `Retry-After` seconds", body = Problem)
    )
)]
async fn alertmanager(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    with_bearer(&state, &headers, body, |body, key, now| {
        decode::alertmanager(body, &key.source, now)
    })
    .await
}

/// Takes an event of the PagerDuty Events API v2 (`enqueue`), the key as
/// `routing_key`: any tool that notifies PagerDuty notifies Vigie by
/// changing one URL.
#[utoipa::path(
    post, path = "/integrations/pagerduty/v2/enqueue", tag = "events",
    security(()),
    request_body(content = String, description = "A PagerDuty Events API v2 event \
        (routing_key, event_action, dedup_key, payload)", content_type = "application/json"),
    responses(
        (status = 202, description = "Stored (or already stored)", body = PagerDutyAccepted),
        (status = 400, description = "Invalid event; `field` names the offending one", body = Problem),
        (status = 401, description = "Unknown or revoked routing key", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 503, description = "Busy: retry after `Retry-After` seconds", body = Problem)
    )
)]
async fn pagerduty(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<PagerDutyAccepted>), ApiError> {
    let body = body_of(body)?;
    let enqueue = decode::pagerduty(&body, state.clock().now()).map_err(refused)?;
    let key = key_of(&state, &enqueue.routing_key).await?;
    let mut event = enqueue.event;
    // The decoder names the source `pagerduty`; the key names the tool.
    event.source = key.source.clone();
    store(&state, &key, vec![event]).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(PagerDutyAccepted {
            status: "success",
            message: "Event processed",
            dedup_key: enqueue.dedup_key,
        }),
    ))
}

/// Stores a problem or recovery sent by Vigie's Zabbix media type
/// (`docs/integrations/zabbix-media-type.json`).
#[utoipa::path(
    post, path = "/integrations/zabbix", tag = "events",
    request_body(content = String, description = "The body of Vigie's Zabbix media type",
        content_type = "application/json"),
    responses(
        (status = 202, description = "Stored (or already stored)", body = Accepted),
        (status = 400, description = "Malformed body; `field` names the offending one", body = Problem),
        (status = 401, description = "Unknown or revoked integration key", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 503, description = "Busy: retry after `Retry-After` seconds", body = Problem)
    )
)]
async fn zabbix(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    with_bearer(&state, &headers, body, |body, key, now| {
        decode::zabbix(body, &key.source, now)
    })
    .await
}
