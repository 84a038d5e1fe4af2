//! The mail channel's rules: what a received mail becomes.
//!
//! The shells parse the mail (MIME, charsets, attachments) and look up what
//! the decision needs (the tickets its threading headers and subject tag
//! name, the sender's account, how many mails he sent lately); this module
//! decides, in one function of plain values, [`decide`]:
//!
//! 1. [`auto`]: an auto-reply, out-of-office, bounce or bulk mail is stored
//!    as ignored, never answered;
//! 2. a sender over the mailbox's rate limit is ignored (mail loops);
//! 3. [`rules`]: the mailbox's first matching rule may make an event of the
//!    mail, ignore it, or say where its ticket goes;
//! 4. threading: `In-Reply-To`/`References` matched against the Message-IDs
//!    Vigie stored, then the subject tag ([`subject`]): a reply becomes a
//!    public comment on its ticket, its quoted part trimmed ([`quote`]),
//!    when its sender is one of the ticket's people
//!    ([`ThreadTicket::takes_reply_from`]); anyone else opens a ticket of
//!    his own, which names the one he answered;
//! 5. the sender policy: a known user is the requester; an unknown sender
//!    becomes a contact or gets a notice; where the sender's establishment
//!    has a single point of contact, anyone else gets a notice naming who
//!    may write.

pub mod auto;
pub mod quote;
pub mod rules;
pub mod subject;

use crate::event::Event;
use crate::ids::{TenantId, TicketId, UserId};
use crate::tenancy::{EntityPath, Scope};
use jiff::{SignedDuration, Timestamp};
use rules::{Placement, RuleAction, RuleSet};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The headers that say a mail was sent by a program, as the parser read
/// them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AutoHeaders {
    /// `Auto-Submitted` (RFC 3834).
    pub auto_submitted: Option<String>,
    /// An `X-Autoreply` header is present.
    pub x_autoreply: bool,
    /// An `X-Autorespond` header is present.
    pub x_autorespond: bool,
    /// `Precedence`.
    pub precedence: Option<String>,
    /// `Content-Type: multipart/report; report-type=delivery-status`.
    pub delivery_report: bool,
    /// `Return-Path: <>`.
    pub null_return_path: bool,
}

/// What the decision reads of a parsed mail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailFacts {
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
    /// The sender's address, lowercase (empty when there is none).
    pub from: String,
    /// The sender's display name.
    pub from_name: String,
    /// `To` addresses, lowercase.
    pub to: Vec<String>,
    /// `Cc` addresses, lowercase.
    pub cc: Vec<String>,
    /// The subject, decoded.
    pub subject: String,
    /// The text body (from text/plain, or from the HTML part).
    pub text: String,
    /// The `Date` header.
    pub date: Option<Timestamp>,
    /// The automatic-mail headers.
    pub auto: AutoHeaders,
}

/// A ticket a mail may be threaded onto, as the store found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadTicket {
    /// Its id.
    pub id: TicketId,
    /// Whether it is closed (a closed ticket takes no reply: a new one opens).
    pub closed: bool,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its entity.
    pub entity: EntityPath,
    /// Who asked.
    pub requester: UserId,
    /// Its agent.
    pub assignee: Option<UserId>,
}

impl ThreadTicket {
    /// Whether `sender` may add to this ticket by mail: its requester, its
    /// agent, an agent who works its entity, or a colleague of the same
    /// establishment. Anyone else (an unknown address, someone of another
    /// establishment who found the subject tag) opens a ticket of his own,
    /// so that nobody writes on, nor is answered from, a ticket that is not
    /// his.
    pub fn takes_reply_from(&self, sender: Option<&KnownSender>) -> bool {
        let Some(s) = sender else {
            return false;
        };
        s.user == self.requester
            || Some(s.user) == self.assignee
            || s.work.covers(self.tenant, &self.entity)
            || s.home == self.entity
    }
}

/// The sender, as the store found him among the tenant's users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownSender {
    /// His account.
    pub user: UserId,
    /// Whether he is the single point of contact of his establishment.
    pub is_contact_point: bool,
    /// The names of his establishment's points of contact (empty: it has
    /// none, so anyone of it may write).
    pub contact_points: Vec<String>,
    /// His entity.
    pub home: EntityPath,
    /// Where he works tickets (his roles'), for replies to tickets of
    /// others.
    pub work: Scope,
}

