//! The HTTP API of grantledger (DESIGN.md "HTTP"): axum routes under
//! `/api/v1`, problem+json errors, and the [`Service`] that admits, appends and
//! folds events, shared with the CLI.
#![deny(missing_docs)]

pub mod auth;
mod error;
pub mod export;
pub mod openapi;
pub mod personal;
pub mod query;
pub mod request;
pub mod routes;
pub mod service;
pub mod transparency;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use grantledger_store::{EventLog, SledLog};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::ApiError;
pub use service::Service;
use transparency::Notary;

/// Server settings; units in the names.
#[derive(Clone, Debug)]
pub struct Config {
    /// The sled data directory (created if missing).
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Largest request body accepted, in bytes (413 above).
    pub max_body_bytes: usize,
    /// Most events in one batch (413 above).
    pub max_batch: usize,
    /// Requests taking longer are answered 408.
    pub request_timeout_secs: u64,
    /// Requests served at once; more wait their turn.
    pub max_concurrent_requests: usize,
    /// Sign checkpoints with the key in `DATA_DIR/checkpoint.key` (made on first start).
    pub sign_checkpoints: bool,
    /// Sign with the key at this path instead (C2SP `PRIVATE+KEY+…` encoding, mode 0600).
    pub signing_key: Option<PathBuf>,
    /// Records between the in-memory snapshots of the head state (0 = none):
    /// findings, budget, participants and reports at an older prefix fold at
    /// most this many records from the nearest one; each costs memory.
    /// Indicators at any prefix do not use them (docs/adr/0003).
    pub snapshot_every: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("grantledger-data"),
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 4 * 1024 * 1024,
            max_batch: 5_000,
            request_timeout_secs: 60,
            max_concurrent_requests: 256,
            sign_checkpoints: true,
            signing_key: None,
            snapshot_every: service::SNAPSHOT_EVERY,
        }
    }
}

/// What every handler shares.
pub struct AppState {
    /// The ledger service.
    pub service: Service,
    /// The settings.
    pub config: Config,
    /// The bearer tokens of `DATA_DIR/tokens.json` (re-read when it changes).
    pub auth: Arc<auth::Authenticator>,
}

/// The whole API as a router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let max_body = state.config.max_body_bytes;
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let auth = state.auth.clone();
    let concurrency = state.config.max_concurrent_requests.max(1);
    Router::new()
        .merge(routes::health::router())
        .merge(routes::events::router())
        .merge(routes::reads::router())
        .merge(routes::reads::compliance_router())
        .merge(routes::proofs::router())
        .merge(routes::reports::router())
        .merge(openapi::router())
        .merge(routes::erase::router())
        .fallback(|| async {
            ApiError::not_found("no such endpoint; see /api/v1 in README.md (health: GET /healthz)")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                405,
                "Method not allowed",
                "this endpoint does not take that method; writes are POST /api/v1/events",
            )
        })
        .layer(DefaultBodyLimit::max(max_body))
        // Before routing: 401/403 never depend on whether the route or resource exists.
        .layer(axum::middleware::from_fn_with_state(auth, auth::require))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // Any error answer not already problem+json (extractor rejections,
        // the timeout's 408) becomes one, so every 4xx/5xx reads alike.
        .layer(axum::middleware::map_response(error::problemize))
        // Never log tokens: no headers in spans or events, and the
        // Authorization header marked sensitive before anything sees it.
        // A request id on every request (`x-request-id`, kept if the client sent
        // one), in the trace span and echoed on the answer.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().include_headers(false)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
        ]))
        .layer(tower::limit::ConcurrencyLimitLayer::new(concurrency))
        .with_state(state)
}

/// The token checker of `config.data_dir`; refuses a non-loopback address
/// while no token is active (the API would answer every request 401).
fn authenticator(config: &Config) -> anyhow::Result<Arc<auth::Authenticator>> {
    let auth = Arc::new(auth::Authenticator::new(&config.data_dir));
    if auth.store().active_count()? == 0 && !config.addr.ip().is_loopback() {
        anyhow::bail!(
            "refusing to listen on {} (not a loopback address) while {} holds no active token; \
             make one first: grantledger token add --role admin --name NAME --data-dir {}",
            config.addr,
            auth.store().path().display(),
            config.data_dir.display()
        );
    }
    Ok(auth)
}

/// A built server: the log opened, the head folded, the port bound.
pub struct Application {
    listener: TcpListener,
    state: Arc<AppState>,
}

impl Application {
    /// Opens the sled log in `config.data_dir` and binds `config.addr`.
    ///
    /// # Errors
    /// `config.addr` is not a loopback address and `DATA_DIR/tokens.json` holds
    /// no active token; the token file does not parse; the log cannot be opened
    /// or verified, or the address cannot be bound.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        authenticator(&config)?;
        let log: Arc<dyn EventLog> = Arc::new(SledLog::open(&config.data_dir)?);
        Self::with_log(config, log).await
    }

    /// Like [`Application::build`] over an already opened log.
    ///
    /// # Errors
    /// As [`Application::build`] for tokens; the head cannot be folded or the
    /// address cannot be bound.
    pub async fn with_log(config: Config, log: Arc<dyn EventLog>) -> anyhow::Result<Application> {
        let notary = match &config.signing_key {
            Some(path) => Some(Notary::open(&config.data_dir, Some(path))?),
            None if config.sign_checkpoints => Some(Notary::open(&config.data_dir, None)?),
            None => None,
        };
        let auth = authenticator(&config)?;
        let every = config.snapshot_every;
        let service =
            tokio::task::spawn_blocking(move || Service::open_with(log, notary, every)).await??;
        let listener = TcpListener::bind(config.addr).await?;
        Ok(Application {
            listener,
            state: Arc::new(AppState {
                service,
                config,
                auth,
            }),
        })
    }

    /// The bound address (useful with port 0).
    ///
    /// # Errors
    /// The socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    ///
    /// # Errors
    /// The server fails.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, router(self.state))
            .with_graceful_shutdown(shutdown)
            .await
    }
}
