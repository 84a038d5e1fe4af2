//! Durability of mail intake: `vigie serve` is killed with SIGKILL while it
//! reads a real Dovecot mailbox; after a restart, every mail is stored
//! exactly once (one ticket each) and has left the inbox.
//!
//! Runs when `VIGIE_TEST_IMAP` names the `dovecot` binary; fails instead of
//! skipping when `VIGIE_REQUIRE_ALL_SUITES` is set.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use vigie_core::mail::{AfterAction, Security, UnknownSenders};
use vigie_core::tenancy::{Actor, Scope};
use vigie_server::mail::testing::{Dovecot, binary};
use vigie_store::{MailboxInput, Store};

/// Mails in the mailbox.
const MAILS: usize = 150;
/// Mails stored before the kill.
const BEFORE_KILL: usize = 30;

fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigie_crash_mail_{}", std::process::id()));
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

fn start(dir: &Path) -> Server {
    let mut child = vigie(dir, &["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigie serve starts");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if line.contains("Vigie listening on http://") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("vigie serve announces its address");
    Server(child)
}

fn mail(i: usize) -> Vec<u8> {
    format!(
        "From: Utilisateur {i} <crash{i}@client.example>\r\nTo: support@vigie.example\r\n\
         Subject: Panne {i}\r\nMessage-ID: <crash-{i}@client.example>\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\r\nLe poste {i} ne démarre plus.\r\n"
    )
    .into_bytes()
}

async fn received(
    store: &Store,
    tenant: vigie_core::ids::TenantId,
    mailbox: vigie_core::ids::MailboxId,
) -> Vec<vigie_store::ReceivedMailRecord> {
    store
        .list_received_mails(tenant, Some(mailbox), 10_000)
        .await
        .expect("received")
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mail_survives_a_kill_exactly_once() {
    let Some(binary) = binary().expect("suite required") else {
        return;
    };
    let dovecot = Dovecot::start(&binary, &[("support", "secret-imap")])
        .await
        .expect("dovecot starts");
    for i in 0..MAILS {
        dovecot
            .deliver("support", &mail(i))
            .await
            .expect("delivered");
    }
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
    let now: vigie_core::Timestamp = "2026-01-01T00:00:00Z".parse().expect("time");
    let mailbox = store
        .create_mailbox(
            &Actor::system(),
            &Scope::Platform,
            now,
            &MailboxInput {
                entity_id: tenant.root_entity_id.expect("root"),
                name: "support".into(),
                host: "127.0.0.1".into(),
                port: dovecot.imap_port,
                security: Security::None,
                login: "support".into(),
                password: Some("secret-imap".into()),
                folder: "INBOX".into(),
                after_action: AfterAction::Move,
                move_to: "Traites".into(),
                poll_seconds: 1,
                category_id: None,
                unknown_senders: UnknownSenders::CreateContact,
                single_contact: false,
                rate_max: 1000,
                rate_window_seconds: 600,
                integration_key_id: None,
                address: "support@vigie.example".into(),
                rules: "[]".into(),
                active: true,
            },
        )
        .await
        .expect("mailbox");

    let mut server = start(&dir);
    let mut reached = false;
    for _ in 0..3000 {
        if received(&store, tenant.id, mailbox.id).await.len() >= BEFORE_KILL {
            reached = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        reached,
        "the server did not read {BEFORE_KILL} mails within 60 s"
    );
    // SIGKILL in the middle of the mailbox: no chance to finish anything.
    server.0.kill().expect("kill -9");
    server.0.wait().expect("killed");
    let at_kill = received(&store, tenant.id, mailbox.id).await.len();
    assert!(at_kill < MAILS, "the kill came too late to test anything");

    // Restart: once the dead instance's lease has lapsed, the new one reads
    // the rest, and the mails read but not moved are found stored.
    let _server = start(&dir);
    let mut drained = false;
    for _ in 0..3000 {
        if dovecot.count("support", "INBOX") == 0
            && received(&store, tenant.id, mailbox.id).await.len() == MAILS
        {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        drained,
        "the restarted server did not finish the mailbox within 60 s"
    );
    let rows = received(&store, tenant.id, mailbox.id).await;
    assert_eq!(rows.len(), MAILS);
    let mut ids: Vec<&str> = rows.iter().map(|r| r.message_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), MAILS, "a mail stored twice");
    assert!(rows.iter().all(|r| r.outcome == "ticket"), "{rows:?}");
    let mut tickets: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.ticket_id.map(|t| t.0))
        .collect();
    tickets.sort_unstable();
    tickets.dedup();
    assert_eq!(tickets.len(), MAILS, "one ticket per mail");
    assert_eq!(dovecot.count("support", "Traites"), MAILS);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
