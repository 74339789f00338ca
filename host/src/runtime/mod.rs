//! The sandbox: one wasmtime `Engine` per process, plugins compiled once and pre-instantiated,
//! and a fresh, limited `Store` for every run of a plugin.

mod bindings;
pub mod contract;
mod guest_output;
mod imports;
mod instance;
mod legacy;
mod limits;
mod plugin;
pub mod plugin_log;
mod state;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

pub use bindings::types;
pub use contract::ContractVersion;
pub use instance::{CallError, ConnectorError, ErrorKind, Instance, LimitKind, live_instances};
pub use limits::{EPOCH_TICK, Limits};
pub use plugin::Plugin;
pub use plugin_log::{LogLimits, PluginLog};
pub use state::TenantState;

use bindings::ComponentPre;

/// Why the runtime or a plugin could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine could not be created.
    #[error("could not create the wasmtime engine: {0}")]
    Engine(String),
    /// The plugin file could not be read.
    #[error("could not read plugin {path}: {cause}; check the --plugin path")]
    Read {
        /// The path given.
        path: String,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The bytes are not a valid component.
    #[error(
        "plugin {plugin} is not a valid WebAssembly component: {message}; build it with `cargo build --target wasm32-wasip2`"
    )]
    Compile {
        /// The plugin's name.
        plugin: String,
        /// wasmtime's explanation.
        message: String,
    },
    /// The component does not fit the contract.
    #[error(transparent)]
    Contract(#[from] contract::ContractError),
    /// The component imports something the host does not provide.
    #[error(
        "plugin {plugin} needs imports this host does not provide: {message}; a connector may import only baton:connector and wasi:cli/io/clocks/random"
    )]
    Link {
        /// The plugin's name.
        plugin: String,
        /// wasmtime's explanation.
        message: String,
    },
}

/// The process-wide runtime: the engine, the linker with the host's imports, the epoch ticker,
/// and every component compiled so far (each is compiled once per process).
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<TenantState>>,
    compiled: Arc<Mutex<HashMap<PluginKey, Plugin>>>,
}

/// A compiled component's name and the SHA-256 of its bytes.
type PluginKey = (String, [u8; 32]);

/// The pooling allocator's sizes, for a process that runs many tenants' instances at once:
/// instance slots are reserved up front, so instantiating is cheaper and a freed slot's memory
/// goes back to the system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    /// Component instances alive at once; instantiating beyond them fails.
    pub instances: u32,
    /// The most linear memory any instance may have (each slot reserves this much address
    /// space, not memory).
    pub max_memory_bytes: usize,
}

impl Runtime {
    /// Creates the engine (component model, epoch interruption) and starts the epoch ticker.
    pub fn new() -> Result<Runtime, RuntimeError> {
        Runtime::build(None)
    }

    /// A runtime whose instances come from the pooling allocator sized by `pool`.
    pub fn pooled(pool: &PoolSettings) -> Result<Runtime, RuntimeError> {
        Runtime::build(Some(pool))
    }

    fn build(pool: Option<&PoolSettings>) -> Result<Runtime, RuntimeError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        if let Some(pool) = pool {
            let n = pool.instances.max(1);
            let mut pooling = PoolingAllocationConfig::default();
            // A component built for wasm32-wasip2 holds a few core instances, two memories
            // (the program's and the WASI adapter's) and a few tables.
            pooling
                .total_component_instances(n)
                .total_core_instances(n.saturating_mul(8))
                .total_memories(n.saturating_mul(2))
                .total_tables(n.saturating_mul(4))
                .total_stacks(n)
                .max_memory_size(pool.max_memory_bytes);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
            // Memories cannot move in a pool: each slot reserves its maximum.
            config.memory_reservation(pool.max_memory_bytes as u64);
            config.memory_guard_size(64 << 10);
        }
        // Compiled components are cached on disk (wasmtime's cache, keyed by the component and
        // the engine's settings), so later runs load the embedded plugin precompiled.
        match wasmtime::Cache::new(wasmtime::CacheConfig::new()) {
            Ok(cache) => {
                config.cache(Some(cache));
            }
            Err(e) => tracing::debug!("compilation cache unavailable, compiling each run: {e}"),
        }
        let engine = Engine::new(&config).map_err(|e| RuntimeError::Engine(e.to_string()))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| RuntimeError::Engine(e.to_string()))?;
        // Both contract versions' imports: each component links against the one it was built for.
        bindings::latest::Connector::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(|e| RuntimeError::Engine(e.to_string()))?;
        bindings::since_v0_1_0::Connector::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(|e| RuntimeError::Engine(e.to_string()))?;

        start_epoch_ticker(&engine);
        Ok(Runtime {
            engine,
            linker: Arc::new(linker),
            compiled: Arc::default(),
        })
    }

    /// Compiles a plugin from component bytes, checks its contract version and pre-instantiates
    /// it; the same bytes under the same name are compiled once per runtime.
    pub fn load_plugin(&self, name: &str, wasm: &[u8]) -> Result<Plugin, RuntimeError> {
        let key = (name.to_string(), <[u8; 32]>::from(Sha256::digest(wasm)));
        let cached = self
            .compiled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(plugin) = cached {
            return Ok(plugin);
        }
        let plugin = self.compile(name, wasm)?;
        self.compiled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, plugin.clone());
        Ok(plugin)
    }

    fn compile(&self, name: &str, wasm: &[u8]) -> Result<Plugin, RuntimeError> {
        let component = Component::new(&self.engine, wasm).map_err(|e| RuntimeError::Compile {
            plugin: name.to_string(),
            message: format!("{e:#}"),
        })?;
        let version = contract::check(&self.engine, &component, name)?;
        let link_err = |e: wasmtime::Error| RuntimeError::Link {
            plugin: name.to_string(),
            message: format!("{e:#}"),
        };
        let pre = self.linker.instantiate_pre(&component).map_err(link_err)?;
        let pre = match version {
            ContractVersion::V0_2 => {
                ComponentPre::Latest(bindings::latest::ConnectorPre::new(pre).map_err(link_err)?)
            }
            ContractVersion::V0_1 => ComponentPre::V0_1(
                bindings::since_v0_1_0::ConnectorPre::new(pre).map_err(link_err)?,
            ),
        };
        Ok(Plugin::new(name.to_string(), self.engine.clone(), pre))
    }

    /// Reads and loads a plugin file (`--plugin PATH`).
    pub fn load_plugin_file(&self, path: &Path) -> Result<Plugin, RuntimeError> {
        let wasm = std::fs::read(path).map_err(|cause| RuntimeError::Read {
            path: path.display().to_string(),
            cause,
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        self.load_plugin(&name, &wasm)
    }
}

/// Advances the engine's epoch every `EPOCH_TICK` for as long as the engine lives.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch ticker thread");
}
