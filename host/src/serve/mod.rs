//! `serve`: many tenants' connectors in one process. Each `<tenant>.toml` of a directory is a
//! tenant (`tenant_file`); each runs its own task on the one tokio runtime, syncing on its
//! schedule (`schedule`), or in ConductorOne service mode with its own client
//! (`service_tenant`), with its own settings, credential and HTTP capability, on components
//! compiled once (`components`). The directory is read again every few seconds (`directory`),
//! so adding, changing or removing a file takes effect without a restart. A replica of a
//! StatefulSet serves its share of the tenants (`shard`). Prometheus figures and probes are
//! served over HTTP (`metrics`, `endpoints`); `status` reads what the files say for `tenants`.

pub mod components;
pub mod directory;
mod endpoints;
pub mod metrics;
pub mod schedule;
mod service_tenant;
pub mod shard;
pub mod status;
mod tenant;
pub mod tenant_file;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use self::components::Components;
use self::directory::read_tenants;
use self::metrics::Metrics;
use self::shard::Shard;
use self::tenant_file::{TenantFileError, TenantSpec};
use crate::cli::LimitArgs;
use crate::operations::RunSettings;
use crate::runtime::Runtime;
use crate::transport::NetworkSettings;

/// How `serve` runs.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The directory of tenant files.
    pub tenants_dir: PathBuf,
    /// Where the metrics and probes listen; `None` for nowhere.
    pub listen: Option<SocketAddr>,
    /// This replica's share of the tenants.
    pub shard: Shard,
    /// Syncs running at once over all tenants (each tenant runs one at a time).
    pub max_concurrent_syncs: usize,
    /// The most plugin calls one tenant's sync may run at once (its `concurrency`).
    pub max_tenant_concurrency: usize,
    /// The most memory a tenant's instances may have (its `memory-mib`), in MiB.
    pub max_tenant_memory_mib: usize,
    /// How often the directory is read again.
    pub reload_every: Duration,
    /// First wait before a failed tenant tries again; it doubles up to the tenant's interval.
    pub failure_backoff: Duration,
    /// How long a shutdown waits for running syncs to reach a checkpoint.
    pub shutdown_grace: Duration,
    /// The tenants' limits where their files say nothing.
    pub limits: LimitArgs,
    /// Proxy and trusted roots.
    pub network: NetworkSettings,
    /// The longest time between a sync's checkpoints; `None` for the engine's default.
    pub checkpoint_interval: Option<Duration>,
}

impl ServeOptions {
    /// Defaults for `dir`: no listener, one shard, 16 syncs at once, reading every 5 s.
    pub fn new(dir: impl Into<PathBuf>) -> ServeOptions {
        ServeOptions {
            tenants_dir: dir.into(),
            listen: None,
            shard: Shard::default(),
            max_concurrent_syncs: 16,
            max_tenant_concurrency: 16,
            max_tenant_memory_mib: 256,
            reload_every: Duration::from_secs(5),
            failure_backoff: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(25),
            limits: LimitArgs::default(),
            network: NetworkSettings::default(),
            checkpoint_interval: None,
        }
    }
}

/// Why `serve` could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listen address could not be bound.
    #[error("could not listen on {addr}: {cause}; pick another --listen (BATON_LISTEN) address")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The tenants directory is unreadable at start.
    #[error(transparent)]
    Directory(#[from] directory::DirectoryError),
}

/// State every tenant task and endpoint shares.
pub(crate) struct Shared {
    options: ServeOptions,
    components: Components,
    metrics: Metrics,
    permits: Arc<Semaphore>,
    /// Set at shutdown: running syncs stop at their next checkpoint.
    stop: crate::sync::StopRequest,
    stopping: watch::Sender<bool>,
    read_once: AtomicBool,
    syncing: AtomicUsize,
    served: AtomicUsize,
    invalid: AtomicUsize,
}

impl Shared {
    fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    fn is_ready(&self) -> bool {
        self.read_once.load(Ordering::SeqCst) && !self.is_stopping()
    }

    /// The figures as of now, the tenants' states included.
    fn render_metrics(&self) -> String {
        let syncing = self.syncing.load(Ordering::SeqCst);
        let served = self.served.load(Ordering::SeqCst);
        self.metrics.tenants(
            served.saturating_sub(syncing),
            syncing,
            self.invalid.load(Ordering::SeqCst),
        );
        self.metrics.render()
    }

    fn health(&self) -> (StatusCode, String) {
        if self.is_stopping() {
            (StatusCode::SERVICE_UNAVAILABLE, "stopping\n".into())
        } else {
            (
                StatusCode::OK,
                format!(
                    "ok: {} syncing, {} plugin instances\n",
                    self.syncing.load(Ordering::SeqCst),
                    crate::runtime::live_instances()
                ),
            )
        }
    }
}

