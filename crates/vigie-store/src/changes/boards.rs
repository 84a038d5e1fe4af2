//! What a tenant's change management is configured with: its two boards
//! (members named one by one or through support groups, and a quorum),
//! its freeze periods, its change windows (a business calendar, or the
//! default nights and weekends in its time zone) and its standard-change
//! templates. Each write audits itself (`change_board`, `change_freeze`,
//! `change_settings`, `change_template`).

use super::transitions::member_fields;
use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, micros};
use sqlx::Row;
use std::collections::BTreeSet;
use vigie_core::Timestamp;
use vigie_core::change::approval::{Board, BoardKind};
use vigie_core::ids::{ChangeTemplateId, FreezeId, GroupId, TenantId, UserId};
use vigie_core::tenancy::Actor;

/// A board as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardRecord {
    /// Which board.
    pub kind: BoardKind,
    /// Approvals needed.
    pub quorum: i64,
    /// Members named one by one.
    pub users: Vec<UserId>,
    /// Groups whose members sit on the board.
    pub groups: Vec<GroupId>,
    /// Everyone who may vote: the users and the groups' members.
    pub members: BTreeSet<UserId>,
}

impl BoardRecord {
    /// The board as the core counts votes with it.
    pub fn board(&self) -> Board {
        Board {
            kind: self.kind,
            quorum: u32::try_from(self.quorum).unwrap_or(u32::MAX),
            members: self.members.clone(),
        }
    }
}

/// A freeze period as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreezeRecord {
    /// Its id.
    pub id: FreezeId,
    /// Its name.
    pub name: String,
    /// Why nothing is changed then.
    pub reason: String,
    /// Its first instant.
    pub starts_at: Timestamp,
    /// The instant after its last.
    pub ends_at: Timestamp,
}

/// A freeze to create (checked by the caller: name, order of the instants).
#[derive(Clone, Debug)]
pub struct NewFreeze {
    /// Its name.
    pub name: String,
    /// Why.
    pub reason: String,
    /// Its first instant.
    pub starts_at: Timestamp,
    /// The instant after its last.
    pub ends_at: Timestamp,
}

/// A standard-change template as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateRecord {
    /// Its id.
    pub id: ChangeTemplateId,
    /// Its name, unique in the tenant.
    pub name: String,
    /// What changes made from it do.
    pub description: String,
    /// How they are carried out.
    pub implementation_plan: String,
    /// How they are undone.
    pub backout_plan: String,
    /// Their pre-change checklist.
    pub checklist: Vec<String>,
}

/// A template to create (checked by the caller).
#[derive(Clone, Debug)]
pub struct NewTemplate {
    /// Its name.
    pub name: String,
    /// What changes made from it do.
    pub description: String,
    /// How they are carried out.
    pub implementation_plan: String,
    /// How they are undone.
    pub backout_plan: String,
    /// Their checklist.
    pub checklist: Vec<String>,
}

