//! The mails received, each stored once per tenant by its Message-ID, with
//! what it became: a ticket, a reply, an event, or nothing (ignored,
//! refused, failed) and why. [`Store::store_received_mail`] writes the mail's
//! row and what it made (contact, ticket, comment, attachments, event,
//! notification) in one transaction: a mail read again after a crash finds
//! its Message-ID taken and changes nothing.

use super::outbox::{OutgoingMail, enqueue_in};
use crate::sql::Sql;
use crate::{
    EntityRecord, IncomingEvent, IntegrationKeyRecord, NewAttachment, NewTicket, Result, Store,
    StoreError, TicketRecord, from_micros, micros,
};
use sqlx::Row;
use vigie_core::Timestamp;
use vigie_core::ids::{CommentId, GroupId, MailboxId, TenantId, TicketId, UserId};
use vigie_core::mail::ThreadTicket;
use vigie_core::tenancy::Actor;
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

/// A contact to create for an unknown sender.
#[derive(Clone, Debug)]
pub struct NewContact {
    /// His address (the login if free).
    pub address: String,
    /// His name (the address if empty).
    pub name: String,
    /// His home entity.
    pub entity_id: vigie_core::ids::EntityId,
}

/// A known user writing.
#[derive(Clone, Debug)]
pub struct SenderUser {
    /// His id.
    pub id: UserId,
    /// His login, for the audit log.
    pub login: String,
}

/// Who wrote the mail.
#[derive(Clone, Debug)]
pub enum MailAuthor {
    /// A known user.
    User(SenderUser),
    /// A contact made in the same transaction.
    NewContact(NewContact),
}

/// Makes the notification of a ticket once the ticket exists (its number
/// goes into the subject and the Message-ID).
pub type Notify = Box<dyn FnOnce(&TicketRecord) -> Option<OutgoingMail> + Send>;

/// What a mail makes.
pub enum MailWrite {
    /// A new ticket (its `requester_id` is replaced by a new contact's).
    Ticket {
        /// Its entity, as read.
        entity: EntityRecord,
        /// The ticket.
        ticket: NewTicket,
        /// The group routing chose.
        group: Option<GroupId>,
        /// Who asks.
        author: MailAuthor,
        /// Its attachments, checked.
        attachments: Vec<NewAttachment>,
        /// The acknowledgement to send.
        notify: Option<Notify>,
    },
    /// A public reply.
    Reply {
        /// The ticket.
        ticket: TicketRecord,
        /// Who writes.
        author: MailAuthor,
        /// The text.
        body: String,
        /// Its attachments, checked.
        attachments: Vec<NewAttachment>,
    },
    /// An event, stored under the mailbox's key.
    Event {
        /// The key.
        key: IntegrationKeyRecord,
        /// The event.
        event: Box<IncomingEvent>,
    },
    /// Nothing but the record: `ignored`, `refused` or `failed`, and why.
    Nothing {
        /// The outcome.
        outcome: &'static str,
        /// Why.
        reason: String,
        /// A notice to send (a refused sender).
        notice: Option<OutgoingMail>,
    },
}

