//! `log.log`: the guest's log lines, into the run's plugin log (cut, deduped, rate-capped; see
//! `plugin_log`).

use tracing::Level;

use crate::runtime::bindings::latest::baton::connector::log;
use crate::runtime::plugin_log::LogSource;
use crate::runtime::state::TenantState;

impl log::Host for TenantState {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        let level = match level {
            log::Level::Trace => Level::TRACE,
            log::Level::Debug => Level::DEBUG,
            log::Level::Info => Level::INFO,
            log::Level::Warn => Level::WARN,
            log::Level::Error => Level::ERROR,
        };
        self.log.line(level, LogSource::Log, &message, 0);
        Ok(())
    }
}
