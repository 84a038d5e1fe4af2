//! The mail polling job's work: each active mailbox has a watcher
//! ([`watch_mailbox`]) on every instance; the one holding the mailbox's
//! lease (`mail-poll:<id>`, taken for one interval at a time) reads it and,
//! where the server offers IDLE, stays connected for the interval, reading
//! again as soon as a mail arrives ([`super::imap::watch`]); the others
//! sleep an interval and try again, so two instances never read one
//! mailbox at once. A mailbox that fails (server down, bad password) is
//! logged and tried again after its interval; the others go on.

use super::imap;
use super::intake::MailboxContext;
use crate::AppState;
use jiff::SignedDuration;
use tokio::sync::watch;
use vigie_core::ids::MailboxId;
use vigie_core::tenancy::Scope;
use vigie_store::StoreError;

/// How long a mailbox's lease outlives its interval.
const LEASE_MARGIN: SignedDuration = SignedDuration::from_secs(15);
/// How long a watcher waits after the database failed.
const RETRY: std::time::Duration = std::time::Duration::from_secs(60);

/// The lease of a mailbox.
pub fn lease_name(id: MailboxId) -> String {
    format!("mail-poll:{id}")
}

/// Sleeps `period`, or less if `stop` turns true; says whether to stop.
async fn rest(period: std::time::Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(period) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

/// Watches one mailbox while it is active and `stop` is false (see the
/// module); ends, releasing its lease, when the mailbox is deleted or
/// deactivated.
pub async fn watch_mailbox(
    state: AppState,
    holder: String,
    id: MailboxId,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        let mailbox = match state.store().get_mailbox(&Scope::Platform, id).await {
            Ok(m) if m.active => m,
            Ok(_) | Err(StoreError::NotFound) => break,
            Err(e) => {
                tracing::warn!(mailbox = %id, error = %e, "mailbox not loaded; trying again later");
                if rest(RETRY, &mut stop).await {
                    break;
                }
                continue;
            }
        };
        let period = SignedDuration::from_secs(mailbox.poll_seconds.max(1));
        let interval = std::time::Duration::try_from(period).unwrap_or(RETRY);
        let now = state.clock().now();
        let until = now.checked_add(period + LEASE_MARGIN).unwrap_or(now);
        let held = state
            .store()
            .claim_lease(&lease_name(id), &holder, now, until)
            .await;
        let started = tokio::time::Instant::now();
        match held {
            Ok(true) => {
                if let Err(e) = watch_one(&state, mailbox, interval, &mut stop).await {
                    tracing::warn!(mailbox = %id, error = %e, "mailbox not read; trying again at its next interval");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(mailbox = %id, error = %e, "mailbox lease not taken"),
        }
        // Never more often than the interval, whether the run was quick,
        // failed, or the lease is another instance's.
        if rest(interval.saturating_sub(started.elapsed()), &mut stop).await {
            break;
        }
    }
    let _ = state.store().release_lease(&lease_name(id), &holder).await;
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

async fn watch_one(
    state: &AppState,
    mailbox: vigie_store::MailboxRecord,
    period: std::time::Duration,
    stop: &mut watch::Receiver<bool>,
) -> Result<imap::RunReport, PollError> {
    let password = state.store().mailbox_password(mailbox.id).await?;
    let ctx = MailboxContext::load(state, mailbox).await?;
    let report = imap::watch(state, &ctx, &password, period, stop).await?;
    if report.read > 0 {
        tracing::info!(mailbox = %ctx.mailbox.id, ?report, "mailbox read");
    }
    Ok(report)
}
