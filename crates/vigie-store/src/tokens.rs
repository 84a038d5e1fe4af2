//! API tokens. Only a SHA-256 of each secret is stored; the secret is shown
//! once, at creation.

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, UserRecord, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{TenantId, TokenId, UserId};
use vigie_core::tenancy::{Actor, Scope};

/// A token as stored (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// Its id.
    pub id: TokenId,
    /// Its owner's tenant.
    pub tenant_id: TenantId,
    /// Its owner.
    pub user_id: UserId,
    /// What it is for.
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last use, to the minute.
    pub last_used_at: Option<Timestamp>,
    /// Revocation time; a revoked token authenticates nothing.
    pub revoked_at: Option<Timestamp>,
}

/// A token to store.
#[derive(Clone, Debug)]
pub struct NewToken {
    /// Its owner.
    pub user_id: UserId,
    /// What it is for.
    pub name: String,
    /// The first characters of the secret.
    pub prefix: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
}

const SELECT: &str = "SELECT t.id, t.tenant_id, t.user_id, t.name, t.prefix, t.created_at, t.last_used_at, \
    t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN entities e ON e.id = u.entity_id \
    WHERE 1 = 1";

fn token_row(row: &AnyRow) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: TokenId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        user_id: UserId(row.try_get("user_id")?),
        name: row.try_get("name")?,
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

fn fields(t: &TokenRecord) -> Fields {
    vec![
        ("name", Some(t.name.clone())),
        ("prefix", Some(t.prefix.clone())),
        ("user_id", Some(t.user_id.to_string())),
        ("revoked", Some(t.revoked_at.is_some().to_string())),
    ]
}

fn target<'a>(owner: &'a UserRecord, t: &TokenRecord) -> AuditTarget<'a> {
    AuditTarget {
        tenant: Some(owner.tenant_id),
        entity_id: Some(owner.entity_id.0),
        entity_path: Some(&owner.entity_path),
        record_type: "token",
        record_id: t.id.0,
    }
}

/// Adds the token visibility rule: one's own tokens, plus those of users in
/// the `manage` scope.
fn visible(sql: &mut Sql, actor: &Actor, manage: &Scope) {
    sql.push(" AND (t.user_id = ")
        .bind(actor.user.0)
        .push(" OR (1 = 1");
    sql.scope(manage, "u.tenant_id", "e.path");
    sql.push("))");
}

impl Store {
    /// Lists the tokens the actor may see: his own, and those of the users
    /// in his `manage` scope. Newest first is not needed: by id.
    pub async fn list_tokens(
        &self,
        actor: &Actor,
        manage: &Scope,
        owner: Option<UserId>,
    ) -> Result<Vec<TokenRecord>> {
        let mut sql = Sql::new(SELECT);
        visible(&mut sql, actor, manage);
        if let Some(o) = owner {
            sql.push(" AND t.user_id = ").bind(o.0);
        }
        sql.push(" ORDER BY t.id LIMIT 1000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter().map(token_row).collect()
    }

    /// Stores a new token for a user the actor may manage (or himself).
    pub async fn create_token(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        new: &NewToken,
    ) -> Result<TokenRecord> {
        let owner_scope = if new.user_id == actor.user {
            &Scope::Platform
        } else {
            manage
        };
        let owner = self.get_user(owner_scope, new.user_id).await?;
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "api_tokens",
            vec![
                ("tenant_id", owner.tenant_id.0.into()),
                ("user_id", owner.id.0.into()),
                ("name", new.name.as_str().into()),
                ("prefix", new.prefix.as_str().into()),
                ("secret_hash", new.secret_hash.as_str().into()),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let token = TokenRecord {
            id: TokenId(id),
            tenant_id: owner.tenant_id,
            user_id: owner.id,
            name: new.name.clone(),
            prefix: new.prefix.clone(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        record(
            &mut tx,
            actor,
            now,
            target(&owner, &token),
            None,
            Some(&fields(&token)),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Revokes a token the actor may see. Revoking twice is harmless.
    pub async fn revoke_token(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        id: TokenId,
    ) -> Result<TokenRecord> {
        let mut sql = Sql::new(SELECT);
        visible(&mut sql, actor, manage);
        sql.push(" AND t.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        let before = row
            .as_ref()
            .map(token_row)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        let owner = self.get_user(&Scope::Platform, before.user_id).await?;
        let mut after = before.clone();
        after.revoked_at = Some(now);
        let mut tx = self.write_tx().await?;
        Sql::update(
            "api_tokens",
            vec![("revoked_at", micros(now).into())],
            ("id", id.0.into()),
        )
        .query()
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            now,
            target(&owner, &after),
            Some(&fields(&before)),
            Some(&fields(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Finds the owner of a live token by the hash of its secret, and notes
    /// its use (at most once a minute, to spare writes).
    pub async fn authenticate_token(
        &self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<UserId>> {
        let row = Sql::new("SELECT id, user_id, last_used_at FROM api_tokens WHERE revoked_at IS NULL AND secret_hash = ")
            .bind(secret_hash)
            .query()
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.try_get("id")?;
        let last: Option<i64> = row.try_get("last_used_at")?;
        self.note_use("api_tokens", id, last.map(crate::from_micros), now)
            .await?;
        Ok(Some(UserId(row.try_get("user_id")?)))
    }

    /// Records that a secret (API token, integration key) of `table` was
    /// just used, at most once a minute, to spare writes on every request.
    pub(crate) async fn note_use(
        &self,
        table: &str,
        id: i64,
        last: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        if last.is_none_or(|l| micros(now) - micros(l) > 60_000_000) {
            Sql::update(
                table,
                vec![("last_used_at", micros(now).into())],
                ("id", id.into()),
            )
            .query()
            .execute(self.pool())
            .await?;
        }
        Ok(())
    }
}
