//! The component a run uses: where it comes from, compiled once, and what it declares of itself.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::{ConfigSchema, SchemaError};
use crate::embedded::{DEFAULT_COMPONENT, DEFAULT_PLUGIN_NAME};
use crate::http::{HttpCapability, HttpSettings, HttpSetupError};
use crate::runtime::{CallError, Limits, Plugin, Runtime, RuntimeError, types};

/// Where a component comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComponentSource {
    /// The component embedded in the binary.
    Embedded,
    /// A component file (`--plugin PATH`).
    File(PathBuf),
}

impl ComponentSource {
    /// `--plugin`'s value, or the embedded component.
    pub fn from_flag(plugin: Option<PathBuf>) -> ComponentSource {
        plugin.map_or(ComponentSource::Embedded, ComponentSource::File)
    }
}

/// Why a component could not be loaded and asked what it is.
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    /// It could not be compiled or linked.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// Its `metadata` call failed.
    #[error(transparent)]
    Call(#[from] CallError),
    /// The capability for its `metadata` call could not be set up.
    #[error(transparent)]
    Http(#[from] HttpSetupError),
    /// What it declares cannot be used.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// A compiled component with its declaration.
#[derive(Clone)]
pub struct DeclaredComponent {
    /// The compiled, pre-instantiated component.
    pub plugin: Plugin,
    /// What it says it is.
    pub metadata: types::Metadata,
    /// Its configuration schema, checked.
    pub schema: ConfigSchema,
}

impl DeclaredComponent {
    /// Compiles the component (the runtime keeps it for later runs), asks an instance with no
    /// configuration and no reachable origin for its metadata, and checks the declaration.
    /// `reserved` are the host's own flag names, which its fields may not take.
    pub async fn load(
        runtime: &Runtime,
        source: &ComponentSource,
        reserved: &[&str],
    ) -> Result<DeclaredComponent, ComponentError> {
        let plugin = match source {
            ComponentSource::Embedded => {
                runtime.load_plugin(DEFAULT_PLUGIN_NAME, DEFAULT_COMPONENT)?
            }
            ComponentSource::File(path) => runtime.load_plugin_file(path)?,
        };
        let http = HttpCapability::new(HttpSettings::default(), None)?;
        let mut instance = plugin
            .instantiate(&Limits::default(), http, BTreeMap::new())
            .await?;
        let metadata = instance.metadata().await?;
        let schema = ConfigSchema::new(plugin.name(), &metadata, reserved)?;
        Ok(DeclaredComponent {
            plugin,
            metadata,
            schema,
        })
    }

    /// The names of the resource types it can provision, with their slugs and principal types.
    pub fn provisioning(&self) -> &[types::Provisioning] {
        &self.metadata.provisioning
    }
}
