//! The Prometheus figures of `serve`: per tenant (labelled `tenant`) its last success, sync
//! durations, requests by status, errors, retries, request budget left and bytes written; per
//! process its tenants, live plugin instances and memory.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::http::RequestStats;

/// A tenant's label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TenantLabel {
    /// The tenant's name.
    pub tenant: String,
}

/// A tenant's label and a response status (`200`, `429`, ...) or what came instead
/// (`connection`, `timeout`, `denied`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    /// The tenant's name.
    pub tenant: String,
    /// The status.
    pub status: String,
}

/// A state of the tenants (`scheduled`, `syncing`, `invalid`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    /// The state.
    pub state: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// Every figure `serve` exports, registered once.
pub struct Metrics {
    registry: Registry,
    last_success: Family<TenantLabel, FloatGauge>,
    next_run: Family<TenantLabel, FloatGauge>,
    duration: Family<TenantLabel, Histogram>,
    last_duration: Family<TenantLabel, FloatGauge>,
    syncs: Family<TenantLabel, Counter>,
    errors: Family<TenantLabel, Counter>,
    failures_in_a_row: Family<TenantLabel, Gauge>,
    retries: Family<TenantLabel, Counter>,
    http_retries: Family<TenantLabel, Counter>,
    requests: Family<StatusLabel, Counter>,
    budget_left: Family<TenantLabel, Gauge>,
    bytes_written: Family<TenantLabel, Counter>,
    file_bytes: Family<TenantLabel, Gauge>,
    tenants: Family<StateLabel, Gauge>,
    instances: Gauge,
    resident: Gauge,
    virtual_memory: Gauge,
    /// The statuses each tenant's `requests` series has, to drop them with the tenant.
    statuses: Mutex<BTreeMap<String, BTreeSet<String>>>,
}

fn duration_histogram() -> Histogram {
    // 0.1 s to about 27 min.
    Histogram::new(exponential_buckets(0.1, 2.0, 15))
}

