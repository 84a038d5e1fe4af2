//! Saved views of the ticket queues: personal, named filters. The store
//! keeps the filter as the queue's query string; the server (web queue and
//! API alike) writes it in canonical form and reads it back through the
//! queue's own parser, so a view cannot hold anything a typed address could
//! not.

use crate::sql::Sql;
use crate::{Result, Store, StoreError, from_micros, micros};
use sqlx::Row;
use sqlx::any::AnyRow;
use vigie_core::Timestamp;
use vigie_core::ids::{TenantId, UserId};
use vigie_core::tenancy::Actor;

/// The most views one user keeps.
pub const MAX_VIEWS_PER_USER: i64 = 50;

/// A saved view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedViewRecord {
    /// Its id.
    pub id: i64,
    /// Its owner's tenant.
    pub tenant_id: TenantId,
    /// Its owner.
    pub user_id: UserId,
    /// The name shown in the tabs.
    pub name: String,
    /// The queue's query string (`queue=mine&priority=critique`).
    pub query: String,
    /// When it was saved.
    pub created_at: Timestamp,
}

fn view_row(row: &AnyRow) -> Result<SavedViewRecord> {
    Ok(SavedViewRecord {
        id: row.try_get("id")?,
        tenant_id: TenantId(row.try_get("tenant_id")?),
        user_id: UserId(row.try_get("user_id")?),
        name: row.try_get("name")?,
        query: row.try_get("query")?,
        created_at: from_micros(row.try_get("created_at")?),
    })
}

const SELECT: &str =
    "SELECT id, tenant_id, user_id, name, query, created_at FROM saved_views WHERE user_id = ";

impl Store {
    /// The actor's saved views, by name.
    pub async fn list_saved_views(&self, actor: &Actor) -> Result<Vec<SavedViewRecord>> {
        let mut sql = Sql::new(SELECT);
        sql.bind(actor.user.0).push(" ORDER BY name, id");
        sql.query()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(view_row)
            .collect()
    }

    /// One of the actor's saved views (another user's is not found).
    pub async fn get_saved_view(&self, actor: &Actor, id: i64) -> Result<SavedViewRecord> {
        let mut sql = Sql::new(SELECT);
        sql.bind(actor.user.0).push(" AND id = ").bind(id);
        let row = sql.query().fetch_optional(self.pool()).await?;
        view_row(&row.ok_or(StoreError::NotFound)?)
    }

    /// Saves a view for the actor (name and query validated by the caller).
    /// A name already used by him is a conflict; past
    /// [`MAX_VIEWS_PER_USER`] views, the save is refused.
    pub async fn create_saved_view(
        &self,
        actor: &Actor,
        now: Timestamp,
        name: &str,
        query: &str,
    ) -> Result<SavedViewRecord> {
        let mut tx = self.write_tx().await?;
        let count: i64 = Sql::new("SELECT COUNT(*) AS n FROM saved_views WHERE user_id = ")
            .bind(actor.user.0)
            .query()
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if count >= MAX_VIEWS_PER_USER {
            return Err(StoreError::Invalid(format!(
                "at most {MAX_VIEWS_PER_USER} saved views; delete one first"
            )));
        }
        let id = Sql::insert(
            "saved_views",
            vec![
                ("tenant_id", actor.tenant.0.into()),
                ("user_id", actor.user.0.into()),
                ("name", name.into()),
                ("query", query.into()),
                ("created_at", micros(now).into()),
            ],
        )
        .insert_returning_id(&mut tx)
        .await?;
        tx.commit().await?;
        self.get_saved_view(actor, id).await
    }

    /// Deletes one of the actor's saved views.
    pub async fn delete_saved_view(&self, actor: &Actor, id: i64) -> Result<()> {
        let done = Sql::new("DELETE FROM saved_views WHERE user_id = ")
            .bind(actor.user.0)
            .push(" AND id = ")
            .bind(id)
            .query()
            .execute(self.pool())
            .await?
            .rows_affected();
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
