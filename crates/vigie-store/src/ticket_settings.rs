//! A tenant's ticket settings: its priority matrix and reopen delay.

use crate::sql::Sql;
use crate::{Result, Store, StoreError, micros};
use sqlx::Row;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::TenantId;
use vigie_core::tenancy::Actor;
use vigie_core::ticket::priority::PriorityMatrix;

/// The settings of a tenant's service desk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketSettings {
    /// Impact × urgency → priority.
    pub matrix: PriorityMatrix,
    /// How long after resolution a ticket may be reopened, in hours.
    pub reopen_hours: i64,
}

impl Default for TicketSettings {
    fn default() -> Self {
        TicketSettings {
            matrix: PriorityMatrix::default(),
            reopen_hours: 7 * 24,
        }
    }
}

fn fields(s: &TicketSettings) -> Fields {
    vec![
        ("matrix", serde_json::to_string(&s.matrix).ok()),
        ("reopen_hours", Some(s.reopen_hours.to_string())),
    ]
}

impl Store {
    /// A tenant's settings, or the defaults.
    pub async fn ticket_settings(&self, tenant: TenantId) -> Result<TicketSettings> {
        let row = Sql::new("SELECT matrix, reopen_hours FROM ticket_settings WHERE tenant_id = ")
            .bind(tenant.0)
            .query()
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            return Ok(TicketSettings::default());
        };
        let matrix: String = row.try_get("matrix")?;
        Ok(TicketSettings {
            matrix: serde_json::from_str(&matrix)
                .map_err(|e| StoreError::Database(format!("stored priority matrix: {e}")))?,
            reopen_hours: row.try_get("reopen_hours")?,
        })
    }

    /// Replaces a tenant's settings (validated by the caller).
    pub async fn put_ticket_settings(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        settings: &TicketSettings,
    ) -> Result<TicketSettings> {
        let before = self.ticket_settings(tenant).await?;
        let matrix = serde_json::to_string(&settings.matrix)
            .map_err(|e| StoreError::Database(format!("priority matrix: {e}")))?;
        let mut tx = self.write_tx().await?;
        Sql::new("DELETE FROM ticket_settings WHERE tenant_id = ")
            .bind(tenant.0)
            .query()
            .execute(&mut *tx)
            .await?;
        Sql::insert(
            "ticket_settings",
            vec![
                ("tenant_id", tenant.0.into()),
                ("matrix", matrix.into()),
                ("reopen_hours", settings.reopen_hours.into()),
                ("updated_at", micros(now).into()),
            ],
        )
        .query()
        .execute(&mut *tx)
        .await?;
        let target = crate::audit::AuditTarget {
            tenant: Some(tenant),
            entity_id: None,
            entity_path: None,
            record_type: "ticket_settings",
            record_id: tenant.0,
        };
        crate::audit::record(
            &mut tx,
            actor,
            now,
            target,
            Some(&fields(&before)),
            Some(&fields(settings)),
        )
        .await?;
        tx.commit().await?;
        Ok(settings.clone())
    }
}
