//! Durability of event ingestion: `vigie serve` is killed with SIGKILL
//! while clients send events as fast as it takes them; after a restart,
//! every event that was answered 202 is stored, and processed, exactly once.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vigie_core::event::fingerprint::fingerprint;
use vigie_core::tenancy::{Actor, Scope};
use vigie_store::{NewIntegrationKey, Store};

/// Connections sending events.
const SENDERS: usize = 8;
/// Events acknowledged before the kill.
const BEFORE_KILL: usize = 1500;

fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigie_crash_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder");
    dir
}

fn vigie(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigie"));
    cmd.current_dir(dir).args(args).arg("--data-dir").arg(dir);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("VIGIE_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `vigie serve` on a free port and returns it with its address.
fn start(dir: &Path) -> (Server, String) {
    let mut child = vigie(dir, &["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigie serve starts");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some((_, rest)) = line.split_once("Vigie listening on http://") {
                let _ = tx.send(rest.trim().to_owned());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("vigie serve announces its address");
    (Server(child), addr)
}

fn event_body(sender: usize, i: usize) -> String {
    serde_json::json!({"source": "crash-test", "resource": format!("crash-{sender}-{i}"),
        "check": "sustained", "severity": "info", "summary": "sent during a crash test",
        "time": "2025-12-31T12:00:00Z"})
    .to_string()
}

/// Sends events on one keep-alive connection until told to stop or the
/// server goes away; records those answered 202.
async fn send(
    addr: String,
    key: String,
    sender: usize,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<(usize, usize)>>>,
) {
    let Ok(stream) = tokio::net::TcpStream::connect(&addr).await else {
        return;
    };
    let Ok((mut conn, driver)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return;
    };
    tokio::spawn(driver);
    for i in 0..1_000_000 {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(req) = hyper::Request::post("/api/v1/events")
            .header("host", &addr)
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(event_body(sender, i))))
        else {
            return;
        };
        let Ok(res) = conn.send_request(req).await else {
            return;
        };
        let status = res.status();
        if res.into_body().collect().await.is_err() {
            return;
        }
        if status == hyper::StatusCode::ACCEPTED {
            if let Ok(mut a) = acked.lock() {
                a.push((sender, i));
            }
        } else {
            return;
        }
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_event_survives_a_kill_exactly_once() {
    let dir = fresh_dir();
    let demo = vigie(&dir, &["demo"]).output().expect("demo");
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let url = format!("sqlite://{}?mode=rwc", dir.join("vigie.db").display());
    let store = Store::connect(&url).await.expect("store");
    let tenant = store
        .find_tenant_by_slug("cachemire")
        .await
        .expect("tenant")
        .expect("demo tenant");
    let secret = vigie_server::auth::new_integration_key();
    let now: vigie_core::Timestamp = "2026-01-01T00:00:00Z".parse().expect("time");
    store
        .create_integration_key(
            &Actor::system(),
            &Scope::Platform,
            now,
            &NewIntegrationKey {
                entity_id: tenant.root_entity_id.expect("root"),
                source: "crash-test".into(),
                prefix: secret.prefix.clone(),
                secret_hash: secret.hash.clone(),
            },
        )
        .await
        .expect("key");

    let (mut server, addr) = start(&dir);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            tokio::spawn(send(
                addr.clone(),
                secret.secret.clone(),
                s,
                stop.clone(),
                acked.clone(),
            ))
        })
        .collect();
    let mut reached = false;
    for _ in 0..600 {
        if acked.lock().map(|a| a.len()).unwrap_or(0) >= BEFORE_KILL {
            reached = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        reached,
        "the server did not take {BEFORE_KILL} events within 30 s"
    );
    // SIGKILL in the middle of the stream: no chance to finish anything.
    server.0.kill().expect("kill -9");
    server.0.wait().expect("killed");
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        let _ = s.await;
    }
    let acked: Vec<(usize, usize)> = acked.lock().expect("acked").clone();
    assert!(acked.len() >= BEFORE_KILL);

    // Restart: once the dead instance's lease has lapsed (15 s), the new
    // one goes through what was pending.
    let (_server, _addr) = start(&dir);
    let mut drained = false;
    for _ in 0..1200 {
        if store.pending_events(1).await.expect("pending").is_empty() {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        drained,
        "the restarted server did not process the pending events within 60 s"
    );
    let fingerprints: Vec<_> = acked
        .iter()
        .map(|(s, i)| {
            let events = vigie_core::event::decode::generic(event_body(*s, *i).as_bytes(), now)
                .expect("decodes");
            fingerprint(&events[0])
        })
        .collect();
    let distinct: HashSet<_> = fingerprints.iter().cloned().collect();
    assert_eq!(distinct.len(), acked.len(), "every event sent is distinct");
    let states = store
        .alert_states(tenant.id, &fingerprints)
        .await
        .expect("alerts");
    let missing = fingerprints
        .iter()
        .filter(|f| !states.contains_key(*f))
        .count();
    assert_eq!(missing, 0, "acknowledged events lost in the crash");
    let counted_twice = states.values().filter(|s| s.dedup.count != 1).count();
    assert_eq!(counted_twice, 0, "events stored or processed twice");
    for fp in fingerprints.iter().take(50) {
        let stored = store
            .alert_events(tenant.id, fp.as_str(), 10)
            .await
            .expect("events");
        assert_eq!(stored.len(), 1, "{fp}");
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
