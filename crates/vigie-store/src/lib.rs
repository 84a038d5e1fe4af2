//! The one place for SQL in Vigie.
//!
//! [`Store`] wraps a connection pool on SQLite (the embedded default) or
//! PostgreSQL. Both run the same SQL text, written in the subset the two
//! share, with `$n` placeholders; each backend has its own migrations folder.
//! Every read takes a [`Scope`](vigie_core::tenancy::Scope) and every write an
//! [`Actor`](vigie_core::tenancy::Actor): tenant and entity scoping happen
//! here, and each write records its audit entry in its own transaction.

mod absences;
mod assignment_rules;
mod attachments;
mod audit;
mod categories;
mod changes;
mod checkpoint;
mod cmdb;
mod comments;
mod entities;
mod error;
mod events;
mod group_commit;
mod groups;
mod leases;
mod mail;
mod major_incidents;
mod notifications;
mod page;
mod releases;
mod saved_views;
mod search_index;
mod sessions;
mod sla;
mod sql;
mod surveys;
mod tenants;
pub mod testing;
mod ticket_import;
mod ticket_settings;
mod tickets;
mod tokens;
mod users;

pub use absences::AbsenceRecord;
pub use assignment_rules::NewAssignmentRule;
pub use attachments::{AttachmentRecord, NewAttachment};
pub use audit::{AuditFilter, AuditRecord};
pub use categories::{CategoryInput, CategoryRecord};
pub use changes::{
    BoardRecord, BoardSetup, ChangeEdit, ChangeFilter, ChangeRecord, ChangeText, ChecklistItem,
    FreezeRecord, Maintenance, NewChange, NewFreeze, NewTemplate, PlannedRecord, TemplateRecord,
    Transition, VoteRecord,
};
pub use cmdb::{
    CiChanges, CiFilter, CiRecord, CmdbGraph, ImportOutcome, KnownCmdb, LoadedGraph, NewCi,
    NewRelation, RelationRecord,
};
pub use comments::CommentRecord;
pub use entities::{EntityChanges, EntityRecord, NewEntity};
pub use error::StoreError;
pub use events::{
    AUTO_RESOLVED, AlertGroupFilter, AlertGroupRecord, AlertRecord, AlertState, AlertWrite,
    AppliedBatch, EventBatch, EventRecord, GroupWrite, IncidentWrite, IncomingEvent, Ingested,
    IntegrationKeyRecord, KEY_CACHE_SECONDS, NewIntegrationKey, NewMaintenanceWindow, PendingEvent,
    monitoring_login,
};
pub use groups::{GroupChanges, GroupRecord, NewGroup};
pub use mail::{
    MailAuthor, MailBatch, MailSender, MailStored, MailWrite, MailboxInput, MailboxRecord,
    NewContact, Notify as MailNotify, OutboxRecord, OutgoingMail, PlannedMail, ReceivedMail,
    ReceivedMailRecord, ReplyTo, SenderUser,
};
pub use major_incidents::CommunicationRecord;
pub use notifications::PendingNotification;
pub use page::{Page, PageRequest};
pub use releases::{
    DataRefreshRecord, EnvironmentRecord, EnvironmentResetRecord, NewDataRefresh,
    NewEnvironmentReset, NewRelease, ReleaseChanges, ReleaseFilter, ReleaseRecord,
    ReleaseSettingsInput, ReleaseSettingsRecord,
};
pub use saved_views::{MAX_VIEWS_PER_USER, SavedViewRecord};
pub use sessions::{SessionRecord, ThrottleKey};
pub use sla::{
    CalendarRecord, ClockRecord, EscalationCase, EscalationEffect, Firing, NewOutage, NewTarget,
    OutageRecord, ReportQuery, ServiceLevelRecord, TargetRecord,
};
pub use surveys::{SurveyRecord, SurveyResult};
pub use tenants::{NewTenant, TenantChanges, TenantRecord};
pub use ticket_import::ImportedTicket;
pub use ticket_settings::TicketSettings;
pub use tickets::{Assignment, NewTicket, TicketChanges, TicketFilter, TicketRecord, TicketSort};
pub use tokens::{NewToken, TokenRecord};
pub use users::{GrantRecord, NewGrant, NewUser, UserChanges, UserFilter, UserRecord};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::sync::Arc;
use std::time::Duration;
use vigie_core::Timestamp;

/// Result of a storage call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database engine a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite, one file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A handle on Vigie's database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// The connection write transactions take (on SQLite one, kept: its
    /// page cache stays warm from one write to the next; on PostgreSQL the
    /// pool itself).
    writer: AnyPool,
    /// SQLite's checkpoints, taken off the writer ([`checkpoint`]).
    _checkpoints: Option<checkpoint::Checkpoints>,
    /// SQLite's full-text index, in a file of its own ([`search_index`]).
    search: Option<search_index::SearchIndex>,
    backend: Backend,
    writes: group_commit::GroupCommit,
    graphs: std::sync::Arc<cmdb::GraphCache>,
    sla: std::sync::Arc<sla::SlaCache>,
    keys: std::sync::Arc<events::KeyCache>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The backend a transaction talks to, for the writers that are not told.
