//! The notification sender: claims due mails of the outbox under a short
//! lease ([`CLAIM`]), sends each by SMTP with lettre, and marks it sent, or
//! failed with the next attempt after the core's backoff
//! (`vigie_core::mail::retry_after`). Without an SMTP address configured,
//! mails wait in the outbox. Sending is never on a request's path.
//!
//! Over TLS (`smtps://`, or `smtp://…?tls=required` for `STARTTLS`), the
//! server's certificate is verified against the web's authorities and the
//! organisation's own (`ServerConfig::mail_ca`), as for IMAP ([`transport`]).

use crate::AppState;
use jiff::SignedDuration;
use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio_rustls::rustls::pki_types::CertificateDer;
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
    /// The SMTP address is not a URL.
    #[error("smtp address: {0}")]
    Url(#[from] url::ParseError),
}

/// The transport of an SMTP address (lettre's URL form). Where the address
/// asks for TLS, the server's certificate must chain to one of the web's
/// authorities or of `extra` (the organisation's own).
pub fn transport(
    url: &str,
    extra: &[CertificateDer<'static>],
) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let parsed = url::Url::parse(url)?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
        .timeout(Some(std::time::Duration::from_secs(30)));
    // lettre's own parameters trust the web's authorities only: the same
    // TLS mode again, with the organisation's authorities added.
    let tls = parsed
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let host = parsed.host_str().unwrap_or_default().to_owned();
    let params = || -> Result<TlsParameters, SendError> {
        let mut b =
            TlsParameters::builder(host.clone()).certificate_store(CertificateStore::WebpkiRoots);
        for c in extra {
            b = b.add_root_certificate(Certificate::from_der(c.to_vec())?);
        }
        Ok(b.build_rustls()?)
    };
    builder = match (parsed.scheme(), tls.as_deref()) {
        ("smtps", _) => builder.tls(Tls::Wrapper(params()?)),
        ("smtp", Some("required")) => builder.tls(Tls::Required(params()?)),
        ("smtp", Some("opportunistic")) => builder.tls(Tls::Opportunistic(params()?)),
        _ => builder,
    };
    Ok(builder.build())
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
    let transport = transport(&url, &state.config().mail_ca)?;
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
