//! What a batch of received mails writes, decided before and written at
//! once ([`store_all`]): the contacts the senders become, the new tickets
//! (through the store's many-row ticket insert, each by its sender), the
//! replies and attachments, the acknowledgements and notices (many per
//! statement), the events, and last the mails' own rows, many per
//! statement. A reply may answer a ticket made by an earlier mail of the
//! same batch ([`ReplyTo::Made`]); a sender who becomes a contact on his
//! first mail writes his next ones as that contact.

use super::outbox::{OutgoingMail, enqueue_many_in};
use super::received::ReceivedMail;
use crate::attachments::{Attaching, insert_attachments_in};
use crate::comments::{NewComment, insert_comments_in};
use crate::sql::Sql;
use crate::{
    EntityRecord, IncomingEvent, IntegrationKeyRecord, NewAttachment, NewTicket, Result,
    StoreError, TicketRecord, micros,
};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use vigie_core::Timestamp;
use vigie_core::ids::{CommentId, GroupId, TenantId, TicketId, UserId};
use vigie_core::tenancy::Actor;
use vigie_core::ticket::Status;

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
    /// A contact made for the address by the first mail of the batch that
    /// names it (the same address again in the batch writes as him).
    NewContact(NewContact),
}

/// Makes the notification of a ticket once the ticket exists (its number
/// goes into the subject and the Message-ID).
pub type Notify = Box<dyn FnOnce(&TicketRecord) -> Option<OutgoingMail> + Send + Sync>;

/// The ticket a reply answers.
#[derive(Clone, Debug)]
pub enum ReplyTo {
    /// A ticket read in the batch's transaction: its status stands.
    Read(Box<TicketRecord>),
    /// The ticket made by the mail at this position of the same batch.
    Made(usize),
}

/// What a mail makes.
pub enum MailWrite {
    /// A new ticket (its `requester_id` is replaced by the author's).
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
        ticket: ReplyTo,
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

impl MailWrite {
    /// The outcome its row records.
    fn outcome(&self) -> &'static str {
        match self {
            MailWrite::Ticket { .. } => "ticket",
            MailWrite::Reply { .. } => "reply",
            MailWrite::Event { .. } => "event",
            MailWrite::Nothing { outcome, .. } => outcome,
        }
    }
}

/// A mail of a batch and what it makes, decided.
pub struct PlannedMail {
    /// The mail's record.
    pub record: ReceivedMail,
    /// The rule that placed it, for what it made (a `Nothing` carries its
    /// own reason).
    pub reason: String,
    /// What it makes.
    pub write: MailWrite,
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
    /// Its Message-ID was stored already (by another writer meanwhile):
    /// its row was not written.
    Duplicate,
}

/// The received mails' columns.
const COLUMNS: [&str; 11] = [
    "tenant_id",
    "mailbox_id",
    "message_id",
    "from_address",
    "subject",
    "outcome",
    "reason",
    "html",
    "received_at",
    "ticket_id",
    "comment_id",
];

/// A mail's record and what it made (its reply's id once the replies are
/// written), until its row is written.
struct Made {
    record: ReceivedMail,
    outcome: &'static str,
    reason: String,
    ticket_id: Option<TicketId>,
    comment_id: Option<CommentId>,
}

