//! The `vigie` command: serve the application, migrate the database, load
//! the demo organisation, and a few administration commands.
//!
//! Errors are reported as one line on standard error with exit code 1.

mod admin;
mod bench;
mod bench_changes;
mod bench_cmdb;
mod bench_events;
mod bench_http;
mod bench_mail;
mod config;
mod demo;
mod import;
mod ingest;
mod serve;

use anyhow::Context;

/// The allocator of the whole process: a server allocating and freeing many
/// small strings per request on a few threads spends much less time in
/// mimalloc than in the system's allocator (measured with the events
/// benchmark, see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use config::{Config, RawConfig};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use vigie_server::Clock;
use vigie_store::Store;

/// Vigie, a self-hosted multi-tenant IT service management tool.
#[derive(Debug, Parser)]
#[command(name = "vigie", version)]
struct Cli {
    /// Configuration file [default: vigie.toml in the current directory, or
    /// $VIGIE_CONFIG].
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
    config: Option<PathBuf>,
    /// Database URL, sqlite://… or postgres://… [env: VIGIE_DATABASE_URL]
    /// [default: sqlite://DATA_DIR/vigie.db?mode=rwc].
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help_heading = "Global options"
    )]
    database_url: Option<String>,
    /// Folder for data files [env: VIGIE_DATA_DIR] [default: ./vigie-data].
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        help_heading = "Global options"
    )]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web UI and the API until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Apply the database migrations and exit.
    Migrate,
    /// Load the demo organisation (idempotent) and print its logins.
    Demo(DemoArgs),
    /// Administration commands.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Import data files.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Replay stored data (mails) through the ingestion path.
    #[command(subcommand)]
    Ingest(ingest::IngestCommand),
    /// Measure the hot paths (use a throwaway database: it loads the demo
    /// and generates tickets).
    Bench(bench::BenchArgs),
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// Also generate this many tickets (for benchmarks and demos).
    #[arg(long, value_name = "N")]
    tickets: Option<usize>,
    /// The tenant to generate tickets in.
    #[arg(long, value_name = "SLUG", default_value = "cachemire")]
    tenant: String,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on, IP:port [env: VIGIE_LISTEN] [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Load the demo organisation before serving.
    #[arg(long)]
    demo: bool,
    /// Send cookies without the Secure attribute (plain-HTTP reverse proxy).
    #[arg(long)]
    insecure_cookies: bool,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Print a new API token for a user (only the token, on one line).
    Token(admin::TokenArgs),
    /// Create a user.
    CreateUser(admin::CreateUserArgs),
    /// Print a new integration key for a monitoring tool (only the key, on
    /// one line).
    IntegrationKey(admin::IntegrationKeyArgs),
}

impl Cli {
    /// The settings given as flags, the highest-precedence source.
    fn flags(&self) -> RawConfig {
        let serve = match &self.command {
            Command::Serve(args) => Some(args),
            _ => None,
        };
        RawConfig {
            listen: serve.and_then(|s| s.listen.clone()),
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            cookie_secure: serve.filter(|s| s.insecure_cookies).map(|_| false),
            log: None,
            event_retention_days: None,
            smtp_url: None,
            public_url: None,
            mail_from: None,
            mail_ca_file: None,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.flags(), cli.config.clone())?;
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log)?)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let clock = Clock::system();
    let store = open_store(&config).await?;
    match cli.command {
        Command::Serve(args) => {
            if args.demo {
                let summary = demo::load_demo(&store, clock.now()).await?;
                tracing::info!(created = summary.created, "demo organisation loaded");
            }
            serve::serve(&config, store, clock).await?;
        }
        Command::Migrate => {
            tracing::info!("migrations applied");
            store.close().await;
        }
        Command::Demo(args) => {
            let summary = demo::load_demo(&store, clock.now()).await?;
            if let Some(n) = args.tickets {
                generate(&store, clock.now(), &args.tenant, n).await?;
            }
            store.close().await;
            print_accounts(&summary);
        }
        Command::Import(command) => {
            let result = import::run(&store, clock.now(), &command).await;
            store.close().await;
            result?;
        }
        Command::Ingest(command) => {
            let result = ingest::run(&store, clock.clone(), &command).await;
            store.close().await;
            result?;
        }
        Command::Bench(args) => {
            bench::run(store.clone(), &args).await?;
            store.close().await;
        }
        Command::Admin(AdminCommand::Token(args)) => {
            let secret = admin::create_token(&store, clock.now(), &args).await?;
            store.close().await;
            println!("{secret}");
        }
        Command::Admin(AdminCommand::CreateUser(args)) => {
            admin::create_user(&store, clock.now(), &args).await?;
            store.close().await;
            tracing::info!(login = %args.login, "user created");
        }
        Command::Admin(AdminCommand::IntegrationKey(args)) => {
            let secret = admin::create_integration_key(&store, clock.now(), &args).await?;
            store.close().await;
            println!("{secret}");
        }
    }
    Ok(())
}

/// Generates tickets with a progress bar on standard error.
async fn generate(
    store: &Store,
    now: vigie_core::Timestamp,
    tenant: &str,
    count: usize,
) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new(u64::try_from(count).unwrap_or(u64::MAX));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} tickets ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let done = demo::generate_tickets(store, now, tenant, count, |n| {
        bar.set_position(u64::try_from(n).unwrap_or(u64::MAX))
    })
    .await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{done} tickets generated in {tenant} in {secs:.1} s ({:.0} tickets/s)",
        done as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// Connects (creating the data folder for SQLite) and applies migrations.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.uses_sqlite() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data folder {}",
                config.data_dir.display()
            )
        })?;
    }
    let store = Store::connect(&config.database_url)
        .await
        .context("cannot connect to the database")?;
    store
        .migrate()
        .await
        .context("cannot apply the database migrations")?;
    tracing::debug!(backend = ?store.backend(), "database ready");
    Ok(store)
}

/// Prints the demo accounts as an aligned table.
fn print_accounts(summary: &demo::DemoSummary) {
    println!(
        "Demo organisation loaded ({} new records). Accounts:\n",
        summary.created
    );
    let header = ["login", "password", "tenant", "roles"];
    let rows: Vec<[&str; 4]> = summary
        .accounts
        .iter()
        .map(|a| [&*a.login, &*a.password, &*a.tenant, &*a.roles])
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}
