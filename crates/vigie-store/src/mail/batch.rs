//! A batch of received mails in one transaction ([`MailBatch`]): the
//! look-ups a mail needs (was its Message-ID stored, which ticket it
//! threads to, who sent it, how many mails he sent lately) run inside the
//! transaction that stores the mails before it, so a reply to a mail of the
//! same batch threads and a sender who became a contact on his first mail
//! is found by his second. The SLA targets and calendars are read once per
//! batch (one `ClockContext`), and the batch commits once.
//!
//! Nothing is committed before [`MailBatch::commit`]; a batch dropped
//! without it is rolled back whole. A mail the store refuses leaves the
//! transaction holding part of its writes: the caller then drops the batch
//! and stores its mails again one by one.

use super::received::{MailStored, MailWrite, ReceivedMail, THREAD_SELECT, store_in, thread_row};
use crate::sql::Sql;
use crate::{Backend, Result, Store, StoreError, TicketRecord, UserRecord};
use sqlx::{Any, Row, Transaction};
use std::collections::HashSet;
use vigie_core::Timestamp;
use vigie_core::ids::{TenantId, TicketId};
use vigie_core::mail::ThreadTicket;
use vigie_core::tenancy::Actor;

/// Received mails being stored in one transaction.
pub struct MailBatch {
    tx: Transaction<'static, Any>,
    backend: Backend,
    clocks: crate::sla::ClockContext,
}

/// Who sent a mail, as the batch sees him.
#[derive(Clone, Debug)]
pub struct MailSender {
    /// The active user of the tenant with the sender's address, if any.
    pub user: Option<UserRecord>,
    /// How many mails from that address the tenant received since the
    /// time asked.
    pub recent: u32,
}

impl Store {
    /// Opens a batch of received mails (one write transaction).
    pub async fn begin_mail_batch(&self) -> Result<MailBatch> {
        Ok(MailBatch {
            tx: self.write_tx().await?,
            backend: self.backend,
            clocks: self.clock_context(),
        })
    }
}

impl MailBatch {
    /// Which of `ids` are stored already in the tenant (one statement per
    /// 500 ids).
    pub async fn stored_ids(
        &mut self,
        tenant: TenantId,
        ids: &[String],
    ) -> Result<HashSet<String>> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(500) {
            if chunk.is_empty() {
                continue;
            }
            let mut sql = Sql::new("SELECT message_id FROM received_mails WHERE tenant_id = ");
            sql.bind(tenant.0).push(" AND message_id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(id.as_str());
            }
            sql.push(")");
            for row in sql.query().fetch_all(&mut *self.tx).await? {
                found.insert(row.try_get::<String, _>("message_id")?);
            }
        }
        Ok(found)
    }

    /// The ticket one of `ids` (Message-IDs received or sent by Vigie)
    /// belongs to in the tenant, in one statement: the first id that names
    /// one wins.
    pub async fn thread_ticket(
        &mut self,
        tenant: TenantId,
        ids: &[String],
    ) -> Result<Option<ThreadTicket>> {
        let ids: Vec<&String> = ids.iter().take(20).collect();
        if ids.is_empty() {
            return Ok(None);
        }
        // Each id's ticket, with the id's position; the first wins.
        let mut sql = Sql::new(
            "SELECT t.id, t.status, t.tenant_id, t.entity_path, t.requester_id, t.assignee_id, m.pos \
             FROM tickets t JOIN (",
        );
        for (rank, id) in ids.iter().enumerate() {
            if rank > 0 {
                sql.push(" UNION ALL ");
            }
            let pos = format!("SELECT ticket_id, {rank} AS pos FROM ");
            sql.push(&pos)
                .push("received_mails WHERE tenant_id = ")
                .bind(tenant.0)
                .push(" AND message_id = ")
                .bind(id.as_str())
                .push(" UNION ALL ")
                .push(&pos)
                .push("mail_outbox WHERE tenant_id = ")
                .bind(tenant.0)
                .push(" AND message_id = ")
                .bind(id.as_str());
        }
        sql.push(") m ON m.ticket_id = t.id WHERE t.tenant_id = ")
            .bind(tenant.0)
            .push(" ORDER BY m.pos, t.id LIMIT 1");
        let row = sql.query().fetch_optional(&mut *self.tx).await?;
        row.map(|r| thread_row(&r)).transpose()
    }

    /// The tenant's ticket numbered `number`, for a subject tag.
    pub async fn ticket_by_number(
        &mut self,
        tenant: TenantId,
        number: i64,
    ) -> Result<Option<ThreadTicket>> {
        let row = Sql::new(THREAD_SELECT)
            .bind(tenant.0)
            .push(" AND t.number = ")
            .bind(number)
            .query()
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|r| thread_row(&r)).transpose()
    }

    /// The sender of a mail: the tenant's oldest active user with this
    /// address, and how many mails from it arrived since `since`, in one
    /// statement.
    pub async fn sender(
        &mut self,
        tenant: TenantId,
        address: &str,
        since: Timestamp,
    ) -> Result<MailSender> {
        if address.is_empty() {
            return Ok(MailSender {
                user: None,
                recent: 0,
            });
        }
        let (user, recent) =
            crate::users::user_by_email_in(&mut self.tx, tenant, address, since).await?;
        Ok(MailSender { user, recent })
    }

    /// The actor a user works tickets as (his grants), `None` if he is
    /// inactive.
    pub async fn actor(&mut self, user: &UserRecord) -> Result<Option<Actor>> {
        if !user.active {
            return Ok(None);
        }
        let grants = crate::users::grants_in(&mut self.tx, user.id).await?;
        Ok(Some(crate::users::actor_of(user, grants)))
    }

    /// A ticket of the tenant, as the batch sees it.
    pub async fn ticket(&mut self, tenant: TenantId, id: TicketId) -> Result<TicketRecord> {
        crate::tickets::ticket_in(&mut self.tx, tenant, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Stores one mail and what it makes. A reply's ticket must have been
    /// read in this batch ([`MailBatch::ticket`]): its status is not read
    /// again. On `Duplicate` or an error, the transaction may hold part of
    /// the mail's writes: drop the batch.
    pub async fn store(
        &mut self,
        now: Timestamp,
        mail: &ReceivedMail,
        reason: &str,
        write: MailWrite,
    ) -> Result<MailStored> {
        store_in(
            &mut self.tx,
            self.backend,
            &mut self.clocks,
            now,
            mail,
            reason,
            write,
        )
        .await
    }

    /// Commits every mail stored in the batch.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
