//! Alert groups made by hand for the console's tests: a key, events
//! ingested with it, and the batch the processor would have applied (so no
//! processor runs, and no time passes).

use vigie_core::Timestamp;
use vigie_core::event::correlate::{GroupRoot, GroupState};
use vigie_core::event::fingerprint::Fingerprint;
use vigie_core::event::process::DedupRecord;
use vigie_core::event::{Event, EventAction, EventClass, Severity};
use vigie_core::ids::{AlertGroupId, CiId, EntityId, TicketId, UserId};
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::priority::{Level, Priority};
use vigie_core::ticket::{Channel, TicketType};
use vigie_server::auth;
use vigie_store::{
    AlertWrite, EventBatch, GroupWrite, IncidentWrite, IncomingEvent, IntegrationKeyRecord,
    NewIntegrationKey, NewTicket, Store,
};

/// Creates an integration key for an entity.
pub async fn key(
    store: &Store,
    entity: EntityId,
    source: &str,
    now: Timestamp,
) -> IntegrationKeyRecord {
    let secret = auth::new_integration_key();
    store
        .create_integration_key(
            &Actor::system(),
            &Scope::Platform,
            now,
            &NewIntegrationKey {
                entity_id: entity,
                source: source.into(),
                prefix: secret.prefix,
                secret_hash: secret.hash,
            },
        )
        .await
        .expect("integration key")
}

/// One alert of a group to make.
pub struct AlertSpec<'a> {
    pub resource: &'a str,
    pub check: &'a str,
    pub severity: Severity,
    pub summary: &'a str,
    pub action: EventAction,
    pub labels: &'a [(&'a str, &'a str)],
}

impl<'a> AlertSpec<'a> {
    /// A firing alert.
    pub fn firing(resource: &'a str, check: &'a str, severity: Severity, summary: &'a str) -> Self {
        AlertSpec {
            resource,
            check,
            severity,
            summary,
            action: EventAction::Trigger,
            labels: &[],
        }
    }
}

/// A group made by [`group`].
pub struct Made {
    pub id: AlertGroupId,
    pub fingerprints: Vec<String>,
    pub incident: Option<TicketId>,
}

/// Ingests one event per alert with `key`, then applies the batch that
/// puts them all in one new group rooted at `root` (or at the first
/// fingerprint), in `state`, with an incident requested by `requester` when
/// one is given.
pub async fn group(
    store: &Store,
    key: &IntegrationKeyRecord,
    root: Option<CiId>,
    state: GroupState,
    alerts: &[AlertSpec<'_>],
    incident: Option<UserId>,
    now: Timestamp,
) -> Made {
    let mut incoming = Vec::new();
    for a in alerts {
        let mut e = Event::new(&key.source, a.resource, a.check, a.severity, now);
        e.summary = a.summary.into();
        e.action = a.action;
        e.labels = a
            .labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        incoming.push(IncomingEvent::of(e));
    }
    let ingested = store
        .ingest_events(key, now, incoming.clone())
        .await
        .expect("ingest");
    assert_eq!(ingested.accepted, alerts.len());
    let fps: Vec<Fingerprint> = incoming.iter().map(|i| i.fingerprint.clone()).collect();
    let pending = store.pending_events(10_000).await.expect("pending");
    let processed: Vec<i64> = pending
        .iter()
        .filter(|p| p.tenant_id == key.tenant_id && fps.contains(&p.fingerprint))
        .map(|p| p.id)
        .collect();
    let temp = AlertGroupId(-1);
    let severity = alerts
        .iter()
        .map(|a| a.severity)
        .max()
        .unwrap_or(Severity::Info);
    let mut batch = EventBatch::new(key.tenant_id);
    batch.processed = processed;
    batch.groups.push(GroupWrite {
        id: temp,
        root: match root {
            Some(ci) => GroupRoot::Ci(ci),
            None => GroupRoot::Fingerprint(fps[0].clone()),
        },
        title: alerts[0].summary.into(),
        state,
        severity,
        opened_at: now,
        last_event_at: now,
        events: i64::try_from(alerts.len()).expect("count"),
    });
    for i in &incoming {
        batch.alerts.push(AlertWrite {
            fingerprint: i.fingerprint.clone(),
            source: i.event.source.clone(),
            resource: i.event.resource.clone(),
            check: i.event.check.clone(),
            summary: i.event.summary.clone(),
            class: EventClass::Exception,
            ci_id: root,
            group_id: Some(temp),
            dedup: DedupRecord::first(&i.event),
        });
    }
    if let Some(requester) = incident {
        let entity = store
            .get_entity(&Scope::Platform, key.entity_id)
            .await
            .expect("entity");
        batch.incidents.push(IncidentWrite::Open {
            group: temp,
            ticket: Box::new(NewTicket {
                ticket_type: TicketType::Incident,
                entity_id: entity.id,
                title: alerts[0].summary.into(),
                description: "Opened from monitoring.".into(),
                requester_id: requester,
                channel: Channel::Event,
                category_id: None,
                service_ref: None,
                ci_refs: String::new(),
                impact: Level::Haut,
                urgency: Level::Haut,
                priority: Priority::Critique,
            }),
            entity: Box::new(entity),
            support_group: None,
        });
    }
    let applied = store.apply_event_batch(now, batch).await.expect("apply");
    Made {
        id: applied.group_ids[&temp],
        fingerprints: fps.into_iter().map(|f| f.0).collect(),
        incident: applied.opened.first().map(|(_, t)| *t),
    }
}
