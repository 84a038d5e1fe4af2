//! Benchmark of the change conflict check at the scale of a large estate:
//! a CMDB of 100,000 items (rooms, racks, power feeds, servers, virtual
//! machines, applications, business services) with their dependencies, and
//! 10,000 scheduled changes packed into one month, so that a window of a
//! few hours overlaps hundreds of them. The check walks the CMDB from the
//! new change's items and looks at every overlapping change. Building the
//! dependency index (once per CMDB revision, then cached) is measured on
//! its own. Run with `cargo bench -p vigie-core --bench changes`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use vigie_core::change::conflict::{PlannedChange, conflicts};
use vigie_core::cmdb::graph::{Dependencies, Indexer};
use vigie_core::ids::{ChangeId, CiId};
use vigie_core::sla::availability::Interval;

const ROOMS: u32 = 50;
const RACKS_PER_ROOM: u32 = 40;
const FEEDS_PER_ROOM: u32 = 4;
const SERVERS_PER_RACK: u32 = 20;
const VMS: u32 = 40_000;
const APPS: u32 = 19_300;
const SERVICES: u32 = 300;
const CHANGES: u32 = 10_000;

/// The estate: item ids are their indices plus one; `(dependent, needed)`.
fn estate() -> (Indexer, Vec<(u32, u32)>, u32) {
    let mut index = Indexer::new();
    let mut next = 0u32;
    let mut new = |index: &mut Indexer| {
        next += 1;
        index.insert(i64::from(next))
    };
    let mut edges = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..ROOMS {
        let room = new(&mut index);
        let feeds: Vec<u32> = (0..FEEDS_PER_ROOM).map(|_| new(&mut index)).collect();
        for &f in &feeds {
            edges.push((f, room));
        }
        for r in 0..RACKS_PER_ROOM {
            let rack = new(&mut index);
            edges.push((rack, room));
            for _ in 0..SERVERS_PER_RACK {
                let server = new(&mut index);
                edges.push((server, rack));
                edges.push((server, feeds[(r % FEEDS_PER_ROOM) as usize]));
                edges.push((server, feeds[((r + 1) % FEEDS_PER_ROOM) as usize]));
                servers.push(server);
            }
        }
    }
    let mut vms = Vec::new();
    for v in 0..VMS {
        let vm = new(&mut index);
        edges.push((vm, servers[(v as usize * 7) % servers.len()]));
        vms.push(vm);
    }
    let mut apps = Vec::new();
    for a in 0..APPS {
        let app = new(&mut index);
        edges.push((app, vms[(a as usize * 2) % vms.len()]));
        edges.push((app, vms[(a as usize * 2 + 1) % vms.len()]));
        apps.push(app);
    }
    for s in 0..SERVICES {
        let service = new(&mut index);
        for k in 0..5 {
            edges.push((service, apps[((s * 5 + k) as usize * 13) % apps.len()]));
        }
    }
    let n = next;
    (index, edges, n)
}

fn scheduled(items: u32, start: Timestamp) -> Vec<PlannedChange> {
    (0..CHANGES)
        .map(|i| {
            // 10,000 windows of 2 to 6 hours over 30 nights.
            let night = i64::from(i % 30);
            let offset = SignedDuration::from_hours(night * 24 + i64::from(i % 5));
            let begin = start + offset;
            PlannedChange {
                id: ChangeId(i64::from(i) + 1),
                number: i64::from(i) + 1,
                window: Interval::new(
                    begin,
                    begin + SignedDuration::from_hours(2 + i64::from(i % 5)),
                ),
                items: (0..1 + i % 3)
                    .map(|k| CiId(i64::from((i * 7919 + k * 104_729) % items) + 1))
                    .collect(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let (index, edges, n) = estate();
    assert!(n >= 100_000, "{n} items");
    let deps = Dependencies::new(index.len(), &edges);
    let start: Timestamp = "2026-01-05T18:00:00Z".parse().expect("time");
    let others = scheduled(n, start);
    // A change on a rack and two servers, on the busiest night.
    let window = Interval::new(
        start + SignedDuration::from_hours(24),
        start + SignedDuration::from_hours(30),
    );
    let items = [CiId(3), CiId(120), CiId(5_000)];
    let found = conflicts(&deps, &index, None, &items, window, &others);
    let overlapping = others
        .iter()
        .filter(|o| o.window.start < window.end && window.start < o.window.end)
        .count();
    eprintln!(
        "{n} items, {} dependencies, {CHANGES} scheduled changes, {overlapping} overlapping the window, {} conflicts",
        edges.len(),
        found.len()
    );
    c.bench_function(
        "conflict check: 3 items vs 10,000 scheduled changes over 100,000 items",
        |b| b.iter(|| conflicts(&deps, &index, None, black_box(&items), window, &others)),
    );
    // A change on a whole room: everything in it is related.
    let room = [CiId(1)];
    c.bench_function(
        "conflict check: a room vs 10,000 scheduled changes over 100,000 items",
        |b| b.iter(|| conflicts(&deps, &index, None, black_box(&room), window, &others)),
    );
    c.bench_function(
        "dependency index of 100,000 items (once per CMDB revision)",
        |b| b.iter(|| Dependencies::new(index.len(), black_box(&edges))),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
