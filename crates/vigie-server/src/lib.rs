//! Vigie's HTTP shell: the `/api/v1` JSON API with its OpenAPI document, the
//! server-rendered web UI, authentication, and the operations endpoints.
//!
//! Handlers are thin: they authenticate, validate input with the core's
//! rules, call the store with the actor's scope, and map the result to JSON
//! or HTML. [`app`] builds the whole application as one `Router`, which
//! tests call without a socket.

pub mod api;
pub mod auth;
pub mod changes;
mod clock;
pub mod cmdb;
mod desk;
pub mod error;
pub mod events;
mod i18n;
pub mod jobs;
pub mod mail;
mod ops;
mod queue_view;
pub mod refusal;
pub mod releases;
pub mod sla;
pub mod web;

pub use clock::Clock;

use axum::Router;
use std::future::Future;
use std::sync::Arc;
use vigie_store::Store;

/// Settings the server needs, already validated by the binary.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Whether cookies carry the `Secure` attribute. Browsers honour secure
    /// cookies on `http://localhost` and `http://127.0.0.1`; turn this off
    /// only behind a plain-HTTP reverse proxy on another host name.
    pub cookie_secure: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a web session lives without a new login.
    pub session_hours: i64,
    /// Days the raw events of cleared or informational alerts are kept
    /// before they are compacted into their alert's counts.
    pub event_retention_days: u32,
    /// Where notification mails are sent (`smtp://host:port`, lettre's URL
    /// form); `None` keeps them in the outbox.
    pub smtp_url: Option<String>,
    /// The address users reach Vigie at, without a trailing `/`, for the
    /// links in mails.
    pub public_url: String,
    /// The `From` of notifications in tenants without an active mailbox
    /// ([`DEFAULT_MAIL_FROM`] when unset).
    pub mail_from: Option<String>,
    /// Certificate authorities trusted for IMAP and SMTP servers besides
    /// the web's (an organisation's own CA), from
    /// [`mail::imap::parse_ca_pem`].
    pub mail_ca: Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>>,
}

/// The `From` of notifications when neither a mailbox nor the settings
/// give one.
pub const DEFAULT_MAIL_FROM: &str = "vigie@localhost";

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            cookie_secure: true,
            max_body_bytes: 1024 * 1024,
            session_hours: 12,
            event_retention_days: 30,
            smtp_url: None,
            public_url: "http://127.0.0.1:8080".into(),
            mail_from: None,
            mail_ca: Vec::new(),
        }
    }
}

/// What every handler can reach: the store, the clock and the settings.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    config: ServerConfig,
    events: events::Processor,
    events_waiting: tokio::sync::Notify,
}

impl AppState {
    /// Builds the state.
    pub fn new(store: Store, config: ServerConfig, clock: Clock) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                store,
                clock,
                config,
                events: events::Processor::default(),
                events_waiting: tokio::sync::Notify::new(),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The event processor of this instance.
    pub fn event_processor(&self) -> &events::Processor {
        &self.inner.events
    }

    /// Woken when events were stored, so the processor need not wait for
    /// its period.
    pub fn events_waiting(&self) -> &tokio::sync::Notify {
        &self.inner.events_waiting
    }
}

/// The whole application: API, web UI and operations endpoints.
pub fn app(state: AppState) -> Router {
    let max_body = state.config().max_body_bytes;
    Router::new()
        .merge(ops::router())
        .merge(api::router())
        .merge(web::router())
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(ops::track_metrics))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the application on `listener`, with the background jobs, until
/// `shutdown` completes; then lets requests in flight finish and stops the
/// jobs.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