fn seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// The figures, all zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let m = Metrics {
            last_success: Family::default(),
            next_run: Family::default(),
            duration: Family::new_with_constructor(duration_histogram),
            last_duration: Family::default(),
            syncs: Family::default(),
            errors: Family::default(),
            failures_in_a_row: Family::default(),
            retries: Family::default(),
            http_retries: Family::default(),
            requests: Family::default(),
            budget_left: Family::default(),
            bytes_written: Family::default(),
            file_bytes: Family::default(),
            tenants: Family::default(),
            instances: Gauge::default(),
            resident: Gauge::default(),
            virtual_memory: Gauge::default(),
            statuses: Mutex::default(),
            registry: Registry::default(),
        };
        registry.register(
            "connector_tenant_last_success_timestamp_seconds",
            "When the tenant's last sync finished (Unix time)",
            m.last_success.clone(),
        );
        registry.register(
            "connector_tenant_next_run_timestamp_seconds",
            "When the tenant's next sync is due (Unix time)",
            m.next_run.clone(),
        );
        registry.register(
            "connector_tenant_sync_duration_seconds",
            "Wall time of the tenant's syncs, finished or failed",
            m.duration.clone(),
        );
        registry.register(
            "connector_tenant_last_sync_duration_seconds",
            "Wall time of the tenant's last finished sync",
            m.last_duration.clone(),
        );
        registry.register(
            "connector_tenant_syncs",
            "Syncs of the tenant that finished",
            m.syncs.clone(),
        );
        registry.register(
            "connector_tenant_sync_errors",
            "Syncs of the tenant that failed",
            m.errors.clone(),
        );
        registry.register(
            "connector_tenant_consecutive_failures",
            "Failed syncs of the tenant since its last finished one",
            m.failures_in_a_row.clone(),
        );
        registry.register(
            "connector_tenant_sync_retries",
            "Syncs of the tenant started again after a failure",
            m.retries.clone(),
        );
        registry.register(
            "connector_tenant_http_retries",
            "HTTP attempts of the tenant's syncs that were retries (429, 5xx, connection errors)",
            m.http_retries.clone(),
        );
        registry.register(
            "connector_tenant_requests",
            "HTTP attempts of the tenant's syncs, by response status or failure",
            m.requests.clone(),
        );
        registry.register(
            "connector_tenant_request_budget_remaining",
            "Requests the tenant's rolling window still allowed when its last sync ended (tenants with a request budget)",
            m.budget_left.clone(),
        );
        registry.register(
            "connector_tenant_bytes_written",
            "Bytes of .c1z files the tenant's syncs wrote",
            m.bytes_written.clone(),
        );
        registry.register(
            "connector_tenant_file_bytes",
            "Size of the tenant's .c1z file after its last sync",
            m.file_bytes.clone(),
        );
        registry.register(
            "connector_tenants",
            "Tenants of this replica by state",
            m.tenants.clone(),
        );
        registry.register(
            "connector_instances",
            "Plugin instances alive in the process",
            m.instances.clone(),
        );
        registry.register(
            "connector_process_resident_memory_bytes",
            "Resident memory of the process (/proc/self/statm)",
            m.resident.clone(),
        );
        registry.register(
            "connector_process_virtual_memory_bytes",
            "Virtual memory of the process (/proc/self/statm), the instance pool's reservation included",
            m.virtual_memory.clone(),
        );
        Metrics { registry, ..m }
    }

    fn label(tenant: &str) -> TenantLabel {
        TenantLabel {
            tenant: tenant.to_string(),
        }
    }

    /// A sync of `tenant` finished at `at` after `took`, writing a file of `file_bytes`.
    pub fn sync_finished(&self, tenant: &str, at: SystemTime, took: Duration, file_bytes: u64) {
        let l = Metrics::label(tenant);
        self.last_success.get_or_create(&l).set(seconds(at));
        self.duration.get_or_create(&l).observe(took.as_secs_f64());
        self.last_duration.get_or_create(&l).set(took.as_secs_f64());
        self.syncs.get_or_create(&l).inc();
        self.failures_in_a_row.get_or_create(&l).set(0);
        self.bytes_written.get_or_create(&l).inc_by(file_bytes);
        self.file_bytes
            .get_or_create(&l)
            .set(i64::try_from(file_bytes).unwrap_or(i64::MAX));
    }

    /// A sync of `tenant` failed after `took`, the `in_a_row`th failure since it last finished.
    pub fn sync_failed(&self, tenant: &str, took: Duration, in_a_row: u32) {
        let l = Metrics::label(tenant);
        self.duration.get_or_create(&l).observe(took.as_secs_f64());
        self.errors.get_or_create(&l).inc();
        self.failures_in_a_row
            .get_or_create(&l)
            .set(i64::from(in_a_row));
    }

    /// A sync of `tenant` starts again after a failure.
    pub fn retrying(&self, tenant: &str) {
        self.retries.get_or_create(&Metrics::label(tenant)).inc();
    }

    /// The HTTP figures of one of `tenant`'s syncs.
    pub fn requests(&self, tenant: &str, stats: &RequestStats) {
        for e in stats.endpoints.values() {
            let statuses = e.statuses.iter().map(|(s, n)| (s.to_string(), *n));
            let others = e
                .errors
                .iter()
                .chain(&e.refused)
                .map(|(k, n)| (k.clone(), *n));
            for (status, n) in statuses.chain(others) {
                self.statuses
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(tenant.to_string())
                    .or_default()
                    .insert(status.clone());
                self.requests
                    .get_or_create(&StatusLabel {
                        tenant: tenant.to_string(),
                        status,
                    })
                    .inc_by(n);
            }
        }
        self.http_retries
            .get_or_create(&Metrics::label(tenant))
            .inc_by(stats.total_retries());
    }

    /// Requests `tenant` may still send this hour.
    pub fn budget_left(&self, tenant: &str, left: u64) {
        self.budget_left
            .get_or_create(&Metrics::label(tenant))
            .set(i64::try_from(left).unwrap_or(i64::MAX));
    }

    /// When `tenant` syncs next.
    pub fn next_run(&self, tenant: &str, at: SystemTime) {
        self.next_run
            .get_or_create(&Metrics::label(tenant))
            .set(seconds(at));
    }

    /// Tenants by state.
    pub fn tenants(&self, scheduled: usize, syncing: usize, invalid: usize) {
        for (state, n) in [
            ("scheduled", scheduled),
            ("syncing", syncing),
            ("invalid", invalid),
        ] {
            self.tenants
                .get_or_create(&StateLabel {
                    state: state.to_string(),
                })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// Drops a removed tenant's series.
    pub fn forget(&self, tenant: &str) {
        let l = Metrics::label(tenant);
        for f in [&self.last_success, &self.next_run, &self.last_duration] {
            f.remove(&l);
        }
        self.duration.remove(&l);
        for f in [
            &self.syncs,
            &self.errors,
            &self.retries,
            &self.http_retries,
            &self.bytes_written,
        ] {
            f.remove(&l);
        }
        for f in [&self.failures_in_a_row, &self.budget_left, &self.file_bytes] {
            f.remove(&l);
        }
        let seen = self
            .statuses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(tenant)
            .unwrap_or_default();
        for status in seen {
            self.requests.remove(&StatusLabel {
                tenant: tenant.to_string(),
                status,
            });
        }
    }

    /// The figures in Prometheus' text format (OpenMetrics), the process's taken now.
    pub fn render(&self) -> String {
        self.instances
            .set(i64::try_from(crate::runtime::live_instances()).unwrap_or(i64::MAX));
        if let Some((size, resident)) = statm() {
            self.resident.set(resident);
            self.virtual_memory.set(size);
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The process's virtual and resident memory in bytes, from `/proc/self/statm` (in pages).
pub fn statm() -> Option<(i64, i64)> {
    let text = std::fs::read_to_string("/proc/self/statm").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<i64>().ok());
    let size = fields.next()??;
    let resident = fields.next()??;
    let page = page_size();
    Some((size * page, resident * page))
}

/// The system's memory page size.
fn page_size() -> i64 {
    i64::try_from(rustix::param::page_size()).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_tenant_series_carry_the_tenant_label() {
        let m = Metrics::new();
        m.sync_finished("acme", SystemTime::now(), Duration::from_millis(1500), 4096);
        m.sync_failed("globex", Duration::from_secs(2), 3);
        let text = m.render();
        assert!(
            text.contains("connector_tenant_syncs_total{tenant=\"acme\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("connector_tenant_sync_errors_total{tenant=\"globex\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("connector_tenant_consecutive_failures{tenant=\"globex\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("connector_tenant_bytes_written_total{tenant=\"acme\"} 4096"),
            "{text}"
        );
        assert!(
            text.contains("connector_process_resident_memory_bytes "),
            "{text}"
        );
        m.forget("acme");
        assert!(!m.render().contains("tenant=\"acme\""));
    }
}
