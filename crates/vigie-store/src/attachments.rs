//! Files attached to tickets, kept in the database so that several
//! instances need no shared disk.
//!
//! A content is stored once per tenant in `attachment_blobs`, keyed by its
//! SHA-256; each upload is a row of `ticket_attachments` pointing at it, with
//! its own name, type, uploader and visibility. Like internal notes, internal
//! attachments are seen only by those who may work the ticket. What may be
//! uploaded (size, types, names) is decided by the caller before it calls;
//! this module checks only what keeps the data consistent.

use crate::audit::AuditTarget;
use crate::sql::Sql;
use crate::{Result, Store, StoreError, TicketRecord, from_micros, get_bool, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{TenantId, TicketId, UserId};
use vigie_core::tenancy::Actor;
use vigie_core::ticket::{Status, TicketAccess};

/// A file attached to a ticket (without its content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentRecord {
    /// Its id.
    pub id: i64,
    /// The ticket's tenant.
    pub tenant_id: TenantId,
    /// The ticket.
    pub ticket_id: TicketId,
    /// SHA-256 of the content, lowercase hex: the key of the stored blob.
    pub sha256: String,
    /// The file name, as sanitised by the caller.
    pub file_name: String,
    /// The media type Vigie decided for it.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// Who uploaded it (`None`: Vigie itself).
    pub uploaded_by: Option<UserId>,
    /// His login.
    pub uploader_label: String,
    /// `true`: the requester sees it; `false`: agents only.
    pub public: bool,
    /// When.
    pub created_at: Timestamp,
}

/// A file to attach, already checked by the caller (name sanitised, type
/// decided, size within the limit).
#[derive(Clone, Debug)]
pub struct NewAttachment {
    /// The sanitised file name.
    pub file_name: String,
    /// The media type decided for it.
    pub content_type: String,
    /// `true`: the requester sees it; `false`: agents only.
    pub public: bool,
    /// SHA-256 of `content`, lowercase hex (the store has no hash function:
    /// the caller computes it, and the key of the blob is only as good as
    /// this value).
    pub sha256: String,
    /// The bytes.
    pub content: Vec<u8>,
}

const COLUMNS: &str = "a.id, a.tenant_id, a.ticket_id, a.blob_hash, a.file_name, a.content_type, \
    a.size, a.uploaded_by, a.uploader_label, a.public, a.created_at";

