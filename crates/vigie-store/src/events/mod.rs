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
pub use ingest::{IncomingEvent, Ingested};
pub(crate) use keys::KeyCache;
pub use keys::{IntegrationKeyRecord, KEY_CACHE_SECONDS, NewIntegrationKey, monitoring_login};
pub use state::{AlertState, PendingEvent};