/// What storing a mail did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailStored {
    /// Stored now.
    Stored {
        /// The ticket made or answered.
        ticket_id: Option<TicketId>,
        /// The reply written.
        comment_id: Option<CommentId>,
    },
    /// Its Message-ID was stored already: nothing was written.
    Duplicate,
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
    /// Records a mail and what it makes, in one transaction; nothing at
    /// all if its Message-ID is stored already in the tenant.
    pub async fn store_received_mail(
        &self,
        now: Timestamp,
        mail: &ReceivedMail,
        reason: &str,
        write: MailWrite,
    ) -> Result<MailStored> {
        let outcome = match &write {
            MailWrite::Ticket { .. } => "ticket",
            MailWrite::Reply { .. } => "reply",
            MailWrite::Event { .. } => "event",
            MailWrite::Nothing { outcome, .. } => outcome,
        };
        let reason = match &write {
            MailWrite::Nothing { reason, .. } => reason.as_str(),
            _ => reason,
        };
        let mut tx = self.write_tx().await?;
        let mut insert = Sql::insert(
            "received_mails",
            vec![
                ("tenant_id", mail.tenant_id.0.into()),
                ("mailbox_id", mail.mailbox_id.map(|m| m.0).into()),
                ("message_id", mail.message_id.as_str().into()),
                ("from_address", mail.from.as_str().into()),
                ("subject", mail.subject.as_str().into()),
                ("outcome", outcome.into()),
                ("reason", reason.into()),
                ("html", mail.html.clone().into()),
                ("received_at", micros(now).into()),
            ],
        );
        insert.push(" ON CONFLICT (tenant_id, message_id) DO NOTHING RETURNING id");
        let Some(row) = insert.query().fetch_optional(&mut *tx).await? else {
            return Ok(MailStored::Duplicate);
        };
        let mail_row: i64 = row.try_get("id")?;
        let (ticket_id, comment_id) = match write {
            MailWrite::Ticket {
                entity,
                mut ticket,
                group,
                author,
                attachments,
                notify,
            } => {
                let actor = author_in(&mut tx, mail.tenant_id, now, author).await?;
                ticket.requester_id = actor.user;
                let mut clocks = self.clock_context();
                let created = crate::tickets::insert_ticket_in(
                    &mut tx,
                    &actor,
                    now,
                    &entity,
                    &ticket,
                    group,
                    &mut clocks,
                )
                .await?;
                attach_all(&mut tx, &actor, now, &created, &attachments).await?;
                if let Some(n) = notify.and_then(|f| f(&created)) {
                    enqueue_in(&mut tx, now, &n).await?;
                }
                (Some(created.id), None)
            }
            MailWrite::Reply {
                ticket,
                author,
                body,
                attachments,
            } => {
                let status = Sql::new("SELECT status FROM tickets WHERE id = ")
                    .bind(ticket.id.0)
                    .query()
                    .fetch_one(&mut *tx)
                    .await?;
                let status: String = status.try_get("status")?;
                if status == Status::Closed.as_str() {
                    return Err(StoreError::Conflict {
                        what: "the ticket is closed".into(),
                    });
                }
                let actor = author_in(&mut tx, mail.tenant_id, now, author).await?;
                let comment =
                    crate::comments::insert_comment(&mut tx, &actor, now, &ticket, true, &body)
                        .await?;
                attach_all(&mut tx, &actor, now, &ticket, &attachments).await?;
                (Some(ticket.id), Some(comment.id))
            }
            MailWrite::Event { key, event } => {
                crate::events::insert_events_in(
                    &mut tx,
                    self.backend,
                    &key,
                    now,
                    std::slice::from_ref(&event),
                )
                .await?;
                (None, None)
            }
            MailWrite::Nothing { notice, .. } => {
                if let Some(n) = notice {
                    enqueue_in(&mut tx, now, &n).await?;
                }
                (None, None)
            }
        };
        if ticket_id.is_some() {
            Sql::update(
                "received_mails",
                vec![
                    ("ticket_id", ticket_id.map(|t| t.0).into()),
                    ("comment_id", comment_id.map(|c| c.0).into()),
                ],
                ("id", mail_row.into()),
            )
            .query()
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(MailStored::Stored {
            ticket_id,
            comment_id,
        })
    }

    /// The open-or-closed ticket one of `ids` (Message-IDs received or sent
    /// by Vigie) belongs to in the tenant: the first id that names one wins.
    pub async fn thread_ticket(
        &self,
        tenant: TenantId,
        ids: &[String],
    ) -> Result<Option<ThreadTicket>> {
        for id in ids.iter().take(20) {
            let row = Sql::new(THREAD_SELECT)
                .bind(tenant.0)
                .push(" AND t.id IN (SELECT ticket_id FROM received_mails WHERE tenant_id = ")
                .bind(tenant.0)
                .push(" AND message_id = ")
                .bind(id.as_str())
                .push(" UNION SELECT ticket_id FROM mail_outbox WHERE tenant_id = ")
                .bind(tenant.0)
                .push(" AND message_id = ")
                .bind(id.as_str())
                .push(") ORDER BY t.id LIMIT 1")
                .query()
                .fetch_optional(self.pool())
                .await?;
            if let Some(row) = row {
                return Ok(Some(thread_row(&row)?));
            }
        }
        Ok(None)
    }

    /// The tenant's ticket numbered `number`, for a subject tag.
    pub async fn ticket_by_number(
        &self,
        tenant: TenantId,
        number: i64,
    ) -> Result<Option<ThreadTicket>> {
        let row = Sql::new(THREAD_SELECT)
            .bind(tenant.0)
            .push(" AND t.number = ")
            .bind(number)
            .query()
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| thread_row(&r)).transpose()
    }

    /// How many mails from `address` the tenant received since `since`.
    pub async fn mails_from_since(
        &self,
        tenant: TenantId,
        address: &str,
        since: Timestamp,
    ) -> Result<u32> {
        let row = Sql::new("SELECT COUNT(*) AS n FROM received_mails WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND from_address = ")
            .bind(address)
            .push(" AND received_at >= ")
            .bind(micros(since))
            .query()
            .fetch_one(self.pool())
            .await?;
        Ok(u32::try_from(row.try_get::<i64, _>("n")?).unwrap_or(u32::MAX))
    }

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

    /// Whether a Message-ID is stored in the tenant already.
    pub async fn mail_received(&self, tenant: TenantId, message_id: &str) -> Result<bool> {
        let row = Sql::new("SELECT id FROM received_mails WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND message_id = ")
            .bind(message_id)
            .query()
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    /// The active user of the tenant with this address (the oldest account
    /// if several share it).
    pub async fn find_user_by_email(
        &self,
        tenant: TenantId,
        address: &str,
    ) -> Result<Option<crate::UserRecord>> {
        let row = Sql::new("SELECT id FROM users WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND LOWER(email) = ")
            .bind(address.to_lowercase())
            .push(" AND active = ")
            .bind(true)
            .push(" ORDER BY id LIMIT 1")
            .query()
            .fetch_optional(self.pool())
            .await?;
        match row {
            Some(r) => {
                let id = UserId(r.try_get("id")?);
                Ok(Some(
                    self.get_user(&vigie_core::tenancy::Scope::Platform, id)
                        .await?,
                ))
            }
            None => Ok(None),
        }
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
const THREAD_SELECT: &str = "SELECT t.id, t.status, t.tenant_id, t.entity_path, t.requester_id, \
     t.assignee_id FROM tickets t WHERE t.tenant_id = ";

fn thread_row(row: &sqlx::any::AnyRow) -> Result<ThreadTicket> {
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

/// The actor a mail writes as: its known sender, or a contact created now
/// (login: the address, or the address and the tenant's id when another
/// tenant holds that login).
async fn author_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: TenantId,
    now: Timestamp,
    author: MailAuthor,
) -> Result<Actor> {
    let (user, login) = match author {
        MailAuthor::User(u) => (u.id, u.login),
        MailAuthor::NewContact(c) => {
            let taken = Sql::new("SELECT id, tenant_id, email FROM users WHERE login = ")
                .bind(c.address.as_str())
                .query()
                .fetch_optional(&mut **tx)
                .await?;
            if let Some(row) = &taken
                && TenantId(row.try_get("tenant_id")?) == tenant
            {
                // The same address came twice in one batch of mails.
                (UserId(row.try_get("id")?), c.address.clone())
            } else {
                let login = if taken.is_some() {
                    format!("{}#{}", c.address, tenant.0)
                } else {
                    c.address.clone()
                };
                let name = if c.name.trim().is_empty() {
                    c.address.clone()
                } else {
                    c.name.clone()
                };
                let id = Sql::insert(
                    "users",
                    vec![
                        ("tenant_id", tenant.0.into()),
                        ("entity_id", c.entity_id.0.into()),
                        ("login", login.as_str().into()),
                        ("display_name", name.into()),
                        ("email", c.address.as_str().into()),
                        ("created_at", micros(now).into()),
                        ("updated_at", micros(now).into()),
                    ],
                )
                .insert_returning_id(tx)
                .await?;
                (UserId(id), login)
            }
        }
    };
    Ok(Actor {
        user,
        login,
        tenant,
        platform_admin: false,
        grants: Vec::new(),
    })
}

async fn attach_all(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    now: Timestamp,
    ticket: &TicketRecord,
    attachments: &[NewAttachment],
) -> Result<()> {
    for a in attachments {
        let size = i64::try_from(a.content.len())
            .map_err(|_| StoreError::Invalid("the file is too large".into()))?;
        crate::attachments::insert_attachment_in(tx, actor, now, ticket, a, size).await?;
    }
    Ok(())
}