fn attachment_row(row: &AnyRow) -> Result<AttachmentRecord> {
    Ok(AttachmentRecord {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        ticket_id: TicketId(row.try_get("ticket_id")?),
        sha256: row.try_get("blob_hash")?,
        file_name: row.try_get("file_name")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        uploaded_by: row.try_get::<Option<i64>, _>("uploaded_by")?.map(UserId),
        uploader_label: row.try_get("uploader_label")?,
        public: get_bool(row, "public")?,
        created_at: from_micros(row.try_get("created_at")?),
    })
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The attachments of `ticket` the access may see: `SELECT … FROM
/// ticket_attachments a WHERE` the ticket's, and only the public ones for
/// those who may not work it.
fn visible(access: &TicketAccess, ticket: &TicketRecord, select: &str) -> Sql {
    let mut sql = Sql::new(select);
    sql.push(" WHERE a.tenant_id = ")
        .bind(ticket.tenant_id.0)
        .push(" AND a.ticket_id = ")
        .bind(ticket.id.0);
    if !access.work.covers(ticket.tenant_id, &ticket.entity_path) {
        sql.push(" AND a.public = ").bind(true);
    }
    sql
}

impl Store {
    /// Attaches a file to a ticket (read with [`Store::get_ticket`]). Those
    /// who may work the ticket attach public or internal files; its
    /// requester attaches public files; nobody attaches to a closed ticket.
    /// The content is stored only if the tenant does not hold it already;
    /// the upload is an audit line of the ticket (field `attachment`: the
    /// file name, or only the attachment's number when it is internal, since
    /// the requester reads the ticket's history).
    pub async fn add_attachment(
        &self,
        actor: &Actor,
        access: &TicketAccess,
        now: Timestamp,
        ticket: &TicketRecord,
        new: &NewAttachment,
    ) -> Result<AttachmentRecord> {
        let worker = access.work.covers(ticket.tenant_id, &ticket.entity_path);
        if !worker && ticket.requester_id != actor.user {
            return Err(StoreError::Forbidden(
                "only the requester and the agents of the ticket attach files".into(),
            ));
        }
        if !new.public && !worker {
            return Err(StoreError::Forbidden(
                "only agents attach internal files".into(),
            ));
        }
        if ticket.status == Status::Closed {
            return Err(closed());
        }
        if new.content.is_empty() {
            return Err(StoreError::Invalid("the file is empty".into()));
        }
        if !is_sha256_hex(&new.sha256) {
            return Err(StoreError::Invalid(
                "the content hash must be SHA-256 in lowercase hex".into(),
            ));
        }
        if new.file_name.trim().is_empty() || new.file_name.chars().count() > 255 {
            return Err(StoreError::Invalid(
                "the file name must have 1 to 255 characters".into(),
            ));
        }
        let size = i64::try_from(new.content.len())
            .map_err(|_| StoreError::Invalid("the file is too large".into()))?;
        let mut tx = self.write_tx().await?;
        // Bumps the ticket's activity time, only if it is still open: a
        // ticket closed meanwhile refuses, and on PostgreSQL the row stays
        // locked until the attachment is written.
        let open = Sql::new("UPDATE tickets SET updated_at = ")
            .bind(micros(now))
            .push(" WHERE id = ")
            .bind(ticket.id.0)
            .push(" AND tenant_id = ")
            .bind(ticket.tenant_id.0)
            .push(" AND status <> ")
            .bind(Status::Closed.as_str())
            .query()
            .execute(&mut *tx)
            .await?;
        if open.rows_affected() != 1 {
            return Err(closed());
        }
        let stored = insert_attachment_in(&mut tx, actor, now, ticket, new, size).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// The attachments of a ticket the access may read (read with
    /// [`Store::get_ticket`]), oldest first; internal ones only for those
    /// who may work it.
    pub async fn list_attachments(
        &self,
        access: &TicketAccess,
        ticket: &TicketRecord,
    ) -> Result<Vec<AttachmentRecord>> {
        let mut sql = visible(
            access,
            ticket,
            &format!("SELECT {COLUMNS} FROM ticket_attachments a"),
        );
        sql.push(" ORDER BY a.id LIMIT 10000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(attachment_row).collect()
    }

    /// One attachment of a ticket the access may read, with its content.
    /// Not found when it belongs to another ticket, or is internal and the
    /// access may not work the ticket.
    pub async fn attachment_content(
        &self,
        access: &TicketAccess,
        ticket: &TicketRecord,
        id: i64,
    ) -> Result<(AttachmentRecord, Vec<u8>)> {
        let mut sql = visible(
            access,
            ticket,
            &format!(
                "SELECT {COLUMNS}, b.content FROM ticket_attachments a \
                 JOIN attachment_blobs b ON b.tenant_id = a.tenant_id AND b.hash = a.blob_hash"
            ),
        );
        sql.push(" AND a.id = ").bind(id);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let record = attachment_row(&row)?;
        let content: Vec<u8> = row.try_get("content")?;
        Ok((record, content))
    }

    /// How many contents the tenant stores, and their total size in bytes
    /// (uploads of the same bytes count once).
    pub async fn attachment_storage(&self, tenant: TenantId) -> Result<(i64, i64)> {
        let row = Sql::new(
            "SELECT COUNT(*) AS blobs, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM attachment_blobs WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .query()
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("blobs")?, row.try_get("bytes")?))
    }
}

/// Stores an attachment's blob (unless the tenant holds it), its row and
/// its audit line inside the caller's transaction; the caller checked the
/// rules [`Store::add_attachment`] checks and that the ticket is open.
pub(crate) async fn insert_attachment_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    now: Timestamp,
    ticket: &TicketRecord,
    new: &NewAttachment,
    size: i64,
) -> Result<AttachmentRecord> {
    let backend = crate::backend_of(tx);
    let file = Attaching { actor, ticket, new };
    let id = insert_attachments_in(tx, backend, now, &[file])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Database("an attachment came back without its id".into()))?;
    Ok(AttachmentRecord {
        id,
        tenant_id: ticket.tenant_id,
        ticket_id: ticket.id,
        sha256: new.sha256.clone(),
        file_name: new.file_name.clone(),
        content_type: new.content_type.clone(),
        size,
        uploaded_by: uploader(actor).map(UserId),
        uploader_label: actor.login.clone(),
        public: new.public,
        created_at: now,
    })
}

