//! Yearly environment resets per partner. The notice, the season and the
//! once-a-year rule are the core's; the unique key (item, folded partner,
//! year) keeps two people planning at once from both succeeding.

use super::{EnvironmentRecord, date_of};
use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, micros};
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::environment::reset::{ResetRules, partner_key};
use vigie_core::ids::{CiId, EntityId, EnvironmentResetId, TenantId, UserId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// A planned reset as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentResetRecord {
    /// Its id.
    pub id: EnvironmentResetId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The environment's entity.
    pub entity_id: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// The environment.
    pub environment_id: CiId,
    /// The partner, as written.
    pub partner: String,
    /// The day of the reset.
    pub planned_for: Date,
    /// The notice it was planned under, in days.
    pub notice_days: i64,
    /// The season it was planned under (first and last month).
    pub season: (i64, i64),
    /// Who planned it.
    pub requester_id: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

/// A reset to write (checked by the core before).
#[derive(Clone, Debug)]
pub struct NewEnvironmentReset<'a> {
    /// The environment.
    pub environment: &'a EnvironmentRecord,
    /// The partner.
    pub partner: String,
    /// The day.
    pub planned_for: Date,
    /// The rules it was checked under.
    pub rules: ResetRules,
}

const SELECT: &str = "SELECT id, tenant_id, entity_id, entity_path, ci_id, partner, planned_for, \
    notice_days, season_first, season_last, requester_id, created_at \
    FROM environment_resets WHERE 1 = 1";

fn reset_row(row: &AnyRow) -> Result<EnvironmentResetRecord> {
    let path: String = row.try_get("entity_path")?;
    Ok(EnvironmentResetRecord {
        id: EnvironmentResetId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("bad entity path `{path}`")))?,
        environment_id: CiId(row.try_get("ci_id")?),
        partner: row.try_get("partner")?,
        planned_for: date_of(row, "planned_for")?,
        notice_days: row.try_get("notice_days")?,
        season: (row.try_get("season_first")?, row.try_get("season_last")?),
        requester_id: row.try_get::<Option<i64>, _>("requester_id")?.map(UserId),
        created_at: from_micros(row.try_get("created_at")?),
    })
}

fn fields(r: &EnvironmentResetRecord) -> Fields {
    vec![
        ("environment_id", Some(r.environment_id.to_string())),
        ("partner", Some(r.partner.clone())),
        ("planned_for", Some(r.planned_for.to_string())),
        ("notice_days", Some(r.notice_days.to_string())),
        ("season", Some(format!("{}-{}", r.season.0, r.season.1))),
    ]
}

impl Store {
    /// The dates of the resets already planned for an environment and a
    /// partner (compared as the core folds partners' names).
    pub async fn environment_reset_dates(
        &self,
        environment: &EnvironmentRecord,
        partner: &str,
    ) -> Result<Vec<Date>> {
        let rows = Sql::new("SELECT planned_for FROM environment_resets WHERE ci_id = ")
            .bind(environment.id.0)
            .push(" AND partner_key = ")
            .bind(partner_key(partner))
            .push(" ORDER BY planned_for")
            .query()
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| date_of(r, "planned_for")).collect()
    }

    /// Writes a planned reset; a second one for the same environment,
    /// partner and year is a conflict.
    pub async fn create_environment_reset(
        &self,
        actor: &Actor,
        now: Timestamp,
        new: &NewEnvironmentReset<'_>,
    ) -> Result<EnvironmentResetRecord> {
        let env = new.environment;
        let requester_id = (actor.user != UserId::SYSTEM).then_some(actor.user);
        let season = (
            i64::from(new.rules.season.first_month()),
            i64::from(new.rules.season.last_month()),
        );
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "environment_resets",
            vec![
                ("tenant_id", env.tenant_id.0.into()),
                ("entity_id", env.entity_id.0.into()),
                ("entity_path", env.entity_path.as_str().into()),
                ("ci_id", env.id.0.into()),
                ("partner", new.partner.as_str().into()),
                ("partner_key", partner_key(&new.partner).into()),
                ("planned_for", new.planned_for.to_string().into()),
                ("planned_year", i64::from(new.planned_for.year()).into()),
                ("notice_days", i64::from(new.rules.notice_days).into()),
                ("season_first", season.0.into()),
                ("season_last", season.1.into()),
                ("requester_id", requester_id.map(|u| u.0).into()),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => StoreError::Conflict {
                what: "this environment already has a reset for this partner that year".into(),
            },
            e => e,
        })?;
        let created = EnvironmentResetRecord {
            id: EnvironmentResetId(id),
            tenant_id: env.tenant_id,
            entity_id: env.entity_id,
            entity_path: env.entity_path.clone(),
            environment_id: env.id,
            partner: new.partner.clone(),
            planned_for: new.planned_for,
            notice_days: i64::from(new.rules.notice_days),
            season,
            requester_id,
            created_at: now,
        };
        record(
            &mut tx,
            actor,
            now,
            AuditTarget {
                tenant: Some(env.tenant_id),
                entity_id: Some(env.entity_id.0),
                entity_path: Some(&env.entity_path),
                record_type: "environment_reset",
                record_id: id,
            },
            None,
            Some(&fields(&created)),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The resets in scope, by date (at most 1,000).
    pub async fn list_environment_resets(
        &self,
        scope: &Scope,
    ) -> Result<Vec<EnvironmentResetRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "tenant_id", "entity_path");
        sql.push(" ORDER BY planned_for, id LIMIT 1000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(reset_row).collect()
    }
}
