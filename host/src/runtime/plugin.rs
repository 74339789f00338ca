//! A compiled, pre-instantiated component, ready to instantiate for each run.

use std::collections::BTreeMap;

use wasmtime::Engine;

use super::bindings::ComponentPre;
use super::contract::ContractVersion;
use super::instance::{CallError, Instance};
use super::limits::Limits;
use super::plugin_log::{LogLimits, PluginLog};
use crate::http::HttpCapability;

/// A compiled, pre-instantiated plugin; instantiate it once per tenant run.
#[derive(Clone)]
pub struct Plugin {
    name: String,
    engine: Engine,
    pre: ComponentPre,
}

impl Plugin {
    /// A plugin of a compiled, pre-instantiated component.
    pub(super) fn new(name: String, engine: Engine, pre: ComponentPre) -> Plugin {
        Plugin { name, engine, pre }
    }

    /// The plugin's name, used in logs and errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The contract version the component was built for.
    pub fn contract_version(&self) -> ContractVersion {
        match self.pre {
            ComponentPre::Latest(_) => ContractVersion::V0_2,
            ComponentPre::V0_1(_) => ContractVersion::V0_1,
        }
    }

    /// A fresh instance with its own store, limits, HTTP capability and configuration, and a
    /// plugin log of its own with the default log limits.
    pub async fn instantiate(
        &self,
        limits: &Limits,
        http: HttpCapability,
        config: BTreeMap<String, String>,
    ) -> Result<Instance, CallError> {
        let log = self.log(LogLimits::default());
        self.instantiate_logging(limits, http, config, log).await
    }

    /// A fresh instance, as [`Plugin::instantiate`], that writes to `log` (shared by the
    /// instances of one run, so its cap and dedupe are the run's).
    pub async fn instantiate_logging(
        &self,
        limits: &Limits,
        http: HttpCapability,
        config: BTreeMap<String, String>,
        log: PluginLog,
    ) -> Result<Instance, CallError> {
        Instance::new(
            &self.name,
            &self.engine,
            &self.pre,
            limits.clone(),
            http,
            config,
            log,
        )
        .await
    }

    /// A plugin log for one run of this plugin.
    pub fn log(&self, limits: LogLimits) -> PluginLog {
        PluginLog::new(&self.name, limits)
    }
}