/// Who uploads a file: none when Vigie attaches it.
fn uploader(actor: &Actor) -> Option<i64> {
    (actor.user != UserId::SYSTEM).then_some(actor.user.0)
}

/// A blob held under the hash must hold as many bytes as the new file.
fn same_size(new: &NewAttachment, held: i64, size: i64) -> Result<()> {
    if held != size {
        return Err(StoreError::Database(format!(
            "blob {} holds {held} bytes, not {size}",
            new.sha256
        )));
    }
    Ok(())
}

/// Writes the content of a file not yet held by the tenant. The `Sql`
/// builder binds no bytes: the content is the last placeholder, bound on
/// the query. Two identical uploads at once on PostgreSQL: the second
/// waits, then does nothing.
async fn insert_blob(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: TenantId,
    now: Timestamp,
    new: &NewAttachment,
    size: i64,
) -> Result<()> {
    let mut sql = Sql::new(
        "INSERT INTO attachment_blobs (tenant_id, hash, size, created_at, content) VALUES (",
    );
    sql.bind(tenant.0)
        .push(", ")
        .bind(new.sha256.as_str())
        .push(", ")
        .bind(size)
        .push(", ")
        .bind(micros(now))
        .push(", $5) ON CONFLICT (tenant_id, hash) DO NOTHING");
    sql.query()
        .bind(new.content.as_slice())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A file to attach to a ticket within a batch, and who attaches it.
pub(crate) struct Attaching<'a> {
    /// Who attaches it.
    pub actor: &'a Actor,
    /// The ticket.
    pub ticket: &'a TicketRecord,
    /// The file.
    pub new: &'a NewAttachment,
}

/// The columns of an attachment's row, for many rows at once.
const ROW_COLUMNS: [&str; 10] = [
    "tenant_id",
    "ticket_id",
    "blob_hash",
    "file_name",
    "content_type",
    "size",
    "uploaded_by",
    "uploader_label",
    "public",
    "created_at",
];

