//! The components tenants run, loaded once per distinct plugin (the embedded one, or a file by
//! path and modification) and shared: one compiled, pre-instantiated component serves every
//! tenant that names it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use super::tenant_file::PluginRef;
use crate::component::{ComponentSource, DeclaredComponent};
use crate::runtime::Runtime;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Embedded,
    File(PathBuf, Option<SystemTime>, u64),
}

/// Loaded components by plugin.
pub struct Components {
    runtime: Runtime,
    // A tokio mutex: loading compiles, and two tenants naming one new plugin compile it once.
    loaded: tokio::sync::Mutex<HashMap<Key, DeclaredComponent>>,
}

impl Components {
    /// None loaded yet, on `runtime`.
    pub fn new(runtime: Runtime) -> Components {
        Components {
            runtime,
            loaded: tokio::sync::Mutex::default(),
        }
    }

    /// The component `plugin` names, loading it the first time (and again when its file
    /// changes). The error says what went wrong with it.
    pub async fn get(&self, plugin: &PluginRef) -> Result<DeclaredComponent, String> {
        let key = match plugin {
            PluginRef::Embedded => Key::Embedded,
            PluginRef::File(path) => {
                let meta = std::fs::metadata(path)
                    .map_err(|e| format!("could not read the component {}: {e}", path.display()))?;
                Key::File(path.clone(), meta.modified().ok(), meta.len())
            }
        };
        let mut loaded = self.loaded.lock().await;
        if let Some(c) = loaded.get(&key) {
            return Ok(c.clone());
        }
        let source = match plugin {
            PluginRef::Embedded => ComponentSource::Embedded,
            PluginRef::File(path) => ComponentSource::File(path.clone()),
        };
        let reserved = crate::cli::reserved_names();
        let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
        let component = DeclaredComponent::load(&self.runtime, &source, &reserved)
            .await
            .map_err(|e| e.to_string())?;
        // A changed file replaces its older versions.
        if let Key::File(path, ..) = &key {
            loaded.retain(|k, _| !matches!(k, Key::File(p, ..) if p == path));
        }
        loaded.insert(key, component.clone());
        Ok(component)
    }
}
