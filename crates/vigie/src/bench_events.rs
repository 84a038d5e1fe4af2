//! `vigie bench events`: event ingestion over real HTTP on 127.0.0.1, load
//! generator included, then the processor, then an alert storm.
//!
//! 1. Batched ingestion: Alertmanager payloads of 100 alerts from a few
//!    keep-alive connections; every event distinct, so every one is stored.
//! 2. One event per request (generic endpoint) from many keep-alive
//!    connections.
//! 3. The processor deciding what 1 and 2 stored (informational events:
//!    recorded only).
//! 4. A storm: racks of servers in the CMDB, every rack and server failing
//!    and repeating (most events repeat an alert already firing), the
//!    processor running meanwhile as in `vigie serve`; at the end the
//!    counts are checked: one group and one incident per rack.
//!
//! Each 2xx means committed. Peak memory is the process's high-water mark.

use crate::bench_cmdb::{Estate, median_p99};
use crate::bench_http::Connection;
use anyhow::{Context, bail};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use vigie_core::cmdb::{CiType, RelationType};
use vigie_core::tenancy::{Actor, Scope};
use vigie_server::{AppState, Clock, ServerConfig, auth};
use vigie_store::{AlertGroupFilter, NewIntegrationKey, PageRequest, Store};

/// What the events benchmark does.
#[derive(Debug, clap::Args)]
pub struct EventsBenchArgs {
    /// Events sent in Alertmanager payloads of 100.
    #[arg(long, default_value_t = 300_000)]
    pub batched: usize,
    /// Events sent one per request.
    #[arg(long, default_value_t = 50_000)]
    pub single: usize,
    /// Keep-alive connections for the one-per-request measure.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Keep-alive connections sending payloads of 100.
    #[arg(long, default_value_t = 8)]
    pub payload_connections: usize,
    /// Racks in the storm (100 servers each).
    #[arg(long, default_value_t = 100)]
    pub racks: usize,
    /// Rounds of the storm: every rack and server fires once per round.
    #[arg(long, default_value_t = 99)]
    pub rounds: usize,
}

/// Alerts per Alertmanager payload.
const PER_PAYLOAD: usize = 100;
/// Servers per rack in the storm.
const SERVERS: usize = 100;

/// One Alertmanager alert.
fn am_alert(name: &str, instance: &str, severity: &str, at: jiff::Timestamp) -> serde_json::Value {
    serde_json::json!({
        "status": "firing",
        "labels": {"alertname": name, "instance": instance, "severity": severity},
        "annotations": {"summary": format!("{name} on {instance}")},
        "startsAt": at.to_string(),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.org:9090/graph"
    })
}

fn am_payload(alerts: Vec<serde_json::Value>) -> String {
    serde_json::json!({
        "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing",
        "receiver": "vigie", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.org:9093", "alerts": alerts
    })
    .to_string()
}