/// Writes the mails of a batch and what they make, in order, in the
/// batch's transaction, and answers what each became. A mail whose
/// Message-ID another writer stored meanwhile answers `Duplicate`, and the
/// rest of the batch is written: the caller then rolls the batch back.
/// Errors leave part of the batch in `tx`, to roll back as well.
pub(crate) async fn store_all(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: crate::Backend,
    clocks: &mut crate::sla::ClockContext,
    now: Timestamp,
    mails: Vec<PlannedMail>,
) -> Result<Vec<MailStored>> {
    // The authors, contacts made on first need.
    let mut contacts: HashMap<(TenantId, String), Actor> = HashMap::new();
    let mut authors: Vec<Option<Actor>> = Vec::with_capacity(mails.len());
    for m in &mails {
        let author = match &m.write {
            MailWrite::Ticket { author, .. } | MailWrite::Reply { author, .. } => {
                Some(author_in(tx, m.record.tenant_id, now, author, &mut contacts).await?)
            }
            _ => None,
        };
        authors.push(author);
    }
    // The new tickets, many per statement, each asked by its author.
    let mut mails = mails;
    for (m, author) in mails.iter_mut().zip(&authors) {
        if let (MailWrite::Ticket { ticket, .. }, Some(a)) = (&mut m.write, author) {
            ticket.requester_id = a.user;
        }
    }
    let mut opening = Vec::new();
    let mut positions = Vec::new();
    for (i, (m, author)) in mails.iter().zip(&authors).enumerate() {
        if let (
            MailWrite::Ticket {
                entity,
                ticket,
                group,
                ..
            },
            Some(actor),
        ) = (&m.write, author)
        {
            opening.push(crate::tickets::Opening {
                actor,
                entity,
                new: ticket,
                group: *group,
            });
            positions.push(i);
        }
    }
    let created = crate::tickets::insert_tickets(tx, backend, now, &opening, clocks).await?;
    drop(opening);
    let made: HashMap<usize, TicketRecord> = positions.into_iter().zip(created).collect();
    // Replies, attachments, notifications, events, in order.
    let mut outbox = Vec::new();
    let mut events: Vec<(IntegrationKeyRecord, Vec<IncomingEvent>)> = Vec::new();
    let mut rows: Vec<Made> = Vec::with_capacity(mails.len());
    // Who writes on which ticket, for the replies and files below, which
    // are written together after the loop: a reply by its mail's position.
    let mut writers: Vec<(Actor, TicketRecord)> = Vec::new();
    let mut replying: Vec<(usize, usize, String)> = Vec::new();
    let mut attaching: Vec<(usize, Vec<NewAttachment>)> = Vec::new();
    for (i, (m, author)) in mails.into_iter().zip(authors).enumerate() {
        let outcome = m.write.outcome();
        let mut reason = m.reason;
        let ticket_id = match (m.write, author) {
            (
                MailWrite::Ticket {
                    attachments,
                    notify,
                    ..
                },
                Some(actor),
            ) => {
                let ticket = made
                    .get(&i)
                    .ok_or_else(|| StoreError::Database("a mail's ticket was not made".into()))?;
                if let Some(n) = notify.and_then(|f| f(ticket)) {
                    outbox.push(n);
                }
                if !attachments.is_empty() {
                    attaching.push((writers.len(), attachments));
                    writers.push((actor, ticket.clone()));
                }
                Some(ticket.id)
            }
            (
                MailWrite::Reply {
                    ticket,
                    body,
                    attachments,
                    ..
                },
                Some(actor),
            ) => {
                let ticket = match ticket {
                    ReplyTo::Read(t) => *t,
                    ReplyTo::Made(k) => made.get(&k).cloned().ok_or_else(|| {
                        StoreError::Database(format!("mail {k} of the batch made no ticket"))
                    })?,
                };
                if ticket.status == Status::Closed {
                    return Err(StoreError::Conflict {
                        what: "the ticket is closed".into(),
                    });
                }
                let id = ticket.id;
                replying.push((i, writers.len(), body));
                if !attachments.is_empty() {
                    attaching.push((writers.len(), attachments));
                }
                writers.push((actor, ticket));
                Some(id)
            }
            (MailWrite::Event { key, event }, _) => {
                match events.iter_mut().find(|(k, _)| k.id == key.id) {
                    Some((_, list)) => list.push(*event),
                    None => events.push((key, vec![*event])),
                }
                None
            }
            (
                MailWrite::Nothing {
                    reason: why,
                    notice,
                    ..
                },
                _,
            ) => {
                outbox.extend(notice);
                reason = why;
                None
            }
            (MailWrite::Ticket { .. } | MailWrite::Reply { .. }, None) => {
                return Err(StoreError::Database("a mail's author was not made".into()));
            }
        };
        rows.push(Made {
            record: m.record,
            outcome,
            reason,
            ticket_id,
            comment_id: None,
        });
    }
    let comments: Vec<NewComment<'_>> = replying
        .iter()
        .map(|(_, w, body)| NewComment {
            actor: &writers[*w].0,
            ticket: &writers[*w].1,
            public: true,
            body,
        })
        .collect();
    let written = insert_comments_in(tx, backend, now, &comments).await?;
    for ((mail, ..), comment) in replying.iter().zip(written) {
        rows[*mail].comment_id = Some(comment);
    }
    let files: Vec<Attaching<'_>> = attaching
        .iter()
        .flat_map(|(w, list)| {
            let (actor, ticket) = &writers[*w];
            list.iter().map(move |new| Attaching { actor, ticket, new })
        })
        .collect();
    insert_attachments_in(tx, backend, now, &files).await?;
    enqueue_many_in(tx, backend, now, outbox).await?;
    for (key, list) in &events {
        crate::events::insert_events_in(tx, backend, key, now, list).await?;
    }
    // The mails' rows, last: a Message-ID taken meanwhile is not written.
    let mut ids = Vec::with_capacity(rows.len());
    let mut answers = Vec::with_capacity(rows.len());
    let mut values = Vec::with_capacity(rows.len());
    for made in rows {
        let record = made.record;
        ids.push((record.tenant_id, record.message_id.clone()));
        answers.push(MailStored::Stored {
            ticket_id: made.ticket_id,
            comment_id: made.comment_id,
        });
        values.push(vec![
            record.tenant_id.0.into(),
            record.mailbox_id.map(|m| m.0).into(),
            record.message_id.into(),
            record.from.into(),
            record.subject.into(),
            made.outcome.into(),
            made.reason.into(),
            record.html.into(),
            micros(now).into(),
            made.ticket_id.map(|t| t.0).into(),
            made.comment_id.map(|c| c.0).into(),
        ]);
    }
    let mut written: HashSet<(TenantId, String)> = HashSet::with_capacity(ids.len());
    for mut sql in Sql::insert_chunks(backend, "received_mails", &COLUMNS, values) {
        sql.push(" ON CONFLICT (tenant_id, message_id) DO NOTHING RETURNING tenant_id, message_id");
        for row in sql.query().fetch_all(&mut **tx).await? {
            written.insert((
                TenantId(row.try_get("tenant_id")?),
                row.try_get("message_id")?,
            ));
        }
    }
    Ok(ids
        .iter()
        .zip(answers)
        .map(|(id, stored)| {
            if written.contains(id) {
                stored
            } else {
                MailStored::Duplicate
            }
        })
        .collect())
}

