//! Shared helpers for the end-to-end and sandbox tests: the test components' bytes and small
//! loopback servers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use connector_host::http::{HttpCapability, HttpSettings};
use connector_host::runtime::{Limits, Plugin, Runtime};
use tokio::net::TcpListener;

/// The hostile test component.
pub const HOSTILE_WASM: &str = env!("HOSTILE_WASM");
/// The generic fixture component.
pub const FIXTURE_WASM: &str = env!("FIXTURE_WASM");
/// A component built for contract 0.2.0.
pub const WRONG_VERSION_WASM: &str = env!("WRONG_VERSION_WASM");

/// Loads a test component into a fresh runtime.
pub fn load(runtime: &Runtime, path: &str) -> Plugin {
    runtime
        .load_plugin_file(std::path::Path::new(path))
        .unwrap_or_else(|e| panic!("loading {path}: {e}"))
}

/// An HTTP capability allowed to reach only `base` (no credential).
pub fn http_for(base: &str) -> HttpCapability {
    let url = url::Url::parse(base).expect("base url");
    HttpCapability::new(HttpSettings::for_base_url(url), None).expect("http capability")
}

/// Config entries from pairs.
pub fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Small limits so limit tests finish quickly.
pub fn quick_limits() -> Limits {
    Limits {
        memory_bytes: 32 << 20,
        cpu_per_call: std::time::Duration::from_millis(500),
        wall_per_call: std::time::Duration::from_secs(2),
    }
}

/// A loopback TCP listener that counts connections and never answers (it holds them open).
pub struct SilentListener {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
}

impl SilentListener {
    /// Binds 127.0.0.1:0 and accepts in the background.
    pub async fn start() -> SilentListener {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        });
        SilentListener { addr, connections }
    }

    /// Connections accepted so far.
    pub fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}
