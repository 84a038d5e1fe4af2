//! One received mail, from its bytes to what it became: parsed
//! ([`super::parse`]), looked up (threading ids, subject tag, sender,
//! recent mails from him), decided by the core (`vigie_core::mail::decide`)
//! and stored with what it made. The IMAP poller and `vigie ingest mail`
//! both hand their mails over by batches ([`ingest_batch`]: up to
//! [`BATCH`] mails in one transaction, the look-ups inside it so that a
//! mail sees those of the batch before it), and [`ingest`] handles one mail
//! alone, so a mail is handled the same whichever way it came.
//!
//! A mail that cannot be read, or whose outcome the store refuses (a
//! ticket closed meanwhile, a rule naming an entity of another tenant), is
//! recorded as `failed` with the reason and does not stop the mailbox; only
//! a database failure is returned as an error, so the caller leaves the mail
//! unread and tries again later.

use super::notify::{Answered, TicketMail, notice_mail, ticket_mail};
use super::parse::{self, Limits, ParsedMail};
use super::rules_wire::compile_stored;
use crate::AppState;
use crate::i18n::Lang;
use vigie_core::Timestamp;
use vigie_core::ids::TicketId;
use vigie_core::mail::rules::{Placement, RuleError, RuleSet};
use vigie_core::mail::{
    Lookups, MailDecision, MailboxPolicy, RateLimit, Requester, decide, known_sender, subject,
};
use vigie_core::tenancy::Scope;
use vigie_core::ticket::priority::Level;
use vigie_core::ticket::{Channel, TicketType};
use vigie_store::{
    EntityRecord, IncomingEvent, IntegrationKeyRecord, MailAuthor, MailBatch, MailStored,
    MailWrite, MailboxRecord, NewAttachment, NewContact, NewTicket, ReceivedMail, SenderUser,
    StoreError,
};

/// A mailbox with what its mails need: its rules compiled, its entity, its
/// events' key.
#[derive(Clone, Debug)]
pub struct MailboxContext {
    /// The mailbox.
    pub mailbox: MailboxRecord,
    /// Its rules.
    pub rules: RuleSet,
    /// Its default entity.
    pub entity: EntityRecord,
    /// The key its events are stored under.
    pub key: Option<IntegrationKeyRecord>,
    /// The parser's limits.
    pub limits: Limits,
    /// The tenant's ticket settings, read once per context (one IMAP run).
    pub settings: vigie_store::TicketSettings,
    /// The tenant's assignment rules, read once per context.
    pub routing: Vec<vigie_core::ticket::routing::RoutingRule>,
}

/// Why a mail could not be handled now (it stays unread, to try again).
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The database failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The mailbox's stored rules are unreadable.
    #[error("the mailbox's rules: {0}")]
    Rules(#[from] RuleError),
}

impl MailboxContext {
    /// Loads what a mailbox's mails need.
    pub async fn load(state: &AppState, mailbox: MailboxRecord) -> Result<Self, IntakeError> {
        let (_, rules) = compile_stored(&mailbox.rules)?;
        let entity = state
            .store()
            .get_entity(&Scope::Platform, mailbox.entity_id)
            .await?;
        let key = match mailbox.integration_key_id {
            Some(k) => Some(
                state
                    .store()
                    .get_integration_key(&Scope::Platform, k)
                    .await?,
            ),
            None => None,
        };
        let settings = state.store().ticket_settings(mailbox.tenant_id).await?;
        let routing = state
            .store()
            .list_assignment_rules(mailbox.tenant_id)
            .await?;
        Ok(MailboxContext {
            mailbox,
            rules,
            entity,
            key,
            limits: Limits::default(),
            settings,
            routing,
        })
    }

    fn policy(&self) -> MailboxPolicy<'_> {
        MailboxPolicy {
            rules: &self.rules,
            defaults: Placement {
                entity: Some(self.mailbox.entity_id),
                category: self.mailbox.category_id,
                ..Placement::default()
            },
            unknown: self.mailbox.unknown_senders,
            single_contact: self.mailbox.single_contact,
            rate: RateLimit {
                max: self.mailbox.rate_max,
                window: jiff::SignedDuration::from_secs(self.mailbox.rate_window_seconds),
            },
        }
    }
}

