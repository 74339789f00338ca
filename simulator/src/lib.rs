//! A Bitbucket Cloud REST API simulator: a real HTTP server on 127.0.0.1 with seeded data,
//! latency/fault/429 injection, Bitbucket's rolling-window rate limit, a request log, and the
//! ground truth a correct sync must produce.
//!
//! Follows `reference/bitbucket-api.md` (paged envelopes with absolute `next` links, pagelen
//! 1..=100, braces in uuids, 1.0 groups as bare arrays, text/plain 429 without `Retry-After`) and
//! `docs/bitbucket-model.md` for the ground truth.
//!
//! ```no_run
//! use bitbucket_simulator::{Scale, Simulator, SimulatorConfig, View};
//! let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
//! println!("{} {:?}", sim.base_url(), sim.credentials());
//! let truth = sim.ground_truth(View::Admin);
//! # let _ = truth;
//! ```

#![recursion_limit = "256"]

pub mod access;
pub mod auth;
pub mod data;
pub mod faults;
pub mod in_flight;
pub mod log;
pub mod plan;
mod render;
pub mod rolling;
mod routes;
pub mod truth;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use access::ReadRules;
pub use data::Dataset;
pub use faults::RateLimit;
pub use log::{LoggedRequest, RequestLog};
pub use rolling::RollingLimit;
pub use truth::{GroundTruth, View};

/// Data-set size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scale {
    /// ~25 users, 4 workspaces (the edge cases need them), ~30 repositories.
    Small,
    /// 5 workspaces, 300 users, 30 groups, 40 projects, 600 repositories, ~1,000 explicit grants.
    Medium,
    /// 7 workspaces, 3,000 users, 200 groups, 300 projects, 10,000 repositories, ~15,000 explicit grants.
    Large,
}

impl std::str::FromStr for Scale {
    type Err = SimulatorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "small" => Ok(Scale::Small),
            "medium" => Ok(Scale::Medium),
            "large" => Ok(Scale::Large),
            other => Err(SimulatorError::Config(format!("unknown scale {other:?}"))),
        }
    }
}

/// The default seed of [`SimulatorConfig::new`].
pub const DEFAULT_SEED: u64 = 0x00b1_7b0c;

/// How to seed and run a simulator.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Data-set size.
    pub scale: Scale,
    /// Seed of the deterministic data generator.
    pub seed: u64,
    /// Added latency per request.
    pub latency: Duration,
    /// Fraction (0..=1) of requests answered 500/502/503, in a deterministic sequence.
    pub fault_rate: f64,
    /// Optional deterministic 429 pattern.
    pub rate_limit: Option<RateLimit>,
    /// Optional rolling-window limit per credential, answered with 429 as Bitbucket does.
    pub rolling_limit: Option<RollingLimit>,
    /// Port to bind on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// Whether `fields=+values.user.account_status` adds `account_status` to member listings.
    /// Real Bitbucket's behaviour is unknown; default false (the addition is ignored, like other
    /// unknown additions).
    pub member_status_in_listing: bool,
    /// Lifetime of OAuth access tokens (`expires_in`); 7200 s by default.
    pub oauth_token_ttl: Duration,
    /// The answers where the reference is silent on who may read an endpoint.
    pub read_rules: ReadRules,
}

impl SimulatorConfig {
    /// A configuration with the default seed, no latency, no faults, no rate limiting.
    pub fn new(scale: Scale) -> Self {
        SimulatorConfig {
            scale,
            seed: DEFAULT_SEED,
            latency: Duration::ZERO,
            fault_rate: 0.0,
            rate_limit: None,
            rolling_limit: None,
            port: 0,
            member_status_in_listing: false,
            oauth_token_ttl: Duration::from_secs(7200),
            read_rules: ReadRules::default(),
        }
    }
}

/// Test credentials of a running simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credentials {
    /// Admin's Atlassian e-mail (Basic user name).
    pub admin_email: String,
    /// Admin's API token (Basic password).
    pub api_token: String,
    /// Admin's uuid.
    pub admin_uuid: String,
    /// Workspace access token (Bearer), scoped to `access_token_workspace`.
    pub access_token: String,
    /// Slug of the access token's workspace.
    pub access_token_workspace: String,
    /// OAuth consumer key (owned by the admin).
    pub oauth_key: String,
    /// OAuth consumer secret.
    pub oauth_secret: String,
    /// A non-admin user's e-mail (Basic user name).
    pub user_email: String,
    /// The non-admin user's API token.
    pub user_api_token: String,
    /// The non-admin user's uuid.
    pub user_uuid: String,
}

/// Simulator errors.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    /// Binding or serving failed.
    #[error("simulator I/O error")]
    Io(#[from] std::io::Error),
    /// Bad configuration value.
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// The server thread ended before listening.
    #[error("simulator server thread failed to start")]
    Start,
}

/// Shared server state.
pub(crate) struct AppState {
    pub(crate) data: Mutex<Dataset>,
    pub(crate) faults: Mutex<faults::Faults>,
    pub(crate) log: Mutex<RequestLog>,
    pub(crate) rolling: Mutex<rolling::RollingCounts>,
    pub(crate) creds: Credentials,
    pub(crate) oauth: Mutex<OAuthTokens>,
    pub(crate) member_status_in_listing: bool,
    pub(crate) oauth_token_ttl: Duration,
    pub(crate) read_rules: ReadRules,
    /// Endpoint templates answered 403 whoever asks (see `Simulator::refuse`).
    pub(crate) refused: Mutex<std::collections::BTreeSet<String>>,
    /// Requests being answered at once.
    pub(crate) in_flight: in_flight::InFlight,
}

