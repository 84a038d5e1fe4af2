//! Integration keys: what a monitoring tool sends its events with. A key
//! belongs to a tenant, names its source and the entity where its incidents
//! open; only a SHA-256 of the secret is kept. Incidents opened from events
//! are requested by the tenant's monitoring account, a user without a
//! password created with the tenant's first key.

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{EntityId, IntegrationKeyId, TenantId, UserId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// An integration key as stored (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrationKeyRecord {
    /// Its id.
    pub id: IntegrationKeyId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The entity where its incidents open.
    pub entity_id: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// The tenant's monitoring account, requester of its incidents.
    pub requester_id: UserId,
    /// The tool it is for (`alertmanager`, `zabbix`…).
    pub source: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last time an event came with it (to the minute).
    pub last_used_at: Option<Timestamp>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
}

/// A key to create: the caller made the secret and gives its hash.
#[derive(Clone, Debug)]
pub struct NewIntegrationKey {
    /// Where its incidents open.
    pub entity_id: EntityId,
    /// The tool it is for.
    pub source: String,
    /// The first characters of the secret.
    pub prefix: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
}

const SELECT: &str = "SELECT k.id, k.tenant_id, k.entity_id, e.path AS entity_path, k.requester_id, \
    k.source, k.prefix, k.created_at, k.last_used_at, k.revoked_at \
    FROM integration_keys k JOIN entities e ON e.id = k.entity_id WHERE 1 = 1";

fn key_row(row: &AnyRow) -> Result<IntegrationKeyRecord> {
    let path: String = row.try_get("entity_path")?;
    Ok(IntegrationKeyRecord {
        id: IntegrationKeyId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("bad entity path `{path}`")))?,
        requester_id: UserId(row.try_get("requester_id")?),
        source: row.try_get("source")?,
        prefix: row.try_get("prefix")?,
        created_at: from_micros(row.try_get("created_at")?),
        last_used_at: row
            .try_get::<Option<i64>, _>("last_used_at")?
            .map(from_micros),
        revoked_at: row
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(from_micros),
    })
}

fn fields(k: &IntegrationKeyRecord) -> Fields {
    vec![
        ("source", Some(k.source.clone())),
        ("prefix", Some(k.prefix.clone())),
        ("entity_id", Some(k.entity_id.to_string())),
        ("revoked", Some(k.revoked_at.is_some().to_string())),
    ]
}

fn target(k: &IntegrationKeyRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(k.tenant_id),
        entity_id: Some(k.entity_id.0),
        entity_path: Some(&k.entity_path),
        record_type: "integration_key",
        record_id: k.id.0,
    }
}

/// How long an instance trusts a key it has just checked: a key revoked
/// on another instance is refused there within this delay (at once on the
/// instance that revoked it).
pub const KEY_CACHE_SECONDS: i64 = 2;

/// Keys recently checked, by secret hash, with the time they were read.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    keys: std::sync::Mutex<std::collections::HashMap<String, (IntegrationKeyRecord, Timestamp)>>,
}

impl KeyCache {
    fn get(&self, hash: &str, now: Timestamp) -> Option<IntegrationKeyRecord> {
        let keys = self.keys.lock().ok()?;
        let (key, read) = keys.get(hash)?;
        (micros(now) - micros(*read) < KEY_CACHE_SECONDS * 1_000_000 && now >= *read)
            .then(|| key.clone())
    }

    fn put(&self, hash: &str, key: IntegrationKeyRecord, now: Timestamp) {
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= 10_000 {
                keys.clear();
            }
            keys.insert(hash.to_owned(), (key, now));
        }
    }

    fn forget(&self, id: IntegrationKeyId) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.retain(|_, (k, _)| k.id != id);
        }
    }
}

/// The login of a tenant's monitoring account.
pub fn monitoring_login(tenant_slug: &str) -> String {
    format!("monitoring@{tenant_slug}")
}

