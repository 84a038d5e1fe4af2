//! `vigie serve`: binds the listener, starts the background jobs (absence
//! handover, SLA escalation, event processing) and serves the application
//! until Ctrl-C or SIGTERM, letting requests in flight finish, then stops
//! the jobs.

use crate::config::Config;
use anyhow::Context;
use vigie_server::{AppState, Clock, ServerConfig};
use vigie_store::Store;

/// Serves on the configured address with an already migrated store.
pub async fn serve(config: &Config, store: Store, clock: Clock) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    tracing::info!("Vigie listening on http://{addr}");
    let mail_ca = match &config.mail_ca_file {
        Some(path) => {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read mail_ca_file {}", path.display()))?;
            vigie_server::mail::imap::parse_ca_pem(&pem)
                .map_err(|e| anyhow::anyhow!("mail_ca_file {}: {e}", path.display()))?
        }
        None => Vec::new(),
    };
    let server_config = ServerConfig {
        mail_ca,
        cookie_secure: config.cookie_secure,
        event_retention_days: config.event_retention_days,
        smtp_url: config.smtp_url.clone(),
        public_url: config.public_url.clone(),
        mail_from: config.mail_from.clone(),
        ..ServerConfig::default()
    };
    let state = AppState::new(store.clone(), server_config, clock);
    // Leases name the instance: its address and process.
    let holder = format!("{addr}/{}", std::process::id());
    let jobs = vigie_server::jobs::Jobs::start(state.clone(), holder);
    let served = vigie_server::serve(listener, state, shutdown_signal()).await;
    jobs.stop().await;
    served.context("the server stopped on an error")?;
    store.close().await;
    tracing::info!("Vigie stopped");
    Ok(())
}

/// Completes on Ctrl-C, or on SIGTERM (what `docker stop` and systemd send).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down, finishing requests in flight");
}
