//! The attachment storage story, on SQLite always and on PostgreSQL when
//! `VIGIE_TEST_POSTGRES_URL` is set: contents stored once per tenant by
//! hash, one row per upload, access like the conversation's, audit lines,
//! and no attachment on a closed ticket.

use jiff::SignedDuration;
use vigie_core::Timestamp;
use vigie_core::ids::EntityId;
use vigie_core::role::Role;
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::lifecycle::{Action, LifecycleState, apply};
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, TicketAccess, TicketType};
use vigie_store::{
    AuditFilter, NewAttachment, NewEntity, NewGrant, NewTenant, NewTicket, NewUser, PageRequest,
    Store, StoreError, TicketRecord, testing,
};

fn at(mins: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + mins * 60).expect("valid time")
}

/// `printf 'Journal du serveur: disque plein.\n' | sha256sum`
const LOG: &[u8] = b"Journal du serveur: disque plein.\n";
const LOG_SHA256: &str = "67a533d78716616577e8e39e82a784559f48ed53bd236ff2968a4ebe1d0d706a";
/// `printf 'Note interne: mot de passe du BIOS.\n' | sha256sum`
const NOTE: &[u8] = b"Note interne: mot de passe du BIOS.\n";
const NOTE_SHA256: &str = "357e6fc890fa0dfb455a5584953c8b07d1ab9fcdebcbfe7f3ec79ab23de63ba1";

fn file(name: &str, content: &[u8], sha256: &str, public: bool) -> NewAttachment {
    NewAttachment {
        file_name: name.into(),
        content_type: "text/plain; charset=utf-8".into(),
        public,
        sha256: sha256.into(),
        content: content.to_vec(),
    }
}

async fn user(store: &Store, entity: EntityId, login: &str, role: Role) -> Actor {
    let system = Actor::system();
    let u = store
        .create_user(
            &system,
            &Scope::Platform,
            at(0),
            &NewUser {
                entity_id: entity,
                login: login.into(),
                display_name: format!("User {login}"),
                email: None,
                locale: None,
                password_hash: None,
                platform_admin: false,
            },
        )
        .await
        .expect("user");
    store
        .create_grant(
            &system,
            &Scope::Platform,
            at(0),
            u.id,
            &NewGrant {
                entity_id: entity,
                role,
                recursive: true,
            },
        )
        .await
        .expect("grant");
    store.load_actor(u.id).await.expect("load").expect("active")
}

async fn open_ticket(store: &Store, who: &Actor, entity: EntityId, title: &str) -> TicketRecord {
    store
        .create_ticket(
            who,
            &TicketAccess::of(who),
            at(1),
            &NewTicket {
                ticket_type: TicketType::Incident,
                entity_id: entity,
                title: title.into(),
                description: "Le serveur ne répond plus.".into(),
                requester_id: who.user,
                channel: Channel::Portal,
                category_id: None,
                service_ref: None,
                ci_refs: String::new(),
                impact: Level::Moyen,
                urgency: Level::Moyen,
                priority: Priority::Moyen,
            },
        )
        .await
        .expect("ticket")
}

async fn tenant(store: &Store, slug: &str) -> EntityId {
    let system = Actor::system();
    let t = store
        .create_tenant(
            &system,
            at(0),
            &NewTenant {
                slug: slug.into(),
                name: slug.into(),
                kind: "customer".into(),
            },
        )
        .await
        .expect("tenant");
    store
        .create_entity(
            &system,
            &Scope::Platform,
            at(0),
            &NewEntity {
                parent_id: t.root_entity_id.expect("root"),
                name: format!("{slug}-nord"),
                kind: "region".into(),
            },
        )
        .await
        .expect("entity")
        .id
}

