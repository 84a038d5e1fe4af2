//! Reading a mailbox over IMAP (async-imap on tokio; TLS by rustls with the
//! web's root certificates and the organisation's own authorities, if
//! configured, from the first byte or after `STARTTLS`; certificates are
//! always verified).
//!
//! One run ([`run`]): log in, select the folder, list the unseen messages by UID
//! and their sizes, and fetch them without marking them (`BODY.PEEK[]`) by batches of
//! [`intake::BATCH`] mails and at most [`intake::BATCH_BYTES`] bytes, hand
//! each batch to [`intake::ingest_batch`], and only
//! once it has committed move each mail to the processed folder or flag it
//! `\Seen`. A mail larger than the parser reads is not downloaded: its
//! header alone is fetched, and it is recorded as failed from it. A crash between the commit and the
//! move leaves the mail unseen: the next run reads it again, finds its
//! Message-ID stored, and only moves it. A mail that cannot be stored now
//! (the database is down) ends the run and stays unseen. [`watch`] does
//! the same, then waits with IDLE where the server offers it and reads
//! again as soon as a mail arrives, for the mailbox's interval.

use super::intake::{self, IntakeError, MailboxContext, Outcome};
use crate::AppState;
use async_imap::Session;
use futures_util::StreamExt;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls::pki_types::CertificateDer;
use vigie_core::mail::{AfterAction, Security};

/// The most mails one run reads (the rest wait for the next run).
pub const RUN_LIMIT: usize = 500;

/// The byte stream under an IMAP session: plain TCP or TLS.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}

type Imap = Session<Box<dyn Stream>>;

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The connection or the TLS handshake failed.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The server answered with an error.
    #[error("imap: {0}")]
    Imap(#[from] async_imap::error::Error),
    /// A mail could not be stored now.
    #[error("{0}")]
    Intake(#[from] IntakeError),
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Mails read.
    pub read: usize,
    /// Mails that made a ticket or a reply.
    pub tickets: usize,
    /// Mails that made an event.
    pub events: usize,
    /// Mails ignored, refused or failed.
    pub others: usize,
    /// Mails stored already (read again after a crash).
    pub duplicates: usize,
    /// Times the server announced a change while Vigie waited (IDLE).
    pub woken: usize,
}

impl RunReport {
    /// Adds another run's counts to this one's.
    pub fn add(&mut self, other: &RunReport) {
        self.read += other.read;
        self.tickets += other.tickets;
        self.events += other.events;
        self.others += other.others;
        self.duplicates += other.duplicates;
        self.woken += other.woken;
    }

    /// Counts a mail read and what it became.
    fn count(&mut self, outcome: &Outcome) {
        self.read += 1;
        match outcome {
            Outcome::Ticket(_) | Outcome::Reply(_) => self.tickets += 1,
            Outcome::Event => self.events += 1,
            Outcome::Duplicate => self.duplicates += 1,
            Outcome::Ignored(_) | Outcome::Refused(_) | Outcome::Failed(_) => self.others += 1,
        }
    }
}

/// The certificates of a PEM bundle (an organisation's certificate
/// authorities), refused if it holds none or cannot be read.
pub fn parse_ca_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a PEM certificate bundle: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in the bundle".into());
    }
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    for c in &certs {
        roots
            .add(c.clone())
            .map_err(|e| format!("unusable certificate: {e}"))?;
    }
    Ok(certs)
}

