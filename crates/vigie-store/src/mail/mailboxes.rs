//! Mailboxes: where Vigie reads a tenant's mail. A mailbox belongs to an
//! entity (the default entity of its tickets) and follows the scope of the
//! permission that manages it. Its password is stored as given, because
//! Vigie must present it to the IMAP server (there is no key to encrypt it
//! with); it is read back only by the poller ([`Store::mailbox_password`]),
//! never by the API, and never enters the audit log.

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, get_bool, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{CategoryId, EntityId, IntegrationKeyId, MailboxId, TenantId};
use vigie_core::mail::{AfterAction, Security, UnknownSenders};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// A mailbox as stored (never its password).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxRecord {
    /// Its id.
    pub id: MailboxId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The default entity of its tickets.
    pub entity_id: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// Its name, unique in the tenant.
    pub name: String,
    /// The IMAP server.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How to talk to it.
    pub security: Security,
    /// The IMAP login.
    pub login: String,
    /// The folder read.
    pub folder: String,
    /// What happens to a processed mail.
    pub after_action: AfterAction,
    /// The folder processed mail is moved to.
    pub move_to: String,
    /// Seconds between two reads.
    pub poll_seconds: i64,
    /// The default category of its tickets.
    pub category_id: Option<CategoryId>,
    /// Unknown senders.
    pub unknown_senders: UnknownSenders,
    /// Only an establishment's point of contact may write for it.
    pub single_contact: bool,
    /// Mails allowed per sender in the window.
    pub rate_max: u32,
    /// The rate window, in seconds.
    pub rate_window_seconds: i64,
    /// The key the events its rules make are stored under.
    pub integration_key_id: Option<IntegrationKeyId>,
    /// The address its notifications come from.
    pub address: String,
    /// Its rules, as JSON (the server reads and checks them).
    pub rules: String,
    /// Whether it is read.
    pub active: bool,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A mailbox to create or the new values of one (the caller validated
/// them; `password: None` on an update keeps the stored one).
#[derive(Clone, Debug)]
pub struct MailboxInput {
    /// The default entity of its tickets.
    pub entity_id: EntityId,
    /// Its name.
    pub name: String,
    /// The IMAP server.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How to talk to it.
    pub security: Security,
    /// The IMAP login.
    pub login: String,
    /// The IMAP password.
    pub password: Option<String>,
    /// The folder read.
    pub folder: String,
    /// What happens to a processed mail.
    pub after_action: AfterAction,
    /// The folder processed mail is moved to.
    pub move_to: String,
    /// Seconds between two reads.
    pub poll_seconds: i64,
    /// The default category.
    pub category_id: Option<CategoryId>,
    /// Unknown senders.
    pub unknown_senders: UnknownSenders,
    /// Single point of contact.
    pub single_contact: bool,
    /// Mails allowed per sender in the window.
    pub rate_max: u32,
    /// The rate window, in seconds.
    pub rate_window_seconds: i64,
    /// The key its events are stored under.
    pub integration_key_id: Option<IntegrationKeyId>,
    /// The address notifications come from.
    pub address: String,
    /// Its rules, as JSON.
    pub rules: String,
    /// Whether it is read.
    pub active: bool,
}

const SELECT: &str = "SELECT m.id, m.tenant_id, m.entity_id, e.path AS entity_path, m.name, m.host, \
    m.port, m.security, m.login, m.folder, m.after_action, m.move_to, m.poll_seconds, m.category_id, \
    m.unknown_senders, m.single_contact, m.rate_max, m.rate_window_seconds, m.integration_key_id, \
    m.address, m.rules, m.active, m.created_at, m.updated_at \
    FROM mailboxes m JOIN entities e ON e.id = m.entity_id WHERE 1 = 1";

fn parse<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|_| StoreError::Database(format!("bad {column} `{text}`")))
}