/// Sends payloads over `connections` connections, each its share in order;
/// returns the request times and the wall time.
async fn send_all(
    addr: SocketAddr,
    key: &str,
    path: &'static str,
    payloads: Vec<String>,
    connections: usize,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let connections = connections.max(1);
    let mut shares: Vec<Vec<String>> = (0..connections).map(|_| Vec::new()).collect();
    for (i, p) in payloads.into_iter().enumerate() {
        shares[i % connections].push(p);
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for share in shares {
        let key = key.to_owned();
        tasks.spawn(async move {
            let mut conn = Connection::open(addr).await?;
            let mut samples = Vec::with_capacity(share.len());
            for body in share {
                samples.push(conn.post(path, &key, body).await?);
            }
            Ok::<_, anyhow::Error>(samples)
        });
    }
    let mut samples = Vec::new();
    while let Some(done) = tasks.join_next().await {
        samples.extend(done??);
    }
    Ok((samples, started.elapsed()))
}

/// The process's peak resident memory, in MiB (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn line(label: &str, events: usize, samples: Vec<Duration>, wall: Duration) {
    let (median, p99) = median_p99(samples);
    println!(
        "{label}: {events} events in {:.1} s, {:.0} events/s (request median {:.2} ms, p99 {:.2} ms)",
        wall.as_secs_f64(),
        events as f64 / wall.as_secs_f64().max(1e-9),
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}

/// Runs the events benchmark in the demo tenant `cachemire` (load the demo
/// first, on a throwaway database).
pub async fn run(store: &Store, clock: Clock, args: &EventsBenchArgs) -> anyhow::Result<()> {
    let now = clock.now();
    let tenant = store
        .find_tenant_by_slug("cachemire")
        .await?
        .context("demo tenant cachemire")?;
    let root = tenant.root_entity_id.context("root entity")?;
    let secret = auth::new_integration_key();
    store
        .create_integration_key(
            &Actor::system(),
            &Scope::Platform,
            now,
            &NewIntegrationKey {
                entity_id: root,
                source: "alertmanager".into(),
                prefix: secret.prefix.clone(),
                secret_hash: secret.hash.clone(),
            },
        )
        .await?;
    let key = secret.secret;
    let state = AppState::new(store.clone(), ServerConfig::default(), clock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(vigie_server::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    let base = now - jiff::SignedDuration::from_hours(24);
    let at = |i: usize| base + jiff::SignedDuration::from_micros(i as i64);

    // 1. Batched.
    let payloads: Vec<String> = (0..args.batched.div_ceil(PER_PAYLOAD))
        .map(|p| {
            am_payload(
                (0..PER_PAYLOAD)
                    .map(|i| {
                        let n = p * PER_PAYLOAD + i;
                        am_alert("BenchInfo", &format!("host-{}", n % 5000), "info", at(n))
                    })
                    .collect(),
            )
        })
        .collect();
    let sent = payloads.len() * PER_PAYLOAD;
    let (samples, wall) = send_all(
        addr,
        &key,
        "/api/v1/integrations/alertmanager",
        payloads,
        args.payload_connections,
    )
    .await?;
    line(
        &format!(
            "Alertmanager payloads of {PER_PAYLOAD}, {} connections",
            args.payload_connections
        ),
        sent,
        samples,
        wall,
    );

    // 2. One event per request.
    let bodies: Vec<String> = (0..args.single)
        .map(|i| {
            serde_json::json!({"source": "bench", "resource": format!("host-{}", i % 5000),
                "check": "single", "severity": "info", "summary": "one event per request",
                "time": at(args.batched + i).to_string()})
            .to_string()
        })
        .collect();
    let (samples, wall) = send_all(addr, &key, "/api/v1/events", bodies, args.connections).await?;
    line(
        &format!("one event per request, {} connections", args.connections),
        args.single,
        samples,
        wall,
    );

    // 3. The processor on what was stored.
    let started = Instant::now();
    let done = vigie_server::events::process_all(&state, "bench").await?;
    let took = started.elapsed();
    println!(
        "processor: {} events decided in {:.1} s, {:.0} events/s",
        done.events,
        took.as_secs_f64(),
        done.events as f64 / took.as_secs_f64().max(1e-9)
    );

    // 4. The storm.
    let mut estate = Estate::new();
    for r in 0..args.racks {
        let rack = estate.item(CiType::Rack, format!("storm-rack-{r}"));
        for s in 0..SERVERS {
            let server = estate.item(CiType::Server, format!("storm-{r}-{s}"));
            estate.link(&server, RelationType::LocatedIn, &rack, None);
        }
    }
    let lines = estate.file.items.len() + estate.file.relations.len();
    let report =
        crate::import::import_lines(store, now, "cachemire", estate.file, false, lines).await?;
    if let Some(e) = report.errors.first() {
        bail!("storm estate, line {}: {}", e.line, e.message);
    }
    // The racks report first (their power feeds fail before the servers
    // notice); then every server, and the racks again, round after round.
    // Servers reporting before their rack would each open an incident
    // before the merge gathers their groups: the expected count would
    // depend on timing (see docs/dev/event-processing.md).
    let mut payloads = Vec::new();
    let mut batch = Vec::with_capacity(PER_PAYLOAD);
    let mut n = 0usize;
    let prologue: Vec<String> = (0..args.racks)
        .collect::<Vec<_>>()
        .chunks(PER_PAYLOAD)
        .map(|racks| {
            am_payload(
                racks
                    .iter()
                    .map(|r| {
                        am_alert(
                            "RackPowerLost",
                            &format!("storm-rack-{r}"),
                            "critical",
                            at(9_000_000 + r),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    n += args.racks;
    for round in 0..args.rounds {
        for r in 0..args.racks {
            let mut push = |alert: serde_json::Value| {
                batch.push(alert);
                if batch.len() == PER_PAYLOAD {
                    payloads.push(am_payload(std::mem::take(&mut batch)));
                }
            };
            n += 1;
            push(am_alert(
                "RackPowerLost",
                &format!("storm-rack-{r}"),
                "critical",
                at(10_000_000 + round * 1_000_000 + r * 1000),
            ));
            for s in 0..SERVERS {
                n += 1;
                push(am_alert(
                    "NodeDown",
                    &format!("storm-{r}-{s}:9100"),
                    "critical",
                    at(10_000_000 + round * 1_000_000 + r * 1000 + s + 1),
                ));
            }
        }
    }
    if !batch.is_empty() {
        payloads.push(am_payload(batch));
    }
    let alerts = args.racks * (SERVERS + 1);
    println!(
        "storm: {n} events over {alerts} alerts ({:.1} % repeat an alert already seen)",
        100.0 * (n - alerts.min(n)) as f64 / n.max(1) as f64
    );
    let processing = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut total = 0usize;
            let mut idle = 0;
            // Runs until the sender is done and nothing is left.
            while idle < 3 {
                let done = state.event_processor().run_once(&state, "bench").await?;
                total += done.events;
                if done.events == 0 {
                    idle += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                } else {
                    idle = 0;
                }
            }
            Ok::<_, anyhow::Error>(total)
        })
    };
    let started = Instant::now();
    send_all(addr, &key, "/api/v1/integrations/alertmanager", prologue, 1).await?;
    let (samples, wall) = send_all(
        addr,
        &key,
        "/api/v1/integrations/alertmanager",
        payloads,
        args.payload_connections,
    )
    .await?;
    line("storm ingestion (processor running)", n, samples, wall);
    let processed = processing.await??;
    let total = started.elapsed();
    let groups = store
        .list_alert_groups(
            &Scope::Platform,
            &AlertGroupFilter {
                live_only: true,
                ..Default::default()
            },
            PageRequest::first(500),
        )
        .await?
        .items
        .into_iter()
        .filter(|g| g.tenant_id == tenant.id && g.title.contains("storm"))
        .collect::<Vec<_>>();
    let incidents = groups.iter().filter(|g| g.incident_id.is_some()).count();
    // Every event counted once in its alert (an event older than its
    // alert's last one, delivered late by another connection, is counted
    // there but does not move the group).
    let mut events: i64 = 0;
    let mut alerts_seen = 0usize;
    for g in &groups {
        let alerts = store.group_alerts(g).await?;
        alerts_seen += alerts.len();
        events += alerts.iter().map(|a| a.count).sum::<i64>();
    }
    println!(
        "storm processed: {processed} events in {:.1} s from the first request ({:.0} events/s end to end); \
         {} groups (expected {}), {incidents} incidents (expected {}), {alerts_seen} alerts in them \
         (expected {alerts}) counting {events} events (expected {n})",
        total.as_secs_f64(),
        processed as f64 / total.as_secs_f64().max(1e-9),
        groups.len(),
        args.racks,
        args.racks
    );
    if let Some(mib) = peak_rss_mib() {
        println!(
            "peak resident memory of the process (server, processor and load generator): {mib:.0} MiB"
        );
    }
    let _ = stop.send(());
    let _ = server.await;
    if groups.len() != args.racks
        || incidents != args.racks
        || alerts_seen != alerts
        || events != n as i64
    {
        bail!("the storm did not end in one group and one incident per rack");
    }
    Ok(())
}