/// A tenant being served.
struct Served {
    bytes: Vec<u8>,
    spec: watch::Sender<Option<Arc<TenantSpec>>>,
    task: JoinHandle<()>,
}

/// A tenant file that was reported and is skipped.
struct Skipped {
    bytes: Vec<u8>,
    message: String,
    /// Whether to check it again on every read (its component may appear) rather than only
    /// when the file changes.
    recheck: bool,
}

/// A bound server, ready to run.
pub struct Server {
    shared: Arc<Shared>,
    listener: Option<tokio::net::TcpListener>,
}

impl Server {
    /// Binds the listen address and checks the tenants directory; `runtime` runs every tenant.
    pub async fn bind(runtime: Runtime, options: ServeOptions) -> Result<Server, ServeError> {
        read_tenants(&options.tenants_dir)?;
        let listener = match options.listen {
            Some(addr) => Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|cause| ServeError::Listen { addr, cause })?,
            ),
            None => None,
        };
        let (stopping, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            permits: Arc::new(Semaphore::new(options.max_concurrent_syncs.max(1))),
            components: Components::new(runtime),
            metrics: Metrics::new(),
            stop: crate::sync::StopRequest::new(),
            stopping,
            read_once: AtomicBool::new(false),
            syncing: AtomicUsize::new(0),
            served: AtomicUsize::new(0),
            invalid: AtomicUsize::new(0),
            options,
        });
        Ok(Server { shared, listener })
    }

    /// Where the metrics and probes listen, if anywhere.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serves the tenants until `shutdown` completes; then stops scheduling, asks running syncs
    /// to stop at their next checkpoint, waits for them (at most the grace period) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
        let shared = self.shared;
        let endpoints = self.listener.map(|listener| {
            let router = endpoints::router(shared.clone());
            let mut stopping = shared.stopping.subscribe();
            tokio::spawn(async move {
                let stopped = async move {
                    let _ = stopping.wait_for(|s| *s).await;
                };
                if let Err(e) = axum::serve(listener, router)
                    .with_graceful_shutdown(stopped)
                    .await
                {
                    tracing::error!("the metrics endpoint stopped: {e}");
                }
            })
        });
        let s = &shared.options.shard;
        tracing::info!(
            dir = %shared.options.tenants_dir.display(),
            shard = s.index,
            shards = s.count,
            max_concurrent_syncs = shared.options.max_concurrent_syncs,
            "serving tenants"
        );
        let mut served: BTreeMap<String, Served> = BTreeMap::new();
        let mut skipped: BTreeMap<String, Skipped> = BTreeMap::new();
        let mut retired: Vec<JoinHandle<()>> = Vec::new();
        let mut directory_error: Option<String> = None;
        tokio::pin!(shutdown);
        loop {
            match read_tenants(&shared.options.tenants_dir) {
                Ok(found) => {
                    directory_error = None;
                    reconcile(&shared, found, &mut served, &mut skipped, &mut retired).await;
                    shared.read_once.store(true, Ordering::SeqCst);
                }
                Err(e) => {
                    // Keep serving what is known; say so once per distinct failure.
                    let shown = e.to_string();
                    if directory_error.as_ref() != Some(&shown) {
                        tracing::error!("{shown}; the tenants already read keep running");
                        directory_error = Some(shown);
                    }
                }
            }
            retired.retain(|t| !t.is_finished());
            shared.served.store(served.len(), Ordering::SeqCst);
            shared.invalid.store(skipped.len(), Ordering::SeqCst);
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(shared.options.reload_every) => {}
            }
        }
        tracing::info!(
            syncing = shared.syncing.load(Ordering::SeqCst),
            "shutting down: no new syncs; running syncs stop at their next checkpoint"
        );
        shared.stopping.send_replace(true);
        shared.stop.request();
        let tasks: Vec<JoinHandle<()>> = served
            .into_values()
            .map(|s| s.task)
            .chain(retired)
            .collect();
        let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
        let all = futures_join(tasks);
        if tokio::time::timeout(shared.options.shutdown_grace, all)
            .await
            .is_err()
        {
            tracing::warn!(
                "syncs still running after the grace period stop now; their in-progress files keep the last checkpoint"
            );
            for a in aborts {
                a.abort();
            }
        }
        if let Some(endpoints) = endpoints {
            endpoints.abort();
        }
        Ok(())
    }
}

async fn futures_join(tasks: Vec<JoinHandle<()>>) {
    for t in tasks {
        let _ = t.await;
    }
}

