//! The `vigie` command as users run it: a fresh data folder, the demo, an
//! API token, errors on one line with exit code 1, and a server that stops
//! cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A new empty folder, used as both the working directory (so that no
/// `vigie.toml` is picked up) and the data folder.
fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "vigie_cli_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary folder");
    dir
}

/// `vigie ARGS` in `dir`, isolated from the caller's `VIGIE_*` variables.
fn vigie(dir: &PathBuf, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigie"));
    cmd.current_dir(dir).args(args).arg("--data-dir").arg(dir);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("VIGIE_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn run(dir: &PathBuf, args: &[&str]) -> Output {
    vigie(dir, args).output().expect("vigie runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_then_token_for_a_demo_user() {
    let dir = fresh_dir();
    let demo = run(&dir, &["demo"]);
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    let table = text(&demo.stdout);
    assert!(table.contains("agent.nord"), "{table}");
    assert!(table.contains("vigie-admin-2026"), "{table}");
    assert!(dir.join("vigie.db").is_file());

    let again = run(&dir, &["demo"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("(0 new records)"));

    let token = run(&dir, &["admin", "token", "--user", "dsi", "--name", "CI"]);
    assert!(token.status.success(), "{}", text(&token.stderr));
    let out = text(&token.stdout);
    assert_eq!(out.lines().count(), 1, "{out:?}");
    assert!(out.starts_with("vig_"), "{out:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn integration_key_for_a_demo_tenant() {
    let dir = fresh_dir();
    let demo = run(&dir, &["demo"]);
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    let key = run(
        &dir,
        &[
            "admin",
            "integration-key",
            "--tenant",
            "cachemire",
            "--source",
            "alertmanager",
        ],
    );
    assert!(key.status.success(), "{}", text(&key.stderr));
    let out = text(&key.stdout);
    assert_eq!(out.lines().count(), 1, "{out:?}");
    assert!(out.starts_with("vgk_"), "{out:?}");

    let bad = run(
        &dir,
        &[
            "admin",
            "integration-key",
            "--tenant",
            "cachemire",
            "--source",
            "Alert Manager",
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(bad.stdout.is_empty());
    let err = text(&bad.stderr);
    assert!(err.contains("`source` must be 1 to 64 characters"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let unknown = run(
        &dir,
        &[
            "admin",
            "integration-key",
            "--tenant",
            "nowhere",
            "--source",
            "zabbix",
        ],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("no tenant with slug nowhere"),
        "{}",
        text(&unknown.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_are_one_line_with_exit_code_1() {
    let dir = fresh_dir();
    let unknown = run(&dir, &["admin", "token", "--user", "nobody"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(unknown.stdout.is_empty());
    let err = text(&unknown.stderr);
    assert!(err.contains("no user with login nobody"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    std::fs::write(dir.join("vigie.toml"), "listen_port = 8080\n").expect("write");
    let bad = run(&dir, &["migrate"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("listen_port"),
        "{}",
        text(&bad.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn serve_answers_then_stops_on_sigterm() {
    let dir = fresh_dir();
    let mut child = vigie(&dir, &["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigie serve starts");
    // Read the log on a thread, so that the child never blocks on a full
    // pipe, and hand over the address it announces.
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let (tx, rx) = std::sync::mpsc::channel();
    let drain = std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some((_, rest)) = line.split_once("Vigie listening on http://") {
                let _ = tx.send(rest.trim().to_owned());
            }
        }
    });
    let addr = rx.recv().expect("vigie serve announces its address");

    let mut conn = std::net::TcpStream::connect(&addr).expect("connect");
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: vigie\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    conn.read_to_string(&mut response).expect("response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let status = child.wait().expect("vigie serve exits");
    assert!(status.success(), "{status}");
    drain.join().expect("log reader");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An mbox of `n` mails, read by `vigie ingest mail`: every fifth mail from
/// the tenth on answers the mail ten before it.
fn mbox(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&format!(
            "From client{c}@example.org Mon Mar  3 09:15:00 2025\n\
             From: Client {c} <client{c}@example.org>\nTo: support@cachemire.invalid\n\
             Subject: Demande {i}\nMessage-ID: <import-{i}@example.org>\n",
            c = i % 7
        ));
        if i >= 10 && i % 5 == 0 {
            out.push_str(&format!("In-Reply-To: <import-{}@example.org>\n", i - 10));
        }
        out.push_str(&format!(
            "Content-Type: text/plain; charset=UTF-8\n\nLe poste {i} ne démarre plus.\n\n"
        ));
    }
    out
}

#[test]
fn an_mbox_is_ingested_by_batches_and_once() {
    let dir = fresh_dir();
    let demo = run(&dir, &["demo"]);
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    // 250 mails: three batches of the intake.
    let file = dir.join("history.mbox");
    std::fs::write(&file, mbox(250)).expect("mbox");
    let path = file.to_string_lossy().into_owned();
    let first = run(&dir, &["ingest", "mail", &path]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    // Mails 10, 15, … 245 answer a mail ten before: 48 replies.
    assert!(
        text(&first.stderr).contains(
            "250 mails: 202 tickets, 48 replies, 0 events, 0 ignored or refused, 0 already stored"
        ),
        "{}",
        text(&first.stderr)
    );
    let again = run(&dir, &["ingest", "mail", &path]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains(
            "250 mails: 0 tickets, 0 replies, 0 events, 0 ignored or refused, 250 already stored"
        ),
        "{}",
        text(&again.stderr)
    );
    // A folder of `.eml` files, in name order.
    let folder = dir.join("eml");
    std::fs::create_dir_all(&folder).expect("folder");
    for (i, mail) in mbox(3).split("From client").skip(1).enumerate() {
        let body = mail
            .split_once('\n')
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        let body = body.replace("import-", "folder-");
        std::fs::write(folder.join(format!("{i}.eml")), body).expect("eml");
    }
    let folder_run = run(&dir, &["ingest", "mail", &folder.to_string_lossy()]);
    assert!(folder_run.status.success(), "{}", text(&folder_run.stderr));
    assert!(
        text(&folder_run.stderr).contains("3 mails: 3 tickets"),
        "{}",
        text(&folder_run.stderr)
    );
    let missing = run(
        &dir,
        &["ingest", "mail", &dir.join("none.mbox").to_string_lossy()],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("cannot read"),
        "{}",
        text(&missing.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
