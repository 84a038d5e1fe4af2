//! The mails received, each stored once per tenant by its Message-ID, with
//! what it became: a ticket, a reply, an event, or nothing (ignored,
//! refused, failed) and why. A mail's row and what it made (contact,
//! ticket, comment, attachments, event, notification) are written in the
//! transaction of its batch ([`super::write`]), the row last: a mail read
//! again after a crash finds its Message-ID taken and changes nothing.

use crate::sql::Sql;
use crate::{Result, Store, StoreError, TicketRecord, from_micros};
use sqlx::Row;
use vigie_core::Timestamp;
use vigie_core::ids::{CommentId, MailboxId, TenantId, TicketId, UserId};
use vigie_core::mail::ThreadTicket;
use vigie_core::ticket::Status;

/// The mail itself, as recorded.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The tenant it came to.
    pub tenant_id: TenantId,
    /// The mailbox it was read from (`None`: replayed from a file).
    pub mailbox_id: Option<MailboxId>,
    /// Its Message-ID.
    pub message_id: String,
    /// The sender's address.
    pub from: String,
    /// Its subject.
    pub subject: String,
    /// Its HTML body, cleaned, if any.
    pub html: Option<String>,
}

/// A received mail's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMailRecord {
    /// Its id.
    pub id: i64,
    /// The mailbox.
    pub mailbox_id: Option<MailboxId>,
    /// Its Message-ID.
    pub message_id: String,
    /// The sender.
    pub from: String,
    /// The subject.
    pub subject: String,
    /// `ticket`, `reply`, `event`, `ignored`, `refused` or `failed`.
    pub outcome: String,
    /// The ticket it made or answered.
    pub ticket_id: Option<TicketId>,
    /// Why, for what made nothing; the rule, for the rest.
    pub reason: String,
    /// When.
    pub received_at: Timestamp,
}

impl Store {
    /// The cleaned HTML of the mails that made a ticket or its replies (the
    /// caller has read the ticket): `None` for the opening mail, else the
    /// reply's comment.
    pub async fn mail_html_of_ticket(
        &self,
        ticket: &TicketRecord,
    ) -> Result<Vec<(Option<CommentId>, String)>> {
        let rows = Sql::new("SELECT comment_id, html FROM received_mails WHERE tenant_id = ")
            .bind(ticket.tenant_id.0)
            .push(" AND ticket_id = ")
            .bind(ticket.id.0)
            .push(" AND html IS NOT NULL ORDER BY id LIMIT 1000")
            .query()
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<Option<i64>, _>("comment_id")?.map(CommentId),
                    r.try_get("html")?,
                ))
            })
            .collect()
    }

    /// The Message-ID of the mail that opened a ticket (or of its first
    /// mail), so that notifications about it thread under it.
    pub async fn first_mail_of_ticket(&self, ticket: TicketId) -> Result<Option<String>> {
        let row = Sql::new("SELECT message_id FROM received_mails WHERE ticket_id = ")
            .bind(ticket.0)
            .push(" ORDER BY id LIMIT 1")
            .query()
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok(r.try_get("message_id")?)).transpose()
    }

    /// The address a tenant's notifications come from: that of its oldest
    /// active mailbox, if it has one.
    pub async fn tenant_mail_address(&self, tenant: TenantId) -> Result<Option<String>> {
        let row = Sql::new("SELECT address FROM mailboxes WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND active = ")
            .bind(true)
            .push(" ORDER BY id LIMIT 1")
            .query()
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok(r.try_get("address")?)).transpose()
    }

    /// The tenant's point-of-contact grants, with their holders' names.
    pub async fn contact_point_grants(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<vigie_core::mail::ContactGrant>> {
        let rows = Sql::new(
            "SELECT g.user_id, u.display_name, e.path, g.recursive FROM grants g \
             JOIN users u ON u.id = g.user_id JOIN entities e ON e.id = g.entity_id \
             WHERE g.tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND g.role = ")
        .bind(vigie_core::role::Role::ContactPoint.as_str())
        .push(" AND u.active = ")
        .bind(true)
        .push(" ORDER BY g.id LIMIT 10000")
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let path: String = r.try_get("path")?;
                Ok(vigie_core::mail::ContactGrant {
                    user: UserId(r.try_get("user_id")?),
                    name: r.try_get("display_name")?,
                    entity: vigie_core::tenancy::EntityPath::parse(&path)
                        .ok_or_else(|| StoreError::Database(format!("bad entity path `{path}`")))?,
                    recursive: crate::get_bool(r, "recursive")?,
                })
            })
            .collect()
    }

    /// The mails a mailbox received, newest first (at most `limit`), or
    /// the tenant's replayed ones for `None`.
    pub async fn list_received_mails(
        &self,
        tenant: TenantId,
        mailbox: Option<MailboxId>,
        limit: i64,
    ) -> Result<Vec<ReceivedMailRecord>> {
        let mut sql = Sql::new(
            "SELECT id, mailbox_id, message_id, from_address, subject, outcome, ticket_id, reason, received_at FROM received_mails WHERE tenant_id = ",
        );
        sql.bind(tenant.0);
        match mailbox {
            Some(m) => sql.push(" AND mailbox_id = ").bind(m.0),
            None => sql.push(" AND mailbox_id IS NULL"),
        };
        sql.push(" ORDER BY id DESC LIMIT ")
            .bind(limit.clamp(1, 10_000));
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(ReceivedMailRecord {
                    id: r.try_get("id")?,
                    mailbox_id: r.try_get::<Option<i64>, _>("mailbox_id")?.map(MailboxId),
                    message_id: r.try_get("message_id")?,
                    from: r.try_get("from_address")?,
                    subject: r.try_get("subject")?,
                    outcome: r.try_get("outcome")?,
                    ticket_id: r.try_get::<Option<i64>, _>("ticket_id")?.map(TicketId),
                    reason: r.try_get("reason")?,
                    received_at: from_micros(r.try_get("received_at")?),
                })
            })
            .collect()
    }
}

/// What threading needs of a ticket: whether it is closed and who its
/// people are.
pub(crate) const THREAD_SELECT: &str = "SELECT t.id, t.number, t.status, t.tenant_id, t.entity_path, \
     t.requester_id, t.assignee_id FROM tickets t WHERE t.tenant_id = ";

pub(crate) fn thread_row(row: &sqlx::any::AnyRow) -> Result<ThreadTicket> {
    let status: String = row.try_get("status")?;
    let path: String = row.try_get("entity_path")?;
    Ok(ThreadTicket {
        id: TicketId(row.try_get("id")?),
        closed: status == Status::Closed.as_str(),
        tenant: TenantId(row.try_get("tenant_id")?),
        entity: vigie_core::tenancy::EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Invalid(format!("stored entity path {path:?}")))?,
        requester: UserId(row.try_get("requester_id")?),
        assignee: row.try_get::<Option<i64>, _>("assignee_id")?.map(UserId),
    })
}
