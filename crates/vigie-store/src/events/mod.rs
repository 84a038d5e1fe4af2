//! Event management's storage: integration keys ([`keys`]), the append of
//! accepted events ([`ingest`]), what the processor reads ([`state`]) and
//! writes ([`apply`]), and what the console shows and changes
//! ([`console`]). The decisions are the core's (`vigie_core::event`).

mod apply;
mod console;
mod ingest;
mod keys;
mod reset;
mod retention;
mod state;

pub use apply::{AUTO_RESOLVED, AlertWrite, AppliedBatch, EventBatch, GroupWrite, IncidentWrite};
pub use console::{
    AlertGroupFilter, AlertGroupRecord, AlertRecord, EventRecord, NewMaintenanceWindow,
};
pub(crate) use ingest::insert_events_in;
pub use ingest::{IncomingEvent, Ingested};
pub(crate) use keys::KeyCache;
pub use keys::{IntegrationKeyRecord, KEY_CACHE_SECONDS, NewIntegrationKey, monitoring_login};
pub use state::{AlertState, PendingEvent};

use crate::Backend;
use crate::audit::AuditTarget;
use vigie_core::ids::TenantId;

/// The condition "the event is (or is not) pending" as the partial indexes
/// `events_pending` and `events_alert` name it on each backend: a query
/// uses a partial index only when it states the index's own condition.
/// `column` is `pending` or `e.pending`.
pub(crate) fn pending_is(backend: Backend, pending: bool, column: &str) -> String {
    match (backend, pending) {
        (Backend::Sqlite, true) => format!("{column} = 1"),
        (Backend::Sqlite, false) => format!("{column} = 0"),
        (Backend::Postgres, true) => column.to_owned(),
        (Backend::Postgres, false) => format!("NOT {column}"),
    }
}

/// Where a tenant-wide event record (rules, a window, a group) sits in
/// the audit log: the tenant, no entity.
pub(crate) fn tenant_target(
    tenant: TenantId,
    record_type: &'static str,
    record_id: i64,
) -> AuditTarget<'static> {
    AuditTarget {
        tenant: Some(tenant),
        entity_id: None,
        entity_path: None,
        record_type,
        record_id,
    }
}
