//! Major incidents: the flag, the links to child incidents, and the log of
//! communications to stakeholders. The rules are the core's
//! (`vigie_core::ticket::major`); the caller checks them before calling.

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, TicketRecord, from_micros, micros};
use sqlx::Row;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{TicketId, UserId};
use vigie_core::tenancy::Actor;

/// A message sent to stakeholders about a major incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommunicationRecord {
    /// Its id.
    pub id: i64,
    /// Who it was for (e.g. "Direction", "Utilisateurs du site de Lille").
    pub audience: String,
    /// What was said.
    pub body: String,
    /// Who sent it.
    pub author_label: String,
    /// When.
    pub sent_at: Timestamp,
}

fn target(t: &TicketRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(t.tenant_id),
        entity_id: Some(t.entity_id.0),
        entity_path: Some(&t.entity_path),
        record_type: "ticket",
        record_id: t.id.0,
    }
}

fn flag(major: bool) -> Fields {
    vec![("major", major.then(|| "true".to_owned()))]
}

fn parent(p: Option<TicketId>) -> Fields {
    vec![("parent_id", p.map(|p| p.to_string()))]
}

impl Store {
    /// Declares a ticket major, or not; undeclaring unlinks its children.
    pub async fn set_major(
        &self,
        actor: &Actor,
        now: Timestamp,
        ticket: &TicketRecord,
        major: bool,
    ) -> Result<()> {
        if ticket.major == major {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        Sql::update(
            "tickets",
            vec![("major", major.into()), ("updated_at", micros(now).into())],
            ("id", ticket.id.0.into()),
        )
        .query()
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            now,
            target(ticket),
            Some(&flag(ticket.major)),
            Some(&flag(major)),
        )
        .await?;
        if !major {
            let children = Sql::new("SELECT id FROM tickets WHERE parent_id = ")
                .bind(ticket.id.0)
                .query()
                .fetch_all(&mut *tx)
                .await?;
            for row in children {
                let child: i64 = row.try_get("id")?;
                Sql::update(
                    "tickets",
                    vec![("parent_id", None::<i64>.into())],
                    ("id", child.into()),
                )
                .query()
                .execute(&mut *tx)
                .await?;
                let child_target = AuditTarget {
                    record_id: child,
                    ..target(ticket)
                };
                record(
                    &mut tx,
                    actor,
                    now,
                    child_target,
                    Some(&parent(Some(ticket.id))),
                    Some(&parent(None)),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Links `child` under the major incident `parent` (`Some`), or unlinks
    /// it (`None`).
    pub async fn set_parent(
        &self,
        actor: &Actor,
        now: Timestamp,
        child: &TicketRecord,
        new_parent: Option<TicketId>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        set_parent_in(&mut tx, actor, now, child, new_parent).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a communication about a major incident.
    pub async fn add_communication(
        &self,
        actor: &Actor,
        now: Timestamp,
        ticket: &TicketRecord,
        audience: &str,
        body: &str,
    ) -> Result<CommunicationRecord> {
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "major_communications",
            vec![
                ("tenant_id", ticket.tenant_id.0.into()),
                ("ticket_id", ticket.id.0.into()),
                ("audience", audience.into()),
                ("body", body.into()),
                (
                    "author_id",
                    (actor.user != UserId::SYSTEM)
                        .then_some(actor.user.0)
                        .into(),
                ),
                ("author_label", actor.login.as_str().into()),
                ("sent_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(CommunicationRecord {
            id,
            audience: audience.to_owned(),
            body: body.to_owned(),
            author_label: actor.login.clone(),
            sent_at: now,
        })
    }

    /// The communications about a ticket the caller has read, oldest first.
    pub async fn list_communications(
        &self,
        ticket: &TicketRecord,
    ) -> Result<Vec<CommunicationRecord>> {
        let rows = Sql::new("SELECT id, audience, body, author_label, sent_at FROM major_communications WHERE ticket_id = ")
            .bind(ticket.id.0)
            .push(" ORDER BY id LIMIT 10000")
            .query()
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CommunicationRecord {
                    id: r.try_get("id")?,
                    audience: r.try_get("audience")?,
                    body: r.try_get("body")?,
                    author_label: r.try_get("author_label")?,
                    sent_at: from_micros(r.try_get("sent_at")?),
                })
            })
            .collect()
    }
}

/// Sets or clears `child`'s parent inside the caller's transaction, with
/// its audit line (the major-incident links and the event processor's
/// merged incidents).
pub(crate) async fn set_parent_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    now: Timestamp,
    child: &TicketRecord,
    new_parent: Option<TicketId>,
) -> Result<()> {
    Sql::update(
        "tickets",
        vec![
            ("parent_id", new_parent.map(|p| p.0).into()),
            ("updated_at", micros(now).into()),
        ],
        ("id", child.id.0.into()),
    )
    .query()
    .execute(&mut **tx)
    .await?;
    record(
        tx,
        actor,
        now,
        target(child),
        Some(&parent(child.parent_id)),
        Some(&parent(new_parent)),
    )
    .await
}
