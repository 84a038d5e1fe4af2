//! Assignment rules of a tenant (the rule itself is decided in the core:
//! `vigie_core::ticket::routing`).

use crate::audit::{AuditTarget, record};
use crate::sql::Sql;
use crate::{Result, Store, StoreError, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::audit::Fields;
use vigie_core::ids::{CategoryId, EntityId, GroupId, TenantId};
use vigie_core::tenancy::{Actor, EntityPath, Scope};
use vigie_core::ticket::routing::RoutingRule;
use vigie_core::ticket::{Channel, TicketType};

/// A rule to create (conditions left `None` match anything).
#[derive(Clone, Debug)]
pub struct NewAssignmentRule {
    /// Tried by increasing position.
    pub position: i64,
    /// Only this category.
    pub category_id: Option<CategoryId>,
    /// Only this service.
    pub service_ref: Option<String>,
    /// Only this entity's subtree.
    pub entity_id: Option<EntityId>,
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Only this type.
    pub ticket_type: Option<TicketType>,
    /// Where the tickets go.
    pub group_id: GroupId,
}

const SELECT: &str = "SELECT r.id, r.position, r.category_id, r.service_ref, r.entity_id, e.path AS entity_path, \
    r.channel, r.ticket_type, r.group_id FROM assignment_rules r LEFT JOIN entities e ON e.id = r.entity_id \
    WHERE r.tenant_id = ";

fn parse_opt<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| {
        t.parse()
            .map_err(|e: T::Err| StoreError::Database(format!("column {column}: {e}")))
    })
    .transpose()
}

fn rule_row(row: &AnyRow) -> Result<RoutingRule> {
    let path: Option<String> = row.try_get("entity_path")?;
    Ok(RoutingRule {
        id: row.try_get("id")?,
        position: row.try_get("position")?,
        category: row
            .try_get::<Option<i64>, _>("category_id")?
            .map(CategoryId),
        service_ref: row.try_get("service_ref")?,
        entity: path.as_deref().and_then(EntityPath::parse),
        channel: parse_opt(row, "channel")?,
        ticket_type: parse_opt(row, "ticket_type")?,
        group: GroupId(row.try_get("group_id")?),
    })
}

fn fields(r: &NewAssignmentRule) -> Fields {
    vec![
        ("position", Some(r.position.to_string())),
        ("category_id", r.category_id.map(|c| c.to_string())),
        ("service_ref", r.service_ref.clone()),
        ("entity_id", r.entity_id.map(|e| e.to_string())),
        ("channel", r.channel.map(|c| c.to_string())),
        ("ticket_type", r.ticket_type.map(|t| t.to_string())),
        ("group_id", Some(r.group_id.to_string())),
    ]
}

fn target(tenant: TenantId, id: i64) -> AuditTarget<'static> {
    AuditTarget {
        tenant: Some(tenant),
        entity_id: None,
        entity_path: None,
        record_type: "assignment_rule",
        record_id: id,
    }
}

impl Store {
    /// A tenant's rules, by position.
    pub async fn list_assignment_rules(&self, tenant: TenantId) -> Result<Vec<RoutingRule>> {
        let rows = Sql::new(SELECT)
            .bind(tenant.0)
            .push(" ORDER BY r.position, r.id LIMIT 1000")
            .query()
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(rule_row).collect()
    }

    /// Creates a rule; its category, entity and group must belong to the tenant.
    pub async fn create_assignment_rule(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        new: &NewAssignmentRule,
    ) -> Result<RoutingRule> {
        let invalid = |what: String| StoreError::Invalid(what);
        if let Some(c) = new.category_id {
            self.get_category(tenant, c)
                .await
                .map_err(|_| invalid(format!("there is no category {c}")))?;
        }
        if let Some(e) = new.entity_id {
            let entity = self
                .get_entity(&Scope::Platform, e)
                .await
                .map_err(|_| invalid(format!("there is no entity {e}")))?;
            if entity.tenant_id != tenant {
                return Err(invalid(format!("there is no entity {e}")));
            }
        }
        let group = self
            .get_group(&Scope::Platform, new.group_id)
            .await
            .map_err(|_| invalid(format!("there is no group {}", new.group_id)))?;
        if group.tenant_id != tenant {
            return Err(invalid(format!("there is no group {}", new.group_id)));
        }
        let mut tx = self.write_tx().await?;
        let id = Sql::insert(
            "assignment_rules",
            vec![
                ("tenant_id", tenant.0.into()),
                ("position", new.position.into()),
                ("category_id", new.category_id.map(|c| c.0).into()),
                ("service_ref", new.service_ref.clone().into()),
                ("entity_id", new.entity_id.map(|e| e.0).into()),
                ("channel", new.channel.map(|c| c.as_str().to_owned()).into()),
                (
                    "ticket_type",
                    new.ticket_type.map(|t| t.as_str().to_owned()).into(),
                ),
                ("group_id", new.group_id.0.into()),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        record(
            &mut tx,
            actor,
            now,
            target(tenant, id),
            None,
            Some(&fields(new)),
        )
        .await?;
        tx.commit().await?;
        self.list_assignment_rules(tenant)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// Deletes a rule of the tenant.
    pub async fn delete_assignment_rule(
        &self,
        actor: &Actor,
        tenant: TenantId,
        now: Timestamp,
        id: i64,
    ) -> Result<()> {
        let rule = self
            .list_assignment_rules(tenant)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound)?;
        let before = NewAssignmentRule {
            position: rule.position,
            category_id: rule.category,
            service_ref: rule.service_ref,
            entity_id: None,
            channel: rule.channel,
            ticket_type: rule.ticket_type,
            group_id: rule.group,
        };
        let mut tx = self.write_tx().await?;
        Sql::new("DELETE FROM assignment_rules WHERE id = ")
            .bind(id)
            .query()
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            now,
            target(tenant, id),
            Some(&fields(&before)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
