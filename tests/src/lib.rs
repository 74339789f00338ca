//! Shared helpers for the end-to-end and sandbox tests: the test components' bytes and small
//! loopback servers.

pub mod fake_c1;
pub mod host_process;
pub mod log_sink;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use connector_host::cli;
use connector_host::http::{HttpCapability, HttpSettings};
use connector_host::operations::{self, RunSettings, SyncOutcome, SyncRequest};
use connector_host::runtime::{Limits, Plugin, Runtime};
use tokio::net::TcpListener;

/// The paths of the test components, built once by tests/build.rs (crates in tests/guests).
pub mod guests {
    /// The generic fixture (0.2.0): serves the graph in its `fixture` config key (JSON).
    pub const FIXTURE: &str = env!("FIXTURE_WASM");
    /// The hostile component (0.2.0): `validate` runs the attack named by its `attack` config key.
    pub const HOSTILE: &str = env!("HOSTILE_WASM");
    /// A component built for an unknown major version of the contract (9.0.0).
    pub const WRONG_VERSION: &str = env!("WRONG_VERSION_WASM");
    /// The fixture's connector built against the frozen contract 0.1.0, for the 0.1.0 adapter.
    pub const LEGACY_V0_1_0: &str = env!("LEGACY_V0_1_0_WASM");
    /// A ticket-tracker connector (0.2.0) with its own schema (`api-url`, secret `api-key`
    /// sent as Bearer, `projects`); its API is documented in tests/guests/tickets/src/lib.rs.
    pub const TICKETS: &str = env!("TICKETS_WASM");
}

/// Loads a test component, compiling it once per test binary (engines and plugins are shared
/// by all tests of the binary; each test still gets fresh instances).
pub fn load(path: &str) -> Plugin {
    static PLUGINS: Mutex<BTreeMap<String, Plugin>> = Mutex::new(BTreeMap::new());
    let mut plugins = PLUGINS.lock().unwrap_or_else(|e| e.into_inner());
    plugins
        .entry(path.to_string())
        .or_insert_with(|| {
            shared_runtime()
                .load_plugin_file(std::path::Path::new(path))
                .unwrap_or_else(|e| panic!("loading {path}: {e}"))
        })
        .clone()
}

/// The runtime shared by the tests of one binary.
pub fn shared_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new().expect("runtime"))
}

/// The settings of a run from a command line (`argv[0]` first), as the binary builds them.
pub async fn settings_from_argv(
    argv: &[&str],
) -> anyhow::Result<(RunSettings, std::path::PathBuf)> {
    let argv = argv.iter().map(std::ffi::OsString::from).collect();
    let inv = match cli::parse_from(shared_runtime(), argv).await {
        Ok(inv) => inv,
        Err(failure) => anyhow::bail!("the flags do not parse: {}", failure.error),
    };
    let run = match &inv.cli.command {
        None => &inv.cli.sync.run,
        Some(cli::Command::Sync(a)) => &a.run,
        Some(_) => anyhow::bail!("not a sync command line"),
    };
    let file = run.file.file.clone();
    Ok((inv.run_settings(&run.limits, true)?, file))
}

/// Syncs as `connector-host ARGV` does, into its `-f` file, without progress output.
pub async fn sync_argv(argv: &[&str]) -> anyhow::Result<SyncOutcome> {
    let (settings, file) = settings_from_argv(argv).await?;
    let events = connector_host::sync::NoEvents;
    Ok(operations::sync(&settings, SyncRequest::into_file(file), &events).await?)
}

/// An HTTP capability allowed to reach only `base` (no credential).
pub fn http_for(base: &str) -> HttpCapability {
    let url = url::Url::parse(base).expect("base url");
    HttpCapability::new(HttpSettings::for_base_url(url), None).expect("http capability")
}

/// Config entries from pairs.
pub fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
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

/// Syncs the fixture component serving `fixture` into `path` through the engine.
pub async fn sync_fixture(
    fixture: &serde_json::Value,
    path: &std::path::Path,
) -> Result<connector_host::sync::SyncReport, connector_host::sync::SyncError> {
    sync_fixture_with(fixture, path, &Default::default(), &|| 0).await
}

/// [`sync_fixture`] with engine options; `after_step` is called after every step (the engine's
/// request counter), so a test can act mid-sync.
pub async fn sync_fixture_with(
    fixture: &serde_json::Value,
    path: &std::path::Path,
    options: &connector_host::sync::SyncOptions,
    after_step: &(dyn Fn() -> u64 + Sync),
) -> Result<connector_host::sync::SyncReport, connector_host::sync::SyncError> {
    sync_fixture_concurrently(fixture, path, options, after_step, 1).await
}

