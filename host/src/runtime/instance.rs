//! One live instance of a plugin, and the guarded way to call into it: every call runs under a
//! CPU deadline (epochs) and a wall-clock timeout, and a trap poisons the instance.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use wasmtime::{Store, UpdateDeadline};

use wasmtime::Engine;

use super::bindings::since_v0_1_0::{self as v0_1, Adapt};
use super::bindings::{ComponentPre, latest, types};
use super::legacy;
use super::limits::{EPOCH_TICK, Limits};
use super::plugin_log::PluginLog;
use super::state::TenantState;
use crate::http::{CallDeadline, HttpCapability, TimedOut};

/// Which limit stopped a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// Guest CPU time per call.
    Cpu,
    /// Linear memory per instance.
    Memory,
    /// Wall-clock time per call.
    WallClock,
}

/// Why a call into a plugin did not return a value.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The plugin ran into one of its limits; the instance was dropped.
    #[error("plugin {plugin}: `{function}` hit the {} limit ({limit_value}); the instance was stopped and dropped{}", limit_name(*.limit), hint(*.limit))]
    Limit {
        /// The plugin's name.
        plugin: String,
        /// The export called.
        function: &'static str,
        /// Which limit.
        limit: LimitKind,
        /// The limit's value, human-readable.
        limit_value: String,
    },
    /// The plugin trapped (a panic, an abort, an invalid operation).
    #[error("plugin {plugin}: `{function}` crashed (trap: {message}); the instance was dropped")]
    Trap {
        /// The plugin's name.
        plugin: String,
        /// The export called.
        function: &'static str,
        /// wasmtime's description of the trap.
        message: String,
    },
    /// An earlier failure left the instance unusable.
    #[error("plugin {plugin}: the instance is unusable after an earlier failure; start a new run")]
    Poisoned {
        /// The plugin's name.
        plugin: String,
    },
    /// The plugin returned an error.
    #[error("{0}")]
    Connector(ConnectorError),
}

fn limit_name(limit: LimitKind) -> &'static str {
    match limit {
        LimitKind::Cpu => "CPU time per call",
        LimitKind::Memory => "memory",
        LimitKind::WallClock => "wall-clock time per call",
    }
}

fn hint(limit: LimitKind) -> &'static str {
    match limit {
        LimitKind::Cpu => "; raise --cpu-limit-seconds if the plugin legitimately needs more",
        LimitKind::Memory => "; raise --memory-limit-mib if the plugin legitimately needs more",
        LimitKind::WallClock => "; raise --call-timeout-seconds if the service is slow",
    }
}

/// An error the plugin itself returned, with the contract's classification.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConnectorError {
    /// The contract's error kind.
    pub kind: ErrorKind,
    /// The plugin's explanation.
    pub message: String,
}

/// The contract's error kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Credentials rejected.
    Unauthenticated,
    /// Not allowed.
    PermissionDenied,
    /// Does not exist.
    NotFound,
    /// Bad request or configuration.
    InvalidArgument,
    /// Rate limited after retries.
    RateLimited,
    /// Service unreachable or failing.
    Unavailable,
    /// A bug or an unexpected answer.
    Internal,
}

impl From<types::ConnectorError> for ConnectorError {
    fn from(e: types::ConnectorError) -> Self {
        use types::ConnectorError as E;
        let (kind, message) = match e {
            E::Unauthenticated(m) => (ErrorKind::Unauthenticated, m),
            E::PermissionDenied(m) => (ErrorKind::PermissionDenied, m),
            E::NotFound(m) => (ErrorKind::NotFound, m),
            E::InvalidArgument(m) => (ErrorKind::InvalidArgument, m),
            E::RateLimited(m) => (ErrorKind::RateLimited, m),
            E::Unavailable(m) => (ErrorKind::Unavailable, m),
            E::Internal(m) => (ErrorKind::Internal, m),
        };
        ConnectorError { kind, message }
    }
}

/// Raised from the epoch callback when a call used up its CPU time.
#[derive(Debug, thiserror::Error)]
#[error("guest CPU time limit exceeded")]
struct CpuLimitExceeded;

/// The component's exports, by the contract version it was built for.
enum Exports {
    Latest(latest::Connector),
    V0_1(v0_1::Connector),
}

/// A live instance. Drop it after any `Limit`/`Trap` error: it refuses further calls.
pub struct Instance {
    store: Store<TenantState>,
    connector: Exports,
    plugin: String,
    limits: Limits,
    poisoned: bool,
}

/// Runs one export under the instance's limits and classifies the outcome.
macro_rules! guarded {
    ($self:ident, $name:literal, |$conn:ident, $store:ident| $call:expr) => {{
        if $self.poisoned {
            return Err(CallError::Poisoned {
                plugin: $self.plugin.clone(),
            });
        }
        let deadline = arm(&mut $self.store, &$self.limits);
        let result = {
            let $conn = &$self.connector;
            let $store = &mut $self.store;
            deadline.run($call).await
        };
        $self.settle($name, result)
    }};
}

