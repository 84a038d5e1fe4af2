//! `vigie import cmdb FILE`: large inventories from the command line, with
//! a progress bar, through the same planning and writing as the API.

use anyhow::Context;
use std::path::PathBuf;
use vigie_core::Timestamp;
use vigie_core::role::Permission;
use vigie_core::tenancy::Actor;
use vigie_server::cmdb::{self, ImportJob, ImportReport, file};
use vigie_store::Store;

/// What to import.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Configuration items and relations, CSV or JSON (by the file's
    /// extension), into a tenant's root entity.
    Cmdb(CmdbArgs),
}

/// The CMDB file to import.
#[derive(Debug, clap::Args)]
pub struct CmdbArgs {
    /// The file (`.csv` or `.json`).
    pub file: PathBuf,
    /// The tenant.
    #[arg(long, value_name = "SLUG", default_value = "cachemire")]
    pub tenant: String,
    /// Only show what the import would do.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs an import command and prints its summary.
pub async fn run(store: &Store, now: Timestamp, command: &ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Cmdb(args) = command;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let parsed = if args
        .file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        file::parse_json(&bytes)
    } else {
        file::parse_csv(&bytes)
    };
    let lines = parsed.items.len() + parsed.relations.len();
    let report = import_lines(store, now, &args.tenant, parsed, args.dry_run, lines).await?;
    print_report(&report);
    if !report.errors.is_empty() {
        anyhow::bail!(
            "{} lines refused: nothing was imported",
            report.errors.len()
        );
    }
    Ok(())
}

/// Imports parsed lines into a tenant's root entity, as the system, with a
/// progress bar on standard error.
pub async fn import_lines(
    store: &Store,
    now: Timestamp,
    tenant: &str,
    parsed: file::ParsedFile,
    dry_run: bool,
    lines: usize,
) -> anyhow::Result<ImportReport> {
    let tenant = store
        .find_tenant_by_slug(tenant)
        .await?
        .with_context(|| format!("no tenant {tenant}"))?;
    let root = tenant
        .root_entity_id
        .context("the tenant has no root entity")?;
    let actor = Actor::system();
    let scope = actor.scope(Permission::ManageCmdb);
    let entity = store.get_entity(&scope, root).await?;
    let bar = indicatif::ProgressBar::new(u64::try_from(lines).unwrap_or(u64::MAX));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} lines written ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let job = ImportJob {
        actor: &actor,
        scope: &scope,
        entity: &entity,
        now,
    };
    let progress = |n: usize| bar.set_position(u64::try_from(n).unwrap_or(u64::MAX));
    let report = cmdb::import(store, &job, parsed, dry_run, &progress).await?;
    bar.finish_and_clear();
    Ok(report)
}

fn print_report(r: &ImportReport) {
    for e in r.errors.iter().take(50) {
        eprintln!("line {}: {}", e.line, e.message);
    }
    for l in r.lines.iter().filter(|l| !l.conflicts.is_empty()).take(50) {
        for c in &l.conflicts {
            eprintln!(
                "line {}: {} keeps {} = {:?}, the file says {:?}",
                l.line, l.name, c.field, c.known, c.incoming
            );
        }
    }
    println!(
        "{}: {} created, {} updated, {} merged, {} unchanged, {} relations created",
        if r.applied {
            "imported"
        } else {
            "preview (nothing written)"
        },
        r.created,
        r.updated,
        r.merged,
        r.unchanged,
        r.relations_created
    );
}