async fn tls(
    tcp: tokio::net::TcpStream,
    host: &str,
    extra: &[CertificateDer<'static>],
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, ImapError> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for c in extra {
        roots.add(c.clone()).map_err(std::io::Error::other)?;
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(std::io::Error::other)?;
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?)
}

/// Connects and logs in.
async fn connect(
    state: &AppState,
    ctx: &MailboxContext,
    password: &str,
) -> Result<Imap, ImapError> {
    let m = &ctx.mailbox;
    let extra = &state.config().mail_ca;
    let tcp = tokio::net::TcpStream::connect((m.host.as_str(), m.port)).await?;
    let stream: Box<dyn Stream> = match m.security {
        Security::None => Box::new(tcp),
        Security::Tls => Box::new(tls(tcp, &m.host, extra).await?),
        Security::StartTls => {
            let mut plain = async_imap::Client::new(tcp);
            plain.read_response().await?;
            plain.run_command_and_check_ok("STARTTLS", None).await?;
            Box::new(tls(plain.into_inner(), &m.host, extra).await?)
        }
    };
    let mut client = async_imap::Client::new(stream);
    if m.security != Security::StartTls {
        client.read_response().await?;
    }
    client
        .login(&m.login, password)
        .await
        .map_err(|(e, _)| ImapError::Imap(e))
}

/// Reads one mailbox once (see the module's steps).
pub async fn run(
    state: &AppState,
    ctx: &MailboxContext,
    password: &str,
) -> Result<RunReport, ImapError> {
    let mut session = open(state, ctx, password).await?;
    let report = read_unseen(state, ctx, &mut session).await?;
    let _ = session.logout().await;
    Ok(report)
}

/// How long one IDLE lasts before it is renewed (RFC 2177: clients
/// re-issue it at least every 29 minutes).
pub const IDLE_RENEW: std::time::Duration = std::time::Duration::from_secs(25 * 60);

/// Reads a mailbox, then, when the server offers IDLE (RFC 2177), stays
/// connected and reads it again as soon as the server says something
/// changed, for `period` or until `stop` turns true; without IDLE, reads it
/// once. `report.woken` counts the changes the server announced.
pub async fn watch(
    state: &AppState,
    ctx: &MailboxContext,
    password: &str,
    period: std::time::Duration,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<RunReport, ImapError> {
    let started = tokio::time::Instant::now();
    let mut session = open(state, ctx, password).await?;
    let idle = session.capabilities().await?.has_str("IDLE");
    let mut report = read_unseen(state, ctx, &mut session).await?;
    while idle && !*stop.borrow() {
        let left = period.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        let mut handle = session.idle();
        handle.init().await?;
        let response = {
            let (wait, _interrupt) = handle.wait_with_timeout(left.min(IDLE_RENEW));
            tokio::select! {
                r = wait => Some(r?),
                _ = stop.changed() => None,
            }
        };
        session = handle.done().await?;
        while session.unsolicited_responses.try_recv().is_ok() {}
        match response {
            None => break,
            Some(async_imap::extensions::idle::IdleResponse::NewData(_)) => {
                report.woken += 1;
            }
            Some(_) => {}
        }
        let more = read_unseen(state, ctx, &mut session).await?;
        report.add(&more);
    }
    let _ = session.logout().await;
    Ok(report)
}

/// Connects, logs in, makes the processed folder and selects the folder.
async fn open(state: &AppState, ctx: &MailboxContext, password: &str) -> Result<Imap, ImapError> {
    let m = &ctx.mailbox;
    let mut session = connect(state, ctx, password).await?;
    if m.after_action == AfterAction::Move {
        // Made once; an existing folder answers NO, which is fine.
        let _ = session.create(&m.move_to).await;
    }
    session.select(&m.folder).await?;
    Ok(session)
}

/// Stores the unseen mails of the selected folder, then moves or flags
/// each once committed.
async fn read_unseen(
    state: &AppState,
    ctx: &MailboxContext,
    session: &mut Imap,
) -> Result<RunReport, ImapError> {
    let mut uids: Vec<u32> = session.uid_search("UNSEEN").await?.into_iter().collect();
    uids.sort_unstable();
    uids.truncate(RUN_LIMIT);
    let mut report = RunReport::default();
    let sizes = sizes(session, &uids).await?;
    let mut batcher = intake::Batcher::new(intake::BATCH, intake::BATCH_BYTES);
    for &uid in &uids {
        let size = sizes.get(&uid).copied().unwrap_or(0) as usize;
        if size > ctx.limits.max_bytes {
            // Too large to read: recorded from its header alone, which is
            // all that is fetched, then moved or flagged.
            let Some(header) = fetch_part(session, uid, Part::Header).await? else {
                // Gone meanwhile.
                continue;
            };
            report.count(&intake::refuse_too_large(state, ctx, &header, size).await?);
            done(session, ctx.mailbox.after_action, &ctx.mailbox.move_to, uid).await?;
            continue;
        }
        if let Some(raw) = fetch_part(session, uid, Part::Whole).await?
            && let Some(batch) = batcher.push(uid, raw)
        {
            store_batch(state, ctx, session, batch, &mut report).await?;
        }
    }
    if let Some(batch) = batcher.finish() {
        store_batch(state, ctx, session, batch, &mut report).await?;
    }
    Ok(report)
}

/// Stores a batch of fetched mails, then moves or flags each once
/// committed.
async fn store_batch(
    state: &AppState,
    ctx: &MailboxContext,
    session: &mut Imap,
    batch: Vec<(u32, Vec<u8>)>,
    report: &mut RunReport,
) -> Result<(), ImapError> {
    let m = &ctx.mailbox;
    let (read, raws): (Vec<u32>, Vec<Vec<u8>>) = batch.into_iter().unzip();
    let outcomes = intake::ingest_batch(state, ctx, &raws).await?;
    drop(raws);
    // Committed: each mail may now leave the folder.
    for (uid, outcome) in read.into_iter().zip(outcomes) {
        report.count(&outcome);
        done(session, m.after_action, &m.move_to, uid).await?;
    }
    Ok(())
}

/// What of a mail is fetched, without marking it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The whole mail.
    Whole,
    /// The first 64 KiB of its header.
    Header,
}

impl Part {
    /// Its `FETCH` item.
    fn item(self) -> &'static str {
        match self {
            Part::Whole => "BODY.PEEK[]",
            Part::Header => "BODY.PEEK[HEADER]<0.65536>",
        }
    }
}

