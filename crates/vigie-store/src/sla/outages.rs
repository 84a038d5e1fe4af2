//! Availability inputs: what each service promises (its service hours and
//! targets) and the outage and maintenance records of a tenant.

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::ids::{TenantId, TicketId};
use vigie_core::tenancy::Actor;

/// An outage (or approved maintenance) of a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutageRecord {
    /// Its id.
    pub id: i64,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The service.
    pub service_ref: String,
    /// `outage` or `maintenance`.
    pub kind: String,
    /// When it began.
    pub starts_at: Timestamp,
    /// When it ended (`None`: still going on).
    pub ends_at: Option<Timestamp>,
    /// The incident that records it, if any.
    pub ticket_id: Option<TicketId>,
    /// A free note.
    pub note: String,
}

/// An outage to record (checked by the caller: kind, order of the instants).
#[derive(Clone, Debug)]
pub struct NewOutage {
    /// The service.
    pub service_ref: String,
    /// `outage` or `maintenance`.
    pub kind: String,
    /// When it began.
    pub starts_at: Timestamp,
    /// When it ended.
    pub ends_at: Option<Timestamp>,
    /// The incident, if any (a ticket of the tenant).
    pub ticket_id: Option<TicketId>,
    /// A free note.
    pub note: String,
}

/// What a service promises: its service hours and availability targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceLevelRecord {
    /// The service.
    pub service_ref: String,
    /// The calendar of its service hours.
    pub calendar_id: i64,
    /// Availability promised in service hours, in basis points (9900 = 99 %).
    pub availability_bp: i64,
    /// Availability objective out of hours, in basis points.
    pub out_of_hours_bp: i64,
}

fn outage_row(row: &AnyRow) -> Result<OutageRecord> {
    Ok(OutageRecord {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        service_ref: row.try_get("service_ref")?,
        kind: row.try_get("kind")?,
        starts_at: from_micros(row.try_get("starts_at")?),
        ends_at: row.try_get::<Option<i64>, _>("ends_at")?.map(from_micros),
        ticket_id: row.try_get::<Option<i64>, _>("ticket_id")?.map(TicketId),
        note: row.try_get("note")?,
    })
}

const SELECT: &str = "SELECT id, tenant_id, service_ref, kind, starts_at, ends_at, ticket_id, note FROM sla_outages WHERE tenant_id = ";

