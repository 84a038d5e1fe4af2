//! Business calendars of a tenant: created, replaced whole, deleted when no
//! target uses them. A replaced calendar moves the deadlines of the running
//! clocks counted in it, in the same transaction.

use super::{CalendarRecord, calendar_head, load_calendar};
use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, micros};
use sqlx::{Any, Transaction};
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::TenantId;
use vigie_core::sla::CalendarSpec;
use vigie_core::sla::spec::minutes;
use vigie_core::tenancy::Actor;

pub(super) const SELECT: &str = "SELECT id, tenant_id, name, time_zone, french_holidays, created_at, updated_at FROM sla_calendars";

fn fields(c: &CalendarRecord) -> Fields {
    let weekly = c
        .spec
        .weekly
        .iter()
        .map(|day| {
            day.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(" | ");
    vec![
        ("name", Some(c.name.clone())),
        ("time_zone", Some(c.spec.time_zone.clone())),
        ("weekly", Some(weekly)),
        (
            "french_holidays",
            c.spec.french_holidays.then(|| "true".to_owned()),
        ),
        ("holidays", Some(c.spec.holidays.len().to_string())),
        ("closures", Some(c.spec.closures.len().to_string())),
        ("openings", Some(c.spec.openings.len().to_string())),
    ]
}

fn target(c: &CalendarRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(c.tenant_id),
        entity_id: None,
        entity_path: None,
        record_type: "sla_calendar",
        record_id: c.id,
    }
}

fn named_conflict(e: StoreError) -> StoreError {
    match e {
        StoreError::Conflict { .. } => StoreError::Conflict {
            what: "a calendar with this name already exists".into(),
        },
        e => e,
    }
}

/// Writes the hours and dated rules of calendar `id`, replacing any.
async fn write_parts(
    tx: &mut Transaction<'static, Any>,
    id: i64,
    spec: &CalendarSpec,
) -> Result<()> {
    for table in ["sla_calendar_hours", "sla_calendar_days"] {
        Sql::new(&format!("DELETE FROM {table} WHERE calendar_id = "))
            .bind(id)
            .query()
            .execute(&mut **tx)
            .await?;
    }
    let mut hours = Vec::new();
    for (day, segments) in spec.weekly.iter().enumerate() {
        for s in segments {
            let (start, end) = minutes(s);
            hours.push(vec![
                id.into(),
                (day as i64).into(),
                start.into(),
                end.into(),
            ]);
        }
    }
    let mut days: Vec<Vec<crate::sql::Arg>> = Vec::new();
    let none = || crate::sql::Arg::I64(None);
    for d in &spec.holidays {
        days.push(vec![
            id.into(),
            "holiday".into(),
            d.to_string().into(),
            Option::<String>::None.into(),
            none(),
            none(),
        ]);
    }
    for r in &spec.closures {
        days.push(vec![
            id.into(),
            "closure".into(),
            r.first.to_string().into(),
            r.last.to_string().into(),
            none(),
            none(),
        ]);
    }
    for (d, segments) in &spec.openings {
        if segments.is_empty() {
            days.push(vec![
                id.into(),
                "opening".into(),
                d.to_string().into(),
                Option::<String>::None.into(),
                none(),
                none(),
            ]);
        }
        for s in segments {
            let (start, end) = minutes(s);
            days.push(vec![
                id.into(),
                "opening".into(),
                d.to_string().into(),
                Option::<String>::None.into(),
                start.into(),
                end.into(),
            ]);
        }
    }
    for chunk in hours.chunks(200) {
        Sql::insert_many(
            "sla_calendar_hours",
            &["calendar_id", "weekday", "starts_min", "ends_min"],
            chunk.to_vec(),
        )
        .query()
        .execute(&mut **tx)
        .await?;
    }
    let columns = [
        "calendar_id",
        "kind",
        "first_day",
        "last_day",
        "starts_min",
        "ends_min",
    ];
    for chunk in days.chunks(150) {
        Sql::insert_many("sla_calendar_days", &columns, chunk.to_vec())
            .query()
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// The calendars of a tenant, by name.
    pub async fn list_calendars(&self, tenant: TenantId) -> Result<Vec<CalendarRecord>> {
        let rows = Sql::new(SELECT)
            .push(" WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" ORDER BY name, id")
            .query()
            .fetch_all(self.pool())
            .await?;
        let mut tx = self.pool().begin().await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(load_calendar(&mut tx, tenant, calendar_head(&row)?.id).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// One calendar of a tenant.
    pub async fn get_calendar(&self, tenant: TenantId, id: i64) -> Result<CalendarRecord> {
        let mut tx = self.pool().begin().await?;
        let record = load_calendar(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Creates a calendar (the caller validated `spec` with the core).
    pub async fn create_calendar(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        name: &str,
        spec: &CalendarSpec,
    ) -> Result<CalendarRecord> {
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "sla_calendars",
            vec![
                ("tenant_id", tenant.0.into()),
                ("name", name.into()),
                ("time_zone", spec.time_zone.as_str().into()),
                ("french_holidays", spec.french_holidays.into()),
                ("created_at", micros(now).into()),
                ("updated_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await
        .map_err(named_conflict)?;
        write_parts(&mut tx, id, spec).await?;
        let created = load_calendar(&mut tx, tenant, id).await?;
        record(
            &mut tx,
            actor,
            now,
            target(&created),
            None,
            Some(&fields(&created)),
        )
        .await?;
        super::cache::bump_revision(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Replaces a calendar; the running clocks counted in it get their
    /// deadlines again from the new hours, in the same transaction.
    pub async fn update_calendar(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        id: i64,
        name: &str,
        spec: &CalendarSpec,
    ) -> Result<CalendarRecord> {
        let calendar = spec
            .build()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut tx = self.write_tx().await?;
        let before = load_calendar(&mut tx, tenant, id).await?;
        let mut sql = Sql::update(
            "sla_calendars",
            vec![
                ("name", name.into()),
                ("time_zone", spec.time_zone.as_str().into()),
                ("french_holidays", spec.french_holidays.into()),
                ("updated_at", micros(now).into()),
            ],
            ("id", id.into()),
        );
        sql.push(" AND tenant_id = ").bind(tenant.0);
        sql.query()
            .execute(&mut *tx)
            .await
            .map_err(|e| named_conflict(e.into()))?;
        write_parts(&mut tx, id, spec).await?;
        super::clocks::recompute_calendar(&mut tx, tenant, id, &calendar, now).await?;
        let after = load_calendar(&mut tx, tenant, id).await?;
        record(
            &mut tx,
            actor,
            now,
            target(&after),
            Some(&fields(&before)),
            Some(&fields(&after)),
        )
        .await?;
        super::cache::bump_revision(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a calendar no target or service uses (else a conflict).
    pub async fn delete_calendar(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        id: i64,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before = load_calendar(&mut tx, tenant, id).await?;
        for table in ["sla_targets", "sla_services", "environment_settings"] {
            let used = Sql::new(&format!(
                "SELECT calendar_id FROM {table} WHERE calendar_id = "
            ))
            .bind(id)
            .query()
            .fetch_optional(&mut *tx)
            .await?;
            if used.is_some() {
                return Err(StoreError::Conflict {
                    what: "the calendar is used by a target, a service or an environment's hours; change them first".into(),
                });
            }
        }
        Sql::new("DELETE FROM sla_calendars WHERE id = ")
            .bind(id)
            .query()
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            now,
            target(&before),
            Some(&fields(&before)),
            None,
        )
        .await?;
        super::cache::bump_revision(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(())
    }
}
