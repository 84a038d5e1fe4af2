//! Deciding a batch of mails before writing any ([`Planner`]): what the
//! mails need is read for the whole batch in a few statements (which of
//! their Message-IDs are stored, the tickets their threading ids and
//! subject tags name, their senders and how many mails each sent lately,
//! the grants of those who answer a ticket, the tickets answered), then
//! each mail is decided by the core in order, seeing what the mails before
//! it in the batch made: a reply to one of them threads to its ticket, a
//! sender who became a contact is known by his next mail, each mail counts
//! towards its sender's rate. A ticket or contact the batch makes is known
//! until written by a provisional id, below zero, that the store never
//! gives. What it decided is written at once by
//! `vigie_store::MailBatch::store_all`.

use super::super::notify::{Answered, TicketMail, notice_mail, ticket_mail};
use super::super::parse::{self, ParsedMail};
use super::{IntakeError, MailboxContext};
use crate::AppState;
use crate::i18n::Lang;
use std::collections::{HashMap, HashSet};
use vigie_core::Timestamp;
use vigie_core::ids::{EntityId, TicketId, UserId};
use vigie_core::mail::{
    ContactGrant, Lookups, MailDecision, Notice, Requester, ThreadTicket, decide, known_sender,
    subject,
};
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::priority::Level;
use vigie_core::ticket::{Channel, TicketAccess, TicketType};
use vigie_store::{
    EntityRecord, IncomingEvent, MailAuthor, MailBatch, MailSender, MailWrite, NewAttachment,
    NewContact, NewTicket, PlannedMail, ReceivedMail, ReplyTo, SenderUser, StoreError,
    TicketRecord, UserRecord,
};

/// The most threading ids of a mail looked up.
const THREAD_IDS: usize = 20;

/// Where a mail of the batch stands after planning.
pub(super) enum Slot {
    /// Its Message-ID is stored already, or earlier in the batch.
    Duplicate,
    /// The planned mail at this position.
    Planned(usize),
}

/// What the core decided for one mail, with the sender's account.
pub(super) struct Decided {
    /// The decision.
    pub(super) decision: MailDecision,
    /// The sender's account, as the batch sees it.
    pub(super) user: Option<UserRecord>,
    /// The tickets its threading ids and its subject tag named.
    threads: [Option<ThreadTicket>; 2],
}

/// A batch being decided: what was read for it, and what the mails planned
/// so far made.
pub(super) struct Planner<'a> {
    state: &'a AppState,
    ctx: &'a MailboxContext,
    now: Timestamp,
    /// Message-IDs stored before the batch, and those it plans.
    stored: HashSet<String>,
    /// The ticket each threading id names: read, or made or answered by a
    /// mail planned before.
    threads: HashMap<String, ThreadTicket>,
    /// The tickets of the subject tags, by number.
    by_number: HashMap<i64, ThreadTicket>,
    /// The senders, by address as written, with the mails planned counted.
    senders: HashMap<String, MailSender>,
    /// How the senders who answer a ticket work tickets.
    actors: HashMap<UserId, Actor>,
    /// The tickets a reply may answer, read.
    tickets: HashMap<TicketId, TicketRecord>,
    /// The tenant's point-of-contact grants, once read.
    grants: Option<Vec<ContactGrant>>,
    /// Entities named by rules, once read (`None`: not of this tenant).
    entities: HashMap<EntityId, Option<EntityRecord>>,
    /// Contacts the batch makes so far.
    contacts: i64,
    /// The mails planned, in order.
    pub(super) plans: Vec<PlannedMail>,
}

/// The provisional id of the ticket made by the planned mail `k`.
fn made_ticket(k: usize) -> TicketId {
    TicketId(-1 - i64::try_from(k).unwrap_or(i64::MAX - 1))
}

/// The planned mail whose ticket a provisional id names.
fn made_by(id: TicketId) -> Option<usize> {
    (id.0 < 0)
        .then(|| usize::try_from(-1 - id.0).ok())
        .flatten()
}

