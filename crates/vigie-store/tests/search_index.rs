//! SQLite's full-text index, in its file beside the database: kept up
//! with what is written, and rebuilt when the file is lost, when the
//! database is restored from a backup older than the index, and when an
//! older index is restored.

use std::path::{Path, PathBuf};
use vigie_core::Timestamp;
use vigie_core::ids::EntityId;
use vigie_core::tenancy::Actor;
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, TicketAccess, TicketType};
use vigie_store::{NewTicket, PageRequest, Store, TicketFilter, TicketRecord, testing};

fn at(mins: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + mins * 60).expect("valid time")
}

/// A new database file under the temporary folder, and its index's.
fn files(name: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("vigie_search_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    (dir.join("vigie.db"), dir.join("vigie.search.db"))
}

async fn open(db: &Path) -> Store {
    let store = Store::connect(&format!("sqlite://{}?mode=rwc", db.display()))
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    store
}

/// A tenant's root entity and an agent of it.
async fn agent(store: &Store) -> (EntityId, Actor) {
    testing::tenant_with_agent(store, at(0), "acme")
        .await
        .expect("tenant and agent")
}

/// A first session on `db`: a tenant, its agent and a ticket (VPN, "Le
/// tunnel se coupe") indexed; the store closed.
async fn first_session(db: &Path) -> (EntityId, Actor) {
    let store = open(db).await;
    let (root, a) = agent(&store).await;
    open_ticket(&store, root, &a, "VPN", "Le tunnel se coupe").await;
    store.catch_up_search().await.expect("caught up");
    store.close().await;
    (root, a)
}

async fn open_ticket(
    store: &Store,
    entity: EntityId,
    a: &Actor,
    title: &str,
    text: &str,
) -> TicketRecord {
    let new = NewTicket {
        ticket_type: TicketType::Incident,
        entity_id: entity,
        title: title.into(),
        description: text.into(),
        requester_id: a.user,
        channel: Channel::Portal,
        category_id: None,
        service_ref: None,
        ci_refs: String::new(),
        impact: Level::Moyen,
        urgency: Level::Moyen,
        priority: Priority::Moyen,
    };
    store
        .create_ticket(a, &TicketAccess::of(a), at(1), &new)
        .await
        .expect("ticket")
}

/// The titles of the tickets `words` finds.
async fn search(store: &Store, a: &Actor, words: &str) -> Vec<String> {
    let filter = TicketFilter {
        q: Some(words.to_owned()),
        ..Default::default()
    };
    store
        .list_tickets(&TicketAccess::of(a), &filter, PageRequest::first(50))
        .await
        .expect("search")
        .items
        .into_iter()
        .map(|t| t.title)
        .collect()
}

/// Removes a SQLite file and its log.
fn remove(file: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_is_written_beside_and_caught_up() {
    let (db, index) = files("beside");
    let store = open(&db).await;
    let (root, a) = agent(&store).await;
    open_ticket(
        &store,
        root,
        &a,
        "Imprimante",
        "Bourrage papier au deuxième étage",
    )
    .await;
    store.catch_up_search().await.expect("caught up");
    assert!(index.exists(), "the index has its own file");
    assert_eq!(
        search(&store, &a, "bourrage etage").await,
        vec!["Imprimante"]
    );
    // A search finds what was written just before it, without waiting for
    // the store's task.
    open_ticket(&store, root, &a, "Messagerie", "Boîte pleine").await;
    assert_eq!(search(&store, &a, "boite pleine").await, vec!["Messagerie"]);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_index_is_rebuilt_from_the_tickets() {
    let (db, index) = files("lost");
    let store = open(&db).await;
    let (root, a) = agent(&store).await;
    open_ticket(&store, root, &a, "VPN", "Le tunnel se coupe").await;
    open_ticket(&store, root, &a, "Badge", "Porte du parking").await;
    assert_eq!(search(&store, &a, "tunnel").await, vec!["VPN"]);
    store.close().await;
    drop(store);
    remove(&index);

    let store = open(&db).await;
    assert_eq!(search(&store, &a, "tunnel coupe").await, vec!["VPN"]);
    assert_eq!(search(&store, &a, "parking").await, vec!["Badge"]);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_ahead_of_a_restored_database_is_rebuilt() {
    let (db, _) = files("restored");
    let (root, a) = first_session(&db).await;
    // A backup of the database, then a ticket it does not hold.
    let backup = db.with_extension("backup");
    std::fs::copy(&db, &backup).expect("backup");
    let store = open(&db).await;
    open_ticket(&store, root, &a, "Imprimante", "Bourrage papier").await;
    store.catch_up_search().await.expect("caught up");
    store.close().await;
    drop(store);
    // The backup restored; the index file stays as it was.
    remove(&db);
    std::fs::copy(&backup, &db).expect("restore");

    let store = open(&db).await;
    assert!(
        search(&store, &a, "bourrage").await.is_empty(),
        "not in the backup"
    );
    // The next ticket takes the id the lost one had: only its own words
    // find it.
    open_ticket(&store, root, &a, "Écran", "Écran noir").await;
    assert!(
        search(&store, &a, "bourrage").await.is_empty(),
        "the old row is gone"
    );
    assert_eq!(search(&store, &a, "noir").await, vec!["Écran"]);
    assert_eq!(search(&store, &a, "tunnel").await, vec!["VPN"]);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_index_restored_is_rebuilt() {
    let (db, index) = files("older");
    let (root, a) = first_session(&db).await;
    let backup = index.with_extension("backup");
    std::fs::copy(&index, &backup).expect("backup");
    // A ticket indexed after the index's backup, its pending row cleared.
    let store = open(&db).await;
    open_ticket(&store, root, &a, "Imprimante", "Bourrage papier").await;
    store.catch_up_search().await.expect("caught up");
    assert_eq!(search(&store, &a, "bourrage").await, vec!["Imprimante"]);
    store.close().await;
    drop(store);
    remove(&index);
    std::fs::copy(&backup, &index).expect("restore");

    let store = open(&db).await;
    assert_eq!(search(&store, &a, "bourrage").await, vec!["Imprimante"]);
    assert_eq!(search(&store, &a, "tunnel").await, vec!["VPN"]);
    store.close().await;
}
