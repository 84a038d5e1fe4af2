//! The notification sender: claims due mails of the outbox under a short
//! lease ([`CLAIM`]), sends each by SMTP with lettre, and marks it sent, or
//! failed with the next attempt after the core's backoff
//! (`vigie_core::mail::retry_after`). Without an SMTP address configured,
//! mails wait in the outbox. Sending is never on a request's path.

use crate::AppState;
use jiff::SignedDuration;
use lettre::message::{Mailbox, MultiPart, header};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use vigie_store::{OutboxRecord, StoreError};

/// How long a claim on a mail lasts: a sender that dies leaves it to
/// another after this.
pub const CLAIM: SignedDuration = SignedDuration::from_secs(120);
/// Mails claimed at once.
pub const BATCH: i64 = 50;

/// Why a run did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The database failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The SMTP address is not usable.
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Mails sent.
    pub sent: usize,
    /// Mails that failed and wait for another attempt (or were given up).
    pub failed: usize,
}

/// The lettre message of an outbox mail.
pub fn message(r: &OutboxRecord) -> Result<Message, String> {
    let m = &r.mail;
    let from: Mailbox = m.sender.parse().map_err(|e| format!("sender: {e}"))?;
    let to: Mailbox = m.recipient.parse().map_err(|e| format!("recipient: {e}"))?;
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(format!("<{}>", m.message_id)))
        .header(header::MIME_VERSION_1_0);
    if !m.in_reply_to.is_empty() {
        b = b.in_reply_to(format!("<{}>", m.in_reply_to));
    }
    if !m.references.is_empty() {
        let refs: Vec<String> = m
            .references
            .split_whitespace()
            .map(|r| format!("<{r}>"))
            .collect();
        b = b.references(refs.join(" "));
    }
    // Vigie's own mails say they are automatic, so that well-behaved
    // auto-responders do not answer them (RFC 3834).
    b = b.header(AutoSubmitted);
    b.multipart(MultiPart::alternative_plain_html(
        m.body_text.clone(),
        m.body_html.clone(),
    ))
    .map_err(|e| format!("message: {e}"))
}

/// `Auto-Submitted: auto-generated`.
#[derive(Clone, Debug)]
struct AutoSubmitted;

impl header::Header for AutoSubmitted {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// Sends what is due, once.
pub async fn send_due(state: &AppState, holder: &str) -> Result<SendReport, SendError> {
    let Some(url) = state.config().smtp_url.clone() else {
        return Ok(SendReport::default());
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)?
        .timeout(Some(std::time::Duration::from_secs(30)))
        .build();
    let now = state.clock().now();
    let claimed = state
        .store()
        .claim_outgoing_mail(holder, now, now + CLAIM, BATCH)
        .await?;
    let mut report = SendReport::default();
    for r in claimed {
        let result = match message(&r) {
            Ok(msg) => transport.send(msg).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let now = state.clock().now();
        match result {
            Ok(_) => {
                state.store().mark_mail_sent(r.id, holder, now).await?;
                report.sent += 1;
            }
            Err(e) => {
                let retry = vigie_core::mail::retry_after(r.attempts)
                    .and_then(|d| now.checked_add(d).ok())
                    .unwrap_or(vigie_core::Timestamp::MAX);
                tracing::warn!(mail = r.id, attempts = r.attempts + 1, error = %e, "notification not sent");
                state
                    .store()
                    .mark_mail_failed(r.id, holder, &e, retry)
                    .await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}