impl Instance {
    pub(super) async fn new(
        plugin: &str,
        engine: &Engine,
        pre: &ComponentPre,
        limits: Limits,
        http: HttpCapability,
        config: BTreeMap<String, String>,
        log: PluginLog,
    ) -> Result<Instance, CallError> {
        let state = TenantState::new(log, limits.memory_bytes, http, config);
        let mut store = Store::new(engine, state);
        store.limiter(|s| &mut s.limits);
        let cpu = limits.cpu_per_call;
        store.epoch_deadline_callback(move |ctx| {
            let used = ctx.data().guest_time();
            if used >= cpu {
                return Err(wasmtime::Error::new(CpuLimitExceeded));
            }
            // Busy guest code gives its thread back to the other tenants every slice; the time
            // it then waits to be polled again is not its CPU time.
            let queued = ctx.data().queued.clone();
            Ok(UpdateDeadline::YieldCustom(
                ticks(cpu - used).min(SLICE_TICKS),
                Box::pin(async move {
                    let since = Instant::now();
                    tokio::task::yield_now().await;
                    let waited = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    queued.fetch_add(waited, Ordering::Relaxed);
                }),
            ))
        });
        arm(&mut store, &limits);
        let instantiated = tokio::time::timeout(limits.wall_per_call, async {
            match pre {
                ComponentPre::Latest(pre) => {
                    pre.instantiate_async(&mut store).await.map(Exports::Latest)
                }
                ComponentPre::V0_1(pre) => {
                    pre.instantiate_async(&mut store).await.map(Exports::V0_1)
                }
            }
        })
        .await;
        let connector = match instantiated {
            Ok(Ok(connector)) => connector,
            Ok(Err(err)) => return Err(classify(plugin, "instantiate", &limits, &err)),
            Err(_) => {
                return Err(CallError::Limit {
                    plugin: plugin.to_string(),
                    function: "instantiate",
                    limit: LimitKind::WallClock,
                    limit_value: format!("{:?}", limits.wall_per_call),
                });
            }
        };
        LIVE_INSTANCES.fetch_add(1, Ordering::Relaxed);
        Ok(Instance {
            store,
            connector,
            plugin: plugin.to_string(),
            limits,
            poisoned: false,
        })
    }

    /// The plugin's name.
    pub fn plugin(&self) -> &str {
        &self.plugin
    }

    /// Time this instance's calls have spent running guest code so far: their wall time less
    /// the time in host imports (HTTP above all) and waiting to be polled again.
    pub fn guest_time(&self) -> Duration {
        self.store.data().guest_spent
    }