crate::ticket::named_enum!(
    /// What a mailbox does with mail from an address it does not know.
    UnknownSenders, "unknown senders policy" {
        /// Create a contact (a requester without a password) and go on.
        CreateContact => "create_contact",
        /// Answer with a polite notice, open nothing.
        Refuse => "refuse",
    }
);

crate::ticket::named_enum!(
    /// How Vigie talks to a mail server.
    Security, "mail security" {
        /// TLS from the first byte (IMAPS, port 993).
        Tls => "tls",
        /// Plain first, then `STARTTLS` (port 143).
        StartTls => "starttls",
        /// No encryption: only for a server on the same machine.
        None => "none",
    }
);

crate::ticket::named_enum!(
    /// What happens to a mail in its mailbox once Vigie committed what it
    /// became.
    AfterAction, "after-processing action" {
        /// Moved to another folder.
        Move => "move",
        /// Flagged `\Seen` and left where it is.
        Flag => "flag",
    }
);

/// A point-of-contact role, as granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactGrant {
    /// Who holds it.
    pub user: UserId,
    /// His name.
    pub name: String,
    /// The entity it is granted on.
    pub entity: EntityPath,
    /// Whether it covers the entity's subtree.
    pub recursive: bool,
}

/// The sender as the decision sees him: whether he is a point of contact
/// for his home entity, and who is (the grants on it, or on an entity
/// above it for its subtree).
pub fn known_sender(
    user: UserId,
    home: &EntityPath,
    grants: &[ContactGrant],
    work: Scope,
) -> KnownSender {
    let covering: Vec<&ContactGrant> = grants
        .iter()
        .filter(|g| *home == g.entity || (g.recursive && home.is_within(&g.entity)))
        .collect();
    let mut names: Vec<String> = covering.iter().map(|g| g.name.clone()).collect();
    names.sort();
    names.dedup();
    KnownSender {
        user,
        is_contact_point: covering.iter().any(|g| g.user == user),
        contact_points: names,
        home: home.clone(),
        work,
    }
}

/// N mails per window from one sender, beyond which his mail is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// How many mails are allowed in the window.
    pub max: u32,
    /// The window.
    pub window: SignedDuration,
}

impl Default for RateLimit {
    /// 20 mails in 10 minutes: far above what a person writes, far below a
    /// loop between two robots.
    fn default() -> Self {
        RateLimit {
            max: 20,
            window: SignedDuration::from_mins(10),
        }
    }
}

/// The mailbox's settings the decision reads.
#[derive(Clone, Debug)]
pub struct MailboxPolicy<'a> {
    /// The mailbox's rules.
    pub rules: &'a RuleSet,
    /// Where tickets go when no rule says.
    pub defaults: Placement,
    /// Unknown senders.
    pub unknown: UnknownSenders,
    /// Whether establishments with a point of contact accept mail only from
    /// him.
    pub single_contact: bool,
    /// The per-sender limit.
    pub rate: RateLimit,
}

/// What the store found for one mail.
#[derive(Clone, Debug, Default)]
pub struct Lookups {
    /// The ticket one of its `In-Reply-To`/`References` ids belongs to.
    pub by_headers: Option<ThreadTicket>,
    /// The ticket its subject tag names, in the mailbox's tenant.
    pub by_tag: Option<ThreadTicket>,
    /// The sender among the tenant's active users.
    pub sender: Option<KnownSender>,
    /// How many mails from this sender the mailbox received within the
    /// rate window before this one.
    pub recent_from_sender: u32,
}

/// Why a mail is stored as ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IgnoreReason {
    /// A program wrote it.
    Automatic(auto::Automatic),
    /// Its sender is over the rate limit.
    RateLimited,
    /// It has no sender address to answer or to match.
    NoSender,
    /// A rule said so (its name).
    Rule(String),
}

impl IgnoreReason {
    /// The reason as stored with the mail.
    pub fn describe(&self) -> String {
        match self {
            IgnoreReason::Automatic(a) => a.as_str().to_owned(),
            IgnoreReason::RateLimited => "rate_limited".into(),
            IgnoreReason::NoSender => "no_sender".into(),
            IgnoreReason::Rule(name) => format!("rule: {name}"),
        }
    }
}

/// Who asks, for a new ticket or a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requester {
    /// A known account.
    User(UserId),
    /// A contact to create from the sender's address and name.
    NewContact {
        /// The address.
        address: String,
        /// The display name (may be empty).
        name: String,
    },
}

/// The notice sent instead of a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The mailbox takes mail from known users only.
    UnknownSender,
    /// Only these points of contact may write for the establishment.
    NotContactPoint {
        /// Their names.
        contact_points: Vec<String>,
    },
}

