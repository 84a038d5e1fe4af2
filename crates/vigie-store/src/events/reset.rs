//! Going back to the default classification rules: the tenant's own list
//! is deleted (the processor then applies `default_rules()`), and the
//! change is audited like any other.

use crate::audit::record;
use crate::sql::Sql;
use crate::{Result, Store};
use vigie_core::Timestamp;
use vigie_core::ids::TenantId;
use vigie_core::tenancy::Actor;

impl Store {
    /// Deletes the tenant's classification rules, so that the defaults
    /// apply; returns whether it had any.
    pub async fn reset_event_rules(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
    ) -> Result<bool> {
        let Some(before) = self.event_rules(tenant).await? else {
            return Ok(false);
        };
        let before = serde_json::to_string(&before).unwrap_or_default();
        let mut tx = self.write_tx().await?;
        Sql::new("DELETE FROM event_rules WHERE tenant_id = ")
            .bind(tenant.0)
            .query()
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            now,
            super::tenant_target(tenant, "event_rules", tenant.0),
            Some(&vec![("rules", Some(before))]),
            Some(&vec![("rules", None)]),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
