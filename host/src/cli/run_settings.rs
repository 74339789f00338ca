//! The typed settings of a run, from the parsed command line.

use std::time::Duration;

use super::{Invocation, LimitArgs};
use crate::operations::{RequestsPerWindow, RunLimits, RunSettings, SettingsError};
use crate::runtime::{Limits, LogLimits};
use crate::sync::SyncLimits;
use crate::transport::NetworkSettings;

impl LimitArgs {
    /// The limits these flags set.
    pub fn run_limits(&self) -> RunLimits {
        RunLimits {
            sandbox: Limits {
                memory_bytes: self.memory_limit_mib << 20,
                cpu_per_call: Duration::from_secs(self.cpu_limit_seconds),
                wall_per_call: Duration::from_secs(self.call_timeout_seconds),
            },
            max_response_bytes: self.max_response_mib << 20,
            request_timeout: Duration::from_secs(self.http_timeout_seconds),
            max_total_wait: Duration::from_secs(self.max_retry_wait_seconds),
            backoff_base: Duration::from_millis(self.retry_backoff_base_ms.max(1)),
            requests_per_window: match self.requests_per_hour {
                None => RequestsPerWindow::Default,
                Some(0) => RequestsPerWindow::Unlimited,
                Some(n) => RequestsPerWindow::Exactly(n),
            },
            rate_window: Duration::from_secs(self.rate_window_seconds),
            concurrency: self.concurrency,
            sync: SyncLimits {
                timeout: (self.sync_timeout_seconds > 0)
                    .then(|| Duration::from_secs(self.sync_timeout_seconds)),
                max_rows: (self.max_sync_rows > 0).then_some(self.max_sync_rows),
                max_bytes: (self.max_sync_mib > 0)
                    .then(|| self.max_sync_mib.saturating_mul(1 << 20)),
            },
            log: LogLimits {
                max_line_bytes: self.max_log_line_bytes,
                lines_per_second: self.log_lines_per_second,
                burst_lines: self.log_burst_lines,
            },
        }
    }
}

impl Invocation {
    /// The settings of a run of the component with `limits`, the proxy and trusted roots from the
    /// environment; `credential_needed` refuses a run without one.
    pub fn run_settings(
        &self,
        limits: &LimitArgs,
        credential_needed: bool,
    ) -> anyhow::Result<RunSettings> {
        let component = match &self.component {
            Ok(c) => c.clone(),
            Err(e) => anyhow::bail!("{e}"),
        };
        let settings = RunSettings::new(
            component,
            self.given.clone(),
            limits.run_limits(),
            NetworkSettings::from_env().map_err(SettingsError::from)?,
            credential_needed,
        )?;
        Ok(settings)
    }
}
