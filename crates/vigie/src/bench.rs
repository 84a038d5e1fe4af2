//! `vigie bench`: the service desk's hot paths measured in-process, as the
//! server sees them (no socket, no client): bulk generation, ticket creation
//! through the API one request after the other (a single keep-alive client
//! at best), a queue page, a full-text search and a ticket page. Figures
//! are medians and 99th percentiles of server time.

use crate::demo;
use anyhow::{Context, bail};
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use vigie_core::tenancy::{Actor, Scope};
use vigie_server::{AppState, Clock, ServerConfig, auth};
use vigie_store::{NewToken, Store};

/// What to measure.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Tickets generated before measuring.
    #[arg(long, default_value_t = 100_000)]
    pub tickets: usize,
    /// Requests per measured operation.
    #[arg(long, default_value_t = 500)]
    pub requests: usize,
    /// Measure another area instead of the service desk.
    #[command(subcommand)]
    pub what: Option<BenchWhat>,
}

/// The other areas `vigie bench` measures.
#[derive(Debug, clap::Subcommand)]
pub enum BenchWhat {
    /// CMDB import of a large estate and impact analysis.
    Cmdb(crate::bench_cmdb::CmdbBenchArgs),
    /// Event ingestion over HTTP, the processor and an alert storm.
    Events(crate::bench_events::EventsBenchArgs),
    /// Parsing and ingesting stored mails.
    Mail(crate::bench_mail::MailBenchArgs),
}

/// Clients creating tickets at the same time in the concurrent measure.
const CLIENTS: usize = 32;
/// Tickets per request in the batch measure.
const BATCH: usize = 100;

struct Stats {
    median: Duration,
    p99: Duration,
    per_sec: f64,
}

fn stats(mut samples: Vec<Duration>, total: Duration) -> Stats {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Stats {
        median: at(0.5),
        p99: at(0.99),
        per_sec: samples.len() as f64 / total.as_secs_f64().max(1e-9),
    }
}

