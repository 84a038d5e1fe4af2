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
use vigie_server::mail::parse::split_mbox;
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

/// The raw mails at a path.
pub fn read_mails(path: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml")))
            .collect();
        files.sort();
        return files
            .iter()
            .map(|f| std::fs::read(f).with_context(|| format!("cannot read {}", f.display())))
            .collect();
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.starts_with(b"From ") {
        Ok(split_mbox(&bytes))
    } else {
        Ok(vec![bytes])
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

/// Runs the command and prints its summary.
pub async fn run(store: &Store, clock: Clock, command: &IngestCommand) -> anyhow::Result<()> {
    let IngestCommand::Mail(args) = command;
    let mails = read_mails(&args.path)?;
    let mailbox = replay_mailbox(store, clock.now(), &args.tenant, &args.mailbox).await?;
    let state = AppState::new(store.clone(), ServerConfig::default(), clock);
    let ctx = MailboxContext::load(&state, mailbox).await?;
    let bar = indicatif::ProgressBar::new(u64::try_from(mails.len()).unwrap_or(u64::MAX));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} mails ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut summary = Summary::default();
    for chunk in mails.chunks(intake::BATCH) {
        for outcome in intake::ingest_batch(&state, &ctx, chunk).await? {
            summary.count(&outcome);
        }
        bar.inc(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
    }
    bar.finish_and_clear();
    eprintln!(
        "{} mails: {} tickets, {} replies, {} events, {} ignored or refused, {} already stored",
        mails.len(),
        summary.tickets,
        summary.replies,
        summary.events,
        summary.others,
        summary.duplicates
    );
    Ok(())
}
