//! Job leases: a background job runs on the one instance that holds its
//! lease; a lease past its time may be taken by another instance.

use crate::sql::Sql;
use crate::{Result, Store, micros};
use vigie_core::Timestamp;

impl Store {
    /// Takes or renews the lease `name` for `holder` until `until`, if it is
    /// free, expired at `now`, or already held by `holder`. Returns whether
    /// the caller holds it now. One statement, so two instances racing for
    /// it cannot both win.
    pub async fn claim_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool> {
        let taken = Sql::new("INSERT INTO job_leases (name, holder, until) VALUES (")
            .bind(name)
            .push(", ")
            .bind(holder)
            .push(", ")
            .bind(micros(until))
            .push(") ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
                   WHERE job_leases.holder = excluded.holder OR job_leases.until <= ")
            .bind(micros(now))
            .query()
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(taken == 1)
    }

    /// Gives a lease back early (at shutdown), if `holder` holds it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        Sql::new("DELETE FROM job_leases WHERE name = ")
            .bind(name)
            .push(" AND holder = ")
            .bind(holder)
            .query()
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
