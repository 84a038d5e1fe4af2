//! Accepting events: appended through the group commit, so that the events
//! of many requests share one transaction, and answered only once
//! committed. Each event carries its delivery key (`events_key`): a retried
//! delivery finds it taken and stores nothing. When too many writes wait,
//! the request is refused at once ([`StoreError::Busy`]) and nothing of it
//! is stored.

use super::keys::IntegrationKeyRecord;
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

/// The part of an event kept as JSON (`{"labels":…,"details":…,
/// "dedup_key":…}`), the details inserted as the text the decoder wrote
/// rather than serialized again.
fn payload(e: &Event) -> Result<String> {
    let details = e.details.as_json();
    let mut out = Vec::with_capacity(details.len() + 64 + 48 * e.labels.len());
    out.extend_from_slice(b"{\"labels\":");
    serde_json::to_writer(&mut out, &e.labels)
        .map_err(|e| StoreError::Database(format!("event encoding: {e}")))?;
    out.extend_from_slice(b",\"details\":");
    out.extend_from_slice(details.as_bytes());
    out.extend_from_slice(b",\"dedup_key\":");
    serde_json::to_writer(&mut out, &e.dedup_key)
        .map_err(|e| StoreError::Database(format!("event encoding: {e}")))?;
    out.push(b'}');
    String::from_utf8(out).map_err(|e| StoreError::Database(format!("event encoding: {e}")))
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
        let rows = Arc::new(Rows::new(self.backend, key, now, events)?);
        let accepted = self
            .group_commit()
            .try_run(Box::new(move |tx| {
                let rows = rows.clone();
                Box::pin(async move { rows.insert(tx).await })
            }))
            .await?;
        let accepted = usize::try_from(accepted).unwrap_or(total).min(total);
        Ok(Ingested {
            accepted,
            duplicates: total - accepted,
        })
    }
}

/// One event's row: its texts taken from the event (not copied), bound by
/// reference when the statement runs.
struct Row {
    delivery: String,
    fingerprint: String,
    source: String,
    resource: String,
    check: String,
    severity: &'static str,
    action: &'static str,
    summary: String,
    payload: String,
    occurred_at: i64,
    clamped: bool,
}

/// The rows of one request for one key and the statements storing them
/// (each skipping a delivery key already taken), built once so that a
/// batch run again reuses them.
struct Rows {
    tenant: i64,
    key: i64,
    received_at: i64,
    rows: Vec<Row>,
    /// Each statement's text and the rows it binds.
    statements: Vec<(String, std::ops::Range<usize>)>,
}

impl Rows {
    fn new(
        backend: crate::Backend,
        key: &IntegrationKeyRecord,
        now: Timestamp,
        events: Vec<IncomingEvent>,
    ) -> Result<Rows> {
        let mut rows = Vec::with_capacity(events.len());
        for e in events {
            let payload = payload(&e.event)?;
            let ev = e.event;
            rows.push(Row {
                delivery: e.delivery,
                fingerprint: e.fingerprint.0,
                source: ev.source,
                resource: ev.resource,
                check: ev.check,
                severity: ev.severity.as_str(),
                action: ev.action.as_str(),
                summary: ev.summary,
                payload,
                occurred_at: micros(ev.occurred_at),
                clamped: ev.clamped,
            });
        }
        let mut statements = Vec::with_capacity(rows.len().div_ceil(ROWS));
        let mut start = 0;
        while start < rows.len() {
            let end = (start + ROWS).min(rows.len());
            statements.push((insert_text(backend, end - start), start..end));
            start = end;
        }
        Ok(Rows {
            tenant: key.tenant_id.0,
            key: key.id.0,
            received_at: micros(now),
            rows,
            statements,
        })
    }

    /// Runs the statements in `tx`; returns how many events were new.
    async fn insert(&self, tx: &mut sqlx::Transaction<'static, sqlx::Any>) -> Result<u64> {
        let mut accepted = 0;
        for (text, range) in &self.statements {
            let mut q = sqlx::query(text);
            for r in &self.rows[range.clone()] {
                q = q
                    .bind(self.tenant)
                    .bind(self.key)
                    .bind(r.delivery.as_str())
                    .bind(r.fingerprint.as_str())
                    .bind(r.source.as_str())
                    .bind(r.resource.as_str())
                    .bind(r.check.as_str())
                    .bind(r.severity)
                    .bind(r.action)
                    .bind(r.summary.as_str())
                    .bind(r.payload.as_str())
                    .bind(r.occurred_at)
                    .bind(self.received_at)
                    .bind(r.clamped);
            }
            accepted += q.execute(&mut **tx).await?.rows_affected();
        }
        Ok(accepted)
    }
}

/// `INSERT INTO events (…) VALUES (…), … ON CONFLICT … DO NOTHING` for
/// `rows` rows.
fn insert_text(backend: crate::Backend, rows: usize) -> String {
    let mut text = crate::sql::Sql::insert_many_text(backend, "events", &COLUMNS, rows);
    text.push_str(" ON CONFLICT (tenant_id, occurred_at, event_key) DO NOTHING");
    text
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
    Rows::new(backend, key, now, events.to_vec())?
        .insert(tx)
        .await
}
