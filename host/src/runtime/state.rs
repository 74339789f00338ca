//! Per-instance host state: the WASI context that grants nothing, the memory limiter, and the
//! capabilities the contract's imports (`imports/`) reach.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::guest_output::{GuestOutput, Stream};
use super::plugin_log::PluginLog;
use crate::http::{CallDeadline, HttpCapability};

/// Everything one instance of a plugin can reach: nothing but what is in here.
pub struct TenantState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: StoreLimits,
    pub(super) http: HttpCapability,
    pub(super) config: BTreeMap<String, String>,
    /// The run's plugin log, shared with the run's other instances.
    pub(super) log: PluginLog,
    /// When the current guest call must end; passed to HTTP so no request outlives it (and
    /// postponed there by time spent waiting for the request budget).
    pub(crate) call_deadline: Option<CallDeadline>,
    /// When the current guest call started, and how long it has spent inside host imports
    /// since: guest CPU time is the difference.
    pub(crate) call_started: Instant,
    pub(crate) host_time: Duration,
    /// Guest time of the calls that have ended, all told.
    pub(crate) guest_spent: Duration,
    /// Nanoseconds of the current call spent yielded to other tasks, waiting to run again.
    pub(crate) queued: Arc<AtomicU64>,
}

impl TenantState {
    /// State for one instance: a WASI context that grants nothing (no files, environment,
    /// arguments, sockets or name lookup), output to the run's plugin log, and the given
    /// capabilities.
    pub fn new(
        log: PluginLog,
        memory_limit: usize,
        http: HttpCapability,
        config: BTreeMap<String, String>,
    ) -> Self {
        let wasi = WasiCtx::builder()
            .stdout(GuestOutput::new(log.clone(), Stream::Stdout))
            .stderr(GuestOutput::new(log.clone(), Stream::Stderr))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limits = StoreLimitsBuilder::new()
            .memory_size(memory_limit)
            .table_elements(1 << 20)
            .instances(64)
            .memories(16)
            .tables(64)
            .trap_on_grow_failure(true)
            .build();
        TenantState {
            wasi,
            table: ResourceTable::new(),
            limits,
            http,
            config,
            log,
            call_deadline: None,
            call_started: Instant::now(),
            host_time: Duration::ZERO,
            guest_spent: Duration::ZERO,
            queued: Arc::default(),
        }
    }

    /// Guest CPU time of the current call: wall time minus time spent in host imports and
    /// waiting to run again after a yield.
    pub(crate) fn guest_time(&self) -> Duration {
        let queued = Duration::from_nanos(self.queued.load(Ordering::Relaxed));
        self.call_started
            .elapsed()
            .saturating_sub(self.host_time)
            .saturating_sub(queued)
    }
}

impl WasiView for TenantState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