/// [`sync_fixture_with`] on up to `concurrency` instances of the fixture component.
pub async fn sync_fixture_concurrently(
    fixture: &serde_json::Value,
    path: &std::path::Path,
    options: &connector_host::sync::SyncOptions,
    after_step: &(dyn Fn() -> u64 + Sync),
    concurrency: usize,
) -> Result<connector_host::sync::SyncReport, connector_host::sync::SyncError> {
    use connector_host::sync::{InstancePool, MakeInstance};
    let plugin = Arc::new(load(guests::FIXTURE));
    let text = Arc::new(fixture.to_string());
    let instantiate = {
        let plugin = plugin.clone();
        move || {
            let plugin = plugin.clone();
            let text = text.clone();
            async move {
                plugin
                    .instantiate(
                        &Limits::default(),
                        http_for("http://127.0.0.1:9"),
                        config(&[("fixture", &text)]),
                    )
                    .await
            }
        }
    };
    let first = instantiate().await?;
    let pool = if concurrency <= 1 {
        InstancePool::single(first)
    } else {
        let make: MakeInstance = Box::new(move || Box::pin(instantiate()));
        InstancePool::new(first, concurrency, make)
    };
    let store = c1z::SyncStore::open(path)?;
    let progress = connector_host::progress::Progress::hidden();
    connector_host::sync::run_sync(pool, store, options, &progress, after_step).await
}

/// Everything a finished sync holds, keyed by external id, with the protobuf bytes of each
/// object: two syncs are equal when these are.
#[derive(Debug, PartialEq, Eq)]
pub struct Contents {
    /// Resource types by id.
    pub resource_types: BTreeMap<String, Vec<u8>>,
    /// Resources by `<type>:<id>`.
    pub resources: BTreeMap<String, Vec<u8>>,
    /// Entitlements by id.
    pub entitlements: BTreeMap<String, Vec<u8>>,
    /// Grants by id.
    pub grants: BTreeMap<String, Vec<u8>>,
}

/// Reads the latest finished full sync of a file.
pub fn contents(path: &std::path::Path) -> Contents {
    use prost::Message;
    let reader = c1z::C1zReader::open(path).expect("open c1z");
    let sync = reader
        .latest_full_sync()
        .expect("syncs")
        .expect("a finished full sync");
    let id = sync.id.as_str();
    Contents {
        resource_types: reader
            .resource_types(id)
            .unwrap()
            .into_iter()
            .map(|t| (t.id.clone(), t.encode_to_vec()))
            .collect(),
        resources: reader
            .resources(id, None)
            .unwrap()
            .into_iter()
            .map(|r| {
                let rid = r.id.clone().unwrap_or_default();
                (
                    format!("{}:{}", rid.resource_type, rid.resource),
                    r.encode_to_vec(),
                )
            })
            .collect(),
        entitlements: reader
            .entitlements(id, None, None)
            .unwrap()
            .into_iter()
            .map(|e| (e.id.clone(), e.encode_to_vec()))
            .collect(),
        grants: reader
            .grants(id, None, None, None)
            .unwrap()
            .into_iter()
            .map(|g| (g.id.clone(), g.encode_to_vec()))
            .collect(),
    }
}

/// Grant ids of the latest sync, each with its sources (entitlement id → is direct).
pub fn grant_sources(path: &std::path::Path) -> BTreeMap<String, BTreeMap<String, bool>> {
    let reader = c1z::C1zReader::open(path).expect("open c1z");
    let sync = reader
        .latest_full_sync()
        .expect("syncs")
        .expect("a finished full sync");
    reader
        .grants(&sync.id, None, None, None)
        .unwrap()
        .into_iter()
        .map(|g| {
            let sources = g
                .sources
                .map(|s| {
                    s.sources
                        .into_iter()
                        .map(|(k, v)| (k, v.is_direct))
                        .collect()
                })
                .unwrap_or_default();
            (g.id, sources)
        })
        .collect()
}

/// Re-executes the running test binary to run only its `child_sync` test, with `var` set to
/// `value`: a sync in a process of its own, so a test can SIGKILL it for real. Its stdout is
/// piped (the child prints `RESUMED=<bool>`), its stderr dropped.
pub fn spawn_child_sync(var: &str, value: &std::ffi::OsStr) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().expect("test binary path"))
        .args(["--exact", "child_sync", "--nocapture", "--test-threads=1"])
        .env(var, value)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn the child sync")
}

/// Each resource's parent as the row's columns say and as its message says, by
/// `type:id` (`None` for no parent).
pub fn resource_parents(
    path: &std::path::Path,
) -> BTreeMap<String, (Option<String>, Option<String>)> {
    use prost::Message;
    let reader = c1z::C1zReader::open(path).expect("open c1z");
    let sync = reader
        .latest_full_sync()
        .expect("syncs")
        .expect("a finished full sync");
    let mut stmt = reader
        .connection()
        .prepare(
            "SELECT external_id, parent_resource_type_id, parent_resource_id, data \
             FROM v1_resources WHERE sync_id = ?1",
        )
        .unwrap();
    let rows = stmt
        .query_map([&sync.id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .unwrap();
    let mut out = BTreeMap::new();
    for row in rows {
        let (id, ptype, pid, data) = row.unwrap();
        let column = match (ptype, pid) {
            (Some(t), Some(p)) if !t.is_empty() => Some(format!("{t}:{p}")),
            _ => None,
        };
        let message = c1z::pb::Resource::decode(data.as_slice())
            .unwrap()
            .parent_resource_id
            .map(|p| format!("{}:{}", p.resource_type, p.resource));
        out.insert(id, (column, message));
    }
    out
}