/// The actor a mail writes as: its known sender, or the contact made for
/// its address (by this mail, or by an earlier one of the batch: login the
/// address, or the address and the tenant's id when another tenant holds
/// that login).
async fn author_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: TenantId,
    now: Timestamp,
    author: &MailAuthor,
    contacts: &mut HashMap<(TenantId, String), Actor>,
) -> Result<Actor> {
    let c = match author {
        MailAuthor::User(u) => return Ok(actor(tenant, u.id, u.login.clone())),
        MailAuthor::NewContact(c) => c,
    };
    if let Some(a) = contacts.get(&(tenant, c.address.clone())) {
        return Ok(a.clone());
    }
    let taken = Sql::new("SELECT id, tenant_id FROM users WHERE login = ")
        .bind(c.address.as_str())
        .query()
        .fetch_optional(&mut **tx)
        .await?;
    let made = if let Some(row) = &taken
        && TenantId(row.try_get("tenant_id")?) == tenant
    {
        // A user of the tenant holds the address as his login.
        actor(tenant, UserId(row.try_get("id")?), c.address.clone())
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
        actor(tenant, UserId(id), login)
    };
    contacts.insert((tenant, c.address.clone()), made.clone());
    Ok(made)
}

fn actor(tenant: TenantId, user: UserId, login: String) -> Actor {
    Actor {
        user,
        login,
        tenant,
        platform_admin: false,
        grants: Vec::new(),
    }
}
