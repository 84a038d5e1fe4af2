//! `vigie bench cmdb`: a synthetic estate (one site, rooms of ten racks,
//! each rack with two feeds, two switches, eight double-fed servers, their
//! VMs and applications, and a business service) imported in one go, then
//! impact analyses from one failing room. Prints the import time, the graph
//! loading time and the median and 99th percentile of the analysis.

use crate::import::import_lines;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use vigie_core::cmdb::reconcile::{CiDraft, RelationDraft};
use vigie_core::cmdb::{CiType, RelationType};
use vigie_server::cmdb::file::ParsedFile;
use vigie_store::Store;

/// What to measure.
#[derive(Debug, clap::Args)]
pub struct CmdbBenchArgs {
    /// Items to generate (about three relations each).
    #[arg(long, default_value_t = 100_000)]
    pub items: usize,
    /// Impact analyses (and conflict checks) to time.
    #[arg(long, default_value_t = 50)]
    pub runs: usize,
    /// Scheduled changes to create before timing the conflict check of a
    /// new one (0: no change benchmark).
    #[arg(long, default_value_t = 10_000)]
    pub changes: usize,
}

/// A generated estate, as the import reads it.
pub(crate) struct Estate {
    pub(crate) file: ParsedFile,
    line: usize,
}

impl Estate {
    /// An empty estate.
    pub(crate) fn new() -> Estate {
        Estate {
            file: ParsedFile::default(),
            line: 1,
        }
    }

    /// Adds an item; returns its name.
    pub(crate) fn item(&mut self, ci_type: CiType, name: String) -> String {
        self.line += 1;
        self.file.items.push((
            self.line,
            CiDraft {
                ci_type,
                name: name.clone(),
                status: None,
                criticality: None,
                identifiers: Vec::new(),
                attributes: BTreeMap::new(),
            },
        ));
        name
    }

    /// Adds a relation.
    pub(crate) fn link(
        &mut self,
        from: &str,
        relation: RelationType,
        to: &str,
        group: Option<&str>,
    ) {
        self.line += 1;
        self.file.relations.push((
            self.line,
            RelationDraft {
                from: from.to_owned(),
                to: to.to_owned(),
                relation,
                redundancy: group.map(|g| (g.to_owned(), 1)),
            },
        ));
    }
}

/// Builds an estate of about `items` items; the first room is `room-0`.
fn estate(items: usize) -> Estate {
    use CiType::*;
    use RelationType::*;
    let mut e = Estate {
        file: ParsedFile::default(),
        line: 1,
    };
    let site = e.item(Site, "site".into());
    let env = e.item(Environment, "production".into());
    if let Some((_, d)) = e.file.items.last_mut() {
        d.attributes.insert("kind".into(), "production".into());
    }
    let racks = (items / 46).max(1);
    let mut room = String::new();
    for k in 0..racks {
        if k % 10 == 0 {
            room = e.item(Room, format!("room-{}", k / 10));
            e.link(&room, LocatedIn, &site, None);
        }
        let rack = e.item(Rack, format!("rack-{k}"));
        e.link(&rack, LocatedIn, &room, None);
        let feeds = [
            e.item(PowerFeed, format!("feed-{k}-a")),
            e.item(PowerFeed, format!("feed-{k}-b")),
        ];
        let service = e.item(BusinessService, format!("service-{k}"));
        let mut switches = Vec::new();
        for s in 0..2 {
            let sw = e.item(NetworkDevice, format!("sw-{k}-{s}"));
            e.link(&sw, LocatedIn, &rack, None);
            for f in &feeds {
                e.link(&sw, PoweredBy, f, None);
            }
            switches.push(sw);
        }
        for f in &feeds {
            e.link(f, LocatedIn, &room, None);
        }
        let mut previous: Option<String> = None;
        for s in 0..8 {
            let srv = e.item(Server, format!("srv-{k}-{s}"));
            e.link(&srv, LocatedIn, &rack, None);
            for f in &feeds {
                e.link(&srv, PoweredBy, f, None);
            }
            for sw in &switches {
                e.link(&srv, ConnectedTo, sw, None);
            }
            for v in 0..2 {
                let vm = e.item(VirtualMachine, format!("vm-{k}-{s}-{v}"));
                e.link(&vm, HostedBy, &srv, None);
                e.link(&vm, PartOf, &env, None);
                let app = e.item(Application, format!("app-{k}-{s}-{v}"));
                e.link(&app, RunsOn, &vm, None);
                e.link(&app, PartOf, &env, None);
                e.link(&service, DependsOn, &app, Some("apps"));
                if let Some(p) = &previous {
                    e.link(&app, DependsOn, p, None);
                }
                previous = Some(app);
            }
        }
    }
    e
}

/// The median and 99th percentile of the samples (zero when there are
/// none: a measure skipped with a count of 0).
pub(crate) fn median_p99(mut samples: Vec<Duration>) -> (Duration, Duration) {
    if samples.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

/// Runs the CMDB benchmark in the demo tenant `cachemire` (load the demo
/// first, on a throwaway database).
pub async fn run(
    store: &Store,
    now: vigie_core::Timestamp,
    args: &CmdbBenchArgs,
) -> anyhow::Result<()> {
    let e = estate(args.items);
    let (items, relations) = (e.file.items.len(), e.file.relations.len());
    let started = Instant::now();
    let report = import_lines(store, now, "cachemire", e.file, false, items + relations).await?;
    let took = started.elapsed();
    if let Some(err) = report.errors.first() {
        anyhow::bail!("line {}: {}", err.line, err.message);
    }
    println!(
        "import {} items + {} relations (plan and write, one transaction): {:.1} s",
        report.created,
        report.relations_created,
        took.as_secs_f64()
    );
    let tenant = store
        .find_tenant_by_slug("cachemire")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no tenant cachemire"))?;
    let started = Instant::now();
    let graph = store.load_cmdb_graph(tenant.id).await?;
    let load = started.elapsed();
    let started = Instant::now();
    let impact_graph = graph.impact_graph();
    let build = started.elapsed();
    println!(
        "load graph ({} items, {} relations): {:.0} ms, build adjacency: {:.0} ms",
        graph.types.len(),
        graph.links.len(),
        load.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e3
    );
    let room = graph
        .names
        .iter()
        .position(|n| n == "room-0")
        .ok_or_else(|| anyhow::anyhow!("no room-0"))?;
    let mut samples = Vec::with_capacity(args.runs);
    let mut reached = 0;
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        let impact = impact_graph.impact(&[room as u32]);
        samples.push(t.elapsed());
        reached = impact.impacted().count();
    }
    let (median, p99) = median_p99(samples);
    println!(
        "impact of one failing room ({reached} items reached): median {:.2} ms, p99 {:.2} ms",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    // What an API call pays: the revision check, then the cached graph.
    let started = Instant::now();
    store.cmdb_graph(tenant.id).await?;
    let cold = started.elapsed();
    let mut samples = Vec::with_capacity(args.runs);
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        let loaded = store.cmdb_graph(tenant.id).await?;
        let impact = loaded.impact.impact(&[room as u32]);
        samples.push(t.elapsed());
        reached = impact.impacted().count();
    }
    let (median, p99) = median_p99(samples);
    println!(
        "impact through the store's graph cache ({reached} items): first call {:.0} ms, \
         then median {:.2} ms, p99 {:.2} ms",
        cold.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    if args.changes > 0 {
        crate::bench_changes::run(store, now, tenant.id, &graph.index, args.changes, args.runs)
            .await?;
    }
    Ok(())
}
