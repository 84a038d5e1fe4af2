//! `vigie ingest mail PATH`: replays stored mails (an `.eml` file, a folder
//! of them, or an mbox) into a tenant through the same path as the IMAP
//! poller, with a progress bar. Each mail is recorded under the named
//! mailbox, made (inactive, reading nothing) if the tenant has none by that
//! name; a mail replayed twice is stored once.

use anyhow::Context;
use std::path::{Path, PathBuf};
use vigie_core::Timestamp;
use vigie_core::mail::{AfterAction, Security, UnknownSenders};
use vigie_core::tenancy::{Actor, Scope};
use vigie_server::mail::intake::{self, MailboxContext, Outcome};
use vigie_server::mail::parse::mbox_mails;
use vigie_server::{AppState, Clock, ServerConfig};
use vigie_store::{MailboxInput, MailboxRecord, Store};

/// What to ingest.
#[derive(Debug, clap::Subcommand)]
pub enum IngestCommand {
    /// Mails: an `.eml` file, a folder of `.eml` files, or an mbox.
    Mail(MailArgs),
}

/// The mails to replay.
#[derive(Debug, clap::Args)]
pub struct MailArgs {
    /// The file or folder.
    pub path: PathBuf,
    /// The tenant.
    #[arg(long, value_name = "SLUG", default_value = "cachemire")]
    pub tenant: String,
    /// The mailbox they are recorded under.
    #[arg(long, value_name = "NAME", default_value = "import")]
    pub mailbox: String,
}

/// How many mails became what.
#[derive(Debug, Default)]
pub struct Summary {
    /// New tickets.
    pub tickets: usize,
    /// Replies.
    pub replies: usize,
    /// Events.
    pub events: usize,
    /// Ignored, refused or failed.
    pub others: usize,
    /// Stored already.
    pub duplicates: usize,
}

impl Summary {
    /// Counts one outcome.
    pub fn count(&mut self, o: &Outcome) {
        match o {
            Outcome::Ticket(_) => self.tickets += 1,
            Outcome::Reply(_) => self.replies += 1,
            Outcome::Event => self.events += 1,
            Outcome::Duplicate => self.duplicates += 1,
            Outcome::Ignored(_) | Outcome::Refused(_) | Outcome::Failed(_) => self.others += 1,
        }
    }
}

/// The mails at a path, read one at a time: an `.eml` file, a folder of
/// them (in name order), or an mbox read as it goes, so that a history of
/// several gigabytes is never held whole in memory.
pub struct MailFiles {
    source: Source,
    /// The bytes of all the files, for the progress bar.
    pub bytes: u64,
}

enum Source {
    Files(std::vec::IntoIter<PathBuf>),
    Mbox(Box<dyn Iterator<Item = std::io::Result<Vec<u8>>>>),
}

impl MailFiles {
    /// Opens what `path` names.
    pub fn open(path: &Path) -> anyhow::Result<MailFiles> {
        let cannot = |p: &Path| format!("cannot read {}", p.display());
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| cannot(path))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml")))
                .collect();
            files.sort();
            let bytes = files
                .iter()
                .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
                .sum();
            return Ok(MailFiles {
                source: Source::Files(files.into_iter()),
                bytes,
            });
        }
        let file = std::fs::File::open(path).with_context(|| cannot(path))?;
        let bytes = file.metadata().with_context(|| cannot(path))?.len();
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mbox = std::io::BufRead::fill_buf(&mut reader)
            .with_context(|| cannot(path))?
            .starts_with(b"From ");
        let source = if mbox {
            Source::Mbox(Box::new(mbox_mails(reader)))
        } else {
            Source::Files(vec![path.to_owned()].into_iter())
        };
        Ok(MailFiles { source, bytes })
    }
}

impl Iterator for MailFiles {
    type Item = anyhow::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            Source::Files(files) => {
                let f = files.next()?;
                Some(std::fs::read(&f).with_context(|| format!("cannot read {}", f.display())))
            }
            Source::Mbox(mails) => Some(mails.next()?.context("cannot read the mbox")),
        }
    }
}

/// The tenant's mailbox of that name, made inactive if missing.
pub async fn replay_mailbox(
    store: &Store,
    now: Timestamp,
    tenant: &str,
    name: &str,
) -> anyhow::Result<MailboxRecord> {
    let tenant = store
        .find_tenant_by_slug(tenant)
        .await?
        .with_context(|| format!("there is no tenant `{tenant}`"))?;
    if let Some(m) = store
        .list_mailboxes(&Scope::Platform)
        .await?
        .into_iter()
        .find(|m| m.tenant_id == tenant.id && m.name == name)
    {
        return Ok(m);
    }
    let root = tenant
        .root_entity_id
        .context("the tenant has no root entity")?;
    let input = MailboxInput {
        entity_id: root,
        name: name.to_owned(),
        host: String::new(),
        port: 0,
        security: Security::Tls,
        login: String::new(),
        password: Some(String::new()),
        folder: "INBOX".into(),
        after_action: AfterAction::Flag,
        move_to: String::new(),
        poll_seconds: 300,
        category_id: None,
        unknown_senders: UnknownSenders::CreateContact,
        single_contact: false,
        rate_max: 1_000_000,
        rate_window_seconds: 600,
        integration_key_id: None,
        address: format!("support@{}.invalid", tenant.slug),
        rules: "[]".into(),
        active: false,
    };
    Ok(store
        .create_mailbox(&Actor::system(), &Scope::Platform, now, &input)
        .await?)
}

/// Runs the command and prints its summary: the mails are read, and
/// handed over, by batches of at most `intake::BATCH` mails and
/// `intake::BATCH_BYTES` bytes.
pub async fn run(store: &Store, clock: Clock, command: &IngestCommand) -> anyhow::Result<()> {
    let IngestCommand::Mail(args) = command;
    let mails = MailFiles::open(&args.path)?;
    let mailbox = replay_mailbox(store, clock.now(), &args.tenant, &args.mailbox).await?;
    let state = AppState::new(store.clone(), ServerConfig::default(), clock);
    let ctx = MailboxContext::load(&state, mailbox).await?;
    let bar = indicatif::ProgressBar::new(mails.bytes);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta} left) {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut summary = Summary::default();
    let mut count = 0usize;
    let mut batcher = intake::Batcher::new(intake::BATCH, intake::BATCH_BYTES);
    let mut store_batch = async |batch: Vec<((), Vec<u8>)>| -> anyhow::Result<()> {
        let raws: Vec<Vec<u8>> = batch.into_iter().map(|(_, raw)| raw).collect();
        for outcome in intake::ingest_batch(&state, &ctx, &raws).await? {
            summary.count(&outcome);
        }
        count += raws.len();
        bar.inc(raws.iter().map(|r| r.len() as u64).sum());
        bar.set_message(format!("{count} mails"));
        Ok(())
    };
    for raw in mails {
        if let Some(batch) = batcher.push((), raw?) {
            store_batch(batch).await?;
        }
    }
    if let Some(batch) = batcher.finish() {
        store_batch(batch).await?;
    }
    bar.finish_and_clear();
    eprintln!(
        "{count} mails: {} tickets, {} replies, {} events, {} ignored or refused, {} already stored",
        summary.tickets, summary.replies, summary.events, summary.others, summary.duplicates
    );
    Ok(())
}
