//! Users, their roles on entities, and the loading of an [`Actor`].

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Page, PageRequest, Result, Store, StoreError, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{EntityId, GrantId, TenantId, UserId};
use vigie_core::role::Role;
use vigie_core::tenancy::{Actor, EntityPath, Grant, Scope};

/// A user as stored (without his password hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    /// His id.
    pub id: UserId,
    /// His tenant.
    pub tenant_id: TenantId,
    /// His home entity.
    pub entity_id: EntityId,
    /// The path of his home entity.
    pub entity_path: EntityPath,
    /// His login, unique across Vigie.
    pub login: String,
    /// His name as shown.
    pub display_name: String,
    /// His e-mail address.
    pub email: Option<String>,
    /// His language (`fr`, `en`), if chosen.
    pub locale: Option<String>,
    /// Whether he administers the platform.
    pub platform_admin: bool,
    /// Whether he may log in.
    pub active: bool,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// His home entity.
    pub entity_id: EntityId,
    /// His login (validated).
    pub login: String,
    /// His name.
    pub display_name: String,
    /// His e-mail address.
    pub email: Option<String>,
    /// His language.
    pub locale: Option<String>,
    /// An argon2id PHC string, or `None` for an account without password.
    pub password_hash: Option<String>,
    /// Platform administrator (only a platform administrator may set it).
    pub platform_admin: bool,
}

/// Fields of a user to change (`None`: unchanged).
#[derive(Clone, Debug, Default)]
pub struct UserChanges {
    /// New name.
    pub display_name: Option<String>,
    /// New e-mail address (`Some(None)` removes it).
    pub email: Option<Option<String>>,
    /// New language (`Some(None)` falls back to the browser's).
    pub locale: Option<Option<String>>,
    /// Enable or disable the account.
    pub active: Option<bool>,
    /// A new home entity.
    pub entity_id: Option<EntityId>,
    /// A new password hash.
    pub password_hash: Option<String>,
}

/// Which users to list.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Text found in the login, name or e-mail.
    pub q: Option<String>,
    /// Only users whose home entity is in this subtree.
    pub within: Option<EntityPath>,
    /// Only active (or inactive) accounts.
    pub active: Option<bool>,
}

/// A role held by a user on an entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRecord {
    /// Its id.
    pub id: GrantId,
    /// The user.
    pub user_id: UserId,
    /// The entity.
    pub entity_id: EntityId,
    /// The entity's path.
    pub entity_path: EntityPath,
    /// The role.
    pub role: Role,
    /// Whether the role reaches the subtree.
    pub recursive: bool,
}

/// A role to grant.
#[derive(Clone, Debug)]
pub struct NewGrant {
    /// The entity.
    pub entity_id: EntityId,
    /// The role.
    pub role: Role,
    /// Whether it reaches the subtree.
    pub recursive: bool,
}

const SELECT: &str = "SELECT u.id, u.tenant_id, u.entity_id, e.path AS entity_path, u.login, \
    u.display_name, u.email, u.locale, u.platform_admin, u.active, u.created_at, u.updated_at \
    FROM users u JOIN entities e ON e.id = u.entity_id WHERE 1 = 1";

fn path_of(s: &str) -> Result<EntityPath> {
    EntityPath::parse(s).ok_or_else(|| StoreError::Database(format!("malformed entity path {s:?}")))
}

fn user_row(row: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: UserId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: path_of(row.try_get("entity_path")?)?,
        login: row.try_get("login")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        locale: row.try_get("locale")?,
        platform_admin: crate::get_bool(row, "platform_admin")?,
        active: crate::get_bool(row, "active")?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn fields(u: &UserRecord, password_changed: bool) -> Fields {
    vec![
        ("login", Some(u.login.clone())),
        ("display_name", Some(u.display_name.clone())),
        ("email", u.email.clone()),
        ("locale", u.locale.clone()),
        ("entity_id", Some(u.entity_id.to_string())),
        ("platform_admin", Some(u.platform_admin.to_string())),
        ("active", Some(u.active.to_string())),
        // The hash itself never enters the log.
        ("password", password_changed.then(|| "(changed)".to_owned())),
    ]
}

fn target(u: &UserRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(u.tenant_id),
        entity_id: Some(u.entity_id.0),
        entity_path: Some(&u.entity_path),
        record_type: "user",
        record_id: u.id.0,
    }
}

