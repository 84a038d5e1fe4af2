//! Absences of users, and the open tickets of those who are away now.

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, UserRecord, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{TicketId, UserId};
use vigie_core::tenancy::Actor;
use vigie_core::ticket::absence::{Absence, AbsenceKind};

/// An absence as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbsenceRecord {
    /// Its id.
    pub id: i64,
    /// The period and the backup.
    pub absence: Absence,
}

fn absence_row(row: &AnyRow) -> Result<AbsenceRecord> {
    let kind: String = row.try_get("kind")?;
    Ok(AbsenceRecord {
        id: row.try_get("id")?,
        absence: Absence {
            user: UserId(row.try_get("user_id")?),
            kind: kind
                .parse::<AbsenceKind>()
                .map_err(|e| StoreError::Database(e.to_string()))?,
            starts_at: from_micros(row.try_get("starts_at")?),
            ends_at: from_micros(row.try_get("ends_at")?),
            backup: row.try_get::<Option<i64>, _>("backup_id")?.map(UserId),
        },
    })
}

fn fields(a: &Absence) -> Fields {
    vec![
        ("kind", Some(a.kind.to_string())),
        ("starts_at", Some(a.starts_at.to_string())),
        ("ends_at", Some(a.ends_at.to_string())),
        ("backup_id", a.backup.map(|b| b.to_string())),
    ]
}

fn target(user: &UserRecord, id: i64) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(user.tenant_id),
        entity_id: Some(user.entity_id.0),
        entity_path: Some(&user.entity_path),
        record_type: "absence",
        record_id: id,
    }
}

const SELECT: &str = "SELECT id, user_id, kind, starts_at, ends_at, backup_id FROM absences WHERE ";

impl Store {
    /// A user's absences that have not ended before `since`, by start.
    pub async fn list_absences(
        &self,
        user: UserId,
        since: Timestamp,
    ) -> Result<Vec<AbsenceRecord>> {
        let rows = Sql::new(SELECT)
            .push("user_id = ")
            .bind(user.0)
            .push(" AND ends_at > ")
            .bind(micros(since))
            .push(" ORDER BY starts_at, id LIMIT 500")
            .query()
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(absence_row).collect()
    }

    /// Records an absence of `user` (read by the caller within its scope);
    /// the backup must be an active user of the same tenant.
    pub async fn create_absence(
        &self,
        actor: &Actor,
        now: Timestamp,
        user: &UserRecord,
        absence: &Absence,
    ) -> Result<AbsenceRecord> {
        if let Some(b) = absence.backup {
            let backup = self.find_active_user(b).await?;
            if backup.is_none_or(|b| b.tenant_id != user.tenant_id) {
                return Err(StoreError::Invalid(format!(
                    "there is no active user {b} to be the backup"
                )));
            }
        }
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "absences",
            vec![
                ("tenant_id", user.tenant_id.0.into()),
                ("user_id", user.id.0.into()),
                ("kind", absence.kind.as_str().into()),
                ("starts_at", micros(absence.starts_at).into()),
                ("ends_at", micros(absence.ends_at).into()),
                ("backup_id", absence.backup.map(|b| b.0).into()),
                (
                    "created_by",
                    (actor.user != UserId::SYSTEM)
                        .then_some(actor.user.0)
                        .into(),
                ),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        record(
            &mut tx,
            actor,
            now,
            target(user, id),
            None,
            Some(&fields(absence)),
        )
        .await?;
        tx.commit().await?;
        Ok(AbsenceRecord {
            id,
            absence: absence.clone(),
        })
    }

    /// Deletes an absence of `user`.
    pub async fn delete_absence(
        &self,
        actor: &Actor,
        now: Timestamp,
        user: &UserRecord,
        id: i64,
    ) -> Result<()> {
        let row = Sql::new(SELECT)
            .push("id = ")
            .bind(id)
            .push(" AND user_id = ")
            .bind(user.id.0)
            .query()
            .fetch_optional(self.pool())
            .await?;
        let before = row
            .as_ref()
            .map(absence_row)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.write_tx().await?;
        Sql::new("DELETE FROM absences WHERE id = ")
            .bind(id)
            .query()
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            now,
            target(user, id),
            Some(&fields(&before.absence)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The absence covering `now` for `user`, if any.
    pub async fn current_absence(&self, user: UserId, now: Timestamp) -> Result<Option<Absence>> {
        let row = Sql::new(SELECT)
            .push("user_id = ")
            .bind(user.0)
            .push(" AND starts_at <= ")
            .bind(micros(now))
            .push(" AND ends_at > ")
            .bind(micros(now))
            .push(" ORDER BY starts_at DESC LIMIT 1")
            .query()
            .fetch_optional(self.pool())
            .await?;
        Ok(row
            .as_ref()
            .map(absence_row)
            .transpose()?
            .map(|r| r.absence))
    }

    /// Open tickets held by agents who are away at `now`, with the absence,
    /// at most `limit` of them.
    pub async fn tickets_of_absent_owners(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<(TicketId, Absence)>> {
        let rows = Sql::new(
            "SELECT t.id AS ticket_id, ab.id, ab.user_id, ab.kind, ab.starts_at, ab.ends_at, ab.backup_id \
             FROM tickets t JOIN absences ab ON ab.user_id = t.assignee_id \
             WHERE t.status NOT IN ('resolved', 'closed') AND ab.starts_at <= ",
        )
        .bind(micros(now))
        .push(" AND ab.ends_at > ")
        .bind(micros(now))
        .push(" ORDER BY t.id LIMIT ")
        .bind(limit)
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((TicketId(r.try_get("ticket_id")?), absence_row(r)?.absence)))
            .collect()
    }

    async fn find_active_user(&self, id: UserId) -> Result<Option<UserRecord>> {
        match self
            .get_user(&vigie_core::tenancy::Scope::Platform, id)
            .await
        {
            Ok(u) if u.active => Ok(Some(u)),
            Ok(_) | Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