fn mailbox_row(row: &AnyRow) -> Result<MailboxRecord> {
    let path: String = row.try_get("entity_path")?;
    Ok(MailboxRecord {
        id: MailboxId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("bad entity path `{path}`")))?,
        name: row.try_get("name")?,
        host: row.try_get("host")?,
        port: u16::try_from(row.try_get::<i64, _>("port")?).unwrap_or(0),
        security: parse(row, "security")?,
        login: row.try_get("login")?,
        folder: row.try_get("folder")?,
        after_action: parse(row, "after_action")?,
        move_to: row.try_get("move_to")?,
        poll_seconds: row.try_get("poll_seconds")?,
        category_id: row
            .try_get::<Option<i64>, _>("category_id")?
            .map(CategoryId),
        unknown_senders: parse(row, "unknown_senders")?,
        single_contact: get_bool(row, "single_contact")?,
        rate_max: u32::try_from(row.try_get::<i64, _>("rate_max")?).unwrap_or(0),
        rate_window_seconds: row.try_get("rate_window_seconds")?,
        integration_key_id: row
            .try_get::<Option<i64>, _>("integration_key_id")?
            .map(IntegrationKeyId),
        address: row.try_get("address")?,
        rules: row.try_get("rules")?,
        active: get_bool(row, "active")?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn fields(m: &MailboxRecord) -> Fields {
    vec![
        ("name", Some(m.name.clone())),
        ("entity_id", Some(m.entity_id.to_string())),
        ("host", Some(format!("{}:{}", m.host, m.port))),
        ("security", Some(m.security.to_string())),
        ("login", Some(m.login.clone())),
        ("folder", Some(m.folder.clone())),
        ("after_action", Some(m.after_action.to_string())),
        ("move_to", Some(m.move_to.clone())),
        ("unknown_senders", Some(m.unknown_senders.to_string())),
        ("single_contact", Some(m.single_contact.to_string())),
        ("rules", Some(m.rules.clone())),
        ("active", Some(m.active.to_string())),
    ]
}

fn target(m: &MailboxRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(m.tenant_id),
        entity_id: Some(m.entity_id.0),
        entity_path: Some(&m.entity_path),
        record_type: "mailbox",
        record_id: m.id.0,
    }
}

fn values(input: &MailboxInput) -> Vec<(&'static str, crate::sql::Arg)> {
    let mut v: Vec<(&'static str, crate::sql::Arg)> = vec![
        ("entity_id", input.entity_id.0.into()),
        ("name", input.name.as_str().into()),
        ("host", input.host.as_str().into()),
        ("port", i64::from(input.port).into()),
        ("security", input.security.as_str().into()),
        ("login", input.login.as_str().into()),
        ("folder", input.folder.as_str().into()),
        ("after_action", input.after_action.as_str().into()),
        ("move_to", input.move_to.as_str().into()),
        ("poll_seconds", input.poll_seconds.into()),
        ("category_id", input.category_id.map(|c| c.0).into()),
        ("unknown_senders", input.unknown_senders.as_str().into()),
        ("single_contact", input.single_contact.into()),
        ("rate_max", i64::from(input.rate_max).into()),
        ("rate_window_seconds", input.rate_window_seconds.into()),
        (
            "integration_key_id",
            input.integration_key_id.map(|k| k.0).into(),
        ),
        ("address", input.address.as_str().into()),
        ("rules", input.rules.as_str().into()),
        ("active", input.active.into()),
    ];
    if let Some(p) = &input.password {
        v.push(("password", p.as_str().into()));
    }
    v
}

fn name_taken(e: StoreError) -> StoreError {
    match e {
        StoreError::Conflict { .. } => StoreError::Conflict {
            what: "a mailbox of this tenant already has this name".into(),
        },
        e => e,
    }
}

impl Store {
    /// Creates a mailbox on an entity within `manage`.
    pub async fn create_mailbox(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        input: &MailboxInput,
    ) -> Result<MailboxRecord> {
        let entity = self.get_entity(manage, input.entity_id).await?;
        self.check_mailbox_refs(entity.tenant_id, input).await?;
        if input.password.is_none() {
            return Err(StoreError::Invalid(
                "a new mailbox needs its password".into(),
            ));
        }
        let mut tx = self.write_tx().await?;
        let mut v = values(input);
        v.push(("tenant_id", entity.tenant_id.0.into()));
        v.push(("created_at", micros(now).into()));
        v.push(("updated_at", micros(now).into()));
        let id = Sql::insert("mailboxes", v)
            .insert_returning_id(&mut tx)
            .await
            .map_err(name_taken)?;
        let created = read_in(&mut tx, MailboxId(id)).await?;
        record(
            &mut tx,
            actor,
            now,
            target(&created),
            None,
            Some(&fields(&created)),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The mailboxes whose entity lies in `scope`, by name.
    pub async fn list_mailboxes(&self, scope: &Scope) -> Result<Vec<MailboxRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "m.tenant_id", "e.path");
        sql.push(" ORDER BY m.name, m.id LIMIT 500");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(mailbox_row).collect()
    }

