//! Web sessions and login attempts (for throttling).
//!
//! Sessions are authentication state, not business records: they are not
//! audited; the login attempts table is their security log.

use crate::sql::Sql;
use crate::{Result, Store, from_micros, micros};
use sqlx::Row;
use vigie_core::Timestamp;
use vigie_core::ids::{EntityId, UserId};

/// A live web session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// Its user.
    pub user_id: UserId,
    /// The token every form of the session must carry.
    pub csrf_token: String,
    /// The entity chosen in the entity switcher.
    pub current_entity_id: Option<EntityId>,
    /// When it ends.
    pub expires_at: Timestamp,
}

/// What failed logins are counted by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThrottleKey {
    /// The login typed.
    Login(String),
    /// The client's address.
    Address(String),
}

impl Store {
    /// Opens a session, and forgets the expired ones.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user: UserId,
        csrf_token: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        Sql::new("DELETE FROM sessions WHERE expires_at < ")
            .bind(micros(now))
            .query()
            .execute(&mut *tx)
            .await?;
        Sql::insert(
            "sessions",
            vec![
                ("id_hash", id_hash.into()),
                ("user_id", user.0.into()),
                ("csrf_token", csrf_token.into()),
                ("created_at", micros(now).into()),
                ("expires_at", micros(expires_at).into()),
            ],
        )
        .query()
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads a live session.
    pub async fn get_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> Result<Option<SessionRecord>> {
        let row = Sql::new("SELECT user_id, csrf_token, current_entity_id, expires_at FROM sessions WHERE id_hash = ")
            .bind(id_hash)
            .push(" AND expires_at > ")
            .bind(micros(now))
            .query()
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(SessionRecord {
                user_id: UserId(r.try_get("user_id")?),
                csrf_token: r.try_get("csrf_token")?,
                current_entity_id: r
                    .try_get::<Option<i64>, _>("current_entity_id")?
                    .map(EntityId),
                expires_at: from_micros(r.try_get("expires_at")?),
            })
        })
        .transpose()
    }

    /// Records the entity chosen in the entity switcher.
    pub async fn set_session_entity(&self, id_hash: &str, entity: Option<EntityId>) -> Result<()> {
        Sql::update(
            "sessions",
            vec![("current_entity_id", entity.map(|e| e.0).into())],
            ("id_hash", id_hash.into()),
        )
        .query()
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        Sql::new("DELETE FROM sessions WHERE id_hash = ")
            .bind(id_hash)
            .query()
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records a login attempt.
    pub async fn record_login_attempt(
        &self,
        login: &str,
        address: &str,
        now: Timestamp,
        success: bool,
    ) -> Result<()> {
        Sql::insert(
            "login_attempts",
            vec![
                ("login", login.into()),
                ("address", address.into()),
                ("at", micros(now).into()),
                ("success", success.into()),
            ],
        )
        .query()
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The times of failed logins since `since`, by login or by address,
    /// counting only those after the last success of that login.
    pub async fn recent_login_failures(
        &self,
        key: &ThrottleKey,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        let (column, value) = match key {
            ThrottleKey::Login(l) => ("login", l.as_str()),
            ThrottleKey::Address(a) => ("address", a.as_str()),
        };
        let mut sql = Sql::new("SELECT at FROM login_attempts WHERE success = ");
        sql.bind(false)
            .push(" AND ")
            .push(column)
            .push(" = ")
            .bind(value)
            .push(" AND at > ")
            .bind(micros(since));
        if let ThrottleKey::Login(l) = key {
            sql.push(" AND at > COALESCE((SELECT MAX(at) FROM login_attempts WHERE success = ")
                .bind(true)
                .push(" AND login = ")
                .bind(l.as_str())
                .push("), 0)");
        }
        sql.push(" ORDER BY at LIMIT 1000");
        let rows = sql.query().fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok(from_micros(r.try_get("at")?)))
            .collect()
    }
}
