//! One received mail, from its bytes to what it became: parsed
//! ([`super::parse`]), looked up (threading ids, subject tag, sender,
//! recent mails from him), decided by the core (`vigie_core::mail::decide`)
//! and stored with what it made in one transaction. The IMAP poller and
//! `vigie ingest mail` both call [`ingest`], so a mail is handled the same
//! whichever way it came.
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
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::priority::Level;
use vigie_core::ticket::{Channel, TicketAccess, TicketType};
use vigie_store::{
    EntityRecord, IncomingEvent, IntegrationKeyRecord, MailAuthor, MailStored, MailWrite,
    MailboxRecord, NewAttachment, NewContact, NewTicket, ReceivedMail, SenderUser, StoreError,
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

/// What the core would decide for a mail, and the parsed mail: nothing is
/// written (the rule tester).
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
    let found = lookups(state, ctx, &mail, now).await?;
    let decision = decide(&mail.facts(), &ctx.policy(), &found.lookups, now);
    Ok(Ok((mail, decision)))
}

/// Handles one raw mail for a mailbox.
pub async fn ingest(
    state: &AppState,
    ctx: &MailboxContext,
    raw: &[u8],
) -> Result<Outcome, IntakeError> {
    let now = state.clock().now();
    let tenant = ctx.mailbox.tenant_id;
    let mail = match parse::parse(raw, &ctx.limits) {
        Ok(m) => m,
        Err(e) => {
            let id = fallback_id(raw);
            tracing::warn!(mailbox = %ctx.mailbox.id, message_id = %id, reason = %e, "mail refused");
            let record = ReceivedMail {
                tenant_id: tenant,
                mailbox_id: Some(ctx.mailbox.id),
                message_id: id,
                from: String::new(),
                subject: String::new(),
                html: None,
            };
            return record_nothing(state, now, &record, "failed", e.to_string(), None).await;
        }
    };
    for w in &mail.warnings {
        tracing::info!(mailbox = %ctx.mailbox.id, message_id = %mail.message_id, "{w}");
    }
    if state
        .store()
        .mail_received(tenant, &mail.message_id)
        .await?
    {
        return Ok(Outcome::Duplicate);
    }
    let found = lookups(state, ctx, &mail, now).await?;
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
            return record_nothing(state, now, &record, "ignored", r.describe(), None).await;
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
            return record_nothing(state, now, &record, "refused", reason.into(), Some(n)).await;
        }
        MailDecision::Event { rule, event } => {
            let Some(key) = ctx.key.clone() else {
                let why =
                    format!("rule `{rule}` makes events but the mailbox has no integration key");
                return record_nothing(state, now, &record, "failed", why, None).await;
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
            let access = TicketAccess::of(&Actor::system());
            let ticket = state.store().get_ticket(&access, ticket).await?;
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
                            return record_nothing(state, now, &record, "failed", why, None).await;
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
                    let access =
                        vigie_core::ticket::TicketAccess::of(&vigie_core::tenancy::Actor::system());
                    let number = match state.store().get_ticket(&access, t).await {
                        Ok(found) => found.number.to_string(),
                        Err(_) => t.to_string(),
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
    match state
        .store()
        .store_received_mail(now, &record, &reason, write)
        .await
    {
        Ok(MailStored::Duplicate) => Ok(Outcome::Duplicate),
        Ok(MailStored::Stored {
            ticket_id,
            comment_id,
        }) => {
            if is_event {
                state.events_waiting().notify_one();
                return Ok(Outcome::Event);
            }
            match (ticket_id, comment_id) {
                (Some(t), Some(_)) => Ok(Outcome::Reply(t)),
                (Some(t), None) => Ok(Outcome::Ticket(t)),
                _ => Ok(Outcome::Failed("nothing was made".into())),
            }
        }
        Err(e @ (StoreError::Database(_) | StoreError::Busy)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(mailbox = %ctx.mailbox.id, message_id = %record.message_id, error = %e, "mail not stored");
            record_nothing(state, now, &record, "failed", e.to_string(), None).await
        }
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
    mail: &ParsedMail,
    now: Timestamp,
) -> Result<Found, IntakeError> {
    let store = state.store();
    let tenant = ctx.mailbox.tenant_id;
    let by_headers = store.thread_ticket(tenant, &mail.thread_ids()).await?;
    let by_tag = match subject::tag(&mail.subject) {
        Some(n) => store.ticket_by_number(tenant, n).await?,
        None => None,
    };
    let user = if mail.from.is_empty() {
        None
    } else {
        store.find_user_by_email(tenant, &mail.from).await?
    };
    let sender = match &user {
        Some(u) => {
            let grants = if ctx.mailbox.single_contact {
                store.contact_point_grants(tenant).await?
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
                _ => match store.load_actor(u.id).await? {
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
    let since = now
        .checked_sub(jiff::SignedDuration::from_secs(
            ctx.mailbox.rate_window_seconds,
        ))
        .unwrap_or(now);
    let recent_from_sender = if mail.from.is_empty() {
        0
    } else {
        store.mails_from_since(tenant, &mail.from, since).await?
    };
    Ok(Found {
        lookups: Lookups {
            by_headers,
            by_tag,
            sender,
            recent_from_sender,
        },
        user,
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
    state: &AppState,
    now: Timestamp,
    record: &ReceivedMail,
    outcome: &'static str,
    reason: String,
    notice: Option<vigie_store::OutgoingMail>,
) -> Result<Outcome, IntakeError> {
    let write = MailWrite::Nothing {
        outcome,
        reason: reason.clone(),
        notice,
    };
    match state
        .store()
        .store_received_mail(now, record, "", write)
        .await?
    {
        MailStored::Duplicate => Ok(Outcome::Duplicate),
        MailStored::Stored { .. } => Ok(match outcome {
            "ignored" => Outcome::Ignored(reason),
            "refused" => Outcome::Refused(reason),
            _ => Outcome::Failed(reason),
        }),
    }
}
