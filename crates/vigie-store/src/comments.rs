//! The conversation of a ticket: public replies and internal notes, and the
//! ticket's timeline (its audit lines, which are its field history).

use crate::sql::Sql;
use crate::{
    AuditFilter, AuditRecord, PageRequest, Result, Store, StoreError, TicketRecord, from_micros,
    get_bool, micros,
};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::ids::{CommentId, TicketId, UserId};
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::{Status, TicketAccess};

/// A reply or a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommentRecord {
    /// Its id.
    pub id: CommentId,
    /// The ticket.
    pub ticket_id: TicketId,
    /// Who wrote it (`None`: Vigie itself).
    pub author_id: Option<UserId>,
    /// His login or name.
    pub author_label: String,
    /// `true`: a reply the requester sees; `false`: an internal note.
    pub public: bool,
    /// The text (Markdown source).
    pub body: String,
    /// When.
    pub created_at: Timestamp,
}

fn comment_row(row: &AnyRow) -> Result<CommentRecord> {
    Ok(CommentRecord {
        id: CommentId(row.try_get("id")?),
        ticket_id: TicketId(row.try_get("ticket_id")?),
        author_id: row.try_get::<Option<i64>, _>("author_id")?.map(UserId),
        author_label: row.try_get("author_label")?,
        public: get_bool(row, "public")?,
        body: row.try_get("body")?,
        created_at: from_micros(row.try_get("created_at")?),
    })
}

impl Store {
    /// The conversation of a ticket the access may read; internal notes only
    /// for those who may work it.
    pub async fn list_comments(
        &self,
        access: &TicketAccess,
        ticket: &TicketRecord,
    ) -> Result<Vec<CommentRecord>> {
        let mut sql = Sql::new(
            "SELECT id, ticket_id, author_id, author_label, public, body, created_at FROM ticket_comments WHERE ticket_id = ",
        );
        sql.bind(ticket.id.0);
        if !access.work.covers(ticket.tenant_id, &ticket.entity_path) {
            sql.push(" AND public = ").bind(true);
        }
        sql.push(" ORDER BY id LIMIT 10000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(comment_row).collect()
    }

    /// Adds a reply or a note to a ticket (read with [`Store::get_ticket`]).
    /// Internal notes need the right to work the ticket; nobody writes on a
    /// closed ticket. A reply from the requester also bumps `updated_at`.
    pub async fn add_comment(
        &self,
        actor: &Actor,
        access: &TicketAccess,
        now: Timestamp,
        ticket: &TicketRecord,
        public: bool,
        body: &str,
    ) -> Result<CommentRecord> {
        if ticket.status == Status::Closed {
            return Err(StoreError::Conflict {
                what: "the ticket is closed: open a new one".into(),
            });
        }
        let worker = access.work.covers(ticket.tenant_id, &ticket.entity_path);
        if !public && !worker {
            return Err(StoreError::Forbidden(
                "only agents write internal notes".into(),
            ));
        }
        let mut tx = self.write_tx().await?;
        let comment = insert_comment(&mut tx, actor, now, ticket, public, body).await?;
        tx.commit().await?;
        Ok(comment)
    }

    /// Writes an internal note on a ticket the actor works and, in the same
    /// transaction, the notifications it comes with (e.g. the alert to the
    /// group's manager of a hierarchical escalation).
    pub async fn add_note_notifying(
        &self,
        actor: &Actor,
        access: &TicketAccess,
        now: Timestamp,
        ticket: &TicketRecord,
        body: &str,
        notify: &[vigie_core::notification::Notification],
    ) -> Result<CommentRecord> {
        if ticket.status == Status::Closed {
            return Err(StoreError::Conflict {
                what: "the ticket is closed: open a new one".into(),
            });
        }
        if !access.work.covers(ticket.tenant_id, &ticket.entity_path) {
            return Err(StoreError::Forbidden(
                "only agents write internal notes".into(),
            ));
        }
        let mut tx = self.write_tx().await?;
        let comment = insert_comment(&mut tx, actor, now, ticket, false, body).await?;
        crate::notifications::capture(&mut tx, ticket, actor, notify, body, now).await?;
        tx.commit().await?;
        Ok(comment)
    }

    /// The field history of a ticket (its audit lines), oldest first. The
    /// caller has read the ticket within the actor's access.
    pub async fn ticket_history(&self, ticket: &TicketRecord) -> Result<Vec<AuditRecord>> {
        let filter = AuditFilter {
            record_type: Some("ticket".into()),
            record_id: Some(ticket.id.0),
            ..Default::default()
        };
        let scope = Scope::Tenant {
            tenant: ticket.tenant_id,
            rules: vec![vigie_core::tenancy::ScopeRule::Exactly(
                ticket.entity_path.clone(),
            )],
        };
        let mut items = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .list_audit(&scope, &filter, PageRequest { after, limit: 500 })
                .await?;
            items.extend(page.items);
            match page.next_after {
                Some(a) if items.len() < 10_000 => after = Some(a),
                _ => return Ok(items),
            }
        }
    }
}