/// Attaches files inside the caller's transaction (one, or those of a
/// batch of mails): the blobs the tenants hold looked up in one statement,
/// each missing content written once, the rows and their audit lines many
/// per statement. Answers each file's id, in order.
pub(crate) async fn insert_attachments_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: crate::Backend,
    now: Timestamp,
    files: &[Attaching<'_>],
) -> Result<Vec<i64>> {
    use std::collections::HashMap;
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let sizes = files
        .iter()
        .map(|f| {
            i64::try_from(f.new.content.len())
                .map_err(|_| StoreError::Invalid("the file is too large".into()))
        })
        .collect::<Result<Vec<i64>>>()?;
    // The blobs held, by tenant and hash (through the key of both).
    let mut tenants: Vec<i64> = files.iter().map(|f| f.ticket.tenant_id.0).collect();
    tenants.sort_unstable();
    tenants.dedup();
    let mut hashes: Vec<&str> = files.iter().map(|f| f.new.sha256.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut held: HashMap<(i64, String), i64> = HashMap::new();
    for chunk in hashes.chunks(500) {
        let mut sql =
            Sql::new("SELECT tenant_id, hash, size FROM attachment_blobs WHERE tenant_id IN (");
        sql.bind_list(tenants.iter().copied())
            .push(") AND hash IN (")
            .bind_list(chunk.iter().copied())
            .push(")");
        for row in sql
            .for_backend(backend)
            .query()
            .fetch_all(&mut **tx)
            .await?
        {
            held.insert(
                (row.try_get("tenant_id")?, row.try_get("hash")?),
                row.try_get("size")?,
            );
        }
    }
    for (f, size) in files.iter().zip(&sizes) {
        let key = (f.ticket.tenant_id.0, f.new.sha256.clone());
        match held.get(&key) {
            Some(h) => same_size(f.new, *h, *size)?,
            None => {
                insert_blob(tx, f.ticket.tenant_id, now, f.new, *size).await?;
                held.insert(key, *size);
            }
        }
    }
    // The rows; each id found again by what the row holds (rows alike in
    // all of it are alike in everything but their id).
    let rows = files
        .iter()
        .zip(&sizes)
        .map(|(f, size)| {
            vec![
                f.ticket.tenant_id.0.into(),
                f.ticket.id.0.into(),
                f.new.sha256.as_str().into(),
                f.new.file_name.as_str().into(),
                f.new.content_type.as_str().into(),
                (*size).into(),
                uploader(f.actor).into(),
                f.actor.login.as_str().into(),
                f.new.public.into(),
                micros(now).into(),
            ]
        })
        .collect();
    type Key = (i64, String, String, String, bool);
    let mut ids: HashMap<Key, Vec<i64>> = HashMap::new();
    for mut sql in Sql::insert_chunks(backend, "ticket_attachments", &ROW_COLUMNS, rows) {
        sql.push(" RETURNING id, ticket_id, blob_hash, file_name, uploader_label, public");
        for row in sql.query().fetch_all(&mut **tx).await? {
            let key: Key = (
                row.try_get("ticket_id")?,
                row.try_get("blob_hash")?,
                row.try_get("file_name")?,
                row.try_get("uploader_label")?,
                get_bool(&row, "public")?,
            );
            ids.entry(key).or_default().push(row.try_get("id")?);
        }
    }
    // One audit line each.
    let mut made = Vec::with_capacity(files.len());
    let mut shown = Vec::with_capacity(files.len());
    for f in files {
        let key: Key = (
            f.ticket.id.0,
            f.new.sha256.clone(),
            f.new.file_name.clone(),
            f.actor.login.clone(),
            f.new.public,
        );
        let id = ids
            .get_mut(&key)
            .and_then(Vec::pop)
            .ok_or_else(|| StoreError::Database("an attachment came back without its id".into()))?;
        let name = if f.new.public {
            f.new.file_name.clone()
        } else {
            format!("(internal) #{id}")
        };
        shown.push(vec![("attachment", Some(name))]);
        made.push(id);
    }
    let before = Fields::new();
    let lines: Vec<_> = files
        .iter()
        .zip(&shown)
        .map(|(f, after)| {
            (
                f.actor,
                AuditTarget {
                    tenant: Some(f.ticket.tenant_id),
                    entity_id: Some(f.ticket.entity_id.0),
                    entity_path: Some(&f.ticket.entity_path),
                    record_type: "ticket",
                    record_id: f.ticket.id.0,
                },
                Some(&before),
                Some(after),
            )
        })
        .collect();
    crate::audit::record_many(tx, backend, now, &lines).await?;
    Ok(made)
}

fn closed() -> StoreError {
    StoreError::Conflict {
        what: "the ticket is closed: open a new one".into(),
    }
}
