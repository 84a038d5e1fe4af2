//! Support groups (levels 1, 2, 3) and their members.

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Page, PageRequest, Result, Store, StoreError, UserRecord, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{EntityId, GroupId, TenantId, UserId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};

/// A support group as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRecord {
    /// Its id.
    pub id: GroupId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The entity it belongs to.
    pub entity_id: EntityId,
    /// That entity's path.
    pub entity_path: EntityPath,
    /// Its name, unique in the tenant.
    pub name: String,
    /// Support level: 1, 2 or 3.
    pub level: i64,
    /// Its manager, alerted on hierarchical escalation.
    pub manager_id: Option<UserId>,
    /// Its shared mailbox.
    pub email: Option<String>,
    /// What it handles.
    pub description: String,
    /// How many members it has.
    pub member_count: i64,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A group to create.
#[derive(Clone, Debug)]
pub struct NewGroup {
    /// Its entity.
    pub entity_id: EntityId,
    /// Its name.
    pub name: String,
    /// Its level (1–3).
    pub level: i64,
    /// Its manager.
    pub manager_id: Option<UserId>,
    /// Its mailbox.
    pub email: Option<String>,
    /// What it handles.
    pub description: String,
}

/// Fields of a group to change (`None`: unchanged).
#[derive(Clone, Debug, Default)]
pub struct GroupChanges {
    /// New name.
    pub name: Option<String>,
    /// New level.
    pub level: Option<i64>,
    /// New manager (`Some(None)`: none).
    pub manager_id: Option<Option<UserId>>,
    /// New mailbox (`Some(None)`: none).
    pub email: Option<Option<String>>,
    /// New description.
    pub description: Option<String>,
}

const SELECT: &str = "SELECT g.id, g.tenant_id, g.entity_id, e.path AS entity_path, g.name, g.level, \
    g.manager_id, g.email, g.description, g.created_at, g.updated_at, \
    (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS member_count \
    FROM support_groups g JOIN entities e ON e.id = g.entity_id WHERE 1 = 1";