/// Brings the served tenants in line with the files found: starts new ones, hands changed
/// files to their tasks, retires removed ones, reports bad files once.
async fn reconcile(
    shared: &Arc<Shared>,
    found: BTreeMap<String, directory::TenantEntry>,
    served: &mut BTreeMap<String, Served>,
    skipped: &mut BTreeMap<String, Skipped>,
    retired: &mut Vec<JoinHandle<()>>,
) {
    let shard = shared.options.shard;
    let found: BTreeMap<_, _> = found
        .into_iter()
        .filter(|(name, _)| shard.owns(name))
        .collect();
    for name in served.keys().cloned().collect::<Vec<_>>() {
        if !found.contains_key(&name) {
            let gone = served.remove(&name).expect("listed");
            tracing::info!(tenant = %name, "tenant file removed: the tenant stops (a sync in progress finishes first)");
            gone.spec.send_replace(None);
            retired.push(gone.task);
        }
    }
    skipped.retain(|name, _| found.contains_key(name));
    for (name, entry) in found {
        if served.get(&name).is_some_and(|s| s.bytes == entry.bytes) {
            continue;
        }
        if skipped
            .get(&name)
            .is_some_and(|s| s.bytes == entry.bytes && !s.recheck)
        {
            continue;
        }
        match check(shared, &entry).await {
            Ok(spec) => {
                skipped.remove(&name);
                let spec = Arc::new(spec);
                match served.get_mut(&name) {
                    Some(s) => {
                        tracing::info!(tenant = %name, file = %entry.path.display(), "tenant file changed: takes effect after a sync in progress");
                        s.bytes = entry.bytes;
                        s.spec.send_replace(Some(spec));
                    }
                    None => {
                        tracing::info!(tenant = %name, file = %entry.path.display(), schedule = %spec.schedule.describe(), "tenant added");
                        let (tx, rx) = watch::channel(Some(spec));
                        let task = tenant::spawn(shared.clone(), name.clone(), rx);
                        served.insert(
                            name,
                            Served {
                                bytes: entry.bytes,
                                spec: tx,
                                task,
                            },
                        );
                    }
                }
            }
            Err((e, recheck)) => {
                let message = e.to_string();
                let repeated = skipped.get(&name).is_some_and(|s| s.message == message);
                if !repeated {
                    let what = if served.contains_key(&name) {
                        "the tenant keeps its previous configuration until the file is fixed"
                    } else {
                        "the tenant is skipped until the file is fixed"
                    };
                    tracing::error!(tenant = %name, file = %entry.path.display(), key = e.key.as_deref().unwrap_or(""), "{message}; {what}");
                }
                skipped.insert(
                    name,
                    Skipped {
                        bytes: entry.bytes,
                        message,
                        recheck,
                    },
                );
            }
        }
    }
}

/// Parses a tenant file and checks it against its component's schema, without reading any
/// secret; the error says whether to check again on the next read (the component may appear).
async fn check(
    shared: &Shared,
    entry: &directory::TenantEntry,
) -> Result<TenantSpec, (TenantFileError, bool)> {
    let err = |key: Option<&str>, message: String| TenantFileError {
        path: entry.path.clone(),
        key: key.map(str::to_string),
        message,
    };
    let text = std::str::from_utf8(&entry.bytes)
        .map_err(|_| (err(None, "is not UTF-8 text".into()), false))?;
    let spec = TenantSpec::parse(&entry.path, text).map_err(|e| (e, false))?;
    let o = &shared.options;
    let limits = spec.limits.over(&o.limits);
    if limits.concurrency > o.max_tenant_concurrency {
        return Err((
            err(
                Some("limits.concurrency"),
                format!(
                    "{} is above this server's --max-tenant-concurrency {}",
                    limits.concurrency, o.max_tenant_concurrency
                ),
            ),
            false,
        ));
    }
    if limits.memory_limit_mib > o.max_tenant_memory_mib {
        return Err((
            err(
                Some("limits.memory-mib"),
                format!(
                    "{} is above this server's --max-tenant-memory-mib {}",
                    limits.memory_limit_mib, o.max_tenant_memory_mib
                ),
            ),
            false,
        ));
    }
    let component = shared
        .components
        .get(&spec.plugin)
        .await
        .map_err(|m| (err(Some("plugin"), m), true))?;
    let given = spec
        .given(&component.schema, false)
        .map_err(|e| (e, false))?;
    RunSettings::new(
        component,
        given,
        limits.run_limits(),
        NetworkSettings::default(),
        true,
    )
    .map_err(|e| (settings_error(&spec, &e.to_string()), false))?;
    Ok(spec)
}

/// A settings error of a tenant as a tenant file error, naming the `[config]` key when the
/// message names its flag.
pub(crate) fn settings_error(spec: &TenantSpec, message: &str) -> TenantFileError {
    let key = message
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .find_map(|w| w.strip_prefix("--"))
        .map(|k| format!("config.{}", k.trim_end_matches("-file")));
    TenantFileError {
        path: spec.path.clone(),
        key,
        message: message.to_string(),
    }
}
