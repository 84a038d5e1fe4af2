//! A batch of received mails in one transaction ([`MailBatch`]): what the
//! mails need to be decided is read for the whole batch at once (which
//! Message-IDs are stored, the tickets their threading ids and subject tags
//! name, their senders and how many mails each sent lately, the tickets
//! they answer), inside the transaction that then stores them all
//! ([`MailBatch::store_all`]); the caller resolves in memory what a mail
//! owes to the mails before it in the batch (a reply to one of them, a
//! sender who became a contact on his first mail). The SLA targets and
//! calendars are read once per batch (one `ClockContext`), and the batch
//! commits once.
//!
//! Nothing is committed before [`MailBatch::commit`]; a batch dropped
//! without it is rolled back whole. A mail the store refuses leaves the
//! transaction holding part of the batch: the caller then drops it and
//! stores the mails again one by one.

use super::received::{THREAD_SELECT, thread_row};
use super::write::{MailStored, PlannedMail, store_all};
use crate::sql::Sql;
use crate::{Backend, Result, Store, TicketRecord, UserRecord, micros};
use sqlx::{Any, Row, Transaction};
use std::collections::{HashMap, HashSet};
use vigie_core::Timestamp;
use vigie_core::ids::{TenantId, TicketId, UserId};
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
            sql.bind_list(chunk.iter().map(|id| id.as_str()));
            sql.push(")");
            for row in sql.query().fetch_all(&mut *self.tx).await? {
                found.insert(row.try_get::<String, _>("message_id")?);
            }
        }
        Ok(found)
    }

    /// The ticket each of `ids` (Message-IDs received or sent by Vigie)
    /// belongs to in the tenant, for those that name one (the lowest
    /// ticket id if one names several), one statement per 400 ids.
    pub async fn thread_tickets(
        &mut self,
        tenant: TenantId,
        ids: &[String],
    ) -> Result<HashMap<String, ThreadTicket>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(400) {
            let mut sql = Sql::new(
                "SELECT m.message_id, t.id, t.status, t.tenant_id, t.entity_path, t.requester_id, \
                 t.assignee_id FROM tickets t JOIN (",
            );
            for (n, table) in ["received_mails", "mail_outbox"].iter().enumerate() {
                if n > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push("SELECT message_id, ticket_id FROM ")
                    .push(table)
                    .push(" WHERE tenant_id = ")
                    .bind(tenant.0)
                    .push(" AND message_id IN (");
                sql.bind_list(chunk.iter().map(|id| id.as_str()));
                sql.push(")");
            }
            sql.push(") m ON m.ticket_id = t.id WHERE t.tenant_id = ")
                .bind(tenant.0)
                .push(" ORDER BY t.id");
            for row in sql
                .for_backend(self.backend)
                .query()
                .fetch_all(&mut *self.tx)
                .await?
            {
                let id: String = row.try_get("message_id")?;
                if let std::collections::hash_map::Entry::Vacant(slot) = found.entry(id) {
                    slot.insert(thread_row(&row)?);
                }
            }
        }
        Ok(found)
    }

    /// The tenant's tickets numbered among `numbers`, for subject tags.
    pub async fn tickets_by_number(
        &mut self,
        tenant: TenantId,
        numbers: &[i64],
    ) -> Result<HashMap<i64, ThreadTicket>> {
        let mut found = HashMap::new();
        for chunk in numbers.chunks(500) {
            let mut sql = Sql::new(THREAD_SELECT);
            sql.bind(tenant.0).push(" AND t.number IN (");
            sql.bind_list(chunk.iter().copied());
            sql.push(")");
            for row in sql.query().fetch_all(&mut *self.tx).await? {
                found.insert(row.try_get("number")?, thread_row(&row)?);
            }
        }
        Ok(found)
    }

    /// The senders of a batch's mails, by address as given: the tenant's
    /// oldest active user with the address (compared in lower case), and
    /// how many mails from that address arrived since `since`, in two
    /// statements per 500 addresses.
    pub async fn senders(
        &mut self,
        tenant: TenantId,
        addresses: &[String],
        since: Timestamp,
    ) -> Result<HashMap<String, MailSender>> {
        let addresses: Vec<String> = addresses
            .iter()
            .filter(|a| !a.is_empty())
            .cloned()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let users = crate::users::users_by_email_in(&mut self.tx, tenant, &addresses).await?;
        let mut recent: HashMap<String, u32> = HashMap::new();
        for chunk in addresses.chunks(500) {
            let mut sql = Sql::new(
                "SELECT from_address, COUNT(*) AS recent FROM received_mails WHERE tenant_id = ",
            );
            sql.bind(tenant.0)
                .push(" AND received_at >= ")
                .bind(micros(since))
                .push(" AND from_address IN (");
            sql.bind_list(chunk.iter().map(|a| a.as_str()));
            sql.push(") GROUP BY from_address");
            for row in sql.query().fetch_all(&mut *self.tx).await? {
                let count = u32::try_from(row.try_get::<i64, _>("recent")?).unwrap_or(u32::MAX);
                recent.insert(row.try_get("from_address")?, count);
            }
        }
        Ok(addresses
            .into_iter()
            .map(|a| {
                let sender = MailSender {
                    user: users.get(&a.to_lowercase()).cloned(),
                    recent: recent.get(&a).copied().unwrap_or(0),
                };
                (a, sender)
            })
            .collect())
    }

    /// The actors the active ones of `users` work tickets as (their
    /// grants), by id, in one statement per 500 users.
    pub async fn actors(&mut self, users: &[UserRecord]) -> Result<HashMap<UserId, Actor>> {
        let active: Vec<&UserRecord> = users.iter().filter(|u| u.active).collect();
        let ids: Vec<UserId> = active.iter().map(|u| u.id).collect();
        let mut grants = crate::users::grants_of_in(&mut self.tx, &ids).await?;
        Ok(active
            .into_iter()
            .map(|u| {
                let mine = grants.remove(&u.id).unwrap_or_default();
                (u.id, crate::users::actor_of(u, mine))
            })
            .collect())
    }

    /// The tenant's tickets among `ids`, as the batch sees them.
    pub async fn tickets(
        &mut self,
        tenant: TenantId,
        ids: &[TicketId],
    ) -> Result<HashMap<TicketId, TicketRecord>> {
        crate::tickets::tickets_in(&mut self.tx, tenant, ids).await
    }

    /// Stores the batch's mails and what they make, decided: replies name
    /// the tickets read in this batch ([`MailBatch::tickets`]) or made by
    /// an earlier mail of it. A mail answered `Duplicate` (stored meanwhile
    /// by another writer) or an error leaves the transaction holding part
    /// of the batch: drop it.
    pub async fn store_all(
        &mut self,
        now: Timestamp,
        mails: Vec<PlannedMail>,
    ) -> Result<Vec<MailStored>> {
        store_all(&mut self.tx, self.backend, &mut self.clocks, now, mails).await
    }

    /// Commits every mail stored in the batch.
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
