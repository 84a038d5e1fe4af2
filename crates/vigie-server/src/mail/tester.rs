//! The rule tester: what a pasted raw mail would become in a mailbox, with
//! its rules, told as a plain [`MailTest`]. Nothing is stored or sent (the
//! decision comes from [`intake::preview`]). The API's
//! `POST /mailboxes/{id}/test` and the mailbox's web page both show it.

use super::intake::{self, IntakeError, MailboxContext};
use crate::AppState;
use std::collections::BTreeMap;
use vigie_core::ids::TicketId;
use vigie_core::mail::{IgnoreReason, MailDecision, Requester};
use vigie_store::MailboxRecord;

/// What a mail would become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestOutcome {
    /// A new ticket.
    Ticket,
    /// A public reply on a ticket.
    Reply,
    /// An event for event management.
    Event,
    /// Recorded as ignored.
    Ignored,
    /// Refused with a notice to the sender.
    Refused,
    /// Not readable as a mail.
    Unreadable,
}

impl TestOutcome {
    /// Its stable name: `ticket`, `reply`, `event`, `ignored`, `refused`
    /// or `unreadable`.
    pub fn as_str(self) -> &'static str {
        match self {
            TestOutcome::Ticket => "ticket",
            TestOutcome::Reply => "reply",
            TestOutcome::Event => "event",
            TestOutcome::Ignored => "ignored",
            TestOutcome::Refused => "refused",
            TestOutcome::Unreadable => "unreadable",
        }
    }
}

/// The event a mail would become.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestEvent {
    /// Its source.
    pub source: String,
    /// What it is about.
    pub resource: String,
    /// What was checked.
    pub check: String,
    /// How bad (`critical`, `error`, `warning`, `info`).
    pub severity: String,
    /// What it asks (`trigger`, `resolve`…).
    pub action: String,
    /// Its summary.
    pub summary: String,
    /// Its labels, from the rule's named groups.
    pub labels: BTreeMap<String, String>,
}

/// What a pasted mail would become.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailTest {
    /// The outcome.
    pub outcome: TestOutcome,
    /// Why, for ignored, refused and unreadable mails.
    pub reason: Option<String>,
    /// The rule that decided, if any.
    pub rule: Option<String>,
    /// The mail's Message-ID.
    pub message_id: Option<String>,
    /// Its sender.
    pub from: Option<String>,
    /// Its subject.
    pub subject: Option<String>,
    /// The new ticket's title, or the reply's text.
    pub title: Option<String>,
    /// The ticket answered.
    pub ticket_id: Option<TicketId>,
    /// Whether the sender would become a new contact.
    pub new_contact: bool,
    /// The event made.
    pub event: Option<TestEvent>,
    /// The names of the attachments kept.
    pub attachments: Vec<String>,
    /// What was dropped or cut.
    pub warnings: Vec<String>,
}

impl MailTest {
    fn of(outcome: TestOutcome) -> MailTest {
        MailTest {
            outcome,
            reason: None,
            rule: None,
            message_id: None,
            from: None,
            subject: None,
            title: None,
            ticket_id: None,
            new_contact: false,
            event: None,
            attachments: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// Tells what `raw` would become in `mailbox`. Fails only when the
/// mailbox's stored rules are unreadable or the database fails.
pub async fn test_mail(
    state: &AppState,
    mailbox: MailboxRecord,
    raw: &[u8],
) -> Result<MailTest, IntakeError> {
    let ctx = MailboxContext::load(state, mailbox).await?;
    let (mail, decision) = match intake::preview(state, &ctx, raw).await? {
        Ok(p) => p,
        Err(e) => {
            let mut out = MailTest::of(TestOutcome::Unreadable);
            out.reason = Some(e.to_string());
            return Ok(out);
        }
    };
    let mut out = MailTest::of(TestOutcome::Ignored);
    out.message_id = Some(mail.message_id);
    out.from = Some(mail.from);
    out.subject = Some(mail.subject);
    out.attachments = mail.attachments.into_iter().map(|a| a.name).collect();
    out.warnings = mail.warnings;
    match decision {
        MailDecision::Ignore(r) => {
            out.outcome = TestOutcome::Ignored;
            out.reason = Some(r.describe());
            if let IgnoreReason::Rule(name) = r {
                out.rule = Some(name);
            }
        }
        MailDecision::Refuse(n) => {
            out.outcome = TestOutcome::Refused;
            out.reason = Some(format!("{n:?}"));
        }
        MailDecision::Event { rule, event } => {
            out.outcome = TestOutcome::Event;
            out.rule = Some(rule);
            out.event = Some(TestEvent {
                source: event.source,
                resource: event.resource,
                check: event.check,
                severity: event.severity.to_string(),
                action: event.action.to_string(),
                summary: event.summary,
                labels: event.labels,
            });
        }
        MailDecision::Reply {
            ticket,
            author,
            body,
        } => {
            out.outcome = TestOutcome::Reply;
            out.ticket_id = Some(ticket);
            out.title = Some(body);
            out.new_contact = matches!(author, Requester::NewContact { .. });
        }
        MailDecision::Open {
            requester,
            title,
            rule,
            ..
        } => {
            out.outcome = TestOutcome::Ticket;
            out.title = Some(title);
            out.rule = rule;
            out.new_contact = matches!(requester, Requester::NewContact { .. });
        }
    }
    Ok(out)
}