/// What a mail became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new ticket.
    Ticket(TicketId),
    /// A reply on a ticket.
    Reply(TicketId),
    /// An event.
    Event,
    /// Ignored, and why.
    Ignored(String),
    /// Refused with a notice, and why.
    Refused(String),
    /// Recorded as failed, and why.
    Failed(String),
    /// Stored already.
    Duplicate,
}

/// The most mails one transaction stores ([`ingest_batch`]).
pub const BATCH: usize = 100;

/// What the core would decide for a mail, and the parsed mail: nothing is
/// written (the rule tester; the look-ups run in a transaction rolled back).
pub async fn preview(
    state: &AppState,
    ctx: &MailboxContext,
    raw: &[u8],
) -> Result<Result<(ParsedMail, MailDecision), parse::ParseError>, IntakeError> {
    let mail = match parse::parse(raw, &ctx.limits) {
        Ok(m) => m,
        Err(e) => return Ok(Err(e)),
    };
    let now = state.clock().now();
    let mut batch = state.store().begin_mail_batch().await?;
    let mut seen = Seen::default();
    let found = lookups(state, ctx, &mut batch, &mut seen, &mail, now).await?;
    let decision = decide(&mail.facts(), &ctx.policy(), &found.lookups, now);
    Ok(Ok((mail, decision)))
}

/// Handles one raw mail for a mailbox, in its own transaction.
pub async fn ingest(
    state: &AppState,
    ctx: &MailboxContext,
    raw: &[u8],
) -> Result<Outcome, IntakeError> {
    let now = state.clock().now();
    let parsed = parse::parse(raw, &ctx.limits);
    let mut batch = state.store().begin_mail_batch().await?;
    let mut seen = Seen::default();
    let id = match &parsed {
        Ok(m) => m.message_id.clone(),
        Err(_) => fallback_id(raw),
    };
    seen.stored = batch
        .stored_ids(ctx.mailbox.tenant_id, std::slice::from_ref(&id))
        .await?;
    match handle(state, ctx, &mut batch, &mut seen, raw, parsed, now).await? {
        Handled::Done(outcome) => {
            batch.commit().await?;
            if outcome == Outcome::Event {
                state.events_waiting().notify_one();
            }
            Ok(outcome)
        }
        // Another writer stored it meanwhile: what was written for it is
        // rolled back.
        Handled::Raced => Ok(Outcome::Duplicate),
        Handled::Refused { record, error } => {
            drop(batch);
            tracing::warn!(mailbox = %ctx.mailbox.id, message_id = %record.message_id, error = %error, "mail not stored");
            let mut batch = state.store().begin_mail_batch().await?;
            let write = MailWrite::Nothing {
                outcome: "failed",
                reason: error.to_string(),
                notice: None,
            };
            match batch.store(now, &record, "", write).await? {
                MailStored::Duplicate => Ok(Outcome::Duplicate),
                MailStored::Stored { .. } => {
                    batch.commit().await?;
                    Ok(Outcome::Failed(error.to_string()))
                }
            }
        }
    }
}

/// Handles mails read together, in one transaction per [`BATCH`] mails,
/// and answers what each became, in order, once committed. A reply to a
/// mail of the same batch threads to its ticket; the same Message-ID twice
/// is stored once. If the store refuses a mail of a batch, or the batch
/// fails, its mails are handled again one by one ([`ingest`]), so that the
/// culprit is recorded as failed and the others stored; only a database
/// failure of that second pass is returned.
pub async fn ingest_batch(
    state: &AppState,
    ctx: &MailboxContext,
    raws: &[Vec<u8>],
) -> Result<Vec<Outcome>, IntakeError> {
    let mut outcomes = Vec::with_capacity(raws.len());
    for chunk in raws.chunks(BATCH) {
        if chunk.len() > 1 {
            match try_batch(state, ctx, chunk).await {
                Ok(Some(done)) => {
                    outcomes.extend(done);
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(mailbox = %ctx.mailbox.id, error = %e, "batch of mails failed, mail by mail");
                }
            }
        }
        for raw in chunk {
            outcomes.push(ingest(state, ctx, raw).await?);
        }
    }
    Ok(outcomes)
}

