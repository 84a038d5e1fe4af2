//! Background jobs of `vigie serve`. Each runs on the instance holding its
//! lease in the database, so two or ten instances on one PostgreSQL never
//! do the same work twice; durable state is in the database, so a restart
//! simply goes on. Today: handing over the tickets of absent agents,
//! firing SLA escalation levels ([`crate::sla::escalation`]), which sleeps
//! until the next escalation instant rather than a fixed period, and
//! processing events ([`crate::events::processor`]), woken by ingestion,
//! and reading mailboxes ([`crate::mail::poll`]), each under its own lease.

use crate::AppState;
use jiff::SignedDuration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::TicketAccess;
use vigie_core::ticket::absence::{BackupState, Handover, handover};
use vigie_core::ticket::lifecycle::{Action, LifecycleState, apply};
use vigie_store::{Assignment, StoreError};

pub use crate::sla::escalation::{SLA_LEASE, fire_due_escalations};

/// The lease of the absence handover job.
pub const HANDOVER_LEASE: &str = "absence-handover";
/// How often the jobs look for work.
pub const PERIOD: std::time::Duration = std::time::Duration::from_secs(60);
/// How often the mail loop writes and sends notifications and looks for
/// new mailboxes.
pub const MAIL_PERIOD: std::time::Duration = std::time::Duration::from_secs(5);

/// The running jobs; [`Jobs::stop`] ends them cleanly.
pub struct Jobs {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    sla: JoinHandle<()>,
    events: JoinHandle<()>,
    mail: JoinHandle<()>,
}

impl Jobs {
    /// Starts the jobs for this instance (`holder` names it in leases).
    pub fn start(state: AppState, holder: String) -> Jobs {
        let (stop, mut stopped) = watch::channel(false);
        let sla = spawn_sla_escalations(state.clone(), holder.clone(), stop.subscribe());
        let events = spawn_event_processing(state.clone(), holder.clone(), stop.subscribe());
        let mail = spawn_mail_polling(state.clone(), holder.clone(), stop.subscribe());
        let task = tokio::spawn(async move {
            loop {
                if let Err(e) = handover_absent_owners(&state, &holder).await {
                    tracing::warn!(error = %e, "absence handover failed; retrying at the next period");
                }
                tokio::select! {
                    _ = tokio::time::sleep(PERIOD) => {}
                    _ = stopped.changed() => break,
                }
            }
            let _ = state.store().release_lease(HANDOVER_LEASE, &holder).await;
        });
        Jobs {
            stop,
            task,
            sla,
            events,
            mail,
        }
    }

    /// Asks the jobs to stop and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let _ = self.sla.await;
        let _ = self.events.await;
        let _ = self.mail.await;
    }
}

/// The mail loop: keep one watcher per active mailbox
/// ([`crate::mail::poll::watch_mailbox`], which reads it under its lease),
/// write the notifications of ticket changes as mails and send the outbox,
/// every few seconds.
fn spawn_mail_polling(
    state: AppState,
    holder: String,
    mut stopped: watch::Receiver<bool>,
) -> JoinHandle<()> {
    use crate::mail::poll::watch_mailbox;
    use std::collections::HashMap;
    tokio::spawn(async move {
        let mut watchers: HashMap<vigie_core::ids::MailboxId, JoinHandle<()>> = HashMap::new();
        loop {
            if *stopped.borrow() {
                break;
            }
            match state.store().active_mailboxes().await {
                Ok(list) => {
                    for m in list {
                        let alive = watchers.get(&m.id).is_some_and(|h| !h.is_finished());
                        if !alive {
                            let task =
                                watch_mailbox(state.clone(), holder.clone(), m.id, stopped.clone());
                            watchers.insert(m.id, tokio::spawn(task));
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "mailboxes could not be listed; trying again later")
                }
            }
            watchers.retain(|_, h| !h.is_finished());
            match crate::mail::notifier::write_pending(&state).await {
                Ok(r) if r.handled > 0 => tracing::debug!(?r, "notifications written"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "notifications not written; trying again later")
                }
            }
            match crate::mail::send::send_due(&state, &holder).await {
                Ok(r) if r.sent + r.failed > 0 => tracing::info!(?r, "notifications sent"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notifications not sent; trying again later"),
            }
            tokio::select! {
                _ = tokio::time::sleep(MAIL_PERIOD) => {}
                _ = stopped.changed() => break,
            }
        }
        for (_, w) in watchers {
            let _ = w.await;
        }
    })
}

/// The event processing loop: process what is pending, then wait for
/// ingestion to wake it (at most [`crate::events::PERIOD`]) unless a full
/// batch suggests more is waiting.
fn spawn_event_processing(
    state: AppState,
    holder: String,
    mut stopped: watch::Receiver<bool>,
) -> JoinHandle<()> {
    use crate::events::{BATCH, EVENT_LEASE, PERIOD};
    tokio::spawn(async move {
        loop {
            if *stopped.borrow() {
                break;
            }
            let more = match state.event_processor().run_once(&state, &holder).await {
                Ok(done) if done.held => {
                    if let Err(e) = state.event_processor().compact_if_due(&state).await {
                        tracing::warn!(error = %e, "event compaction failed; retrying later");
                    }
                    done.events >= BATCH as usize
                }
                Ok(_) => false,
                Err(e) => {
                    tracing::warn!(error = %e, "event processing failed; retrying shortly");
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(PERIOD) => {}
                _ = state.events_waiting().notified() => {}
                _ = stopped.changed() => break,
            }
        }
        let _ = state.store().release_lease(EVENT_LEASE, &holder).await;
    })
}

/// The SLA escalation loop: fire what is due, then sleep until the next
/// escalation instant (at most [`PERIOD`]) or until stopped.
fn spawn_sla_escalations(
    state: AppState,
    holder: String,
    mut stopped: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let wait = match fire_due_escalations(&state, &holder).await {
                Ok(_) => crate::sla::escalation::until_next(&state, PERIOD).await,
                Err(e) => {
                    tracing::warn!(error = %e, "SLA escalation failed; retrying at the next period");
                    PERIOD
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stopped.changed() => break,
            }
        }
        let _ = state.store().release_lease(SLA_LEASE, &holder).await;
    })
}