fn group_row(row: &AnyRow) -> Result<GroupRecord> {
    let path: String = row.try_get("entity_path")?;
    Ok(GroupRecord {
        id: GroupId(row.try_get("id")?),
        tenant_id: TenantId(row.try_get("tenant_id")?),
        entity_id: EntityId(row.try_get("entity_id")?),
        entity_path: EntityPath::parse(&path)
            .ok_or_else(|| StoreError::Database(format!("malformed entity path {path:?}")))?,
        name: row.try_get("name")?,
        level: row.try_get("level")?,
        manager_id: row.try_get::<Option<i64>, _>("manager_id")?.map(UserId),
        email: row.try_get("email")?,
        description: row.try_get("description")?,
        member_count: row.try_get("member_count")?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn fields(g: &GroupRecord) -> Fields {
    vec![
        ("name", Some(g.name.clone())),
        ("level", Some(g.level.to_string())),
        ("entity_id", Some(g.entity_id.to_string())),
        ("manager_id", g.manager_id.map(|m| m.to_string())),
        ("email", g.email.clone()),
        ("description", Some(g.description.clone())),
    ]
}

fn target(g: &GroupRecord) -> AuditTarget<'_> {
    AuditTarget {
        tenant: Some(g.tenant_id),
        entity_id: Some(g.entity_id.0),
        entity_path: Some(&g.entity_path),
        record_type: "group",
        record_id: g.id.0,
    }
}

impl Store {
    /// Lists the groups whose entity is in scope.
    pub async fn list_groups(
        &self,
        scope: &Scope,
        level: Option<i64>,
        page: PageRequest,
    ) -> Result<Page<GroupRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "g.tenant_id", "e.path");
        if let Some(l) = level {
            sql.push(" AND g.level = ").bind(l);
        }
        if let Some(after) = page.after {
            sql.push(" AND g.id > ").bind(after);
        }
        sql.push(" ORDER BY g.id LIMIT ").bind(page.fetch_limit());
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows.iter().map(group_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page, |g| g.id.0))
    }

    /// Reads one group in scope.
    pub async fn get_group(&self, scope: &Scope, id: GroupId) -> Result<GroupRecord> {
        let mut sql = Sql::new(SELECT);
        sql.scope(scope, "g.tenant_id", "e.path");
        sql.push(" AND g.id = ").bind(id.0);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref()
            .map(group_row)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Finds a group of a tenant by name, without scope: for the demo loader.
    pub async fn find_group(&self, tenant: TenantId, name: &str) -> Result<Option<GroupRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" AND g.tenant_id = ")
            .bind(tenant.0)
            .push(" AND g.name = ")
            .bind(name);
        let row = sql.query().fetch_optional(self.pool()).await?;
        row.as_ref().map(group_row).transpose()
    }

    /// Checks that a would-be manager or member is a user of the tenant in
    /// the `manage` scope.
    async fn check_member(
        &self,
        manage: &Scope,
        tenant: TenantId,
        user: UserId,
    ) -> Result<UserRecord> {
        let u = self.get_user(manage, user).await?;
        if u.tenant_id != tenant {
            return Err(StoreError::NotFound);
        }
        Ok(u)
    }

    /// Creates a group on an entity in the `manage` scope.
    pub async fn create_group(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        new: &NewGroup,
    ) -> Result<GroupRecord> {
        let entity = self.get_entity(manage, new.entity_id).await?;
        if let Some(m) = new.manager_id {
            self.check_member(manage, entity.tenant_id, m).await?;
        }
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "support_groups",
            vec![
                ("tenant_id", entity.tenant_id.0.into()),
                ("entity_id", entity.id.0.into()),
                ("name", new.name.as_str().into()),
                ("level", new.level.into()),
                ("manager_id", new.manager_id.map(|m| m.0).into()),
                ("email", new.email.clone().into()),
                ("description", new.description.as_str().into()),
                ("created_at", micros(now).into()),
                ("updated_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let group = GroupRecord {
            id: GroupId(id),
            tenant_id: entity.tenant_id,
            entity_id: entity.id,
            entity_path: entity.path,
            name: new.name.clone(),
            level: new.level,
            manager_id: new.manager_id,
            email: new.email.clone(),
            description: new.description.clone(),
            member_count: 0,
            created_at: now,
            updated_at: now,
        };
        record(
            &mut tx,
            actor,
            now,
            target(&group),
            None,
            Some(&fields(&group)),
        )
        .await?;
        tx.commit().await?;
        Ok(group)
    }

    /// Changes a group in the `manage` scope.
    pub async fn update_group(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        id: GroupId,
        changes: &GroupChanges,
    ) -> Result<GroupRecord> {
        let before = self.get_group(manage, id).await?;
        let mut after = before.clone();
        if let Some(v) = &changes.name {
            after.name = v.clone();
        }
        if let Some(v) = changes.level {
            after.level = v;
        }
        if let Some(v) = changes.manager_id {
            if let Some(m) = v {
                self.check_member(manage, before.tenant_id, m).await?;
            }
            after.manager_id = v;
        }
        if let Some(v) = &changes.email {
            after.email = v.clone();
        }
        if let Some(v) = &changes.description {
            after.description = v.clone();
        }
        after.updated_at = now;
        let mut tx = self.write_tx().await?;
        Sql::update(
            "support_groups",
            vec![
                ("name", after.name.as_str().into()),
                ("level", after.level.into()),
                ("manager_id", after.manager_id.map(|m| m.0).into()),
                ("email", after.email.clone().into()),
                ("description", after.description.as_str().into()),
                ("updated_at", micros(now).into()),
            ],
            ("id", id.0.into()),
        )
        .query()
        .execute(&mut *tx)
        .await?;
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

    /// Deletes a group in the `manage` scope, with its memberships.
    pub async fn delete_group(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        id: GroupId,
    ) -> Result<()> {
        let before = self.get_group(manage, id).await?;
        let mut tx = self.write_tx().await?;
        for sql in [
            "DELETE FROM group_members WHERE group_id = ",
            "DELETE FROM support_groups WHERE id = ",
        ] {
            Sql::new(sql).bind(id.0).query().execute(&mut *tx).await?;
        }
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

    /// Lists the members of a group in scope.
    pub async fn list_group_members(&self, scope: &Scope, id: GroupId) -> Result<Vec<UserRecord>> {
        self.get_group(scope, id).await?;
        let rows = Sql::new("SELECT user_id FROM group_members WHERE group_id = ")
            .bind(id.0)
            .push(" ORDER BY user_id")
            .query()
            .fetch_all(self.pool())
            .await?;
        let mut members = Vec::with_capacity(rows.len());
        for row in rows {
            members.push(
                self.get_user(&Scope::Platform, UserId(row.try_get("user_id")?))
                    .await?,
            );
        }
        Ok(members)
    }

    /// Adds (`add`) or removes a member of a group in the `manage` scope.
    pub async fn set_group_member(
        &self,
        actor: &Actor,
        manage: &Scope,
        now: Timestamp,
        id: GroupId,
        user: UserId,
        add: bool,
    ) -> Result<()> {
        let group = self.get_group(manage, id).await?;
        let member = self.check_member(manage, group.tenant_id, user).await?;
        let mut tx = self.write_tx().await?;
        let affected = if add {
            Sql::insert(
                "group_members",
                vec![
                    ("group_id", id.0.into()),
                    ("user_id", user.0.into()),
                    ("created_at", micros(now).into()),
                ],
            )
            .query()
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            Sql::new("DELETE FROM group_members WHERE group_id = ")
                .bind(id.0)
                .push(" AND user_id = ")
                .bind(user.0)
                .query()
                .execute(&mut *tx)
                .await?
                .rows_affected()
        };
        if affected == 0 {
            return Err(StoreError::NotFound);
        }
        let entry: Fields = vec![("member", Some(member.login.clone()))];
        let (before, after) = if add {
            (Some(Vec::new()), Some(entry))
        } else {
            (Some(entry), Some(Vec::new()))
        };
        record(
            &mut tx,
            actor,
            now,
            target(&group),
            before.as_ref(),
            after.as_ref(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
