//! Storage errors, in Vigie's own terms: no driver type leaves this crate.

/// What went wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or is outside the caller's scope.
    #[error("not found")]
    NotFound,
    /// The write would break a uniqueness or reference rule.
    #[error("conflict: {what}")]
    Conflict {
        /// Which rule, in words an API client can act on.
        what: String,
    },
    /// The caller may see the record but not do this to it.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The input breaks a rule checked here (e.g. an entity moved under its
    /// own descendant).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Configuration of the database connection is wrong.
    #[error("database configuration: {0}")]
    Config(String),
    /// Too many writes are waiting: the caller should retry shortly.
    #[error("busy: too many writes are waiting; retry shortly")]
    Busy,
    /// The database failed or is unreachable.
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => {
                use sqlx::error::ErrorKind;
                match db.kind() {
                    ErrorKind::UniqueViolation => StoreError::Conflict {
                        what: unique_rule(db.constraint(), db.message()),
                    },
                    ErrorKind::ForeignKeyViolation => StoreError::Conflict {
                        what: "the record is still referenced, or refers to a record that does not exist"
                            .to_owned(),
                    },
                    _ => StoreError::Database(e.to_string()),
                }
            }
            _ => StoreError::Database(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Database(format!("migration failed: {e}"))
    }
}

/// Names the uniqueness rule broken, the same on both backends: PostgreSQL
/// gives the constraint name, SQLite the columns in its message.
fn unique_rule(constraint: Option<&str>, message: &str) -> String {
    let known = [
        (
            "tenants_slug_key",
            "tenants.slug",
            "a tenant with this slug already exists",
        ),
        (
            "users_login_key",
            "users.login",
            "a user with this login already exists",
        ),
        (
            "entities_sibling_name_key",
            "entities.tenant_id",
            "an entity with this name already exists under the same parent",
        ),
        (
            "support_groups_name_key",
            "support_groups.tenant_id",
            "a group with this name already exists",
        ),
        (
            "grants_user_entity_role_key",
            "grants.user_id",
            "the user already holds this role on this entity",
        ),
        (
            "group_members_pkey",
            "group_members.group_id",
            "the user is already a member",
        ),
        (
            "categories_sibling_name_key",
            "categories_sibling_name_key",
            "a category with this name already exists under the same parent",
        ),
        (
            "saved_views_name_key",
            "saved_views.user_id",
            "you already have a view with this name",
        ),
        (
            "cis_name_key",
            "cis.name",
            "a configuration item with this name already exists",
        ),
        (
            "ci_identifiers_value_key",
            "ci_identifiers.value",
            "another configuration item already has this identifier",
        ),
        (
            "ci_relations_key",
            "ci_relations.type",
            "this relation already exists",
        ),
    ];
    known
        .iter()
        .find(|(name, sqlite_cols, _)| {
            constraint == Some(*name)
                || (constraint.is_none()
                    && (message.contains(sqlite_cols) || message.contains(name)))
        })
        .map(|(_, _, words)| (*words).to_owned())
        .unwrap_or_else(|| "the record already exists".to_owned())
}