fn grant_row(row: &AnyRow) -> Result<GrantRecord> {
    let role: String = row.try_get("role")?;
    Ok(GrantRecord {
        id: GrantId(row.try_get("id")?),
        user_id: UserId(row.try_get("user_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: path_of(row.try_get("path")?)?,
        role: role
            .parse()
            .map_err(|e| StoreError::Database(format!("{e}")))?,
        recursive: crate::get_bool(row, "recursive")?,
    })
}

fn grant_fields(g: &GrantRecord) -> Fields {
    vec![
        ("user_id", Some(g.user_id.to_string())),
        ("entity_id", Some(g.entity_id.to_string())),
        ("role", Some(g.role.to_string())),
        ("recursive", Some(g.recursive.to_string())),
    ]
}

impl Store {
    /// Lists users whose home entity is in scope.
    pub async fn list_users(
        &self,
        scope: &Scope,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<UserRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "u.tenant_id", "e.path");
        if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
            sql.push(" AND (LOWER(u.login) LIKE ")
                .bind(pattern.as_str())
                .push(" ESCAPE '\\' OR LOWER(u.display_name) LIKE ")
                .bind(pattern.as_str())
                .push(" ESCAPE '\\' OR LOWER(COALESCE(u.email, '')) LIKE ")
                .bind(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(p) = &filter.within {
            sql.push(" AND e.path LIKE ")
                .bind(format!("{}%", p.as_str()));
        }
        if let Some(a) = filter.active {
            sql.push(" AND u.active = ").bind(a);
        }
        if let Some(after) = page.after {
            sql.push(" AND u.id > ").bind(after);
        }
        sql.push(" ORDER BY u.id LIMIT ").bind(page.fetch_limit());
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows.iter().map(user_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page, |u| u.id.0))
    }

    /// Reads one user in scope.
    pub async fn get_user(&self, scope: &Scope, id: UserId) -> Result<UserRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "u.tenant_id", "e.path");
        sql.push(" AND u.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(user_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Finds a user by login with his password hash, without scope: for
    /// logging in and for the command line.
    pub async fn find_user_by_login(
        &self,
        login: &str,
    ) -> Result<Option<(UserRecord, Option<String>)>> {
        let mut sql = Sql::new(&SELECT.replace("u.updated_at", "u.updated_at, u.password_hash"));
        sql.push(" AND u.login = ").bind(login);
        let Some(row) = sql.query().fetch_optional(self.pool()).await? else {
            return Ok(None);
        };
        Ok(Some((user_row(&row)?, row.try_get("password_hash")?)))
    }

    /// Creates a user whose home entity is in the `manage` scope.
    pub async fn create_user(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        new: &NewUser,
    ) -> Result<UserRecord> {
        if new.platform_admin && !actor.platform_admin {
            return Err(StoreError::Forbidden(
                "only platform administrators create platform administrators".into(),
            ));
        }
        let entity = self.get_entity(manage, new.entity_id).await?;
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "users",
            vec![
                ("tenant_id", entity.tenant_id.0.into()),
                ("entity_id", entity.id.0.into()),
                ("login", new.login.as_str().into()),
                ("display_name", new.display_name.as_str().into()),
                ("email", new.email.clone().into()),
                ("locale", new.locale.clone().into()),
                ("password_hash", new.password_hash.clone().into()),
                ("platform_admin", new.platform_admin.into()),
                ("active", true.into()),
                ("created_at", micros(now).into()),
                ("updated_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let user = UserRecord {
            id: UserId(id),
            tenant_id: entity.tenant_id,
            entity_id: entity.id,
            entity_path: entity.path,
            login: new.login.clone(),
            display_name: new.display_name.clone(),
            email: new.email.clone(),
            locale: new.locale.clone(),
            platform_admin: new.platform_admin,
            active: true,
            created_at: now,
            updated_at: now,
        };
        let after = fields(&user, new.password_hash.is_some());
        record(&mut tx, actor, now, target(&user), None, Some(&after)).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a user in the `manage` scope. A user may also change his own
    /// name, e-mail, language and password: pass a scope covering himself.
    pub async fn update_user(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<UserRecord> {
        let before = self.get_user(manage, id).await?;
        let mut after = before.clone();
        if let Some(v) = &changes.display_name {
            after.display_name = v.clone();
        }
        if let Some(v) = &changes.email {
            after.email = v.clone();
        }
        if let Some(v) = &changes.locale {
            after.locale = v.clone();
        }
        if let Some(v) = changes.active {
            after.active = v;
        }
        if let Some(entity_id) = changes.entity_id {
            let entity = self.get_entity(manage, entity_id).await?;
            if entity.tenant_id != before.tenant_id {
                return Err(StoreError::NotFound);
            }
            after.entity_id = entity.id;
            after.entity_path = entity.path;
        }
        after.updated_at = now;
        let mut tx = self.write_tx().await?;
        let mut values = vec![
            ("display_name", after.display_name.as_str().into()),
            ("email", after.email.clone().into()),
            ("locale", after.locale.clone().into()),
            ("active", after.active.into()),
            ("entity_id", after.entity_id.0.into()),
            ("updated_at", micros(now).into()),
        ];
        if let Some(hash) = &changes.password_hash {
            values.push(("password_hash", hash.as_str().into()));
        }
        Sql::update("users", values, ("id", id.0.into()))
            .query()
            .execute(&mut *tx)
            .await?;
        if !after.active || changes.password_hash.is_some() {
            // A disabled account or a new password ends every open session.
            Sql::new("DELETE FROM sessions WHERE user_id = ")
                .bind(id.0)
                .query()
                .execute(&mut *tx)
                .await?;
        }
        let (b, a) = (
            fields(&before, false),
            fields(&after, changes.password_hash.is_some()),
        );
        record(&mut tx, actor, now, target(&after), Some(&b), Some(&a)).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Lists the roles of a user visible in `scope`.
    pub async fn list_grants(&self, scope: &Scope, user: UserId) -> Result<Vec<GrantRecord>> {
        self.get_user(scope, user).await?;
        self.grants_of(user).await
    }

    /// The grants of a user, without scope: the caller has read the user.
    async fn grants_of(&self, user: UserId) -> Result<Vec<GrantRecord>> {
        let rows = Sql::new(
            "SELECT g.id, g.user_id, g.entity_id, e.path, g.role, g.recursive \
             FROM grants g JOIN entities e ON e.id = g.entity_id WHERE g.user_id = ",
        )
        .bind(user.0)
        .push(" ORDER BY g.id")
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(grant_row).collect()
    }

    /// Grants a role to a user; both the user and the entity must be in the
    /// `manage` scope.
    pub async fn create_grant(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        user: UserId,
        new: &NewGrant,
    ) -> Result<GrantRecord> {
        let u = self.get_user(manage, user).await?;
        let entity = self.get_entity(manage, new.entity_id).await?;
        if entity.tenant_id != u.tenant_id {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "grants",
            vec![
                ("tenant_id", u.tenant_id.0.into()),
                ("user_id", u.id.0.into()),
                ("entity_id", entity.id.0.into()),
                ("role", new.role.as_str().into()),
                ("recursive", new.recursive.into()),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let grant = GrantRecord {
            id: GrantId(id),
            user_id: u.id,
            entity_id: entity.id,
            entity_path: entity.path.clone(),
            role: new.role,
            recursive: new.recursive,
        };
        record(
            &mut tx,
            actor,
            now,
            grant_target(&u, &grant),
            None,
            Some(&grant_fields(&grant)),
        )
        .await?;
        tx.commit().await?;
        Ok(grant)
    }

    /// Takes a role back; the user and the grant's entity must be in the
    /// `manage` scope.
    pub async fn delete_grant(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        user: UserId,
        id: GrantId,
    ) -> Result<()> {
        let u = self.get_user(manage, user).await?;
        let grants = self.list_grants(manage, user).await?;
        let grant = grants
            .into_iter()
            .find(|g| g.id == id)
            .ok_or(StoreError::NotFound)?;
        self.get_entity(manage, grant.entity_id).await?;
        let mut tx = self.write_tx().await?;
        Sql::new("DELETE FROM grants WHERE id = ")
            .bind(id.0)
            .query()
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            now,
            grant_target(&u, &grant),
            Some(&grant_fields(&grant)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Loads who a user is and what he may do, without scope: for
    /// authentication. `None` if the user does not exist or is disabled.
    pub async fn load_actor(&self, user: UserId) -> Result<Option<Actor>> {
        let Some(u) = self
            .get_user(&Scope::Platform, user)
            .await
            .map(Some)
            .or_else(not_found_none)?
        else {
            return Ok(None);
        };
        if !u.active {
            return Ok(None);
        }
        let grants = self.grants_of(user).await?;
        Ok(Some(actor_of(&u, grants)))
    }
}

/// Who a user is and what he may do, from his record and his grants.
pub(crate) fn actor_of(user: &UserRecord, grants: Vec<GrantRecord>) -> Actor {
    Actor {
        user: user.id,
        login: user.login.clone(),
        tenant: user.tenant_id,
        platform_admin: user.platform_admin,
        grants: grants
            .into_iter()
            .map(|g| Grant {
                entity: g.entity_id,
                entity_path: g.entity_path,
                role: g.role,
                recursive: g.recursive,
            })
            .collect(),
    }
}

fn grant_target<'a>(u: &'a UserRecord, g: &GrantRecord) -> AuditTarget<'a> {
    AuditTarget {
        tenant: Some(u.tenant_id),
        entity_id: Some(u.entity_id.0),
        entity_path: Some(&u.entity_path),
        record_type: "grant",
        record_id: g.id.0,
    }
}

/// Turns `NotFound` into `Ok(None)`.
pub(crate) fn not_found_none<T>(e: StoreError) -> Result<Option<T>> {
    match e {
        StoreError::NotFound => Ok(None),
        e => Err(e),
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The tenant's oldest active user for each of `addresses` (compared in
/// lower case; the map is keyed by the address in lower case), in one
/// statement per 500 addresses (the senders of a batch of mails, inside its
/// transaction).
pub(crate) async fn users_by_email_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: TenantId,
    addresses: &[String],
) -> Result<std::collections::HashMap<String, UserRecord>> {
    let mut found = std::collections::HashMap::new();
    for chunk in addresses.chunks(500) {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND u.tenant_id = ")
            .bind(tenant.0)
            .push(" AND u.active = ")
            .bind(true)
            .push(" AND LOWER(u.email) IN (");
        sql.bind_list(chunk.iter().map(|a| a.to_lowercase()));
        sql.push(") ORDER BY u.id");
        for row in sql.query().fetch_all(&mut **tx).await? {
            let user = user_row(&row)?;
            if let Some(email) = &user.email {
                found.entry(email.to_lowercase()).or_insert(user);
            }
        }
    }
    Ok(found)
}

/// The grants of each of `users`, inside a transaction, in one statement
/// per 500 users.
pub(crate) async fn grants_of_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    users: &[UserId],
) -> Result<std::collections::HashMap<UserId, Vec<GrantRecord>>> {
    let mut found: std::collections::HashMap<UserId, Vec<GrantRecord>> =
        std::collections::HashMap::new();
    for chunk in users.chunks(500) {
        let mut sql = Sql::new(
            "SELECT g.id, g.user_id, g.entity_id, e.path, g.role, g.recursive \
             FROM grants g JOIN entities e ON e.id = g.entity_id WHERE g.user_id IN (",
        );
        sql.bind_list(chunk.iter().map(|u| u.0));
        sql.push(") ORDER BY g.id");
        for row in sql.query().fetch_all(&mut **tx).await? {
            let grant = grant_row(&row)?;
            found.entry(grant.user_id).or_default().push(grant);
        }
    }
    Ok(found)
}