/// Issued OAuth tokens.
#[derive(Default)]
pub(crate) struct OAuthTokens {
    pub(crate) access: HashMap<String, Instant>,
    pub(crate) refresh: HashMap<String, ()>,
    pub(crate) counter: u64,
}

/// Locks a mutex, ignoring poisoning (state stays usable after a panicking handler).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running simulator; dropping it shuts the server down.
pub struct Simulator {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .finish()
    }
}

fn credentials(data: &Dataset) -> Credentials {
    let admin = data.user(&data.admin).expect("admin exists");
    let user = data.user(&data.non_admin).expect("non-admin exists");
    Credentials {
        admin_email: admin.email.clone(),
        api_token: "ATATT-sim-admin-api-token-0001".into(),
        admin_uuid: admin.uuid.clone(),
        access_token: "ATCTT-sim-workspace-access-token-0001".into(),
        access_token_workspace: data.access_token_workspace.clone(),
        oauth_key: "simOAuthKey0001".into(),
        oauth_secret: "simOAuthSecret0001".into(),
        user_email: user.email.clone(),
        user_api_token: "ATATT-sim-user-api-token-0002".into(),
        user_uuid: user.uuid.clone(),
    }
}

impl Simulator {
    /// Binds 127.0.0.1 (port 0 = any) and serves on a background thread with its own tokio
    /// runtime; returns once listening. Callable from sync code and from inside a tokio runtime.
    pub fn start(config: SimulatorConfig) -> Result<Simulator, SimulatorError> {
        if !(0.0..=1.0).contains(&config.fault_rate) {
            return Err(SimulatorError::Config(format!(
                "fault_rate {} not in 0..=1",
                config.fault_rate
            )));
        }
        let data = data::seed(config.scale, config.seed);
        let creds = credentials(&data);
        let state = Arc::new(AppState {
            data: Mutex::new(data),
            faults: Mutex::new(faults::Faults::new(
                config.fault_rate,
                config.rate_limit,
                config.latency,
            )),
            log: Mutex::new(RequestLog::default()),
            rolling: Mutex::new(rolling::RollingCounts::new(config.rolling_limit)),
            refused: Mutex::new(Default::default()),
            in_flight: Default::default(),
            creds,
            oauth: Mutex::new(OAuthTokens::default()),
            member_status_in_listing: config.member_status_in_listing,
            oauth_token_ttl: config.oauth_token_ttl,
            read_rules: config.read_rules,
        });
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), std::io::Error>>();
        let app = routes::router(state.clone());
        let thread = std::thread::Builder::new()
            .name("bitbucket-simulator".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    // Stop at once on shutdown: dropping the runtime cancels open connections.
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = rx => {}
                    }
                });
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(SimulatorError::Io(e)),
            Err(_) => return Err(SimulatorError::Start),
        }
        Ok(Simulator {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`; the API is under `/2.0` and `/1.0`, the OAuth token endpoint at
    /// `/site/oauth2/access_token`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The test credentials.
    pub fn credentials(&self) -> Credentials {
        self.state.creds.clone()
    }

    /// A snapshot of the request log.
    pub fn request_log(&self) -> RequestLog {
        lock(&self.state.log).clone()
    }

    /// Clears the request log.
    pub fn reset_request_log(&self) {
        *lock(&self.state.log) = RequestLog::default();
    }

    /// Replaces the fault settings (and restarts their deterministic sequences).
    pub fn set_faults(&self, fault_rate: f64, rate_limit: Option<RateLimit>, latency: Duration) {
        lock(&self.state.faults).set(fault_rate, rate_limit, latency);
    }

    /// Replaces the rolling-window limit (and forgets what it counted).
    pub fn set_rolling_limit(&self, limit: Option<RollingLimit>) {
        *lock(&self.state.rolling) = rolling::RollingCounts::new(limit);
    }

    /// Answers these endpoint templates (as in the request log, e.g. `GET /1.0/groups/{workspace}`)
    /// with 403 for every caller, as Bitbucket does when a token lacks a scope or an
    /// organisation's policy blocks an API; an empty list lifts the refusal.
    pub fn refuse(&self, endpoints: &[&str]) {
        *lock(&self.state.refused) = endpoints.iter().map(|e| e.to_string()).collect();
    }

    /// The most requests the simulator has answered at once (from arrival to response).
    pub fn most_in_flight(&self) -> usize {
        self.state.in_flight.most()
    }

    /// A snapshot of the current state.
    pub fn dataset(&self) -> Dataset {
        lock(&self.state.data).clone()
    }

    /// The ground truth of the current state as seen by `view`.
    pub fn ground_truth(&self, view: View) -> GroundTruth {
        truth::compute_with(&lock(&self.state.data), view, self.state.read_rules)
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The seeded dataset of a scale and seed, without a server.
pub fn seeded(scale: Scale, seed: u64) -> Dataset {
    data::seed(scale, seed)
}
