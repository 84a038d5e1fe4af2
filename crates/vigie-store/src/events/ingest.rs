//! Accepting events: appended through the group commit, so that the events
//! of many requests share one transaction, and answered only once
//! committed. Each event carries its delivery key (`events_key`): a retried
//! delivery finds it taken and stores nothing. When too many writes wait,
//! the request is refused at once ([`StoreError::Busy`]) and nothing of it
//! is stored.

use super::keys::IntegrationKeyRecord;
use crate::sql::{Arg, Sql};
use crate::{Result, Store, StoreError, micros};
use std::sync::Arc;
use vigie_core::Timestamp;
use vigie_core::event::Event;
use vigie_core::event::fingerprint::{Fingerprint, delivery_key, fingerprint};

/// An event ready to store, with its alert identity and delivery key.
#[derive(Clone, Debug)]
pub struct IncomingEvent {
    /// The normalised event.
    pub event: Event,
    /// Its alert.
    pub fingerprint: Fingerprint,
    /// This delivery.
    pub delivery: String,
}

impl IncomingEvent {
    /// Fingerprints an event as the core does.
    pub fn of(event: Event) -> IncomingEvent {
        let fingerprint = fingerprint(&event);
        let delivery = delivery_key(&event, &fingerprint);
        IncomingEvent {
            event,
            fingerprint,
            delivery,
        }
    }
}

/// What became of a request's events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ingested {
    /// Stored now.
    pub accepted: usize,
    /// Already stored by an earlier delivery (or twice in this one).
    pub duplicates: usize,
}

/// Rows per statement (14 columns: well under the 32,766 parameters SQLite takes).
const ROWS: usize = 1000;

const COLUMNS: [&str; 14] = [
    "tenant_id",
    "key_id",
    "event_key",
    "fingerprint",
    "source",
    "resource",
    "check_name",
    "severity",
    "action",
    "summary",
    "payload",
    "occurred_at",
    "received_at",
    "clamped",
];

/// The part of an event kept as JSON, written without copying it first.
#[derive(serde::Serialize)]
struct Payload<'a> {
    labels: &'a std::collections::BTreeMap<String, String>,
    details: &'a serde_json::Value,
    dedup_key: &'a Option<String>,
}

fn payload(e: &Event) -> Result<String> {
    serde_json::to_string(&Payload {
        labels: &e.labels,
        details: &e.details,
        dedup_key: &e.dedup_key,
    })
    .map_err(|e| StoreError::Database(format!("event encoding: {e}")))
}

impl Store {
    /// Stores the events of one request for `key`, all or none; answers once
    /// they are committed.
    pub async fn ingest_events(
        &self,
        key: &IntegrationKeyRecord,
        now: Timestamp,
        events: Vec<IncomingEvent>,
    ) -> Result<Ingested> {
        if events.is_empty() {
            return Ok(Ingested::default());
        }
        let total = events.len();
        let statements = Arc::new(statements(self.backend, key, now, &events)?);
        let accepted = self
            .group_commit()
            .try_run(Box::new(move |tx| {
                let statements = statements.clone();
                Box::pin(async move {
                    let mut accepted = 0u64;
                    for sql in statements.iter() {
                        accepted += sql.query().execute(&mut **tx).await?.rows_affected();
                    }
                    Ok(accepted)
                })
            }))
            .await?;
        let accepted = usize::try_from(accepted).unwrap_or(total).min(total);
        Ok(Ingested {
            accepted,
            duplicates: total - accepted,
        })
    }
}

/// The statements storing `events` for `key` (each skipping a delivery key
/// already taken), built once so that a batch run again reuses them.
fn statements(
    backend: crate::Backend,
    key: &IntegrationKeyRecord,
    now: Timestamp,
    events: &[IncomingEvent],
) -> Result<Vec<Sql>> {
    let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(events.len());
    for e in events {
        let ev = &e.event;
        rows.push(vec![
            key.tenant_id.0.into(),
            key.id.0.into(),
            e.delivery.as_str().into(),
            e.fingerprint.as_str().into(),
            ev.source.as_str().into(),
            ev.resource.as_str().into(),
            ev.check.as_str().into(),
            ev.severity.as_str().into(),
            ev.action.as_str().into(),
            ev.summary.as_str().into(),
            payload(ev)?.into(),
            micros(ev.occurred_at).into(),
            micros(now).into(),
            ev.clamped.into(),
        ]);
    }
    let mut statements = Vec::with_capacity(rows.len().div_ceil(ROWS));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Arg>> = rows.by_ref().take(ROWS).collect();
        let mut sql = Sql::insert_many("events", &COLUMNS, chunk);
        sql.push(" ON CONFLICT (tenant_id, occurred_at, event_key) DO NOTHING");
        statements.push(sql.for_backend(backend));
    }
    Ok(statements)
}

/// Stores events inside the caller's transaction (a mail made into an
/// event is recorded with it); returns how many were new.
pub(crate) async fn insert_events_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: crate::Backend,
    key: &IntegrationKeyRecord,
    now: Timestamp,
    events: &[IncomingEvent],
) -> Result<u64> {
    let mut accepted = 0;
    for sql in statements(backend, key, now, events)? {
        accepted += sql.query().execute(&mut **tx).await?.rows_affected();
    }
    Ok(accepted)
}