fn tenant_target(tenant: TenantId, record_type: &'static str, id: i64) -> AuditTarget<'static> {
    AuditTarget {
        tenant: Some(tenant),
        entity_id: None,
        entity_path: None,
        record_type,
        record_id: id,
    }
}

impl Store {
    /// A board of the tenant, if it was set up.
    pub async fn change_board(
        &self,
        tenant: TenantId,
        kind: BoardKind,
    ) -> Result<Option<BoardRecord>> {
        let Some(head) = Sql::new("SELECT quorum FROM change_boards WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND board = ")
            .bind(kind.as_str())
            .query()
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let rows =
            Sql::new("SELECT member_kind, member_id FROM change_board_members WHERE tenant_id = ")
                .bind(tenant.0)
                .push(" AND board = ")
                .bind(kind.as_str())
                .push(" ORDER BY member_kind, member_id")
                .query()
                .fetch_all(self.pool())
                .await?;
        let (mut users, mut groups) = (Vec::new(), Vec::new());
        for r in rows {
            let kind: String = r.try_get("member_kind")?;
            let id: i64 = r.try_get("member_id")?;
            if kind == "group" {
                groups.push(GroupId(id));
            } else {
                users.push(UserId(id));
            }
        }
        let mut members: BTreeSet<UserId> = users.iter().copied().collect();
        let through_groups = Sql::new(
            "SELECT gm.user_id FROM group_members gm JOIN change_board_members b \
             ON b.member_kind = 'group' AND b.member_id = gm.group_id \
             JOIN users u ON u.id = gm.user_id WHERE b.tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND b.board = ")
        .bind(kind.as_str())
        .push(" AND u.tenant_id = ")
        .bind(tenant.0)
        .query()
        .fetch_all(self.pool())
        .await?;
        for r in through_groups {
            members.insert(UserId(r.try_get("user_id")?));
        }
        Ok(Some(BoardRecord {
            kind,
            quorum: head.try_get("quorum")?,
            users,
            groups,
            members,
        }))
    }

    /// Who would sit on a board of these users and groups: the users of
    /// the tenant among them and the members of its groups among them.
    pub async fn resolve_board_members(
        &self,
        tenant: TenantId,
        users: &[UserId],
        groups: &[GroupId],
    ) -> Result<BTreeSet<UserId>> {
        let mut members = BTreeSet::new();
        for u in users {
            let found = Sql::new("SELECT id FROM users WHERE tenant_id = ")
                .bind(tenant.0)
                .push(" AND id = ")
                .bind(u.0)
                .query()
                .fetch_optional(self.pool())
                .await?;
            if found.is_some() {
                members.insert(*u);
            }
        }
        for g in groups {
            let rows = Sql::new(
                "SELECT gm.user_id FROM group_members gm JOIN support_groups g ON g.id = gm.group_id \
                 WHERE g.tenant_id = ",
            )
            .bind(tenant.0)
            .push(" AND g.id = ")
            .bind(g.0)
            .query()
            .fetch_all(self.pool())
            .await?;
            for r in rows {
                members.insert(UserId(r.try_get("user_id")?));
            }
        }
        Ok(members)
    }

    /// Sets a board's quorum and members (users and groups of the tenant),
    /// replacing what it had. The caller checked the quorum against the
    /// members with the core.
    pub async fn put_change_board(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        kind: BoardKind,
        quorum: i64,
        users: &[UserId],
        groups: &[GroupId],
    ) -> Result<BoardRecord> {
        let before = self.change_board(tenant, kind).await?;
        let mut tx = self.write_tx().await?;
        for (table, ids, field) in [
            (
                "users",
                users.iter().map(|u| u.0).collect::<Vec<_>>(),
                "users",
            ),
            (
                "support_groups",
                groups.iter().map(|g| g.0).collect::<Vec<_>>(),
                "groups",
            ),
        ] {
            for id in ids {
                let found = Sql::new(&format!("SELECT id FROM {table} WHERE tenant_id = "))
                    .bind(tenant.0)
                    .push(" AND id = ")
                    .bind(id)
                    .query()
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::Invalid(format!(
                        "{field}: there is no {id} in this tenant"
                    )));
                }
            }
        }
        for table in ["change_board_members", "change_boards"] {
            Sql::new(&format!("DELETE FROM {table} WHERE tenant_id = "))
                .bind(tenant.0)
                .push(" AND board = ")
                .bind(kind.as_str())
                .query()
                .execute(&mut *tx)
                .await?;
        }
        Sql::insert(
            "change_boards",
            vec![
                ("tenant_id", tenant.0.into()),
                ("board", kind.as_str().into()),
                ("quorum", quorum.into()),
            ],
        )
        .query()
        .execute(&mut *tx)
        .await?;
        let mut users = users.to_vec();
        users.sort();
        users.dedup();
        let mut groups = groups.to_vec();
        groups.sort();
        groups.dedup();
        let members = users
            .iter()
            .map(|u| ("user", u.0))
            .chain(groups.iter().map(|g| ("group", g.0)));
        for (member_kind, id) in members {
            Sql::insert(
                "change_board_members",
                vec![
                    ("tenant_id", tenant.0.into()),
                    ("board", kind.as_str().into()),
                    ("member_kind", member_kind.into()),
                    ("member_id", id.into()),
                ],
            )
            .query()
            .execute(&mut *tx)
            .await?;
        }
        let id = if kind == BoardKind::Cab { 1 } else { 2 };
        let old = before.as_ref().map(|b| {
            member_fields(
                b.quorum,
                &b.users,
                &b.groups.iter().map(|g| g.0).collect::<Vec<_>>(),
            )
        });
        let new = member_fields(
            quorum,
            &users,
            &groups.iter().map(|g| g.0).collect::<Vec<_>>(),
        );
        record(
            &mut tx,
            actor,
            now,
            tenant_target(tenant, "change_board", id),
            old.as_ref(),
            Some(&new),
        )
        .await?;
        tx.commit().await?;
        self.change_board(tenant, kind)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// The tenant's freezes that end after `from`, by start.
    pub async fn list_freezes(
        &self,
        tenant: TenantId,
        from: Timestamp,
    ) -> Result<Vec<FreezeRecord>> {
        let rows = Sql::new(
            "SELECT id, name, reason, starts_at, ends_at FROM change_freezes WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .push(" AND ends_at > ")
        .bind(micros(from))
        .push(" ORDER BY starts_at, id")
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FreezeRecord {
                    id: FreezeId(r.try_get("id")?),
                    name: r.try_get("name")?,
                    reason: r.try_get("reason")?,
                    starts_at: from_micros(r.try_get("starts_at")?),
                    ends_at: from_micros(r.try_get("ends_at")?),
                })
            })
            .collect()
    }

    /// Creates a freeze period.
    pub async fn create_freeze(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        new: &NewFreeze,
    ) -> Result<FreezeRecord> {
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "change_freezes",
            vec![
                ("tenant_id", tenant.0.into()),
                ("name", new.name.as_str().into()),
                ("reason", new.reason.as_str().into()),
                ("starts_at", micros(new.starts_at).into()),
                ("ends_at", micros(new.ends_at).into()),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let fields = vec![
            ("name", Some(new.name.clone())),
            ("reason", Some(new.reason.clone())),
            ("starts_at", Some(new.starts_at.to_string())),
            ("ends_at", Some(new.ends_at.to_string())),
        ];
        record(
            &mut tx,
            actor,
            now,
            tenant_target(tenant, "change_freeze", id),
            None,
            Some(&fields),
        )
        .await?;
        tx.commit().await?;
        Ok(FreezeRecord {
            id: FreezeId(id),
            name: new.name.clone(),
            reason: new.reason.clone(),
            starts_at: new.starts_at,
            ends_at: new.ends_at,
        })
    }

    /// Deletes a freeze period of the tenant.
    pub async fn delete_freeze(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        id: FreezeId,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let row = Sql::new("SELECT name FROM change_freezes WHERE tenant_id = ")
            .bind(tenant.0)
            .push(" AND id = ")
            .bind(id.0)
            .query()
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let name: String = row.try_get("name")?;
        Sql::new("DELETE FROM change_freezes WHERE id = ")
            .bind(id.0)
            .query()
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            now,
            tenant_target(tenant, "change_freeze", id.0),
            Some(&vec![("name", Some(name))]),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The tenant's change windows setting: a calendar id (`None`: the
    /// default nights and weekends) and the time zone of the default.
    pub async fn change_settings(&self, tenant: TenantId) -> Result<(Option<i64>, Option<String>)> {
        let row = Sql::new(
            "SELECT window_calendar_id, time_zone FROM change_settings WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .query()
        .fetch_optional(self.pool())
        .await?;
        match row {
            None => Ok((None, None)),
            Some(r) => Ok((
                r.try_get::<Option<i64>, _>("window_calendar_id")?,
                Some(r.try_get("time_zone")?),
            )),
        }
    }

    /// Sets the tenant's change windows (the calendar must be the tenant's).
    pub async fn put_change_settings(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        calendar: Option<i64>,
        time_zone: &str,
    ) -> Result<()> {
        let before = self.change_settings(tenant).await?;
        if let Some(c) = calendar {
            self.get_calendar(tenant, c).await.map_err(|e| match e {
                StoreError::NotFound => StoreError::Invalid(format!(
                    "window_calendar_id: there is no calendar {c} here"
                )),
                other => other,
            })?;
        }
        let mut tx = self.write_tx().await?;
        Sql::new("DELETE FROM change_settings WHERE tenant_id = ")
            .bind(tenant.0)
            .query()
            .execute(&mut *tx)
            .await?;
        Sql::insert(
            "change_settings",
            vec![
                ("tenant_id", tenant.0.into()),
                ("window_calendar_id", calendar.into()),
                ("time_zone", time_zone.into()),
            ],
        )
        .query()
        .execute(&mut *tx)
        .await?;
        let f = |c: Option<i64>, tz: Option<String>| {
            vec![
                ("window_calendar_id", c.map(|c| c.to_string())),
                ("time_zone", tz),
            ]
        };
        record(
            &mut tx,
            actor,
            now,
            tenant_target(tenant, "change_settings", tenant.0),
            Some(&f(before.0, before.1)),
            Some(&f(calendar, Some(time_zone.to_owned()))),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The tenant's standard-change templates, by name.
    pub async fn list_change_templates(&self, tenant: TenantId) -> Result<Vec<TemplateRecord>> {
        let rows = Sql::new(
            "SELECT id, name, description, implementation_plan, backout_plan, checklist \
             FROM change_templates WHERE tenant_id = ",
        )
        .bind(tenant.0)
        .push(" ORDER BY name")
        .query()
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let checklist: String = r.try_get("checklist")?;
                Ok(TemplateRecord {
                    id: ChangeTemplateId(r.try_get("id")?),
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    implementation_plan: r.try_get("implementation_plan")?,
                    backout_plan: r.try_get("backout_plan")?,
                    checklist: checklist
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .collect()
    }

    /// A template of the tenant.
    pub async fn get_change_template(
        &self,
        tenant: TenantId,
        id: ChangeTemplateId,
    ) -> Result<TemplateRecord> {
        self.list_change_templates(tenant)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// Creates a standard-change template.
    pub async fn create_change_template(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        new: &NewTemplate,
    ) -> Result<TemplateRecord> {
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "change_templates",
            vec![
                ("tenant_id", tenant.0.into()),
                ("name", new.name.as_str().into()),
                ("description", new.description.as_str().into()),
                (
                    "implementation_plan",
                    new.implementation_plan.as_str().into(),
                ),
                ("backout_plan", new.backout_plan.as_str().into()),
                ("checklist", new.checklist.join("\n").into()),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        let fields = vec![
            ("name", Some(new.name.clone())),
            ("description", Some(new.description.clone())),
            ("implementation_plan", Some(new.implementation_plan.clone())),
            ("backout_plan", Some(new.backout_plan.clone())),
            (
                "checklist",
                Some(new.checklist.join("; ")).filter(|s| !s.is_empty()),
            ),
        ];
        record(
            &mut tx,
            actor,
            now,
            tenant_target(tenant, "change_template", id),
            None,
            Some(&fields),
        )
        .await?;
        tx.commit().await?;
        Ok(TemplateRecord {
            id: ChangeTemplateId(id),
            name: new.name.clone(),
            description: new.description.clone(),
            implementation_plan: new.implementation_plan.clone(),
            backout_plan: new.backout_plan.clone(),
            checklist: new.checklist.clone(),
        })
    }
}
