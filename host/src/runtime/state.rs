//! Per-instance host state and the host side of the contract's imports (`http`, `config`, `log`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::latest::baton::connector::{config, http, log, types};
use super::guest_output::{GuestOutput, Stream};
use crate::http::{HttpCapability, HttpError, Method, OutboundRequest};

/// Longest log line a plugin may write; longer ones are cut.
const MAX_LOG_LINE: usize = 8192;

/// Everything one instance of a plugin can reach: nothing but what is in here.
pub struct TenantState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: StoreLimits,
    http: HttpCapability,
    config: BTreeMap<String, String>,
    plugin: String,
    /// When the current guest call must end; passed to HTTP so no request outlives it.
    pub(crate) call_deadline: Option<tokio::time::Instant>,
    /// When the current guest call started, and how long it has spent inside host imports
    /// since: guest CPU time is the difference.
    pub(crate) call_started: Instant,
    pub(crate) host_time: Duration,
}

impl TenantState {
    /// State for one instance: a WASI context that grants nothing (no files, environment,
    /// arguments, sockets or name lookup), output to the log, and the given capabilities.
    pub fn new(
        plugin: &str,
        memory_limit: usize,
        http: HttpCapability,
        config: BTreeMap<String, String>,
    ) -> Self {
        let wasi = WasiCtx::builder()
            .stdout(GuestOutput::new(plugin, Stream::Stdout))
            .stderr(GuestOutput::new(plugin, Stream::Stderr))
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
            plugin: plugin.to_string(),
            call_deadline: None,
            call_started: Instant::now(),
            host_time: Duration::ZERO,
        }
    }

    /// Guest CPU time of the current call: wall time minus time spent in host imports.
    pub(crate) fn guest_time(&self) -> Duration {
        self.call_started.elapsed().saturating_sub(self.host_time)
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

impl types::Host for TenantState {}

impl http::Host for TenantState {
    async fn send(
        &mut self,
        req: http::Request,
    ) -> wasmtime::Result<Result<http::Response, http::HttpError>> {
        let started = Instant::now();
        let outbound = OutboundRequest {
            method: match req.method {
                http::Method::Get => Method::Get,
                http::Method::Head => Method::Head,
                http::Method::Post => Method::Post,
                http::Method::Put => Method::Put,
                http::Method::Patch => Method::Patch,
                http::Method::Delete => Method::Delete,
            },
            url: req.url,
            headers: req.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: req.body,
            endpoint: req.endpoint,
        };
        let result = self.http.send(outbound, self.call_deadline).await;
        self.host_time += started.elapsed();
        Ok(match result {
            Ok(resp) => Ok(http::Response {
                status: resp.status,
                headers: resp
                    .headers
                    .into_iter()
                    .map(|(name, value)| http::Header { name, value })
                    .collect(),
                body: resp.body,
            }),
            Err(err) => Err(match err {
                HttpError::Denied(m) => http::HttpError::Denied(m),
                HttpError::InvalidRequest(m) => http::HttpError::InvalidRequest(m),
                HttpError::Connection(m) => http::HttpError::Connection(m),
                HttpError::Timeout(m) => http::HttpError::Timeout(m),
                HttpError::TooLarge(m) => http::HttpError::TooLarge(m),
            }),
        })
    }
}

impl config::Host for TenantState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.config.get(&key).cloned())
    }
}

impl log::Host for TenantState {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let message = truncate(&message, MAX_LOG_LINE);
        let plugin = self.plugin.as_str();
        match level {
            log::Level::Trace => tracing::trace!(plugin, "{message}"),
            log::Level::Debug => tracing::debug!(plugin, "{message}"),
            log::Level::Info => tracing::info!(plugin, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, "{message}"),
            log::Level::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