async fn story(store: Store) {
    let nord = tenant(&store, "acme").await;
    let agent = user(&store, nord, "agent", Role::Agent).await;
    let alice = user(&store, nord, "alice", Role::Requester).await;
    let bob = user(&store, nord, "bob", Role::Requester).await;
    let access = TicketAccess::of;
    let ticket = open_ticket(&store, &alice, nord, "Disque plein").await;
    let tenant_id = ticket.tenant_id;
    assert_eq!(
        store.attachment_storage(tenant_id).await.expect("storage"),
        (0, 0)
    );

    // The requester attaches a public file; the same bytes again under
    // another name make a second attachment of the same stored content.
    let first = store
        .add_attachment(
            &alice,
            &access(&alice),
            at(2),
            &ticket,
            &file("serveur.log", LOG, LOG_SHA256, true),
        )
        .await
        .expect("first upload");
    let second = store
        .add_attachment(
            &agent,
            &access(&agent),
            at(3),
            &ticket,
            &file("copie.log", LOG, LOG_SHA256, true),
        )
        .await
        .expect("second upload");
    assert_ne!(first.id, second.id);
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(
        (first.size, first.uploaded_by, first.uploader_label.as_str()),
        (LOG.len() as i64, Some(alice.user), "alice")
    );
    assert_eq!(
        store.attachment_storage(tenant_id).await.expect("storage"),
        (1, LOG.len() as i64),
        "the same bytes are stored once"
    );

    // An agent attaches an internal file: a second content.
    let internal = store
        .add_attachment(
            &agent,
            &access(&agent),
            at(4),
            &ticket,
            &file("bios.txt", NOTE, NOTE_SHA256, false),
        )
        .await
        .expect("internal upload");
    assert!(!internal.public);
    assert_eq!(
        store
            .attachment_storage(tenant_id)
            .await
            .expect("storage")
            .0,
        2
    );

    // The agent sees the three, the requester the two public ones.
    let names = |list: Vec<vigie_store::AttachmentRecord>| {
        list.into_iter().map(|a| a.file_name).collect::<Vec<_>>()
    };
    let seen_by_agent = store
        .list_attachments(&access(&agent), &ticket)
        .await
        .expect("list");
    assert_eq!(seen_by_agent[0], first);
    assert_eq!(
        names(seen_by_agent),
        vec!["serveur.log", "copie.log", "bios.txt"]
    );
    assert_eq!(
        names(
            store
                .list_attachments(&access(&alice), &ticket)
                .await
                .expect("list")
        ),
        vec!["serveur.log", "copie.log"]
    );

    // Contents come back as stored; the internal one is not found for the
    // requester.
    let (record, bytes) = store
        .attachment_content(&access(&alice), &ticket, second.id)
        .await
        .expect("download");
    assert_eq!((record, bytes.as_slice()), (second.clone(), LOG));
    let (_, bytes) = store
        .attachment_content(&access(&agent), &ticket, internal.id)
        .await
        .expect("agent download");
    assert_eq!(bytes, NOTE);
    let hidden = store
        .attachment_content(&access(&alice), &ticket, internal.id)
        .await;
    assert!(matches!(hidden, Err(StoreError::NotFound)), "{hidden:?}");

    // The requester of another ticket reads neither the ticket nor its
    // attachments, and an attachment is found only under its own ticket.
    let other = store.get_ticket(&access(&bob), ticket.id).await.map(|_| ());
    assert!(matches!(other, Err(StoreError::NotFound)), "{other:?}");
    let bobs = open_ticket(&store, &bob, nord, "Imprimante").await;
    assert!(
        store
            .list_attachments(&access(&bob), &bobs)
            .await
            .expect("list")
            .is_empty()
    );
    let elsewhere = store
        .attachment_content(&access(&bob), &bobs, first.id)
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::NotFound)),
        "{elsewhere:?}"
    );

    // Refusals: a requester on someone else's ticket, an internal file from
    // a requester, an empty file, a malformed hash. None writes anything.
    let refusals = [
        store
            .add_attachment(
                &bob,
                &access(&bob),
                at(5),
                &ticket,
                &file("x.log", LOG, LOG_SHA256, true),
            )
            .await,
        store
            .add_attachment(
                &alice,
                &access(&alice),
                at(5),
                &ticket,
                &file("x.log", LOG, LOG_SHA256, false),
            )
            .await,
    ];
    for r in refusals {
        assert!(matches!(r, Err(StoreError::Forbidden(_))), "{r:?}");
    }
    let invalid = [
        file("vide.log", b"", LOG_SHA256, true),
        file("x.log", LOG, "not-a-hash", true),
        file("x.log", LOG, &LOG_SHA256.to_uppercase(), true),
        file("", LOG, LOG_SHA256, true),
    ];
    for new in invalid {
        let r = store
            .add_attachment(&agent, &access(&agent), at(5), &ticket, &new)
            .await;
        assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
    }

    // Each upload is a line of the ticket's history; an internal one does
    // not name its file there, since the requester reads the history.
    let history = store.ticket_history(&ticket).await.expect("history");
    let uploads: Vec<Option<String>> = history
        .iter()
        .flat_map(|h| &h.changes)
        .filter(|c| c.field == "attachment")
        .map(|c| c.after.clone())
        .collect();
    assert_eq!(
        uploads,
        vec![
            Some("serveur.log".to_owned()),
            Some("copie.log".to_owned()),
            Some(format!("(internal) #{}", internal.id)),
        ]
    );
    let by_alice = store
        .list_audit(
            &Scope::Platform,
            &AuditFilter {
                record_type: Some("ticket".into()),
                record_id: Some(ticket.id.0),
                actor_user_id: Some(alice.user),
                ..Default::default()
            },
            PageRequest {
                after: None,
                limit: 50,
            },
        )
        .await
        .expect("audit");
    assert_eq!(by_alice.items.len(), 2, "opening and one upload");
    // Attaching counts as activity on the ticket.
    let after = store
        .get_ticket(&access(&agent), ticket.id)
        .await
        .expect("read");
    assert_eq!(after.updated_at, at(4));

    // Nobody attaches to a closed ticket, not even from a stale read.
    let step = |t: &TicketRecord, action: Action, now| {
        apply(
            &LifecycleState {
                status: t.status,
                resolved_at: t.resolved_at,
            },
            &action,
            now,
            SignedDuration::from_hours(72),
        )
        .expect("allowed")
    };
    let resolve = Action::Resolve {
        solution: "Disque agrandi".into(),
        code: "fixed".into(),
    };
    let resolved = store
        .apply_ticket_outcome(&agent, &after, at(6), &step(&after, resolve, at(6)), None)
        .await
        .expect("resolve");
    let closed = store
        .apply_ticket_outcome(
            &agent,
            &resolved,
            at(7),
            &step(&resolved, Action::Close, at(7)),
            None,
        )
        .await
        .expect("close");
    for stale in [&closed, &resolved] {
        let r = store
            .add_attachment(
                &agent,
                &access(&agent),
                at(8),
                stale,
                &file("tard.log", NOTE, NOTE_SHA256, true),
            )
            .await;
        assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    }

    // Another tenant holding the same bytes stores its own copy: contents
    // are never shared across tenants.
    let other_nord = tenant(&store, "globex").await;
    let carol = user(&store, other_nord, "carol", Role::Requester).await;
    let theirs = open_ticket(&store, &carol, other_nord, "Même fichier").await;
    store
        .add_attachment(
            &carol,
            &access(&carol),
            at(9),
            &theirs,
            &file("serveur.log", LOG, LOG_SHA256, true),
        )
        .await
        .expect("other tenant");
    assert_eq!(
        store
            .attachment_storage(theirs.tenant_id)
            .await
            .expect("storage"),
        (1, LOG.len() as i64)
    );
    assert_eq!(
        store
            .attachment_storage(tenant_id)
            .await
            .expect("storage")
            .0,
        2
    );
    // Nor is one tenant's attachment found under another tenant's ticket.
    let across = store
        .attachment_content(&access(&carol), &theirs, first.id)
        .await;
    assert!(matches!(across, Err(StoreError::NotFound)), "{across:?}");
}

#[tokio::test]
async fn attachments_on_sqlite() {
    story(testing::sqlite().await.expect("sqlite")).await;
}

#[tokio::test]
async fn attachments_on_postgres() {
    if let Some(store) = testing::postgres().await.expect("postgres") {
        story(store).await;
    }
}
