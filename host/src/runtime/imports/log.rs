//! `log.log`: the guest's log lines, attributed to the plugin and cut to a length.

use crate::runtime::bindings::latest::baton::connector::log;
use crate::runtime::state::TenantState;

/// Longest log line a plugin may write; longer ones are cut.
const MAX_LOG_LINE: usize = 8192;

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