/// Inserts a reply or note and bumps the ticket's `updated_at`, inside the
/// caller's transaction.
pub(crate) async fn insert_comment(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    now: Timestamp,
    ticket: &TicketRecord,
    public: bool,
    body: &str,
) -> Result<CommentRecord> {
    let backend = crate::backend_of(tx);
    let new = NewComment {
        actor,
        ticket,
        public,
        body,
    };
    let id = insert_comments_in(tx, backend, now, &[new])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Database("a comment came back without its id".into()))?;
    Ok(CommentRecord {
        id,
        ticket_id: ticket.id,
        author_id: author(actor).map(UserId),
        author_label: actor.login.clone(),
        public,
        body: body.to_owned(),
        created_at: now,
    })
}

/// The comment's author: none when Vigie writes it.
fn author(actor: &Actor) -> Option<i64> {
    (actor.user != UserId::SYSTEM).then_some(actor.user.0)
}

/// A comment to write, and who writes it.
pub(crate) struct NewComment<'a> {
    /// Who writes it.
    pub actor: &'a Actor,
    /// The ticket it is on.
    pub ticket: &'a TicketRecord,
    /// A reply (`true`) or an internal note.
    pub public: bool,
    /// Its text.
    pub body: &'a str,
}

/// The columns of a comment's row, for many rows at once.
const ROW_COLUMNS: [&str; 7] = [
    "tenant_id",
    "ticket_id",
    "author_id",
    "author_label",
    "public",
    "body",
    "created_at",
];

/// Writes comments inside the caller's transaction (one, or the replies of
/// a batch of mails): the rows many per statement, the tickets' last change
/// in one statement, and the notifications each comment comes with (a
/// public reply tells the other side: the requester, or his agent), many
/// per statement. Answers each comment's id, in order: rows of the same
/// ticket and author are told apart by their ids, given in the order the
/// rows are written.
pub(crate) async fn insert_comments_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: crate::Backend,
    now: Timestamp,
    comments: &[NewComment<'_>],
) -> Result<Vec<CommentId>> {
    use std::collections::HashMap;
    if comments.is_empty() {
        return Ok(Vec::new());
    }
    let rows = comments
        .iter()
        .map(|r| {
            vec![
                r.ticket.tenant_id.0.into(),
                r.ticket.id.0.into(),
                author(r.actor).into(),
                r.actor.login.as_str().into(),
                r.public.into(),
                r.body.into(),
                micros(now).into(),
            ]
        })
        .collect();
    let mut ids: HashMap<(i64, String), Vec<i64>> = HashMap::new();
    for mut sql in Sql::insert_chunks(backend, "ticket_comments", &ROW_COLUMNS, rows) {
        sql.push(" RETURNING id, ticket_id, author_label");
        for row in sql.query().fetch_all(&mut **tx).await? {
            ids.entry((row.try_get("ticket_id")?, row.try_get("author_label")?))
                .or_default()
                .push(row.try_get("id")?);
        }
    }
    for list in ids.values_mut() {
        list.sort_unstable_by(|a, b| b.cmp(a));
    }
    let mut made = Vec::with_capacity(comments.len());
    for r in comments {
        let id = ids
            .get_mut(&(r.ticket.id.0, r.actor.login.clone()))
            .and_then(Vec::pop)
            .ok_or_else(|| StoreError::Database("a reply came back without its id".into()))?;
        made.push(CommentId(id));
    }
    let mut tickets: Vec<i64> = comments.iter().map(|r| r.ticket.id.0).collect();
    tickets.sort_unstable();
    tickets.dedup();
    for chunk in tickets.chunks(500) {
        let mut sql = Sql::new("UPDATE tickets SET updated_at = ");
        sql.bind(micros(now)).push(" WHERE id IN (");
        sql.bind_list(chunk.iter().copied()).push(")");
        sql.for_backend(backend).query().execute(&mut **tx).await?;
    }
    let told: Vec<_> = comments
        .iter()
        .map(|r| {
            vigie_core::notification::for_comment(
                r.public,
                r.actor.user,
                r.ticket.requester_id,
                r.ticket.assignee_id,
            )
        })
        .collect();
    let events: Vec<_> = comments
        .iter()
        .zip(&told)
        .map(|(r, t)| (r.ticket, r.actor, t.as_slice(), r.body))
        .collect();
    crate::notifications::capture_many(tx, backend, now, &events).await?;
    Ok(made)
}
