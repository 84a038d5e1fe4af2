//! A real Prometheus Alertmanager notifying Vigie on 127.0.0.1: one
//! receiver through the webhook (key in `http_config.authorization`), one
//! through `pagerduty_configs` with its `url` set to Vigie. Alerts fired at
//! Alertmanager become one incident per correlated group, and the incidents
//! are resolved when Alertmanager reports the alerts resolved.
//!
//! Runs when `VIGIE_TEST_ALERTMANAGER` names the `alertmanager` binary
//! (`.ci/run` installs Debian's `prometheus-alertmanager`); fails instead of
//! skipping when `VIGIE_REQUIRE_ALL_SUITES` is set.

use crate::browser_support::{free_port, serve};
use crate::support::World;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigie_core::tenancy::{Actor, Scope};
use vigie_core::ticket::priority::Priority;
use vigie_core::ticket::{Status, TicketAccess};
use vigie_store::{AlertGroupFilter, AlertGroupRecord, PageRequest};

/// The Alertmanager binary, or `None` to skip.
fn alertmanager() -> Option<String> {
    let found = std::env::var("VIGIE_TEST_ALERTMANAGER")
        .ok()
        .filter(|s| !s.is_empty());
    assert!(
        found.is_some() || std::env::var_os(vigie_store::testing::REQUIRE_ALL_VAR).is_none(),
        "VIGIE_TEST_ALERTMANAGER is not set but VIGIE_REQUIRE_ALL_SUITES requires the Alertmanager suite"
    );
    found
}

/// Stops Alertmanager when the test ends, however it ends.
struct Running(Child, std::path::PathBuf);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

/// One HTTP/1.1 request on a fresh connection: status and body.
async fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let payload = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

async fn groups(world: &World, live_only: bool) -> Vec<AlertGroupRecord> {
    world
        .store
        .list_alert_groups(
            &Scope::Platform,
            &AlertGroupFilter {
                live_only,
                ..Default::default()
            },
            PageRequest::first(100),
        )
        .await
        .expect("groups")
        .items
}

/// Processes what Vigie received until `done` holds (bounded: 30 s).
async fn until(world: &World, what: &str, done: impl Fn(&[AlertGroupRecord]) -> bool) {
    for _ in 0..300 {
        vigie_server::events::process_all(&world.state, "test-instance")
            .await
            .expect("processing");
        if done(&groups(world, false).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{what} did not happen within 30 s: {:#?}",
        groups(world, false).await
    );
}

#[tokio::test]
async fn alertmanager_notifies_vigie_by_webhook_and_by_pagerduty() {
    let Some(binary) = alertmanager() else {
        return;
    };
    let world = World::sqlite().await;
    let a = &world.alpha;
    let webhook_key = crate::events::key(&world, a, "alertmanager").await;
    let pagerduty_key = crate::events::key(&world, a, "alertmanager-pagerduty").await;
    let (vigie, _stop) = serve(&world).await;
    let dir = std::env::temp_dir().join(format!("vigie-alertmanager-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = format!(
        r#"route:
  receiver: vigie-webhook
  group_by: ['team']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['team="pd"']
      receiver: vigie-pagerduty
receivers:
  - name: vigie-webhook
    webhook_configs:
      - url: http://{vigie}/api/v1/integrations/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {webhook_key}
  - name: vigie-pagerduty
    pagerduty_configs:
      - url: http://{vigie}/api/v1/integrations/pagerduty/v2/enqueue
        routing_key: {pagerduty_key}
        send_resolved: true
"#
    );
    std::fs::write(dir.join("alertmanager.yml"), config).expect("config");
    let port = free_port();
    let child = Command::new(&binary)
        .arg(format!(
            "--config.file={}",
            dir.join("alertmanager.yml").display()
        ))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("alertmanager starts");
    let _running = Running(child, dir);
    let mut ready = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
            && http(port, "GET", "/-/ready", None).await.0 == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "alertmanager did not get ready within 10 s");

    // A server and its rack (one correlated group in Vigie), and a disk on
    // an item the CMDB does not know, sent through PagerDuty.
    let alerts = json!([
        {"labels": {"alertname": "NodeDown", "instance": "alpha-ci-sud:9100", "severity": "critical", "team": "ops"},
         "annotations": {"summary": "alpha-ci-sud does not answer"}},
        {"labels": {"alertname": "RackPowerLost", "instance": "alpha-ci-sud-rack", "severity": "critical", "team": "ops"},
         "annotations": {"summary": "Rack lost its power"}},
        {"labels": {"alertname": "DiskFull", "instance": "srv-files-02", "severity": "error", "team": "pd"},
         "annotations": {"summary": "Disk full on srv-files-02"}}
    ]);
    let (status, body) = http(port, "POST", "/api/v2/alerts", Some(&alerts)).await;
    assert_eq!(status, 200, "{body}");

    until(&world, "two incidents", |g| {
        g.len() == 2 && g.iter().all(|g| g.incident_id.is_some())
    })
    .await;
    let all = groups(&world, true).await;
    let rack = all
        .iter()
        .find(|g| g.root_ci_name.as_deref() == Some("alpha-ci-sud-rack"))
        .unwrap_or_else(|| panic!("no group at the rack: {all:#?}"));
    assert_eq!(rack.severity, vigie_core::event::Severity::Critical);
    let access = TicketAccess::of(&Actor::system());
    let rack_incident = world
        .store
        .get_ticket(&access, rack.incident_id.expect("incident"))
        .await
        .expect("ticket");
    assert_eq!(rack_incident.priority, Priority::Critique);
    let disk = all
        .iter()
        .find(|g| g.id != rack.id)
        .expect("the disk group");
    assert_eq!(disk.root_ci_id, None);
    let alerts = world.store.group_alerts(disk).await.expect("alerts");
    assert_eq!(alerts[0].source, "alertmanager-pagerduty", "{alerts:#?}");

    // Resolve every alert: Alertmanager sends the resolutions.
    let (_, current) = http(port, "GET", "/api/v2/alerts", None).await;
    let current: Value = serde_json::from_str(&current).expect("alerts");
    let ended: Vec<Value> = current
        .as_array()
        .expect("array")
        .iter()
        .map(|alert| {
            let starts: jiff::Timestamp = alert["startsAt"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("startsAt");
            let ends = starts + jiff::SignedDuration::from_millis(1);
            json!({"labels": alert["labels"], "annotations": alert["annotations"],
                   "startsAt": alert["startsAt"], "endsAt": ends.to_string()})
        })
        .collect();
    assert_eq!(ended.len(), 3);
    let (status, body) = http(port, "POST", "/api/v2/alerts", Some(&Value::Array(ended))).await;
    assert_eq!(status, 200, "{body}");
    until(&world, "every group resolved", |g| {
        g.len() == 2 && g.iter().all(|g| g.resolved_at.is_some())
    })
    .await;
    for g in groups(&world, false).await {
        let ticket = world
            .store
            .get_ticket(&access, g.incident_id.expect("incident"))
            .await
            .expect("ticket");
        assert_eq!(ticket.status, Status::Resolved, "{ticket:?}");
    }
}