/// Runs the benchmark on `store` (which should be empty or a copy) and
/// prints one line per operation.
pub async fn run(store: Store, args: &BenchArgs) -> anyhow::Result<()> {
    let clock = Clock::system();
    demo::load_demo(&store, clock.now()).await?;
    if let Some(BenchWhat::Cmdb(cmdb)) = &args.what {
        return crate::bench_cmdb::run(&store, clock.now(), cmdb).await;
    }
    if let Some(BenchWhat::Mail(mail)) = &args.what {
        return crate::bench_mail::run(&store, clock, mail).await;
    }
    if let Some(BenchWhat::Events(events)) = &args.what {
        return crate::bench_events::run(&store, clock, events).await;
    }
    let started = Instant::now();
    let generated =
        demo::generate_tickets(&store, clock.now(), "cachemire", args.tickets, |_| {}).await?;
    let gen_time = started.elapsed();
    println!(
        "generate {generated} tickets (bulk import): {:.1} s, {:.0} tickets/s",
        gen_time.as_secs_f64(),
        generated as f64 / gen_time.as_secs_f64().max(1e-9)
    );
    let (user, _) = store
        .find_user_by_login("dsi")
        .await?
        .context("demo user dsi")?;
    let secret = auth::new_api_token();
    let new = NewToken {
        user_id: user.id,
        name: "bench".into(),
        prefix: secret.prefix,
        secret_hash: secret.hash,
    };
    store
        .create_token(&Actor::system(), &Scope::Platform, clock.now(), &new)
        .await?;
    let entity = user.entity_id.0;
    let state = AppState::new(store, ServerConfig::default(), clock);
    let app = vigie_server::app(state.clone());
    let bearer = format!("Bearer {}", secret.secret);

    let call = move |req: Request<Body>| {
        let app = app.clone();
        async move {
            let t = Instant::now();
            let res = app.oneshot(req).await?;
            let status = res.status();
            let body = res.into_body().collect().await?.to_bytes();
            let took = t.elapsed();
            if !status.is_success() {
                bail!("{status}: {}", String::from_utf8_lossy(&body));
            }
            Ok::<_, anyhow::Error>((took, body))
        }
    };
    let get = |path: String| {
        Request::get(path)
            .header(header::AUTHORIZATION, &bearer)
            .body(Body::empty())
    };

    // Creation, one after the other.
    let mut samples = Vec::with_capacity(args.requests);
    let mut last_id = 0;
    let t0 = Instant::now();
    for i in 0..args.requests {
        let body = serde_json::json!({"type": "incident", "entity_id": entity, "title": format!("Bench {i}"),
            "description": "Mesure", "impact": "haut", "urgency": "moyen"});
        let req = Request::post("/api/v1/tickets")
            .header(header::AUTHORIZATION, &bearer)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))?;
        let (took, body) = call(req).await?;
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        last_id = v["id"].as_i64().unwrap_or(last_id);
        samples.push(took);
    }
    report(
        "POST /api/v1/tickets (sequential)",
        stats(samples, t0.elapsed()),
    );

    // Creation by many clients at once: the group commit shares
    // transactions between them.
    let ticket_body = move |i: usize| {
        serde_json::json!({"type": "incident", "entity_id": entity, "title": format!("Bench {i}"),
            "description": "Mesure", "impact": "haut", "urgency": "moyen"})
    };
    let post = |path: &str, body: serde_json::Value| {
        Request::post(path)
            .header(header::AUTHORIZATION, &bearer)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
    };
    let per_client = args.requests.div_ceil(CLIENTS);
    let t0 = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let requests: Vec<_> = (0..per_client)
            .map(|i| post("/api/v1/tickets", ticket_body(c * per_client + i)))
            .collect::<Result<_, _>>()?;
        let call = call.clone();
        clients.spawn(async move {
            let mut samples = Vec::with_capacity(requests.len());
            for req in requests {
                samples.push(call(req).await?.0);
            }
            Ok::<_, anyhow::Error>(samples)
        });
    }
    let mut samples = Vec::with_capacity(per_client * CLIENTS);
    while let Some(done) = clients.join_next().await {
        samples.extend(done??);
    }
    report(
        &format!("POST /api/v1/tickets ({CLIENTS} clients at once)"),
        stats(samples, t0.elapsed()),
    );

    // Creation in batches from one client.
    let batches = args.requests.div_ceil(BATCH).max(1);
    let mut samples = Vec::with_capacity(batches);
    let t0 = Instant::now();
    for b in 0..batches {
        let tickets: Vec<_> = (0..BATCH).map(|i| ticket_body(b * BATCH + i)).collect();
        let req = post(
            "/api/v1/tickets/batch",
            serde_json::json!({ "tickets": tickets }),
        )?;
        samples.push(call(req).await?.0);
    }
    let s = stats(samples, t0.elapsed());
    report_in(
        &format!("POST /api/v1/tickets/batch ({BATCH} tickets per request)"),
        Stats {
            per_sec: s.per_sec * BATCH as f64,
            ..s
        },
        "tickets",
    );

    // The same through a real socket: one keep-alive client, payloads
    // built before the clock starts, every 201 committed.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(vigie_server::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    let payloads: Vec<String> = (0..batches)
        .map(|b| {
            let tickets: Vec<_> = (0..BATCH).map(|i| ticket_body(b * BATCH + i)).collect();
            serde_json::json!({ "tickets": tickets }).to_string()
        })
        .collect();
    let mut client = crate::bench_http::Connection::open(addr).await?;
    let mut samples = Vec::with_capacity(batches);
    let t0 = Instant::now();
    for body in payloads {
        samples.push(
            client
                .post("/api/v1/tickets/batch", &secret.secret, body)
                .await?,
        );
    }
    let s = stats(samples, t0.elapsed());
    report_in(
        &format!(
            "POST /api/v1/tickets/batch over HTTP, one keep-alive client ({BATCH} per request)"
        ),
        Stats {
            per_sec: s.per_sec * BATCH as f64,
            ..s
        },
        "tickets",
    );
    drop(client);
    let _ = stop.send(());
    let _ = server.await;

    for (label, path) in [
        (
            "GET queue: open, by priority, 50",
            "/api/v1/tickets?open=true&sort=priority&limit=50".to_owned(),
        ),
        (
            "GET queue: my groups, open, 50",
            "/api/v1/tickets?my_groups=true&open=true&limit=50".to_owned(),
        ),
        (
            "GET full-text search, 50",
            "/api/v1/tickets?q=imprimante&limit=50".to_owned(),
        ),
        (
            "GET ticket page (JSON)",
            format!("/api/v1/tickets/{last_id}"),
        ),
    ] {
        let mut samples = Vec::with_capacity(args.requests);
        let t0 = Instant::now();
        for _ in 0..args.requests {
            samples.push(call(get(path.clone())?).await?.0);
        }
        report(label, stats(samples, t0.elapsed()));
    }
    Ok(())
}

fn report(label: &str, s: Stats) {
    report_in(label, s, "requests");
}

fn report_in(label: &str, s: Stats, unit: &str) {
    println!(
        "{label}: median {:.2} ms, p99 {:.2} ms, {:.0} {unit}/s",
        s.median.as_secs_f64() * 1e3,
        s.p99.as_secs_f64() * 1e3,
        s.per_sec
    );
}
