//! Event management's shell: the processor that turns stored events into
//! alert groups and incidents ([`processor`]), what it knows of the CMDB
//! ([`cmdb_view`]) and the words of the incidents it opens ([`incident`]).
//! The ingestion endpoints are in `api::events`; the decisions are the
//! core's (`vigie_core::event`).

pub mod cmdb_view;
pub mod incident;
pub mod processor;

pub use processor::{BATCH, EVENT_LEASE, PERIOD, Processed, Processor};

use crate::AppState;
use vigie_store::StoreError;

/// Runs the processor until no event is pending (or this instance does not
/// hold the lease); for tests, the `vigie bench` command and shutdown.
pub async fn process_all(state: &AppState, holder: &str) -> Result<Processed, StoreError> {
    let mut total = Processed::default();
    loop {
        let done = state.event_processor().run_once(state, holder).await?;
        total.held = done.held;
        total.events += done.events;
        total.groups_opened += done.groups_opened;
        total.incidents_opened += done.incidents_opened;
        total.incidents_resolved += done.incidents_resolved;
        if done.events < BATCH as usize {
            return Ok(total);
        }
    }
}