    /// Turns a guarded call's outcome into a value or a `CallError`, poisoning on traps.
    fn settle<T>(
        &mut self,
        function: &'static str,
        result: Result<wasmtime::Result<Result<T, types::ConnectorError>>, TimedOut>,
    ) -> Result<T, CallError> {
        let state = self.store.data_mut();
        state.call_deadline = None;
        state.guest_spent += state.guest_time();
        match result {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(err))) => Err(CallError::Connector(err.into())),
            Ok(Err(err)) => {
                self.poisoned = true;
                Err(classify(&self.plugin, function, &self.limits, &err))
            }
            Err(_) => {
                self.poisoned = true;
                Err(CallError::Limit {
                    plugin: self.plugin.clone(),
                    function,
                    limit: LimitKind::WallClock,
                    limit_value: format!("{:?}", self.limits.wall_per_call),
                })
            }
        }
    }

    /// `metadata` export: the component's declaration (a 0.1.0 component's completed by the
    /// host, see `legacy`).
    pub async fn metadata(&mut self) -> Result<types::Metadata, CallError> {
        guarded!(self, "metadata", |c, s| async {
            match c {
                Exports::Latest(c) => c.call_metadata(s).await.map(Ok),
                Exports::V0_1(c) => c.call_metadata(s).await.map(|m| {
                    Ok(legacy::metadata(
                        m.display_name,
                        m.description,
                        m.version,
                        &m.config_keys,
                    ))
                }),
            }
        })
    }

    /// `validate` export.
    pub async fn validate(&mut self) -> Result<(), CallError> {
        guarded!(self, "validate", |c, s| async {
            match c {
                Exports::Latest(c) => c.call_validate(s).await,
                Exports::V0_1(c) => c.call_validate(s).await.map(Adapt::adapt),
            }
        })
    }

    /// `resource-types` export.
    pub async fn resource_types(&mut self) -> Result<Vec<types::ResourceType>, CallError> {
        guarded!(self, "resource-types", |c, s| async {
            match c {
                Exports::Latest(c) => c.call_resource_types(s).await,
                Exports::V0_1(c) => c.call_resource_types(s).await.map(Adapt::adapt),
            }
        })
    }

    /// `list-resources` export.
    pub async fn list_resources(
        &mut self,
        resource_type: &str,
        parent: Option<&types::ResourceId>,
        page_token: &str,
    ) -> Result<types::ResourcePage, CallError> {
        guarded!(self, "list-resources", |c, s| async {
            match c {
                Exports::Latest(c) => {
                    c.call_list_resources(s, resource_type, parent, page_token)
                        .await
                }
                Exports::V0_1(c) => {
                    let parent = parent.cloned().adapt();
                    c.call_list_resources(s, resource_type, parent.as_ref(), page_token)
                        .await
                        .map(Adapt::adapt)
                }
            }
        })
    }

    /// `list-entitlements` export.
    pub async fn list_entitlements(
        &mut self,
        resource: &types::ResourceInfo,
        page_token: &str,
    ) -> Result<types::EntitlementPage, CallError> {
        guarded!(self, "list-entitlements", |c, s| async {
            match c {
                Exports::Latest(c) => c.call_list_entitlements(s, resource, page_token).await,
                Exports::V0_1(c) => c
                    .call_list_entitlements(s, &resource.clone().adapt(), page_token)
                    .await
                    .map(Adapt::adapt),
            }
        })
    }

    /// `list-grants` export.
    pub async fn list_grants(
        &mut self,
        resource: &types::ResourceInfo,
        page_token: &str,
    ) -> Result<types::GrantPage, CallError> {
        guarded!(self, "list-grants", |c, s| async {
            match c {
                Exports::Latest(c) => c.call_list_grants(s, resource, page_token).await,
                Exports::V0_1(c) => c
                    .call_list_grants(s, &resource.clone().adapt(), page_token)
                    .await
                    .map(Adapt::adapt),
            }
        })
    }

    /// `grant` export.
    pub async fn grant(
        &mut self,
        principal: &types::ResourceInfo,
        entitlement: &types::Entitlement,
    ) -> Result<types::GrantOutcome, CallError> {
        guarded!(self, "grant", |c, s| async {
            match c {
                Exports::Latest(c) => c.call_grant(s, principal, entitlement).await,
                Exports::V0_1(c) => c
                    .call_grant(s, &principal.clone().adapt(), &entitlement.clone().adapt())
                    .await
                    .map(Adapt::adapt),
            }
        })
    }

    /// `revoke` export.
    pub async fn revoke(
        &mut self,
        grant: &types::Grant,
    ) -> Result<types::RevokeOutcome, CallError> {
        guarded!(self, "revoke", |c, s| async {
            match c {
                Exports::Latest(c) => c.call_revoke(s, grant).await,
                Exports::V0_1(c) => c
                    .call_revoke(s, &grant.clone().adapt())
                    .await
                    .map(Adapt::adapt),
            }
        })
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        LIVE_INSTANCES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Instances alive in this process, of every plugin and tenant.
static LIVE_INSTANCES: AtomicUsize = AtomicUsize::new(0);

/// How many plugin instances are alive in this process.
pub fn live_instances() -> usize {
    LIVE_INSTANCES.load(Ordering::Relaxed)
}

/// Epoch ticks of busy guest code between two yields to the other tasks of the runtime.
const SLICE_TICKS: u64 = 10;

/// Arms a call: the CPU deadline (in slices, between which busy guest code yields to the other
/// tasks of the runtime), and the wall-clock deadline that host calls see (and that waiting for
/// the request budget postpones).
fn arm(store: &mut Store<TenantState>, limits: &Limits) -> CallDeadline {
    let state = store.data_mut();
    state.call_started = Instant::now();
    state.host_time = Duration::ZERO;
    state.queued.store(0, Ordering::Relaxed);
    let deadline = CallDeadline::after(limits.wall_per_call);
    state.call_deadline = Some(deadline.clone());
    store.set_epoch_deadline(ticks(limits.cpu_per_call).min(SLICE_TICKS));
    deadline
}

/// Epoch ticks in a duration, at least one.
fn ticks(d: Duration) -> u64 {
    (d.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
}

/// Names the limit a trap came from, when it came from one.
fn classify(
    plugin: &str,
    function: &'static str,
    limits: &Limits,
    err: &wasmtime::Error,
) -> CallError {
    let limit = if err.is::<CpuLimitExceeded>() {
        Some((LimitKind::Cpu, format!("{:?} of CPU", limits.cpu_per_call)))
    } else if format!("{err:?}").contains("forcing trap when growing memory") {
        Some((
            LimitKind::Memory,
            format!("{} MiB", limits.memory_bytes >> 20),
        ))
    } else {
        None
    };
    match limit {
        Some((limit, limit_value)) => CallError::Limit {
            plugin: plugin.to_string(),
            function,
            limit,
            limit_value,
        },
        None => CallError::Trap {
            plugin: plugin.to_string(),
            function,
            message: format!("{err:#}"),
        },
    }
}
