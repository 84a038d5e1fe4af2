//! The mail polling job's work: every active mailbox whose interval has
//! passed is read ([`super::imap::run`]) by the instance holding its lease
//! (`mail-poll:<id>`, renewed at each run), so two instances never read one
//! mailbox at once. A mailbox that fails (server down, bad password) is
//! logged and tried again at its next interval; the others go on.

use super::imap;
use super::intake::MailboxContext;
use crate::AppState;
use jiff::SignedDuration;
use std::collections::HashMap;
use vigie_core::Timestamp;
use vigie_core::ids::MailboxId;

/// How long a mailbox's lease outlives its interval.
const LEASE_MARGIN: SignedDuration = SignedDuration::from_secs(15);
/// The longest the job sleeps.
const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
/// The shortest the job sleeps.
const MIN_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// The lease of a mailbox.
pub fn lease_name(id: MailboxId) -> String {
    format!("mail-poll:{id}")
}

/// Reads the mailboxes that are due; `last` remembers when each was read
/// by this instance. Returns how long to sleep before the next one is due.
pub async fn poll_due(
    state: &AppState,
    holder: &str,
    last: &mut HashMap<MailboxId, Timestamp>,
) -> std::time::Duration {
    let mailboxes = match state.store().active_mailboxes().await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "mailboxes could not be listed; trying again later");
            return MAX_WAIT;
        }
    };
    let mut wait = MAX_WAIT;
    for mailbox in mailboxes {
        let interval = SignedDuration::from_secs(mailbox.poll_seconds.max(1));
        let now = state.clock().now();
        let due = last
            .get(&mailbox.id)
            .map_or(now, |t| t.checked_add(interval).unwrap_or(now));
        if due > now {
            let left = std::time::Duration::try_from(due.duration_since(now)).unwrap_or(MAX_WAIT);
            wait = wait.min(left);
            continue;
        }
        wait = wait.min(std::time::Duration::try_from(interval).unwrap_or(MAX_WAIT));
        let until = now.checked_add(interval + LEASE_MARGIN).unwrap_or(now);
        let id = mailbox.id;
        match state
            .store()
            .claim_lease(&lease_name(id), holder, now, until)
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(mailbox = %id, error = %e, "mailbox lease not taken");
                continue;
            }
        }
        last.insert(id, now);
        if let Err(e) = poll_one(state, mailbox).await {
            tracing::warn!(mailbox = %id, error = %e, "mailbox not read; trying again at its next interval");
        }
    }
    wait.max(MIN_WAIT)
}

/// Why one mailbox was not read.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// Its context could not be loaded.
    #[error("{0}")]
    Intake(#[from] super::intake::IntakeError),
    /// Its password could not be read.
    #[error("store: {0}")]
    Store(#[from] vigie_store::StoreError),
    /// Reading it failed.
    #[error("{0}")]
    Imap(#[from] imap::ImapError),
}

async fn poll_one(
    state: &AppState,
    mailbox: vigie_store::MailboxRecord,
) -> Result<imap::RunReport, PollError> {
    let password = state.store().mailbox_password(mailbox.id).await?;
    let ctx = MailboxContext::load(state, mailbox).await?;
    let report = imap::run(state, &ctx, &password).await?;
    if report.read > 0 {
        tracing::info!(mailbox = %ctx.mailbox.id, ?report, "mailbox read");
    }
    Ok(report)
}
