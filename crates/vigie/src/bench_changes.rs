//! The change conflict check through the store, as `vigie bench cmdb`
//! runs it after importing its estate: `N` scheduled changes of one to
//! three items are written (packed into 30 nights, so a window of a few
//! hours overlaps hundreds), then a new change on three items is checked
//! against them the way scheduling does it (`vigie_server::changes::
//! flags_for`: the change windows, the freezes, the overlapping changes
//! read from the database, the cached dependency index, the core's check).

use crate::bench_cmdb::median_p99;
use jiff::{SignedDuration, Timestamp};
use std::time::Instant;
use vigie_core::change::{ChangeKind, ChangeStatus};
use vigie_core::cmdb::graph::Indexer;
use vigie_core::ids::{CiId, TenantId};
use vigie_core::sla::availability::Interval;
use vigie_core::tenancy::{Actor, Scope};
use vigie_server::{AppState, Clock, ServerConfig};
use vigie_store::{ChangeText, NewChange, Store, Transition};

/// Writes `count` scheduled changes, then times `runs` conflict checks.
pub async fn run(
    store: &Store,
    now: Timestamp,
    tenant: TenantId,
    index: &Indexer,
    count: usize,
    runs: usize,
) -> anyhow::Result<()> {
    let record = store.get_tenant(&Scope::Platform, tenant).await?;
    let root = record
        .root_entity_id
        .ok_or_else(|| anyhow::anyhow!("the tenant has no root"))?;
    let entity = store.get_entity(&Scope::Platform, root).await?;
    // Changes are raised by a person: the demo's change manager.
    let manager = store
        .find_user_by_login("change.manager")
        .await?
        .ok_or_else(|| anyhow::anyhow!("load the demo first: no change.manager"))?
        .0;
    let system = Actor {
        user: manager.id,
        login: manager.login.clone(),
        tenant,
        platform_admin: false,
        grants: Vec::new(),
    };
    let items = index.len().max(1);
    let start: Timestamp = "2027-03-01T18:00:00Z".parse()?;
    let item = |n: usize| CiId(index.id((n % items) as u32));
    let started = Instant::now();
    for i in 0..count {
        let new = NewChange {
            kind: ChangeKind::Normal,
            text: ChangeText {
                title: format!("bench change {i}"),
                ..ChangeText::default()
            },
            template_id: None,
            items: (0..1 + i % 3)
                .map(|k| item(i * 7919 + k * 104_729))
                .collect(),
            related_changes: Vec::new(),
            resolves: Vec::new(),
            checklist: Vec::new(),
        };
        let c = store.create_change(&system, &entity, now, &new).await?;
        let night = (i % 30) as i64;
        let begin = start + SignedDuration::from_hours(night * 24 + (i % 5) as i64);
        let mut t = Transition::to(ChangeStatus::Scheduled);
        t.window = Some((
            Interval::new(
                begin,
                begin + SignedDuration::from_hours(2 + (i % 5) as i64),
            ),
            Vec::new(),
        ));
        store.transition_change(&system, &c, now, &t).await?;
    }
    println!(
        "write {count} scheduled changes (two transactions each): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let state = AppState::new(store.clone(), ServerConfig::default(), Clock::manual(now));
    let new = NewChange {
        kind: ChangeKind::Normal,
        text: ChangeText {
            title: "bench change checked".into(),
            ..ChangeText::default()
        },
        template_id: None,
        items: vec![item(3), item(120), item(5_000)],
        related_changes: Vec::new(),
        resolves: Vec::new(),
        checklist: Vec::new(),
    };
    let candidate = store.create_change(&system, &entity, now, &new).await?;
    let window = Interval::new(
        start + SignedDuration::from_hours(24),
        start + SignedDuration::from_hours(30),
    );
    let overlapping = store
        .planned_changes(tenant, window.start, window.end, None)
        .await?
        .len();
    let mut samples = Vec::with_capacity(runs);
    let mut flags = 0;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        flags = vigie_server::changes::flags_for(&state, &candidate, window)
            .await?
            .len();
        samples.push(t.elapsed());
    }
    let (median, p99) = median_p99(samples);
    println!(
        "conflict check of a change on 3 items against {count} scheduled ({overlapping} overlapping, \
         {flags} flags): median {:.2} ms, p99 {:.2} ms",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    Ok(())
}