/// One batch in one transaction; `None` if a mail of it needs storing
/// alone (the store refused it, or another writer stored it meanwhile).
async fn try_batch(
    state: &AppState,
    ctx: &MailboxContext,
    raws: &[Vec<u8>],
) -> Result<Option<Vec<Outcome>>, IntakeError> {
    let now = state.clock().now();
    let parsed: Vec<_> = raws.iter().map(|r| parse::parse(r, &ctx.limits)).collect();
    let ids: Vec<String> = parsed
        .iter()
        .zip(raws)
        .map(|(p, raw)| match p {
            Ok(m) => m.message_id.clone(),
            Err(_) => fallback_id(raw),
        })
        .collect();
    let mut batch = state.store().begin_mail_batch().await?;
    let mut seen = Seen {
        stored: batch.stored_ids(ctx.mailbox.tenant_id, &ids).await?,
        grants: None,
    };
    let mut outcomes = Vec::with_capacity(raws.len());
    for (raw, mail) in raws.iter().zip(parsed) {
        match handle(state, ctx, &mut batch, &mut seen, raw, mail, now).await? {
            Handled::Done(outcome) => outcomes.push(outcome),
            Handled::Raced | Handled::Refused { .. } => return Ok(None),
        }
    }
    batch.commit().await?;
    if outcomes.contains(&Outcome::Event) {
        state.events_waiting().notify_one();
    }
    Ok(Some(outcomes))
}

/// What a batch knows beyond its transaction: the Message-IDs stored
/// (before it, and by it), the tenant's point-of-contact grants once read.
#[derive(Default)]
struct Seen {
    stored: std::collections::HashSet<String>,
    grants: Option<Vec<vigie_core::mail::ContactGrant>>,
}

/// What became of a mail in a batch.
enum Handled {
    /// Written in the batch (or a duplicate, nothing written).
    Done(Outcome),
    /// Stored meanwhile by another writer: the batch holds part of it.
    Raced,
    /// The store refused what it made: the batch holds part of it.
    Refused {
        record: ReceivedMail,
        error: StoreError,
    },
}