/// What a mail becomes.
#[derive(Clone, Debug, PartialEq)]
pub enum MailDecision {
    /// Stored as ignored, unanswered.
    Ignore(IgnoreReason),
    /// An event for event management.
    Event {
        /// The rule's name.
        rule: String,
        /// The event.
        event: Box<Event>,
    },
    /// A public reply on a ticket.
    Reply {
        /// The ticket.
        ticket: TicketId,
        /// Who writes.
        author: Requester,
        /// The reply, its quoted part trimmed.
        body: String,
    },
    /// A new ticket.
    Open {
        /// Who asks.
        requester: Requester,
        /// Where it goes.
        placement: Placement,
        /// Its title, from the subject.
        title: String,
        /// Its description, from the body.
        description: String,
        /// The rule that placed it, if any.
        rule: Option<String>,
        /// The ticket the mail answered, when its sender may not write on
        /// it ([`ThreadTicket::takes_reply_from`]).
        answers: Option<TicketId>,
    },
    /// A notice to the sender, nothing opened.
    Refuse(Notice),
}

/// The most attempts at sending one notification.
pub const MAX_SEND_ATTEMPTS: i64 = 10;

/// How long to wait before sending a notification again after
/// `attempts` failures: one minute, doubled each time, at most six hours;
/// `None` once [`MAX_SEND_ATTEMPTS`] have failed (the mail is given up).
pub fn retry_after(attempts: i64) -> Option<SignedDuration> {
    if attempts >= MAX_SEND_ATTEMPTS {
        return None;
    }
    let exponent = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    let minutes = 1i64.checked_shl(exponent).unwrap_or(i64::MAX).min(360);
    Some(SignedDuration::from_mins(minutes))
}

/// The title of a mail without a subject.
pub const NO_SUBJECT: &str = "(sans objet / no subject)";

/// Decides what a mail becomes (see the module's steps).
pub fn decide(
    mail: &MailFacts,
    policy: &MailboxPolicy<'_>,
    found: &Lookups,
    now: Timestamp,
) -> MailDecision {
    if let Some(a) = auto::automatic(&mail.auto, &mail.subject) {
        return MailDecision::Ignore(IgnoreReason::Automatic(a));
    }
    if mail.from.is_empty() {
        return MailDecision::Ignore(IgnoreReason::NoSender);
    }
    if found.recent_from_sender >= policy.rate.max {
        return MailDecision::Ignore(IgnoreReason::RateLimited);
    }
    let matched = policy.rules.first_match(mail);
    let mut placement = policy.defaults;
    let mut rule = None;
    if let Some(m) = &matched {
        match m.action {
            RuleAction::Ignore => {
                return MailDecision::Ignore(IgnoreReason::Rule(m.name.to_owned()));
            }
            RuleAction::Event(template) => {
                let event = rules::event_of(template, m.name, &m.captures, mail, now);
                return MailDecision::Event {
                    rule: m.name.to_owned(),
                    event: Box::new(event),
                };
            }
            RuleAction::Place(p) => {
                placement = p.or(policy.defaults);
                rule = Some(m.name.to_owned());
            }
        }
    }
    let requester = match (&found.sender, policy.unknown) {
        (Some(s), _) => {
            if policy.single_contact && !s.is_contact_point && !s.contact_points.is_empty() {
                return MailDecision::Refuse(Notice::NotContactPoint {
                    contact_points: s.contact_points.clone(),
                });
            }
            Requester::User(s.user)
        }
        (None, UnknownSenders::CreateContact) => Requester::NewContact {
            address: mail.from.clone(),
            name: mail.from_name.trim().to_owned(),
        },
        (None, UnknownSenders::Refuse) => return MailDecision::Refuse(Notice::UnknownSender),
    };
    let thread = found
        .by_headers
        .as_ref()
        .or(found.by_tag.as_ref())
        .filter(|t| !t.closed);
    let mut answers = None;
    if let Some(t) = thread {
        if t.takes_reply_from(found.sender.as_ref()) {
            return MailDecision::Reply {
                ticket: t.id,
                author: requester,
                body: quote::trim_quoted(&mail.text),
            };
        }
        answers = Some(t.id);
    }
    MailDecision::Open {
        requester,
        placement,
        title: subject::title(&mail.subject, NO_SUBJECT),
        description: mail.text.trim().to_owned(),
        rule,
        answers,
    }
}

#[cfg(test)]
#[path = "mail_tests.rs"]
mod tests;