    /// A mailbox in `scope`.
    pub async fn get_mailbox(&self, scope: &Scope, id: MailboxId) -> Result<MailboxRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "m.tenant_id", "e.path");
        sql.push(" AND m.id = ").bind(id.0);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        mailbox_row(&row)
    }

    /// Changes a mailbox in `manage`; its new entity must be in `manage` too.
    pub async fn update_mailbox(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        id: MailboxId,
        input: &MailboxInput,
    ) -> Result<MailboxRecord> {
        let before = self.get_mailbox(manage, id).await?;
        let entity = self.get_entity(manage, input.entity_id).await?;
        if entity.tenant_id != before.tenant_id {
            return Err(StoreError::NotFound);
        }
        self.check_mailbox_refs(before.tenant_id, input).await?;
        let mut tx = self.write_tx().await?;
        let mut v = values(input);
        v.push(("updated_at", micros(now).into()));
        Sql::update("mailboxes", v, ("id", id.0.into()))
            .query()
            .execute(&mut *tx)
            .await
            .map_err(|e| name_taken(e.into()))?;
        let after = read_in(&mut tx, id).await?;
        record(
            &mut tx,
            actor,
            now,
            target(&after),
            Some(&fields(&before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a mailbox in `manage` (the mails it received stay recorded).
    pub async fn delete_mailbox(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        id: MailboxId,
    ) -> Result<()> {
        let before = self.get_mailbox(manage, id).await?;
        let mut tx = self.write_tx().await?;
        Sql::new("DELETE FROM mailboxes WHERE id = ")
            .bind(id.0)
            .query()
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            now,
            target(&before),
            Some(&fields(&before)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every active mailbox of every tenant, for the poller (not for
    /// handlers: it reads no scope).
    pub async fn active_mailboxes(&self) -> Result<Vec<MailboxRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND m.active = ").bind(true);
        sql.push(" ORDER BY m.id LIMIT 10000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(mailbox_row).collect()
    }

    /// A mailbox's password, for the poller only.
    pub async fn mailbox_password(&self, id: MailboxId) -> Result<String> {
        let row = Sql::new("SELECT password FROM mailboxes WHERE id = ")
            .bind(id.0)
            .query()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.try_get("password")?)
    }

    /// The category and key a mailbox names must be its tenant's.
    async fn check_mailbox_refs(&self, tenant: TenantId, input: &MailboxInput) -> Result<()> {
        if let Some(c) = input.category_id {
            self.get_category(tenant, c).await.map_err(|e| match e {
                StoreError::NotFound => StoreError::Invalid(format!("there is no category {c}")),
                e => e,
            })?;
        }
        if let Some(k) = input.integration_key_id {
            let row = Sql::new("SELECT tenant_id FROM integration_keys WHERE id = ")
                .bind(k.0)
                .query()
                .fetch_optional(self.pool())
                .await?;
            let theirs = match row {
                Some(r) => TenantId(r.try_get("tenant_id")?) == tenant,
                None => false,
            };
            if !theirs {
                return Err(StoreError::Invalid(format!(
                    "there is no integration key {k}"
                )));
            }
        }
        Ok(())
    }
}

async fn read_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: MailboxId,
) -> Result<MailboxRecord> {
    let row = Sql::new(SELECT)
        .push(" AND m.id = ")
        .bind(id.0)
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    mailbox_row(&row)
}

/// Keeps the `Fields` type's users honest: a mailbox's fields never name
/// its password.
#[cfg(test)]
mod tests {
    #[test]
    fn the_password_is_no_audited_field() {
        let source = include_str!("mailboxes.rs");
        let start = source.find("fn fields(").unwrap_or(0);
        let end = source[start..]
            .find("\n}\n")
            .map_or(source.len(), |e| start + e);
        assert!(!source[start..end].contains("password"));
    }
}
