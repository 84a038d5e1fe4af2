//! House conventions, checked by plain `cargo test`: every Rust file starts
//! with a `//!` comment saying what it holds, no test is ignored, the core
//! stays pure (no IO, async or database crates; JSON only where events are
//! decoded), SQL stays in the store,
//! and migrations exist for both backends.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && !path.ends_with("target") {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn all_sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    assert!(files.len() > 20, "found only {} Rust files", files.len());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            (p, text)
        })
        .collect()
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    let missing: Vec<String> = all_sources()
        .into_iter()
        .filter(|(_, text)| !text.trim_start().starts_with("//!"))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a `//!` comment: {missing:#?}"
    );
}

#[test]
fn no_test_is_ignored() {
    let needle = ["#[", "ignore"].concat();
    let offenders: Vec<String> = all_sources()
        .into_iter()
        .filter(|(_, text)| text.contains(&needle))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "ignored tests hide failures: {offenders:#?}"
    );
}

#[test]
fn the_core_depends_on_no_io_crate() {
    let manifest = std::fs::read_to_string(workspace().join("crates/vigie-core/Cargo.toml"))
        .unwrap_or_default();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap_or("")
        .split("\n[")
        .next()
        .unwrap_or("");
    for banned in [
        "tokio",
        "sqlx",
        "axum",
        "reqwest",
        "hyper",
        "vigie-store",
        "vigie-server",
    ] {
        assert!(
            !deps.lines().any(|l| l.trim_start().starts_with(banned)),
            "vigie-core must stay pure but depends on {banned}"
        );
    }
}

/// JSON is parsed in the core only where events arrive: the decoders read
/// request bodies, events keep their details, and classification rules are
/// kept as JSON. Everywhere else the core takes and returns Rust values.
#[test]
fn json_stays_in_the_event_module() {
    let core = workspace().join("crates/vigie-core/src");
    let offenders: Vec<String> = all_sources()
        .into_iter()
        .filter(|(p, _)| p.starts_with(&core) && !p.starts_with(core.join("event")))
        .filter(|(_, text)| text.contains("serde_json"))
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "serde_json outside vigie-core's event module: {offenders:#?}"
    );
}

#[test]
fn sql_lives_in_the_store_only() {
    let offenders: Vec<String> = all_sources()
        .into_iter()
        .filter(|(p, _)| !p.to_string_lossy().contains("vigie-store") && !p.ends_with("tidy.rs"))
        .filter(|(_, text)| {
            text.contains("sqlx::query")
                || text.contains("INSERT INTO")
                || text.contains("SELECT id")
        })
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "SQL outside vigie-store: {offenders:#?}"
    );
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |backend: &str| -> Vec<String> {
        let dir = workspace()
            .join("crates/vigie-store/migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    assert!(!names("sqlite").is_empty());
    assert_eq!(names("sqlite"), names("postgres"));
}