impl<'a> Planner<'a> {
    /// Reads, in `batch`, what the mails need: `ids` are their Message-IDs
    /// (a hash of the bytes for a mail that could not be read).
    pub(super) async fn read(
        state: &'a AppState,
        ctx: &'a MailboxContext,
        batch: &mut MailBatch,
        mails: &[Result<ParsedMail, parse::ParseError>],
        ids: &[String],
        now: Timestamp,
    ) -> Result<Planner<'a>, IntakeError> {
        let tenant = ctx.mailbox.tenant_id;
        let stored = batch.stored_ids(tenant, ids).await?;
        let read: Vec<&ParsedMail> = mails.iter().filter_map(|m| m.as_ref().ok()).collect();
        let mut thread_ids = Vec::new();
        let mut numbers = Vec::new();
        let mut addresses = Vec::new();
        for m in &read {
            thread_ids.extend(m.thread_ids().into_iter().take(THREAD_IDS));
            numbers.extend(subject::tag(&m.subject));
            addresses.push(m.from.clone());
        }
        thread_ids.sort();
        thread_ids.dedup();
        numbers.sort_unstable();
        numbers.dedup();
        let threads = if thread_ids.is_empty() {
            HashMap::new()
        } else {
            batch.thread_tickets(tenant, &thread_ids).await?
        };
        let by_number = if numbers.is_empty() {
            HashMap::new()
        } else {
            batch.tickets_by_number(tenant, &numbers).await?
        };
        let since = now
            .checked_sub(jiff::SignedDuration::from_secs(
                ctx.mailbox.rate_window_seconds,
            ))
            .unwrap_or(now);
        let senders = batch.senders(tenant, &addresses, since).await?;
        // Where a sender works tickets matters only for a reply.
        let actors = if thread_ids.is_empty() && numbers.is_empty() {
            HashMap::new()
        } else {
            let users: Vec<UserRecord> = senders.values().filter_map(|s| s.user.clone()).collect();
            batch.actors(&users).await?
        };
        let mut answered: Vec<TicketId> = threads
            .values()
            .chain(by_number.values())
            .map(|t| t.id)
            .collect();
        answered.sort_unstable_by_key(|t| t.0);
        answered.dedup();
        let tickets = if answered.is_empty() {
            HashMap::new()
        } else {
            batch.tickets(tenant, &answered).await?
        };
        Ok(Planner {
            state,
            ctx,
            now,
            stored,
            threads,
            by_number,
            senders,
            actors,
            tickets,
            grants: None,
            entities: HashMap::new(),
            contacts: 0,
            plans: Vec::new(),
        })
    }

    /// Whether a Message-ID is stored already or planned, marking it
    /// planned.
    pub(super) fn seen(&mut self, id: &str) -> bool {
        !self.stored.insert(id.to_owned())
    }

    /// What the core decides for a mail, given what the batch knows.
    pub(super) async fn decide(&mut self, mail: &ParsedMail) -> Result<Decided, IntakeError> {
        let tenant = self.ctx.mailbox.tenant_id;
        let by_headers = mail
            .thread_ids()
            .iter()
            .take(THREAD_IDS)
            .find_map(|id| self.threads.get(id))
            .cloned();
        let by_tag = subject::tag(&mail.subject).and_then(|n| self.by_number.get(&n).cloned());
        let found = self.senders.get(&mail.from).cloned().unwrap_or(MailSender {
            user: None,
            recent: 0,
        });
        let sender = match &found.user {
            Some(u) => {
                let grants = if self.ctx.mailbox.single_contact {
                    self.contact_grants().await?
                } else {
                    Vec::new()
                };
                let work = if by_headers.is_none() && by_tag.is_none() {
                    Scope::Tenant {
                        tenant,
                        rules: Vec::new(),
                    }
                } else {
                    self.work_of(u)
                };
                Some(known_sender(u.id, &u.entity_path, &grants, work))
            }
            None => None,
        };
        let lookups = Lookups {
            by_headers,
            by_tag,
            sender,
            recent_from_sender: found.recent,
        };
        let decision = decide(&mail.facts(), &self.ctx.policy(), &lookups, self.now);
        Ok(Decided {
            decision,
            user: found.user,
            threads: [lookups.by_headers, lookups.by_tag],
        })
    }

    async fn contact_grants(&mut self) -> Result<Vec<ContactGrant>, IntakeError> {
        if let Some(g) = &self.grants {
            return Ok(g.clone());
        }
        let g = self
            .state
            .store()
            .contact_point_grants(self.ctx.mailbox.tenant_id)
            .await?;
        self.grants = Some(g.clone());
        Ok(g)
    }

    /// Where a sender works tickets: from his grants, none for a contact
    /// the batch makes, nowhere if he is inactive.
    fn work_of(&self, user: &UserRecord) -> Scope {
        let actor = if user.id.0 < 0 {
            Some(Actor {
                user: user.id,
                login: user.login.clone(),
                tenant: user.tenant_id,
                platform_admin: false,
                grants: Vec::new(),
            })
        } else {
            self.actors.get(&user.id).cloned()
        };
        match actor {
            Some(a) => TicketAccess::of(&a).work,
            None => Scope::Tenant {
                tenant: self.ctx.mailbox.tenant_id,
                rules: Vec::new(),
            },
        }
    }

    /// Records a mail that could not be read, as failed.
    pub(super) fn unreadable(&mut self, id: String, error: &parse::ParseError) {
        tracing::warn!(mailbox = %self.ctx.mailbox.id, message_id = %id, reason = %error, "mail refused");
        let record = ReceivedMail {
            tenant_id: self.ctx.mailbox.tenant_id,
            mailbox_id: Some(self.ctx.mailbox.id),
            message_id: id,
            from: String::new(),
            subject: String::new(),
            html: None,
        };
        self.nothing(record, "failed", error.to_string(), None);
    }

    fn nothing(
        &mut self,
        record: ReceivedMail,
        outcome: &'static str,
        reason: String,
        notice: Option<vigie_store::OutgoingMail>,
    ) {
        if !record.from.is_empty() {
            self.count(&record.from);
        }
        self.plans.push(PlannedMail {
            record,
            reason: String::new(),
            write: MailWrite::Nothing {
                outcome,
                reason,
                notice,
            },
        });
    }

    /// Counts a planned mail towards its sender's rate.
    fn count(&mut self, from: &str) {
        self.senders
            .entry(from.to_owned())
            .or_insert(MailSender {
                user: None,
                recent: 0,
            })
            .recent += 1;
    }

    /// Plans what a read mail makes, as decided; `false` if it cannot be
    /// planned in this batch (it answers, as someone outside it, a ticket
    /// made by the same batch, whose number is not known yet): it starts
    /// the next one.
    pub(super) async fn plan(
        &mut self,
        mail: &ParsedMail,
        decided: Decided,
    ) -> Result<bool, IntakeError> {
        let ctx = self.ctx;
        let now = self.now;
        let tenant = ctx.mailbox.tenant_id;
        for w in &mail.warnings {
            tracing::info!(mailbox = %ctx.mailbox.id, message_id = %mail.message_id, "{w}");
        }
        let record = ReceivedMail {
            tenant_id: tenant,
            mailbox_id: Some(ctx.mailbox.id),
            message_id: mail.message_id.clone(),
            from: mail.from.clone(),
            subject: mail.subject.chars().take(500).collect(),
            html: mail.html.clone(),
        };
        let user = decided.user;
        let lang = user
            .as_ref()
            .and_then(|u| u.locale.as_deref())
            .and_then(Lang::from_code)
            .unwrap_or(Lang::Fr);
        let mut warnings = mail.warnings.join("\n");
        if !warnings.is_empty() {
            warnings = format!("\n\n---\n{warnings}");
        }
        let k = self.plans.len();
        match decided.decision {
            MailDecision::Ignore(r) => {
                self.nothing(record, "ignored", r.describe(), None);
            }
            MailDecision::Refuse(notice) => {
                let reason = match &notice {
                    Notice::UnknownSender => "unknown_sender",
                    Notice::NotContactPoint { .. } => "not_contact_point",
                };
                let to = Answered {
                    tenant,
                    sender: &ctx.mailbox.address,
                    recipient: &mail.from,
                    subject: &mail.subject,
                    message_id: &mail.message_id,
                };
                let n = notice_mail(&notice, lang, to, now);
                self.nothing(record, "refused", reason.into(), Some(n));
            }
            MailDecision::Event { rule, event } => {
                let Some(key) = ctx.key.clone() else {
                    let why = format!(
                        "rule `{rule}` makes events but the mailbox has no integration key"
                    );
                    self.nothing(record, "failed", why, None);
                    return Ok(true);
                };
                self.count(&mail.from);
                self.plans.push(PlannedMail {
                    record,
                    reason: format!("rule: {rule}"),
                    write: MailWrite::Event {
                        key,
                        event: Box::new(IncomingEvent::of(*event)),
                    },
                });
            }
            MailDecision::Reply {
                ticket,
                author: who,
                body,
            } => {
                let thread = decided
                    .threads
                    .into_iter()
                    .flatten()
                    .find(|t| t.id == ticket);
                let to = match made_by(ticket) {
                    Some(made) => ReplyTo::Made(made),
                    None => ReplyTo::Read(Box::new(
                        self.tickets
                            .get(&ticket)
                            .cloned()
                            .ok_or(StoreError::NotFound)?,
                    )),
                };
                let author = self.author(&who, user.as_ref(), mail);
                self.count(&mail.from);
                if let Some(t) = thread {
                    self.threads.insert(mail.message_id.clone(), t);
                }
                self.plans.push(PlannedMail {
                    record,
                    reason: String::new(),
                    write: MailWrite::Reply {
                        ticket: to,
                        author,
                        body: format!("{body}{warnings}"),
                        attachments: attachments(mail),
                    },
                });
            }
            MailDecision::Open {
                requester,
                placement,
                title,
                description,
                rule,
                answers,
            } => {
                let entity = match placement.entity {
                    Some(e) if e != ctx.entity.id => match self.entity(e).await {
                        Some(found) => found,
                        None => {
                            let why = format!("the rule names entity {e}, not one of this tenant");
                            self.nothing(record, "failed", why, None);
                            return Ok(true);
                        }
                    },
                    _ => ctx.entity.clone(),
                };
                let priority = placement
                    .priority
                    .unwrap_or_else(|| ctx.settings.matrix.priority(Level::Moyen, Level::Moyen));
                let description = if description.is_empty() {
                    "(message sans texte / message without text)".to_owned()
                } else {
                    description
                };
                // A reply from someone who does not take part in the ticket
                // he answered: his own ticket, which says which one.
                let description = match answers {
                    Some(t) if made_by(t).is_some() => return Ok(false),
                    Some(t) => {
                        let number = match self.tickets.get(&t) {
                            Some(found) => found.number.to_string(),
                            None => t.to_string(),
                        };
                        format!(
                            "{}\n\n{description}",
                            lang.t1("mail-not-participant", "number", number)
                        )
                    }
                    None => description,
                };
                let new = NewTicket {
                    ticket_type: TicketType::Incident,
                    entity_id: entity.id,
                    title,
                    description: format!("{description}{warnings}"),
                    requester_id: UserId::SYSTEM,
                    channel: Channel::Email,
                    category_id: placement.category,
                    service_ref: None,
                    ci_refs: String::new(),
                    impact: Level::Moyen,
                    urgency: Level::Moyen,
                    priority,
                };
                let group = match placement.group {
                    Some(g) => Some(g),
                    None => crate::desk::route_group(&ctx.routing, &entity, &new),
                };
                let sender = ctx.mailbox.address.clone();
                let recipient = mail.from.clone();
                let in_reply_to = mail.message_id.clone();
                let notify: vigie_store::MailNotify = Box::new(move |t| {
                    Some(ticket_mail(&TicketMail {
                        kind: vigie_core::notification::NotificationKind::TicketCreated,
                        lang,
                        ticket: t,
                        sender: &sender,
                        recipient: &recipient,
                        text: None,
                        who: "",
                        author: "",
                        survey_link: None,
                        ticket_link: None,
                        in_reply_to: Some(&in_reply_to),
                        now,
                    }))
                });
                let author = self.author(&requester, user.as_ref(), mail);
                let requester_id = match &author {
                    MailAuthor::User(u) => u.id,
                    MailAuthor::NewContact(_) => self
                        .senders
                        .get(&mail.from)
                        .and_then(|s| s.user.as_ref())
                        .map_or(UserId::SYSTEM, |u| u.id),
                };
                self.count(&mail.from);
                self.threads.insert(
                    mail.message_id.clone(),
                    ThreadTicket {
                        id: made_ticket(k),
                        closed: false,
                        tenant,
                        entity: entity.path.clone(),
                        requester: requester_id,
                        assignee: None,
                    },
                );
                self.plans.push(PlannedMail {
                    record,
                    reason: rule.map(|r| format!("rule: {r}")).unwrap_or_default(),
                    write: MailWrite::Ticket {
                        entity,
                        ticket: new,
                        group,
                        author,
                        attachments: attachments(mail),
                        notify: Some(notify),
                    },
                });
            }
        }
        Ok(true)
    }

    /// Who writes a mail that makes a ticket or a reply: his account, or
    /// the contact made for his address (by this mail, known from now on
    /// to the batch by a provisional id, or by an earlier one).
    fn author(
        &mut self,
        requester: &Requester,
        user: Option<&UserRecord>,
        mail: &ParsedMail,
    ) -> MailAuthor {
        if let (Requester::User(_), Some(u)) = (requester, user)
            && u.id.0 >= 0
        {
            return MailAuthor::User(SenderUser {
                id: u.id,
                login: u.login.clone(),
            });
        }
        let contact = NewContact {
            address: mail.from.clone(),
            name: mail.from_name.chars().take(200).collect(),
            entity_id: self.ctx.mailbox.entity_id,
        };
        let known = self
            .senders
            .get(&mail.from)
            .is_some_and(|s| s.user.is_some());
        if !known && !mail.from.is_empty() {
            self.contacts += 1;
            let entity = &self.ctx.entity;
            let made = UserRecord {
                id: UserId(-self.contacts),
                tenant_id: self.ctx.mailbox.tenant_id,
                entity_id: entity.id,
                entity_path: entity.path.clone(),
                login: mail.from.clone(),
                display_name: contact.name.clone(),
                email: Some(mail.from.clone()),
                locale: None,
                platform_admin: false,
                active: true,
                created_at: self.now,
                updated_at: self.now,
            };
            self.senders
                .entry(mail.from.clone())
                .or_insert(MailSender {
                    user: None,
                    recent: 0,
                })
                .user = Some(made);
        }
        MailAuthor::NewContact(contact)
    }

    /// An entity a rule names, if it is of the mailbox's tenant.
    async fn entity(&mut self, id: EntityId) -> Option<EntityRecord> {
        if let Some(e) = self.entities.get(&id) {
            return e.clone();
        }
        let found = match self.state.store().get_entity(&Scope::Platform, id).await {
            Ok(e) if e.tenant_id == self.ctx.mailbox.tenant_id => Some(e),
            _ => None,
        };
        self.entities.insert(id, found.clone());
        found
    }
}

fn attachments(mail: &ParsedMail) -> Vec<NewAttachment> {
    use sha2::Digest;
    mail.attachments
        .iter()
        .map(|a| NewAttachment {
            file_name: a.name.clone(),
            content_type: a.content_type.clone(),
            public: true,
            sha256: crate::api::attachments::hex(&sha2::Sha256::digest(&a.content)),
            content: a.content.clone(),
        })
        .collect()
}
