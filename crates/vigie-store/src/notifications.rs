//! Ticket notifications: captured in the transaction of the change that
//! calls for them (the core's `vigie_core::notification` decides which),
//! one row per recipient, then handed to the notifier, which writes each as
//! a mail and deletes the row in the transaction that queues the mail, so a
//! notification is written once even with several instances. Users' opt-outs
//! (kinds they turned off) live here too.

use crate::sql::Sql;
use crate::{Result, Store, StoreError, TicketRecord, from_micros, micros};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use vigie_core::Timestamp;
use vigie_core::ids::{TenantId, TicketId, UserId};
use vigie_core::notification::{Audience, Notification, NotificationKind};
use vigie_core::tenancy::Actor;

/// A notification waiting to be written as a mail, with what the mail
/// needs of its recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingNotification {
    /// Its id.
    pub id: i64,
    /// The tenant.
    pub tenant_id: TenantId,
    /// The ticket it is about.
    pub ticket_id: TicketId,
    /// What it tells.
    pub kind: NotificationKind,
    /// The recipient.
    pub user_id: UserId,
    /// His address (`None`: he has none, nothing is sent).
    pub email: Option<String>,
    /// His language (`fr`, `en`), if he chose one.
    pub locale: Option<String>,
    /// Whether his account is active.
    pub active: bool,
    /// The kinds he turned off.
    pub off: Vec<NotificationKind>,
    /// Who made the change.
    pub actor_user_id: UserId,
    /// His login or name.
    pub actor_label: String,
    /// The reply, solution or reason told.
    pub text: String,
    /// When it was captured.
    pub created_at: Timestamp,
}

/// Captures notifications inside the caller's transaction: each audience is
/// resolved to the accounts it names (a requester, agent or manager that
/// has no account, such as Vigie itself, gets nothing).
pub(crate) async fn capture(
    tx: &mut Transaction<'static, Any>,
    ticket: &TicketRecord,
    actor: &Actor,
    notifications: &[Notification],
    text: &str,
    now: Timestamp,
) -> Result<()> {
    let backend = crate::backend_of(tx);
    capture_many(tx, backend, now, &[(ticket, actor, notifications, text)]).await
}

/// Records the notifications of many events (the replies of a batch of
/// mails), as [`capture`] records those of one, many per statement.
pub(crate) async fn capture_many(
    tx: &mut Transaction<'static, Any>,
    backend: crate::Backend,
    now: Timestamp,
    events: &[(&TicketRecord, &Actor, &[Notification], &str)],
) -> Result<()> {
    // Nine values a notification: well under the parameters a statement takes.
    const PER_STATEMENT: usize = 500;
    let all: Vec<_> = events
        .iter()
        .flat_map(|(ticket, actor, list, text)| {
            list.iter().map(move |n| (*ticket, *actor, n, *text))
        })
        .collect();
    for chunk in all.chunks(PER_STATEMENT) {
        let mut sql = Sql::new(
            "INSERT INTO notifications (tenant_id, ticket_id, kind, user_id, actor_user_id, \
             actor_label, text, created_at) ",
        );
        for (k, (ticket, actor, n, text)) in chunk.iter().enumerate() {
            sql.push(if k == 0 {
                "SELECT "
            } else {
                " UNION ALL SELECT "
            });
            sql.bind(ticket.tenant_id.0)
                .push(", ")
                .bind(ticket.id.0)
                .push(", ")
                .bind(n.kind.as_str())
                .push(", u.id, ")
                .bind(actor.user.0)
                .push(", ")
                .bind(actor.login.as_str())
                .push(", ")
                .bind(*text)
                .push(", ")
                .bind(micros(now))
                .push(" FROM users u WHERE u.tenant_id = ")
                .bind(ticket.tenant_id.0)
                .push(" AND u.id ");
            match n.to {
                Audience::Requester => {
                    sql.push("= ").bind(ticket.requester_id.0);
                }
                Audience::User(u) => {
                    sql.push("= ").bind(u.0);
                }
                Audience::GroupMembers(g) => {
                    sql.push("IN (SELECT user_id FROM group_members WHERE group_id = ")
                        .bind(g.0)
                        .push(")");
                }
                Audience::GroupManager(g) => {
                    sql.push("IN (SELECT manager_id FROM support_groups WHERE id = ")
                        .bind(g.0)
                        .push(")");
                }
            }
        }
        sql.for_backend(backend).query().execute(&mut **tx).await?;
    }
    Ok(())
}

/// The notifications a change of a ticket calls for, captured in its
/// transaction.
pub(crate) async fn capture_change(
    tx: &mut Transaction<'static, Any>,
    actor: &Actor,
    before: &TicketRecord,
    after: &TicketRecord,
    text: &str,
    now: Timestamp,
) -> Result<()> {
    let state = |t: &TicketRecord| vigie_core::notification::TicketState {
        status: t.status,
        group: t.group_id,
        assignee: t.assignee_id,
    };
    let found = vigie_core::notification::for_change(
        &state(before),
        &state(after),
        after.requester_id,
        actor.user,
    );
    if found.is_empty() {
        return Ok(());
    }
    let text = if found.iter().any(|n| n.kind == NotificationKind::Resolved) {
        after.solution.as_deref().unwrap_or(text)
    } else {
        text
    };
    capture(tx, after, actor, &found, text, now).await
}

