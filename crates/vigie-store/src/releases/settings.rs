//! A tenant's release settings: the release cycle, the qualification
//! group that gives green lights, and the rules of environment resets.
//! Absent until a tenant sets them; the server then uses the defaults.

use super::date_of;
use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, from_micros, micros};
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{GroupId, TenantId};
use vigie_core::tenancy::Actor;

/// The settings to write (validated by the core before).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseSettingsInput {
    /// A release every so many months.
    pub cycle_months: i64,
    /// The date the cycle counts from.
    pub cycle_anchor: Date,
    /// The group whose members give green lights.
    pub qualification_group_id: Option<GroupId>,
    /// The notice an environment reset needs, in days.
    pub reset_notice_days: i64,
    /// The reset season's first month (1–12).
    pub reset_season_first: i64,
    /// The reset season's last month (1–12).
    pub reset_season_last: i64,
}

/// A tenant's release settings as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseSettingsRecord {
    /// The tenant.
    pub tenant_id: TenantId,
    /// What they say.
    pub settings: ReleaseSettingsInput,
    /// Last change.
    pub updated_at: Timestamp,
}

fn row_of(row: &AnyRow) -> Result<ReleaseSettingsRecord> {
    Ok(ReleaseSettingsRecord {
        tenant_id: TenantId(row.try_get("tenant_id")?),
        settings: ReleaseSettingsInput {
            cycle_months: row.try_get("cycle_months")?,
            cycle_anchor: date_of(row, "cycle_anchor")?,
            qualification_group_id: row
                .try_get::<Option<i64>, _>("qualification_group_id")?
                .map(GroupId),
            reset_notice_days: row.try_get("reset_notice_days")?,
            reset_season_first: row.try_get("reset_season_first")?,
            reset_season_last: row.try_get("reset_season_last")?,
        },
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn fields(s: &ReleaseSettingsInput) -> Fields {
    vec![
        ("cycle_months", Some(s.cycle_months.to_string())),
        ("cycle_anchor", Some(s.cycle_anchor.to_string())),
        (
            "qualification_group_id",
            s.qualification_group_id.map(|g| g.to_string()),
        ),
        ("reset_notice_days", Some(s.reset_notice_days.to_string())),
        (
            "reset_season",
            Some(format!("{}-{}", s.reset_season_first, s.reset_season_last)),
        ),
    ]
}

impl Store {
    /// The tenant's release settings, if it set them.
    pub async fn release_settings(
        &self,
        tenant: TenantId,
    ) -> Result<Option<ReleaseSettingsRecord>> {
        let row = Sql::new(
            "SELECT tenant_id, cycle_months, cycle_anchor, qualification_group_id, \
             reset_notice_days, reset_season_first, reset_season_last, updated_at \
             FROM release_settings WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .query()
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(row_of).transpose()
    }

    /// Writes the tenant's release settings (the caller checked the group
    /// belongs to the tenant).
    pub async fn set_release_settings(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        input: &ReleaseSettingsInput,
    ) -> Result<ReleaseSettingsRecord> {
        let before = self.release_settings(tenant).await?;
        let mut tx = self.write_tx().await?;
        let mut sql = Sql::insert(
            "release_settings",
            vec![
                ("tenant_id", tenant.0.into()),
                ("cycle_months", input.cycle_months.into()),
                ("cycle_anchor", input.cycle_anchor.to_string().into()),
                (
                    "qualification_group_id",
                    input.qualification_group_id.map(|g| g.0).into(),
                ),
                ("reset_notice_days", input.reset_notice_days.into()),
                ("reset_season_first", input.reset_season_first.into()),
                ("reset_season_last", input.reset_season_last.into()),
                ("updated_at", micros(now).into()),
            ],
        );
        sql.push(
            " ON CONFLICT (tenant_id) DO UPDATE SET cycle_months = excluded.cycle_months, \
             cycle_anchor = excluded.cycle_anchor, \
             qualification_group_id = excluded.qualification_group_id, \
             reset_notice_days = excluded.reset_notice_days, \
             reset_season_first = excluded.reset_season_first, \
             reset_season_last = excluded.reset_season_last, updated_at = excluded.updated_at",
        );
        sql.query().execute(&mut *tx).await?;
        record(
            &mut tx,
            actor,
            now,
            AuditTarget {
                tenant: Some(tenant),
                entity_id: None,
                entity_path: None,
                record_type: "release_settings",
                record_id: tenant.0,
            },
            before.as_ref().map(|b| fields(&b.settings)).as_ref(),
            Some(&fields(input)),
        )
        .await?;
        tx.commit().await?;
        Ok(ReleaseSettingsRecord {
            tenant_id: tenant,
            settings: input.clone(),
            updated_at: now,
        })
    }
}