/// The sizes of the mails `uids` (`RFC822.SIZE`), by UID, in one command.
async fn sizes(
    session: &mut Imap,
    uids: &[u32],
) -> Result<std::collections::HashMap<u32, u32>, ImapError> {
    let mut sizes = std::collections::HashMap::with_capacity(uids.len());
    if uids.is_empty() {
        return Ok(sizes);
    }
    let set: Vec<String> = uids.iter().map(u32::to_string).collect();
    let mut stream = session
        .uid_fetch(set.join(","), "(UID RFC822.SIZE)")
        .await?;
    while let Some(item) = stream.next().await {
        let item = item?;
        if let (Some(uid), Some(size)) = (item.uid, item.size) {
            sizes.insert(uid, size);
        }
    }
    Ok(sizes)
}

/// A part of a mail, fetched without marking it.
async fn fetch_part(
    session: &mut Imap,
    uid: u32,
    part: Part,
) -> Result<Option<Vec<u8>>, ImapError> {
    let mut stream = session
        .uid_fetch(uid.to_string(), format!("(UID {})", part.item()))
        .await?;
    let mut bytes = None;
    while let Some(item) = stream.next().await {
        let item = item?;
        if item.uid == Some(uid)
            && let Some(b) = match part {
                Part::Whole => item.body(),
                Part::Header => item.header(),
            }
        {
            bytes = Some(b.to_vec());
        }
    }
    Ok(bytes)
}

async fn done(
    session: &mut Imap,
    action: AfterAction,
    move_to: &str,
    uid: u32,
) -> Result<(), ImapError> {
    match action {
        AfterAction::Move => session.uid_mv(uid.to_string(), move_to).await?,
        AfterAction::Flag => {
            let mut updates = session
                .uid_store(uid.to_string(), "+FLAGS (\\Seen)")
                .await?;
            while let Some(u) = updates.next().await {
                u?;
            }
        }
    }
    Ok(())
}