fn pending_row(row: &AnyRow) -> Result<PendingNotification> {
    let kind: String = row.try_get("kind")?;
    Ok(PendingNotification {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        ticket_id: TicketId(row.try_get("ticket_id")?),
        kind: kind
            .parse()
            .map_err(|e| StoreError::Invalid(format!("stored notification: {e}")))?,
        user_id: UserId(row.try_get("user_id")?),
        email: row.try_get("email")?,
        locale: row.try_get("locale")?,
        active: crate::get_bool(row, "active")?,
        off: Vec::new(),
        actor_user_id: UserId(row.try_get("actor_user_id")?),
        actor_label: row.try_get("actor_label")?,
        text: row.try_get("text")?,
        created_at: from_micros(row.try_get("created_at")?),
    })
}

impl Store {
    /// The oldest notifications waiting, at most `limit`, with their
    /// recipients' addresses, languages and opt-outs.
    pub async fn pending_notifications(&self, limit: i64) -> Result<Vec<PendingNotification>> {
        let rows = Sql::new(
            "SELECT n.id, n.tenant_id, n.ticket_id, n.kind, n.user_id, u.email, u.locale, \
             u.active, n.actor_user_id, n.actor_label, n.text, n.created_at \
             FROM notifications n JOIN users u ON u.id = n.user_id ORDER BY n.id LIMIT ",
        )
        .bind(limit)
        .query()
        .fetch_all(self.pool())
        .await?;
        let mut pending = rows.iter().map(pending_row).collect::<Result<Vec<_>>>()?;
        let mut users: Vec<i64> = pending.iter().map(|p| p.user_id.0).collect();
        users.sort_unstable();
        users.dedup();
        let off = self.opt_outs_of(&users).await?;
        for p in &mut pending {
            p.off = off.get(&p.user_id).cloned().unwrap_or_default();
        }
        Ok(pending)
    }

    async fn opt_outs_of(&self, users: &[i64]) -> Result<HashMap<UserId, Vec<NotificationKind>>> {
        let mut off: HashMap<UserId, Vec<NotificationKind>> = HashMap::new();
        for chunk in users.chunks(500) {
            let mut sql =
                Sql::new("SELECT user_id, kind FROM notification_opt_outs WHERE user_id IN (");
            for (i, u) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(*u);
            }
            sql.push(")");
            for row in sql.query().fetch_all(self.pool()).await? {
                let kind: String = row.try_get("kind")?;
                // A kind this version no longer knows is simply ignored.
                if let Ok(kind) = kind.parse() {
                    off.entry(UserId(row.try_get("user_id")?))
                        .or_default()
                        .push(kind);
                }
            }
        }
        Ok(off)
    }

    /// Deletes the notifications `done` and queues `mails` in one
    /// transaction. Returns `false`, changing nothing, when one of them was
    /// already handled (by another instance).
    pub async fn complete_notifications(
        &self,
        now: Timestamp,
        done: &[i64],
        mails: &[crate::OutgoingMail],
    ) -> Result<bool> {
        if done.is_empty() {
            return Ok(true);
        }
        let mut tx = self.write_tx().await?;
        let mut deleted = 0;
        for chunk in done.chunks(500) {
            let mut sql = Sql::new("DELETE FROM notifications WHERE id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(*id);
            }
            sql.push(")");
            deleted += sql.query().execute(&mut *tx).await?.rows_affected();
        }
        if deleted != done.len() as u64 {
            tx.rollback().await?;
            return Ok(false);
        }
        for m in mails {
            crate::mail::enqueue_in(&mut tx, now, m).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The kinds of notification a user turned off.
    pub async fn notification_opt_outs(&self, user: UserId) -> Result<Vec<NotificationKind>> {
        let mut off = self.opt_outs_of(&[user.0]).await?;
        let mut kinds = off.remove(&user).unwrap_or_default();
        kinds.sort();
        Ok(kinds)
    }

    /// Sets the kinds of notification a user turned off (all others are
    /// on), recorded in the audit log.
    pub async fn set_notification_opt_outs(
        &self,
        actor: &Actor,
        user: &crate::UserRecord,
        now: Timestamp,
        off: &[NotificationKind],
    ) -> Result<Vec<NotificationKind>> {
        let before = self.notification_opt_outs(user.id).await?;
        let mut after = off.to_vec();
        after.sort();
        after.dedup();
        let mut tx = self.write_tx().await?;
        Sql::new("DELETE FROM notification_opt_outs WHERE user_id = ")
            .bind(user.id.0)
            .query()
            .execute(&mut *tx)
            .await?;
        if !after.is_empty() {
            Sql::insert_many(
                "notification_opt_outs",
                &["user_id", "kind"],
                after
                    .iter()
                    .map(|k| vec![user.id.0.into(), k.as_str().into()])
                    .collect(),
            )
            .query()
            .execute(&mut *tx)
            .await?;
        }
        let fields = |kinds: &[NotificationKind]| -> vigie_core::audit::Fields {
            let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            vec![("notifications_off", Some(names.join(", ")))]
        };
        crate::audit::record(
            &mut tx,
            actor,
            now,
            crate::audit::AuditTarget {
                tenant: Some(user.tenant_id),
                entity_id: Some(user.entity_id.0),
                entity_path: Some(&user.entity_path),
                record_type: "user",
                record_id: user.id.0,
            },
            Some(&fields(&before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}