impl Store {
    /// Creates a key for an entity in `manage`, and the tenant's monitoring
    /// account if it has none yet.
    pub async fn create_integration_key(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        new: &NewIntegrationKey,
    ) -> Result<IntegrationKeyRecord> {
        let entity = self.get_entity(manage, new.entity_id).await?;
        let tenant = self.get_tenant(&Scope::Platform, entity.tenant_id).await?;
        let login = monitoring_login(&tenant.slug);
        let root = tenant
            .root_entity_id
            .ok_or_else(|| StoreError::Database("the tenant has no root entity".into()))?;
        let mut tx = self.write_tx().await?;
        let existing = Sql::new("SELECT id, tenant_id FROM users WHERE login = ")
            .bind(login.as_str())
            .query()
            .fetch_optional(&mut *tx)
            .await?;
        let requester = match existing {
            Some(row) => {
                if TenantId(row.try_get("tenant_id")?) != tenant.id {
                    return Err(StoreError::Conflict {
                        what: format!("the login `{login}` belongs to another tenant"),
                    });
                }
                row.try_get::<i64, _>("id")?
            }
            None => {
                Sql::insert(
                    "users",
                    vec![
                        ("tenant_id", tenant.id.0.into()),
                        ("entity_id", root.0.into()),
                        ("login", login.as_str().into()),
                        ("display_name", "Supervision / Monitoring".into()),
                        ("created_at", micros(now).into()),
                        ("updated_at", micros(now).into()),
                    ],
                )
                .insert_returning_id(&mut tx)
                .await?
            }
        };
        let id = Sql::insert(
            "integration_keys",
            vec![
                ("tenant_id", tenant.id.0.into()),
                ("entity_id", entity.id.0.into()),
                ("requester_id", requester.into()),
                ("source", new.source.as_str().into()),
                ("prefix", new.prefix.as_str().into()),
                ("secret_hash", new.secret_hash.as_str().into()),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let key = IntegrationKeyRecord {
            id: IntegrationKeyId(id),
            tenant_id: tenant.id,
            entity_id: entity.id,
            entity_path: entity.path.clone(),
            requester_id: UserId(requester),
            source: new.source.clone(),
            prefix: new.prefix.clone(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        record(&mut tx, actor, now, target(&key), None, Some(&fields(&key))).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// The keys whose entity lies in `scope`, newest first.
    pub async fn list_integration_keys(&self, scope: &Scope) -> Result<Vec<IntegrationKeyRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "k.tenant_id", "e.path");
        sql.push(" ORDER BY k.id DESC LIMIT 500");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(key_row).collect()
    }

    /// A key in `scope`.
    pub async fn get_integration_key(
        &self,
        scope: &Scope,
        id: IntegrationKeyId,
    ) -> Result<IntegrationKeyRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "k.tenant_id", "e.path");
        sql.push(" AND k.id = ").bind(id.0);
        let row = sql
            .query()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        key_row(&row)
    }

    /// Revokes a key in `scope`; revoking twice is harmless.
    pub async fn revoke_integration_key(
        &self,
        actor: &Actor,
        scope: &Scope,
        now: Timestamp,
        id: IntegrationKeyId,
    ) -> Result<IntegrationKeyRecord> {
        let before = self.get_integration_key(scope, id).await?;
        self.keys.forget(id);
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        let mut tx = self.write_tx().await?;
        Sql::update(
            "integration_keys",
            vec![("revoked_at", micros(now).into())],
            ("id", id.0.into()),
        )
        .query()
        .execute(&mut *tx)
        .await?;
        let after = IntegrationKeyRecord {
            revoked_at: Some(now),
            ..before.clone()
        };
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

    /// The live key with this secret hash, if any; notes its use (at most
    /// once a minute). A key checked less than [`KEY_CACHE_SECONDS`] ago is
    /// not read again.
    pub async fn authenticate_integration_key(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<IntegrationKeyRecord>> {
        if let Some(key) = self.keys.get(secret_hash, now) {
            return Ok(Some(key));
        }
        let mut sql = Sql::new(SELECT);
        sql.push(" AND k.revoked_at IS NULL AND k.secret_hash = ")
            .bind(secret_hash);
        let Some(row) = sql.query().fetch_optional(self.pool()).await? else {
            return Ok(None);
        };
        let key = key_row(&row)?;
        self.note_use("integration_keys", key.id.0, key.last_used_at, now)
            .await?;
        self.keys.put(secret_hash, key.clone(), now);
        Ok(Some(key))
    }
}
