//! Fresh databases for tests, on SQLite always and on PostgreSQL when
//! `VIGIE_TEST_POSTGRES_URL` is set. Used by the test suites of every crate.

pub use crate::group_commit::HeldQueue;
use crate::{Result, Store};
use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "VIGIE_TEST_POSTGRES_URL";
/// When set (CI sets it), a suite that would be skipped fails instead.
pub const REQUIRE_ALL_VAR: &str = "VIGIE_REQUIRE_ALL_SUITES";

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name(prefix: &str) -> String {
    // Only to tell test databases apart, not a time that matters.
    #[allow(clippy::disallowed_methods)]
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Fills the queue of the store's writer, as a burst of waiting writes
/// would: until the answer is dropped, ingestion is refused as busy (the
/// server answers 503 with `Retry-After`) and stores nothing.
pub fn hold_writer_queue(store: &Store) -> HeldQueue {
    store.group_commit().hold_queue()
}

/// A migrated SQLite database in a new file under the system's temporary
/// folder.
pub async fn sqlite() -> Result<Store> {
    let path = std::env::temp_dir().join(format!("{}.db", unique_name("vigie_test")));
    let store = Store::connect(&format!("sqlite://{}?mode=rwc", path.display())).await?;
    store.migrate().await?;
    Ok(store)
}

/// Two stores on one new migrated SQLite file, as two instances of Vigie
/// sharing a database would be (each with its own caches).
pub async fn sqlite_pair() -> Result<(Store, Store)> {
    let path = std::env::temp_dir().join(format!("{}.db", unique_name("vigie_test")));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let one = Store::connect(&url).await?;
    one.migrate().await?;
    Ok((one, Store::connect(&url).await?))
}

/// The PostgreSQL URL for tests, if set. Panics when it is not set and
/// `VIGIE_REQUIRE_ALL_SUITES` is, so that CI cannot skip the suite silently.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os(REQUIRE_ALL_VAR).is_none(),
                "{POSTGRES_URL_VAR} is not set but {REQUIRE_ALL_VAR} requires the PostgreSQL suite"
            );
            None
        }
    }
}

/// A migrated PostgreSQL database created for this test on the server of
/// `VIGIE_TEST_POSTGRES_URL`, or `None` when the variable is not set.
pub async fn postgres() -> Result<Option<Store>> {
    let Some(url) = postgres_url() else {
        return Ok(None);
    };
    let store = Store::connect(&new_postgres_database(&url).await?).await?;
    store.migrate().await?;
    Ok(Some(store))
}

/// Creates a database of its own on the server of `url`; returns its URL.
async fn new_postgres_database(url: &str) -> Result<String> {
    let name = unique_name("vigie_test");
    let admin = Store::connect(url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(admin.pool())
        .await?;
    admin.close().await;
    let (base, _) = url.rsplit_once('/').unwrap_or((url, ""));
    Ok(format!("{base}/{name}"))
}

/// Two stores on one new migrated PostgreSQL database, as two instances of
/// Vigie would be, or `None` when `VIGIE_TEST_POSTGRES_URL` is not set.
pub async fn postgres_pair() -> Result<Option<(Store, Store)>> {
    let Some(url) = postgres_url() else {
        return Ok(None);
    };
    let url = new_postgres_database(&url).await?;
    let one = Store::connect(&url).await?;
    one.migrate().await?;
    Ok(Some((one, Store::connect(&url).await?)))
}

/// Every backend available to this run: SQLite, and PostgreSQL if set.
pub async fn all_backends() -> Result<Vec<Store>> {
    let mut stores = vec![sqlite().await?];
    stores.extend(postgres().await?);
    Ok(stores)
}

/// A new tenant `slug` and an agent of it (login `agent.<slug>`, the agent
/// role on the tenant's root entity and below), for tests that need
/// someone to write tickets: the root entity and the agent.
pub async fn tenant_with_agent(
    store: &Store,
    now: vigie_core::Timestamp,
    slug: &str,
) -> Result<(vigie_core::ids::EntityId, vigie_core::tenancy::Actor)> {
    use vigie_core::tenancy::{Actor, Scope};
    let system = Actor::system();
    let tenant = store
        .create_tenant(
            &system,
            now,
            &crate::NewTenant {
                slug: slug.into(),
                name: slug.into(),
                kind: "customer".into(),
            },
        )
        .await?;
    let root = tenant
        .root_entity_id
        .ok_or_else(|| crate::StoreError::Database("a tenant without its root".into()))?;
    let user = store
        .create_user(
            &system,
            &Scope::Platform,
            now,
            &crate::NewUser {
                entity_id: root,
                login: format!("agent.{slug}"),
                display_name: format!("Agent {slug}"),
                email: None,
                locale: None,
                password_hash: None,
                platform_admin: false,
            },
        )
        .await?;
    store
        .create_grant(
            &system,
            &Scope::Platform,
            now,
            user.id,
            &crate::NewGrant {
                entity_id: root,
                role: vigie_core::role::Role::Agent,
                recursive: true,
            },
        )
        .await?;
    let actor = store
        .load_actor(user.id)
        .await?
        .ok_or_else(|| crate::StoreError::Database("the new agent is not active".into()))?;
    Ok((root, actor))
}