fn audit(tenant: TenantId, id: i64, kind: &'static str) -> AuditTarget<'static> {
    AuditTarget {
        tenant: Some(tenant),
        entity_id: None,
        entity_path: None,
        record_type: kind,
        record_id: id,
    }
}

impl Store {
    /// Records an outage or a maintenance window.
    pub async fn create_outage(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        new: &NewOutage,
    ) -> Result<OutageRecord> {
        let mut tx = self.write_tx().await?;
        check_ticket(&mut tx, tenant, new.ticket_id).await?;
        let id = Sql::insert(
            "sla_outages",
            vec![
                ("tenant_id", tenant.0.into()),
                ("service_ref", new.service_ref.as_str().into()),
                ("kind", new.kind.as_str().into()),
                ("starts_at", micros(new.starts_at).into()),
                ("ends_at", new.ends_at.map(micros).into()),
                ("ticket_id", new.ticket_id.map(|t| t.0).into()),
                ("note", new.note.as_str().into()),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        record(
            &mut tx,
            actor,
            now,
            audit(tenant, id, "sla_outage"),
            None,
            Some(&outage_fields(new)),
        )
        .await?;
        let row = Sql::new(SELECT)
            .bind(tenant.0)
            .push(" AND id = ")
            .bind(id)
            .query()
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        outage_row(&row)
    }

    /// Corrects an outage of the tenant (its service, kind, instants,
    /// incident or note), or ends it.
    pub async fn update_outage(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        id: i64,
        new: &NewOutage,
    ) -> Result<OutageRecord> {
        let mut tx = self.write_tx().await?;
        let before = outage_in(&mut tx, tenant, id).await?;
        check_ticket(&mut tx, tenant, new.ticket_id).await?;
        Sql::update(
            "sla_outages",
            vec![
                ("service_ref", new.service_ref.as_str().into()),
                ("kind", new.kind.as_str().into()),
                ("starts_at", micros(new.starts_at).into()),
                ("ends_at", new.ends_at.map(micros).into()),
                ("ticket_id", new.ticket_id.map(|t| t.0).into()),
                ("note", new.note.as_str().into()),
            ],
            ("id", id.into()),
        )
        .query()
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            now,
            audit(tenant, id, "sla_outage"),
            Some(&record_fields(&before)),
            Some(&outage_fields(new)),
        )
        .await?;
        let after = outage_in(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes an outage of the tenant recorded by mistake.
    pub async fn delete_outage(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        id: i64,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before = outage_in(&mut tx, tenant, id).await?;
        Sql::new("DELETE FROM sla_outages WHERE id = ")
            .bind(id)
            .query()
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            now,
            audit(tenant, id, "sla_outage"),
            Some(&record_fields(&before)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Outages and maintenance of a tenant overlapping `[from, to)`, oldest first.
    pub async fn list_outages(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<OutageRecord>> {
        let rows = Sql::new(SELECT)
            .bind(tenant.0)
            .push(" AND starts_at < ")
            .bind(micros(to))
            .push(" AND (ends_at IS NULL OR ends_at > ")
            .bind(micros(from))
            .push(") ORDER BY starts_at, id")
            .query()
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(outage_row).collect()
    }

    /// The availability promises of a tenant's services.
    pub async fn list_service_levels(&self, tenant: TenantId) -> Result<Vec<ServiceLevelRecord>> {
        let rows = Sql::new(
            "SELECT service_ref, calendar_id, availability_bp, out_of_hours_bp FROM sla_services WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .push(" ORDER BY service_ref")
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ServiceLevelRecord {
                    service_ref: r.try_get("service_ref")?,
                    calendar_id: r.try_get("calendar_id")?,
                    availability_bp: r.try_get("availability_bp")?,
                    out_of_hours_bp: r.try_get("out_of_hours_bp")?,
                })
            })
            .collect()
    }

    /// Sets what a service promises (creating or replacing it).
    pub async fn put_service_level(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        level: &ServiceLevelRecord,
    ) -> Result<ServiceLevelRecord> {
        let mut tx = self.write_tx().await?;
        if let Err(StoreError::NotFound) =
            super::load_calendar(&mut tx, tenant, level.calendar_id).await
        {
            return Err(StoreError::Invalid(format!(
                "calendar_id: there is no calendar {} here",
                level.calendar_id
            )));
        }
        let mut sql = Sql::insert(
            "sla_services",
            vec![
                ("tenant_id", tenant.0.into()),
                ("service_ref", level.service_ref.as_str().into()),
                ("calendar_id", level.calendar_id.into()),
                ("availability_bp", level.availability_bp.into()),
                ("out_of_hours_bp", level.out_of_hours_bp.into()),
                ("updated_at", micros(now).into()),
            ],
        );
        sql.push(
            " ON CONFLICT (tenant_id, service_ref) DO UPDATE SET calendar_id = excluded.calendar_id, \
             availability_bp = excluded.availability_bp, out_of_hours_bp = excluded.out_of_hours_bp, \
             updated_at = excluded.updated_at RETURNING id",
        );
        let id: i64 = sql.query().fetch_one(&mut *tx).await?.try_get("id")?;
        let fields = vec![
            ("service_ref", Some(level.service_ref.clone())),
            ("calendar_id", Some(level.calendar_id.to_string())),
            ("availability_bp", Some(level.availability_bp.to_string())),
            ("out_of_hours_bp", Some(level.out_of_hours_bp.to_string())),
        ];
        record(
            &mut tx,
            actor,
            now,
            audit(tenant, id, "sla_service"),
            None,
            Some(&fields),
        )
        .await?;
        tx.commit().await?;
        Ok(level.clone())
    }
}

/// The audited fields of an outage.
fn outage_fields(o: &NewOutage) -> vigie_core::audit::Fields {
    vec![
        ("service_ref", Some(o.service_ref.clone())),
        ("kind", Some(o.kind.clone())),
        ("starts_at", Some(o.starts_at.to_string())),
        ("ends_at", o.ends_at.map(|t| t.to_string())),
        ("ticket_id", o.ticket_id.map(|t| t.to_string())),
        ("note", Some(o.note.clone())),
    ]
}

fn record_fields(o: &OutageRecord) -> vigie_core::audit::Fields {
    outage_fields(&NewOutage {
        service_ref: o.service_ref.clone(),
        kind: o.kind.clone(),
        starts_at: o.starts_at,
        ends_at: o.ends_at,
        ticket_id: o.ticket_id,
        note: o.note.clone(),
    })
}

/// An outage of the tenant, read in the transaction (not found otherwise).
async fn outage_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: TenantId,
    id: i64,
) -> Result<OutageRecord> {
    let row = Sql::new(SELECT)
        .bind(tenant.0)
        .push(" AND id = ")
        .bind(id)
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    outage_row(&row)
}

/// Checks that the incident an outage names is the tenant's.
async fn check_ticket(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: TenantId,
    ticket: Option<TicketId>,
) -> Result<()> {
    let Some(t) = ticket else {
        return Ok(());
    };
    let found = Sql::new("SELECT id FROM tickets WHERE tenant_id = ")
        .bind(tenant.0)
        .push(" AND id = ")
        .bind(t.0)
        .query()
        .fetch_optional(&mut **tx)
        .await?;
    if found.is_none() {
        return Err(StoreError::Invalid(format!(
            "ticket_id: there is no ticket {t} here"
        )));
    }
    Ok(())
}

/// Ends, at `now`, the open outages a ticket records (inside the
/// transaction that resolves it, when the core's
/// `ticket::lifecycle::consequences` says so). Maintenance windows and
/// outages already ended keep their end.
pub(crate) async fn end_outages_of(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    ticket: &crate::TicketRecord,
    now: Timestamp,
) -> Result<()> {
    let rows = Sql::new(SELECT)
        .bind(ticket.tenant_id.0)
        .push(" AND ticket_id = ")
        .bind(ticket.id.0)
        .push(" AND kind = 'outage' AND ends_at IS NULL AND starts_at < ")
        .bind(micros(now))
        .query()
        .fetch_all(&mut **tx)
        .await?;
    for row in &rows {
        let before = outage_row(row)?;
        Sql::update(
            "sla_outages",
            vec![("ends_at", Some(micros(now)).into())],
            ("id", before.id.into()),
        )
        .query()
        .execute(&mut **tx)
        .await?;
        let mut after = before.clone();
        after.ends_at = Some(now);
        record(
            tx,
            actor,
            now,
            audit(ticket.tenant_id, before.id, "sla_outage"),
            Some(&record_fields(&before)),
            Some(&record_fields(&after)),
        )
        .await?;
    }
    Ok(())
}
