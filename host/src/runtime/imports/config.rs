//! `config.get`: the non-secret configuration of the run.

use crate::runtime::bindings::latest::baton::connector::config;
use crate::runtime::state::TenantState;

impl config::Host for TenantState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.config.get(&key).cloned())
    }
}
