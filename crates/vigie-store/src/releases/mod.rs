//! Releases and environments: the tenant's release settings, releases and
//! their component versions, the hours of environment items, data refresh
//! requests and yearly environment resets. The rules are the core's
//! (`vigie_core::release`, `vigie_core::environment`); this module keeps
//! their inputs and results. Releases, refreshes and resets belong to an
//! entity and are read through a [`Scope`](vigie_core::tenancy::Scope);
//! each write audits itself (`release`, `release_settings`, `environment`,
//! `data_refresh`, `environment_reset`). Lifecycle writes check the status
//! the decision was made from, so two people acting at once get a conflict.

mod environments;
mod refreshes;
mod resets;
mod settings;
mod store;

pub use environments::EnvironmentRecord;
pub use refreshes::{DataRefreshRecord, NewDataRefresh};
pub use resets::{EnvironmentResetRecord, NewEnvironmentReset};
pub use settings::{ReleaseSettingsInput, ReleaseSettingsRecord};
pub use store::{NewRelease, ReleaseChanges, ReleaseFilter, ReleaseRecord};

use crate::{Result, StoreError};
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;

/// Reads a `YYYY-MM-DD` column.
pub(crate) fn date_of(row: &AnyRow, column: &str) -> Result<Date> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Database(format!("unexpected date `{text}` in {column}")))
}

/// Reads a column holding one of a closed set of names.
pub(crate) fn name_of<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Database(format!("unexpected {column} `{text}`")))
}

/// A lifecycle write that found the record no longer in the status the
/// decision was made from.
pub(crate) fn changed_meanwhile(what: &str) -> StoreError {
    StoreError::Conflict {
        what: format!("the {what} changed meanwhile; read it again and retry"),
    }
}
