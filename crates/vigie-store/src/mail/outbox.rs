//! The outbox of notification mails: written in the transaction of the
//! change they tell about, sent later by a job. A sender claims a few due
//! mails at once by writing its name and a lease end on them in one
//! `UPDATE … WHERE` the claim is free or expired, so two instances never
//! hold one mail; a crash leaves the claim to expire and another sender
//! takes it. A failed send is retried with a backoff the caller decides.

use crate::sql::Sql;
use crate::{Result, Store, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::ids::{TenantId, TicketId};

/// A mail to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The ticket it is about, for threading the replies.
    pub ticket_id: Option<TicketId>,
    /// What it tells (`ticket_created`, `public_reply`, `resolved`…).
    pub kind: String,
    /// The `From` address.
    pub sender: String,
    /// The one recipient.
    pub recipient: String,
    /// The subject (with the ticket's tag).
    pub subject: String,
    /// The text body.
    pub body_text: String,
    /// The HTML body.
    pub body_html: String,
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
    /// `In-Reply-To`, empty if none.
    pub in_reply_to: String,
    /// `References`, space-separated.
    pub references: String,
}

/// A mail of the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Its id.
    pub id: i64,
    /// The mail.
    pub mail: OutgoingMail,
    /// Attempts made before this one.
    pub attempts: i64,
    /// When it was sent.
    pub sent_at: Option<Timestamp>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// Inserts a mail into the outbox inside the caller's transaction.
pub(crate) async fn enqueue_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    now: Timestamp,
    m: &OutgoingMail,
) -> Result<i64> {
    Sql::insert_many("mail_outbox", &NEW_COLUMNS, vec![new_row(m.clone(), now)])
        .insert_returning_id(tx)
        .await
}

/// Inserts mails into the outbox inside the caller's transaction, many per
/// statement (the acknowledgements and notices of a batch of mails).
pub(crate) async fn enqueue_many_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: crate::Backend,
    now: Timestamp,
    mails: Vec<OutgoingMail>,
) -> Result<()> {
    let rows = mails.into_iter().map(|m| new_row(m, now)).collect();
    for sql in Sql::insert_chunks(backend, "mail_outbox", &NEW_COLUMNS, rows) {
        sql.query().execute(&mut **tx).await?;
    }
    Ok(())
}

/// The outbox's columns as a mail is enqueued.
const NEW_COLUMNS: [&str; 13] = [
    "tenant_id",
    "ticket_id",
    "kind",
    "sender",
    "recipient",
    "subject",
    "body_text",
    "body_html",
    "message_id",
    "in_reply_to",
    "refs",
    "next_attempt_at",
    "created_at",
];

/// A mail's values, in [`NEW_COLUMNS`] order, due now.
fn new_row(m: OutgoingMail, now: Timestamp) -> Vec<crate::sql::Arg> {
    vec![
        m.tenant_id.0.into(),
        m.ticket_id.map(|t| t.0).into(),
        m.kind.into(),
        m.sender.into(),
        m.recipient.into(),
        m.subject.into(),
        m.body_text.into(),
        m.body_html.into(),
        m.message_id.into(),
        m.in_reply_to.into(),
        m.references.into(),
        micros(now).into(),
        micros(now).into(),
    ]
}

const COLUMNS: &str = "id, tenant_id, ticket_id, kind, sender, recipient, subject, body_text, \
    body_html, message_id, in_reply_to, refs, attempts, sent_at, last_error";

fn outbox_row(row: &AnyRow) -> Result<OutboxRecord> {
    Ok(OutboxRecord {
        id: row.try_get("id")?,
        mail: OutgoingMail {
            tenant_id: TenantId(row.try_get("tenant_id")?),
            ticket_id: row.try_get::<Option<i64>, _>("ticket_id")?.map(TicketId),
            kind: row.try_get("kind")?,
            sender: row.try_get("sender")?,
            recipient: row.try_get("recipient")?,
            subject: row.try_get("subject")?,
            body_text: row.try_get("body_text")?,
            body_html: row.try_get("body_html")?,
            message_id: row.try_get("message_id")?,
            in_reply_to: row.try_get("in_reply_to")?,
            references: row.try_get("refs")?,
        },
        attempts: row.try_get("attempts")?,
        sent_at: row.try_get::<Option<i64>, _>("sent_at")?.map(from_micros),
        last_error: row.try_get("last_error")?,
    })
}

impl Store {
    /// Puts a mail in the outbox on its own (a notice outside any other
    /// change).
    pub async fn enqueue_mail(&self, now: Timestamp, mail: &OutgoingMail) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let id = enqueue_in(&mut tx, now, mail).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims up to `limit` due, unsent mails for `holder` until
    /// `until`, oldest first.
    pub async fn claim_outgoing_mail(
        &self,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<OutboxRecord>> {
        let mut sql = Sql::new("UPDATE mail_outbox SET claimed_by = ");
        sql.bind(holder)
            .push(", claimed_until = ")
            .bind(micros(until))
            .push(" WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= ")
            .bind(micros(now))
            .push(" AND (claimed_until IS NULL OR claimed_until < ")
            .bind(micros(now))
            .push(") ORDER BY next_attempt_at, id LIMIT ")
            .bind(limit.clamp(1, 1000))
            .push(") AND sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < ")
            .bind(micros(now))
            .push(") RETURNING ")
            .push(COLUMNS);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut claimed = rows.iter().map(outbox_row).collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|r| r.id);
        Ok(claimed)
    }

    /// Marks a claimed mail sent.
    pub async fn mark_mail_sent(&self, id: i64, holder: &str, now: Timestamp) -> Result<bool> {
        let done = Sql::new("UPDATE mail_outbox SET sent_at = ")
            .bind(micros(now))
            .push(", claimed_by = NULL, claimed_until = NULL, attempts = attempts + 1 WHERE id = ")
            .bind(id)
            .push(" AND claimed_by = ")
            .bind(holder)
            .query()
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed attempt of a claimed mail and when to try again.
    pub async fn mark_mail_failed(
        &self,
        id: i64,
        holder: &str,
        error: &str,
        retry_at: Timestamp,
    ) -> Result<()> {
        let error: String = error.chars().take(1000).collect();
        Sql::new("UPDATE mail_outbox SET attempts = attempts + 1, last_error = ")
            .bind(error)
            .push(", next_attempt_at = ")
            .bind(micros(retry_at))
            .push(", claimed_by = NULL, claimed_until = NULL WHERE id = ")
            .bind(id)
            .push(" AND claimed_by = ")
            .bind(holder)
            .query()
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The outbox of a tenant, newest first (for tests and the console).
    pub async fn list_outbox(&self, tenant: TenantId, limit: i64) -> Result<Vec<OutboxRecord>> {
        let mut sql = Sql::new("SELECT ");
        sql.push(COLUMNS)
            .push(" FROM mail_outbox WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" ORDER BY id DESC LIMIT ")
            .bind(limit.clamp(1, 10_000));
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(outbox_row).collect()
    }
}
