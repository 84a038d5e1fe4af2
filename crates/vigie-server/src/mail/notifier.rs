//! The notifier: writes the notifications captured with ticket changes
//! (`vigie_store::PendingNotification`) as mails in the outbox, each in its
//! recipient's language, with the links it needs (the ticket's page, the
//! survey of a resolution), threaded under the mail that opened the ticket.
//! A notification of the recipient's own doing, of a kind he turned off, or
//! to an account without an address or inactive, is dropped. The mails and
//! the deletion of what they tell are one transaction, so a notification is
//! written once even when two instances run this at the same time.

use crate::AppState;
use crate::i18n::Lang;
use crate::mail::notify::{TicketMail, message_id, ticket_mail};
use std::collections::HashMap;
use vigie_core::ids::{TenantId, TicketId, UserId};
use vigie_core::notification::{NotificationKind, delivered};
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::TicketAccess;
use vigie_store::{OutgoingMail, PendingNotification, StoreError, TicketRecord};

/// Notifications written per run.
pub const BATCH: i64 = 200;

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotifierReport {
    /// Notifications looked at.
    pub handled: usize,
    /// Mails queued.
    pub queued: usize,
}

/// What the mails of one run share, read once per ticket or tenant.
#[derive(Default)]
struct Lookups {
    tickets: HashMap<TicketId, Option<TicketRecord>>,
    senders: HashMap<TenantId, String>,
    threads: HashMap<TicketId, Option<String>>,
    names: HashMap<UserId, String>,
    groups: HashMap<vigie_core::ids::GroupId, String>,
}

impl Lookups {
    async fn ticket(
        &mut self,
        state: &AppState,
        id: TicketId,
    ) -> Result<Option<TicketRecord>, StoreError> {
        if let Some(t) = self.tickets.get(&id) {
            return Ok(t.clone());
        }
        let found = match state
            .store()
            .get_ticket(&TicketAccess::of(&Actor::system()), id)
            .await
        {
            Ok(t) => Some(t),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        };
        self.tickets.insert(id, found.clone());
        Ok(found)
    }

    async fn sender(&mut self, state: &AppState, tenant: TenantId) -> Result<String, StoreError> {
        if let Some(s) = self.senders.get(&tenant) {
            return Ok(s.clone());
        }
        let found = match state.store().tenant_mail_address(tenant).await? {
            Some(a) => a,
            None => state
                .config()
                .mail_from
                .clone()
                .unwrap_or_else(|| crate::DEFAULT_MAIL_FROM.to_owned()),
        };
        self.senders.insert(tenant, found.clone());
        Ok(found)
    }

    async fn thread(
        &mut self,
        state: &AppState,
        id: TicketId,
    ) -> Result<Option<String>, StoreError> {
        if let Some(t) = self.threads.get(&id) {
            return Ok(t.clone());
        }
        let found = state.store().first_mail_of_ticket(id).await?;
        self.threads.insert(id, found.clone());
        Ok(found)
    }

    async fn name(&mut self, state: &AppState, user: UserId, fallback: &str) -> String {
        if let Some(n) = self.names.get(&user) {
            return n.clone();
        }
        let name = state
            .store()
            .get_user(&Scope::Platform, user)
            .await
            .map_or_else(|_| fallback.to_owned(), |u| u.display_name);
        self.names.insert(user, name.clone());
        name
    }

    async fn group(&mut self, state: &AppState, group: vigie_core::ids::GroupId) -> String {
        if let Some(n) = self.groups.get(&group) {
            return n.clone();
        }
        let name = state
            .store()
            .get_group(&Scope::Platform, group)
            .await
            .map(|g| g.name)
            .unwrap_or_default();
        self.groups.insert(group, name.clone());
        name
    }
}

/// Writes the notifications waiting (at most [`BATCH`]) as mails.
pub async fn write_pending(state: &AppState) -> Result<NotifierReport, StoreError> {
    let store = state.store();
    let pending = store.pending_notifications(BATCH).await?;
    if pending.is_empty() {
        return Ok(NotifierReport::default());
    }
    let mut lookups = Lookups::default();
    let mut mails = Vec::new();
    let done: Vec<i64> = pending.iter().map(|p| p.id).collect();
    for p in &pending {
        if let Some(mail) = mail_of(state, &mut lookups, p).await? {
            mails.push(mail);
        }
    }
    let now = state.clock().now();
    if !store.complete_notifications(now, &done, &mails).await? {
        // Another instance wrote them meanwhile.
        return Ok(NotifierReport::default());
    }
    Ok(NotifierReport {
        handled: done.len(),
        queued: mails.len(),
    })
}

/// The mail of one notification, or `None` when it is not sent.
async fn mail_of(
    state: &AppState,
    lookups: &mut Lookups,
    p: &PendingNotification,
) -> Result<Option<OutgoingMail>, StoreError> {
    let Some(recipient) = p.email.as_deref().filter(|e| e.contains('@')) else {
        return Ok(None);
    };
    if !p.active || !delivered(p.kind, p.user_id, p.actor_user_id, &p.off) {
        return Ok(None);
    }
    let Some(ticket) = lookups.ticket(state, p.ticket_id).await? else {
        return Ok(None);
    };
    let lang = p
        .locale
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or(Lang::Fr);
    let sender = lookups.sender(state, p.tenant_id).await?;
    let thread = lookups.thread(state, ticket.id).await?;
    let author = lookups.name(state, p.actor_user_id, &p.actor_label).await;
    let who = match p.kind {
        NotificationKind::Assignment | NotificationKind::AssignedToYou => {
            match ticket.assignee_id {
                Some(a) => lookups.name(state, a, "").await,
                None => String::new(),
            }
        }
        NotificationKind::Escalation | NotificationKind::ManagerAlert => match ticket.group_id {
            Some(g) => lookups.group(state, g).await,
            None => String::new(),
        },
        _ => String::new(),
    };
    let base = &state.config().public_url;
    let survey = if p.kind == NotificationKind::Resolved {
        state
            .store()
            .survey_of_ticket(&ticket)
            .await?
            .filter(|s| s.answered_at.is_none())
            .map(|s| format!("{base}/survey/{}", s.token))
    } else {
        None
    };
    let page = format!("{base}/tickets/{}", ticket.id);
    let text = match p.kind {
        // What was told in the timeline, as written.
        NotificationKind::PublicReply
        | NotificationKind::RequesterReply
        | NotificationKind::Resolved
        | NotificationKind::Escalation
        | NotificationKind::ManagerAlert
        | NotificationKind::SlaWarning => Some(p.text.as_str()),
        _ => None,
    };
    let mut mail = ticket_mail(&TicketMail {
        kind: p.kind,
        lang,
        ticket: &ticket,
        sender: &sender,
        recipient,
        text,
        who: &who,
        author: &author,
        survey_link: survey.as_deref(),
        ticket_link: Some(&page),
        in_reply_to: thread.as_deref(),
        now: p.created_at,
    });
    // Several recipients of one change: one Message-ID each.
    mail.message_id = message_id(
        &format!("{}.n{}", p.kind, p.id),
        Some(&ticket),
        &sender,
        p.created_at,
    );
    Ok(Some(mail))
}