/// Hands the open tickets of agents who are away over to their backup or
/// their group (the core decides which), if this instance holds the lease.
/// Returns how many tickets moved.
pub async fn handover_absent_owners(state: &AppState, holder: &str) -> Result<usize, StoreError> {
    let store = state.store();
    let now = state.clock().now();
    let lease_until = now + SignedDuration::from_mins(5);
    if !store
        .claim_lease(HANDOVER_LEASE, holder, now, lease_until)
        .await?
    {
        return Ok(0);
    }
    let system = Actor::system();
    let access = TicketAccess::of(&system);
    let mut moved = 0;
    for (id, absence) in store.tickets_of_absent_owners(now, 500).await? {
        let ticket = store.get_ticket(&access, id).await?;
        let backup = match absence.backup {
            Some(b) => {
                let user = store.get_user(&Scope::Platform, b).await.ok();
                let member = match ticket.group_id {
                    Some(g) => store
                        .list_group_members(&Scope::Platform, g)
                        .await?
                        .iter()
                        .any(|m| m.id == b),
                    None => true,
                };
                Some(BackupState {
                    user: b,
                    away: store.current_absence(b, now).await?.is_some(),
                    eligible: user.is_some_and(|u| u.active && u.tenant_id == ticket.tenant_id)
                        && member,
                })
            }
            None => None,
        };
        let (assignment, to) = match handover(ticket.group_id, backup) {
            Handover::Backup(b) => {
                let name = store.get_user(&Scope::Platform, b).await?.display_name;
                (
                    Assignment {
                        group_id: ticket.group_id,
                        assignee_id: Some(b),
                    },
                    name,
                )
            }
            Handover::Group(g) => {
                let name = store.get_group(&Scope::Platform, g).await?.name;
                (
                    Assignment {
                        group_id: Some(g),
                        assignee_id: None,
                    },
                    name,
                )
            }
            // Nowhere to go: the ticket stays, and is looked at again next time.
            Handover::Unassigned => continue,
        };
        let current = LifecycleState {
            status: ticket.status,
            resolved_at: ticket.resolved_at,
        };
        let Ok(outcome) = apply(&current, &Action::Assign, now, SignedDuration::ZERO) else {
            continue;
        };
        let owner = ticket.assignee_name.clone().unwrap_or_default();
        let note = format!(
            "Handed over to {to} while {owner} is away ({}, until {})",
            absence.kind, absence.ends_at
        );
        match store
            .apply_ticket_outcome_with_note(
                &system,
                &ticket,
                now,
                &outcome,
                Some(assignment),
                Some(&note),
            )
            .await
        {
            Ok(_) => moved += 1,
            // Someone acted on the ticket meanwhile: next time.
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    if moved > 0 {
        tracing::info!(moved, "tickets of absent agents handed over");
    }
    Ok(moved)
}