pub(crate) fn backend_of(tx: &sqlx::Transaction<'static, sqlx::Any>) -> Backend {
    if tx.backend_name().starts_with("Postgre") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// The page cache of each SQLite read connection (`PRAGMA cache_size`, in
/// KiB when negative): 32 MiB, where SQLite's default is 2 MiB.
const READER_CACHE_KIB: i64 = -32_768;

/// The page cache of the SQLite writer: 8 MiB. Larger costs more than it
/// saves: when a B-tree page splits, SQLite (3.46) may move a page through a
/// page number past the end of the file, and every commit after such a
/// split walks the whole cache to drop pages past the end (a walk over a
/// cache of 32 MiB took a tenth of the writer's time under batched event
/// ingestion; see BENCHMARKS.md, "The commit's walk of the page cache").
/// Files of over 1 GiB do not pay it.
const WRITER_CACHE_KIB: i64 = -8_192;

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
    /// Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Store> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL scheme (expected sqlite: or postgres:): {}",
                url.split(':').next().unwrap_or_default()
            )));
        };
        let options = || AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let (pool, writer, index) = match backend {
            // SQLite allows one writer at a time; WAL lets readers go on
            // meanwhile, and the busy timeout makes writers queue instead of
            // failing. Each read connection keeps up to 32 MiB of pages
            // (the default is 2 MiB): a batch of long mails or tickets otherwise
            // reads back from the file the pages it has just written. The
            // writer keeps less ([`WRITER_CACHE_KIB`]). Write
            // transactions queue for one connection of their own, whose
            // cache another connection's writes never make stale (SQLite
            // drops a connection's cache when another wrote meanwhile, and
            // the pool hands its connections out in turn). Its log is
            // checkpointed by another connection ([`checkpoint`]).
            Backend::Sqlite => {
                // Not on the writer: `BEGIN IMMEDIATE` takes the write lock
                // of every database attached, and would wait for the
                // index's writer.
                let sqlite =
                    |max: u32, autocheckpoint: u32, cache: i64, attach: Option<Arc<String>>| {
                        options()
                            .max_connections(max)
                            .after_connect(move |conn, _meta| {
                                let attach = attach.clone();
                                Box::pin(async move {
                                    let attach = attach.as_deref().map_or("", String::as_str);
                                    let pragmas = format!(
                                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                                     PRAGMA cache_size = {cache}; \
                                     PRAGMA wal_autocheckpoint = {autocheckpoint}; {attach}"
                                    );
                                    conn.execute(pragmas.as_str()).await?;
                                    Ok(())
                                })
                            })
                    };
                // The full-text index's file, beside the database's, is
                // written by a connection of its own and attached to the
                // others ([`search_index`]).
                let file =
                    <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(url)?
                        .get_filename()
                        .display()
                        .to_string();
                let index_file = search_index::index_file(&file);
                let index = sqlite(1, 1000, WRITER_CACHE_KIB, None)
                    .idle_timeout(None)
                    .connect(&format!("sqlite://{index_file}?mode=rwc"))
                    .await?;
                let attach = Arc::new(search_index::attach_statement(&index_file));
                let pool = sqlite(8, 1000, READER_CACHE_KIB, Some(attach))
                    .connect(url)
                    .await?;
                let writer = sqlite(1, checkpoint::WRITER_AUTOCHECKPOINT, WRITER_CACHE_KIB, None)
                    .idle_timeout(None)
                    .connect(url)
                    .await?;
                (pool, writer, Some(index))
            }
            Backend::Postgres => {
                let pool = options().max_connections(16).connect(url).await?;
                (pool.clone(), pool, None)
            }
        };
        // The writer task lives on the runtime that connects and ends when
        // the last clone of this store is dropped.
        let writes = group_commit::GroupCommit::start(writer.clone(), backend);
        let checkpoints =
            (backend == Backend::Sqlite).then(|| checkpoint::Checkpoints::start(pool.clone()));
        let search = index
            .map(|index| search_index::SearchIndex::start(pool.clone(), writer.clone(), index));
        Ok(Store {
            pool,
            writer,
            _checkpoints: checkpoints,
            search,
            backend,
            writes,
            graphs: Default::default(),
            sla: Default::default(),
            keys: Default::default(),
        })
    }

    /// Applies the pending migrations of the backend.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        if let Some(search) = &self.search {
            search.prepare().await?;
        }
        Ok(())
    }

    /// Brings SQLite's full-text index up to every ticket written so far
    /// (a search does it first; the store's task does it meanwhile, a few
    /// moments behind the writes). Nothing to do on PostgreSQL, whose
    /// index is written with the tickets.
    pub async fn catch_up_search(&self) -> Result<()> {
        match &self.search {
            Some(search) => search.catch_up().await,
            None => Ok(()),
        }
    }

    /// Catches the full-text index up before a search, within bounds
    /// ([`search_index::SearchIndex::catch_up_for_search`]); a failure is
    /// logged, and the search reads the index as it stands.
    pub(crate) async fn catch_up_for_search(&self) {
        if let Some(search) = &self.search {
            match search.catch_up_for_search().await {
                Ok(true) => {}
                Ok(false) => tracing::info!("searching a full-text index still being written"),
                Err(e) => tracing::warn!(error = %e, "the full-text index could not catch up"),
            }
        }
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
        if let Some(search) = &self.search {
            search.close().await;
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout rather
    /// than failing when a read transaction upgrades.
    pub(crate) async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let tx = match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        };
        Ok(tx)
    }

    /// The group commit writer (see `group_commit`).
    pub(crate) fn group_commit(&self) -> &group_commit::GroupCommit {
        &self.writes
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Microseconds since the epoch, as stored.
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

/// A stored time back as a timestamp.
pub(crate) fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Reads a boolean column: BOOLEAN on PostgreSQL, INTEGER 0/1 on SQLite.
pub(crate) fn get_bool(row: &sqlx::any::AnyRow, column: &str) -> Result<bool> {
    use sqlx::Row;
    match row.try_get::<bool, _>(column) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}