/// One mail, written in `batch`.
async fn handle(
    state: &AppState,
    ctx: &MailboxContext,
    batch: &mut MailBatch,
    seen: &mut Seen,
    raw: &[u8],
    parsed: Result<ParsedMail, parse::ParseError>,
    now: Timestamp,
) -> Result<Handled, IntakeError> {
    let tenant = ctx.mailbox.tenant_id;
    let mail = match parsed {
        Ok(m) => m,
        Err(e) => {
            let id = fallback_id(raw);
            if !seen.stored.insert(id.clone()) {
                return Ok(Handled::Done(Outcome::Duplicate));
            }
            tracing::warn!(mailbox = %ctx.mailbox.id, message_id = %id, reason = %e, "mail refused");
            let record = ReceivedMail {
                tenant_id: tenant,
                mailbox_id: Some(ctx.mailbox.id),
                message_id: id,
                from: String::new(),
                subject: String::new(),
                html: None,
            };
            return record_nothing(batch, now, &record, "failed", e.to_string(), None).await;
        }
    };
    if !seen.stored.insert(mail.message_id.clone()) {
        return Ok(Handled::Done(Outcome::Duplicate));
    }
    for w in &mail.warnings {
        tracing::info!(mailbox = %ctx.mailbox.id, message_id = %mail.message_id, "{w}");
    }
    let found = lookups(state, ctx, batch, seen, &mail, now).await?;
    let decision = decide(&mail.facts(), &ctx.policy(), &found.lookups, now);
    let record = ReceivedMail {
        tenant_id: tenant,
        mailbox_id: Some(ctx.mailbox.id),
        message_id: mail.message_id.clone(),
        from: mail.from.clone(),
        subject: mail.subject.chars().take(500).collect(),
        html: mail.html.clone(),
    };
    let author = |r: &Requester| match r {
        Requester::User(_) => match &found.user {
            Some(u) => MailAuthor::User(SenderUser {
                id: u.id,
                login: u.login.clone(),
            }),
            None => MailAuthor::NewContact(contact(ctx, &mail)),
        },
        Requester::NewContact { .. } => MailAuthor::NewContact(contact(ctx, &mail)),
    };
    let lang = found
        .user
        .as_ref()
        .and_then(|u| u.locale.as_deref())
        .and_then(Lang::from_code)
        .unwrap_or(Lang::Fr);
    let mut warnings = mail.warnings.join("\n");
    if !warnings.is_empty() {
        warnings = format!("\n\n---\n{warnings}");
    }
    let (write, reason) = match decision {
        MailDecision::Ignore(r) => {
            return record_nothing(batch, now, &record, "ignored", r.describe(), None).await;
        }
        MailDecision::Refuse(notice) => {
            let reason = match &notice {
                vigie_core::mail::Notice::UnknownSender => "unknown_sender",
                vigie_core::mail::Notice::NotContactPoint { .. } => "not_contact_point",
            };
            let to = Answered {
                tenant,
                sender: &ctx.mailbox.address,
                recipient: &mail.from,
                subject: &mail.subject,
                message_id: &mail.message_id,
            };
            let n = notice_mail(&notice, lang, to, now);
            return record_nothing(batch, now, &record, "refused", reason.into(), Some(n)).await;
        }
        MailDecision::Event { rule, event } => {
            let Some(key) = ctx.key.clone() else {
                let why =
                    format!("rule `{rule}` makes events but the mailbox has no integration key");
                return record_nothing(batch, now, &record, "failed", why, None).await;
            };
            (
                MailWrite::Event {
                    key,
                    event: Box::new(IncomingEvent::of(*event)),
                },
                format!("rule: {rule}"),
            )
        }
        MailDecision::Reply {
            ticket,
            author: who,
            body,
        } => {
            let ticket = batch.ticket(tenant, ticket).await?;
            (
                MailWrite::Reply {
                    ticket,
                    author: author(&who),
                    body: format!("{body}{warnings}"),
                    attachments: attachments(&mail),
                },
                String::new(),
            )
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
                Some(e) if e != ctx.entity.id => {
                    match state.store().get_entity(&Scope::Platform, e).await {
                        Ok(found) if found.tenant_id == tenant => found,
                        _ => {
                            let why = format!("the rule names entity {e}, not one of this tenant");
                            return record_nothing(batch, now, &record, "failed", why, None).await;
                        }
                    }
                }
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
            // A reply from someone who does not take part in the ticket he
            // answered: his own ticket, which says which one.
            let description = match answers {
                Some(t) => {
                    let number = match batch.ticket(tenant, t).await {
                        Ok(found) => found.number.to_string(),
                        Err(StoreError::NotFound) => t.to_string(),
                        Err(e) => return Err(e.into()),
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
                requester_id: vigie_core::ids::UserId::SYSTEM,
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
            (
                MailWrite::Ticket {
                    entity,
                    ticket: new,
                    group,
                    author: author(&requester),
                    attachments: attachments(&mail),
                    notify: Some(notify),
                },
                rule.map(|r| format!("rule: {r}")).unwrap_or_default(),
            )
        }
    };
    let is_event = matches!(write, MailWrite::Event { .. });
    match batch.store(now, &record, &reason, write).await {
        Ok(MailStored::Duplicate) => Ok(Handled::Raced),
        Ok(MailStored::Stored {
            ticket_id,
            comment_id,
        }) => Ok(Handled::Done(if is_event {
            Outcome::Event
        } else {
            match (ticket_id, comment_id) {
                (Some(t), Some(_)) => Outcome::Reply(t),
                (Some(t), None) => Outcome::Ticket(t),
                _ => Outcome::Failed("nothing was made".into()),
            }
        })),
        Err(e @ (StoreError::Database(_) | StoreError::Busy)) => Err(e.into()),
        Err(error) => Ok(Handled::Refused { record, error }),
    }
}

/// What the store found for a mail, and the sender's account.
struct Found {
    lookups: Lookups,
    user: Option<vigie_store::UserRecord>,
}

async fn lookups(
    state: &AppState,
    ctx: &MailboxContext,
    batch: &mut MailBatch,
    seen: &mut Seen,
    mail: &ParsedMail,
    now: Timestamp,
) -> Result<Found, IntakeError> {
    let tenant = ctx.mailbox.tenant_id;
    let by_headers = batch.thread_ticket(tenant, &mail.thread_ids()).await?;
    let by_tag = match subject::tag(&mail.subject) {
        Some(n) => batch.ticket_by_number(tenant, n).await?,
        None => None,
    };
    let since = now
        .checked_sub(jiff::SignedDuration::from_secs(
            ctx.mailbox.rate_window_seconds,
        ))
        .unwrap_or(now);
    let found = batch.sender(tenant, &mail.from, since).await?;
    let sender = match &found.user {
        Some(u) => {
            let grants = if ctx.mailbox.single_contact {
                match &seen.grants {
                    Some(g) => g.clone(),
                    None => {
                        let g = state.store().contact_point_grants(tenant).await?;
                        seen.grants = Some(g.clone());
                        g
                    }
                }
            } else {
                Vec::new()
            };
            // Where he works tickets matters only for a reply to a ticket
            // that is not his.
            let work = match (&by_headers, &by_tag) {
                (None, None) => Scope::Tenant {
                    tenant,
                    rules: Vec::new(),
                },
                _ => match batch.actor(u).await? {
                    Some(actor) => vigie_core::ticket::TicketAccess::of(&actor).work,
                    None => Scope::Tenant {
                        tenant,
                        rules: Vec::new(),
                    },
                },
            };
            Some(known_sender(u.id, &u.entity_path, &grants, work))
        }
        None => None,
    };
    Ok(Found {
        lookups: Lookups {
            by_headers,
            by_tag,
            sender,
            recent_from_sender: found.recent,
        },
        user: found.user,
    })
}

fn contact(ctx: &MailboxContext, mail: &ParsedMail) -> NewContact {
    NewContact {
        address: mail.from.clone(),
        name: mail.from_name.chars().take(200).collect(),
        entity_id: ctx.mailbox.entity_id,
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

/// The id of a mail that could not be read: a hash of its bytes, so that
/// reading it again finds it recorded.
fn fallback_id(raw: &[u8]) -> String {
    use sha2::Digest;
    format!(
        "sha256-{}@vigie.invalid",
        crate::api::attachments::hex(&sha2::Sha256::digest(raw))
    )
}

async fn record_nothing(
    batch: &mut MailBatch,
    now: Timestamp,
    record: &ReceivedMail,
    outcome: &'static str,
    reason: String,
    notice: Option<vigie_store::OutgoingMail>,
) -> Result<Handled, IntakeError> {
    let write = MailWrite::Nothing {
        outcome,
        reason: reason.clone(),
        notice,
    };
    match batch.store(now, record, "", write).await {
        Ok(MailStored::Duplicate) => Ok(Handled::Raced),
        Ok(MailStored::Stored { .. }) => Ok(Handled::Done(match outcome {
            "ignored" => Outcome::Ignored(reason),
            "refused" => Outcome::Refused(reason),
            _ => Outcome::Failed(reason),
        })),
        Err(e @ (StoreError::Database(_) | StoreError::Busy)) => Err(e.into()),
        Err(error) => Ok(Handled::Refused {
            record: record.clone(),
            error,
        }),
    }
}
