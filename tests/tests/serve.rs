//! `serve`: a directory of tenant files run by one server against Bitbucket simulators on
//! loopback. A tenant's file equals what a one-shot sync writes; adding, changing and removing
//! files takes effect live; a malformed file is reported by file and key and skipped; hostile
//! tenants do not hold up the others; each tenant's credential and allow-list are its own;
//! tenants in service mode each talk to their own ConductorOne with their own client;
//! `/metrics` has the per-tenant series; SIGTERM ends the process with status 0.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitbucket_simulator::{Scale, Simulator, SimulatorConfig, View};
use connector_host::runtime::{PoolSettings, Runtime};
use connector_host::serve::{ServeOptions, Server};
use connector_tests::fake_c1::{ClientIdentity, FakeC1, FullSync, TaskSpec};
use connector_tests::log_sink::LogSink;
use connector_tests::{contents, guests, shared_runtime, sync_argv};

/// Options for a test server over `dir`: metrics on a free loopback port, quick reloads and
/// retries.
fn options(dir: &Path) -> ServeOptions {
    let mut o = ServeOptions::new(dir);
    o.listen = Some("127.0.0.1:0".parse().unwrap());
    o.reload_every = Duration::from_millis(200);
    o.failure_backoff = Duration::from_secs(1);
    o.shutdown_grace = Duration::from_secs(10);
    o.limits.retry_backoff_base_ms = 5;
    o
}

/// A running server and how to stop it.
struct Running {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn start(runtime: Runtime, options: ServeOptions) -> Running {
        let server = Server::bind(runtime, options).await.expect("bind");
        let addr = server.local_addr().expect("listening");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
        });
        Running { addr, stop, task }
    }

    async fn metrics(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.addr))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics body")
    }

    /// The value of a series, `0` when absent.
    async fn value(&self, series: &str) -> f64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0.0)
    }

    async fn shutdown(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the server stops")
            .expect("the server task");
    }
}

/// Waits until `f` holds, up to `limit`.
async fn until(limit: Duration, what: &str, mut f: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !f().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn simulator(seed: u64) -> Simulator {
    let mut config = SimulatorConfig::new(Scale::Small);
    config.seed = seed;
    Simulator::start(config).expect("simulator")
}

/// A Bitbucket tenant file against `sim`, its token in `secret` (a file), writing into `out`.
fn bitbucket_tenant(sim: &Simulator, secret: &Path, out: &Path, extra: &str) -> String {
    std::fs::write(secret, format!("{}\n", sim.credentials().api_token)).unwrap();
    format!(
        r#"plugin = "bitbucket"
interval = "6h"
output = {{ dir = "{out}" }}
[config]
base-url = "{base}"
username = "{user}"
app-password = {{ file = "{secret}" }}
{extra}
[limits]
concurrency = 2
retry-backoff-base-ms = 5
"#,
        out = out.display(),
        base = sim.base_url(),
        user = sim.credentials().admin_email,
        secret = secret.display(),
    )
}

fn finished_syncs(file: &Path) -> usize {
    c1z::C1zReader::open(file)
        .and_then(|r| r.finished_full_syncs())
        .map_or(0, |s| s.len())
}

/// A test's directories: tenant files, outputs, secrets.
struct Dirs {
    _tmp: tempfile::TempDir,
    tenants: PathBuf,
    out: PathBuf,
    secrets: PathBuf,
}

fn dirs() -> Dirs {
    let tmp = tempfile::tempdir().unwrap();
    let d = Dirs {
        tenants: tmp.path().join("tenants"),
        out: tmp.path().join("out"),
        secrets: tmp.path().join("secrets"),
        _tmp: tmp,
    };
    for p in [&d.tenants, &d.out, &d.secrets] {
        std::fs::create_dir_all(p).unwrap();
    }
    d
}

impl Dirs {
    fn write(&self, tenant: &str, text: &str) {
        // Written beside and renamed, as a ConfigMap update lands whole.
        let tmp = self.tenants.join(format!(".{tenant}.toml.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(tmp, self.tenants.join(format!("{tenant}.toml"))).unwrap();
    }

    fn sync_file(&self, tenant: &str) -> PathBuf {
        self.out.join(tenant).join("sync.c1z")
    }

    fn bitbucket(&self, tenant: &str, sim: &Simulator, extra: &str) {
        let secret = self.secrets.join(tenant);
        let text = bitbucket_tenant(sim, &secret, &self.out.join(tenant), extra);
        self.write(tenant, &text);
    }
}

/// A pooled runtime small enough for a test.
fn pooled() -> Runtime {
    Runtime::pooled(&PoolSettings {
        instances: 64,
        max_memory_bytes: 256 << 20,
    })
    .expect("pooled runtime")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_writes_what_a_one_shot_sync_writes() {
    let sim = simulator(1);
    let d = dirs();
    for t in ["acme", "globex"] {
        d.bitbucket(t, &sim, "");
    }
    let server = Running::start(pooled(), options(&d.tenants)).await;
    until(
        Duration::from_secs(120),
        "both tenants synced",
        async || {
            server
                .value("connector_tenant_syncs_total{tenant=\"acme\"}")
                .await
                == 1.0
                && server
                    .value("connector_tenant_syncs_total{tenant=\"globex\"}")
                    .await
                    == 1.0
        },
    )
    .await;
    let metrics = server.metrics().await;
    server.shutdown().await;

    let one_shot = d.out.join("one-shot.c1z");
    let c = sim.credentials();
    let (base, file) = (sim.base_url(), one_shot.display().to_string());
    sync_argv(&[
        "connector-host",
        "--base-url",
        &base,
        "--username",
        &c.admin_email,
        "--app-password",
        &c.api_token,
        "-f",
        &file,
    ])
    .await
    .expect("one-shot sync");
    let expected = contents(&one_shot);
    assert!(!expected.grants.is_empty());
    for t in ["acme", "globex"] {
        assert!(
            contents(&d.sync_file(t)) == expected,
            "{t}'s file differs from a one-shot sync's"
        );
        for series in [
            "connector_tenant_syncs_total",
            "connector_tenant_last_success_timestamp_seconds",
            "connector_tenant_sync_duration_seconds_count",
            "connector_tenant_bytes_written_total",
            "connector_tenant_next_run_timestamp_seconds",
        ] {
            let line = format!("{series}{{tenant=\"{t}\"}}");
            assert!(metrics.contains(&line), "no {line} in\n{metrics}");
        }
        assert!(
            metrics.contains(&format!(
                "connector_tenant_requests_total{{tenant=\"{t}\",status=\"200\"}}"
            )),
            "{metrics}"
        );
    }
    for series in [
        "connector_instances ",
        "connector_process_resident_memory_bytes ",
        "connector_tenants{state=\"scheduled\"} 2",
    ] {
        assert!(metrics.contains(series), "no {series} in\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_added_changed_and_removed_take_effect_live() {
    let sim = simulator(2);
    let d = dirs();
    d.bitbucket("acme", &sim, "");
    let server = Running::start(shared_runtime().clone(), options(&d.tenants)).await;
    until(Duration::from_secs(120), "acme synced", async || {
        finished_syncs(&d.sync_file("acme")) == 1
    })
    .await;

    // Added: syncs at once.
    d.bitbucket("globex", &sim, "");
    until(Duration::from_secs(120), "globex synced", async || {
        finished_syncs(&d.sync_file("globex")) == 1
    })
    .await;

    // Changed configuration: syncs again at once, with the new settings.
    let ws = sim.dataset().workspaces[0].slug.clone();
    d.bitbucket("acme", &sim, &format!("workspaces = [\"{ws}\"]"));
    until(Duration::from_secs(120), "acme synced again", async || {
        finished_syncs(&d.sync_file("acme")) == 2
    })
    .await;
    let narrowed = contents(&d.sync_file("acme"));
    assert!(narrowed.resources.len() < contents(&d.sync_file("globex")).resources.len());

    // A changed schedule alone does not sync again.
    d.write(
        "globex",
        &std::fs::read_to_string(d.tenants.join("globex.toml"))
            .unwrap()
            .replace("interval = \"6h\"", "interval = \"12h\""),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(finished_syncs(&d.sync_file("globex")), 1);

    // Removed: its series go, the other stays.
    std::fs::remove_file(d.tenants.join("globex.toml")).unwrap();
    until(
        Duration::from_secs(30),
        "globex gone from /metrics",
        async || !server.metrics().await.contains("tenant=\"globex\""),
    )
    .await;
    assert!(server.metrics().await.contains("tenant=\"acme\""));

    // The listing reads the same from the files.
    let rows = connector_host::serve::status::tenant_statuses(
        &d.tenants,
        Default::default(),
        std::time::SystemTime::now(),
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].tenant, "acme");
    assert_eq!(rows[0].state, "synced");
    assert!(rows[0].last_sync.is_some() && rows[0].next_run.as_deref() != Some("now"));
    server.shutdown().await;
}

/// The child of `a_malformed_file_is_reported_by_file_and_key_and_skipped`: a process of its own,
/// so its log subscriber is the only one and sees every line. Without `SERVE_LOG_DIR` it does
/// nothing.
#[test]
fn child_malformed() {
    let Some(root) = std::env::var_os("SERVE_LOG_DIR") else {
        return;
    };
    let root = PathBuf::from(root);
    let sink = LogSink::default();
    let writer = sink.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sim = simulator(3);
        let d = dirs();
        d.bitbucket("good", &sim, "");
        d.write("typo", "intervall = \"6h\"\noutput = { dir = \"x\" }\n");
        d.bitbucket("unknown-key", &sim, "colour = \"blue\"");
        let literal = bitbucket_tenant(&sim, &d.secrets.join("l"), &d.out.join("l"), "").replace(
            &format!("{{ file = \"{}\" }}", d.secrets.join("l").display()),
            "\"hunter2-literal\"",
        );
        d.write("literal", &literal);
        let server = Running::start(shared_runtime().clone(), options(&d.tenants)).await;
        until(
            Duration::from_secs(120),
            "the good tenant synced",
            async || {
                server
                    .value("connector_tenant_syncs_total{tenant=\"good\"}")
                    .await
                    == 1.0
            },
        )
        .await;
        let metrics = server.metrics().await;
        server.shutdown().await;
        assert!(
            metrics.contains("connector_tenants{state=\"invalid\"} 3"),
            "{metrics}"
        );
        assert!(!d.out.join("l").exists());
    });
    std::fs::write(root.join("log"), sink.text()).unwrap();
}

#[test]
fn a_malformed_file_is_reported_by_file_and_key_and_skipped() {
    let root = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_malformed", "--test-threads=1"])
        .env("SERVE_LOG_DIR", root.path())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the child failed: {status}");
    let logs = std::fs::read_to_string(root.path().join("log")).unwrap();
    for (file, key) in [
        ("typo.toml", "intervall"),
        ("unknown-key.toml", "config.colour"),
        ("literal.toml", "config.app-password"),
    ] {
        let line = logs
            .lines()
            .find(|l| l.contains(file) && l.contains("ERROR"))
            .unwrap_or_else(|| panic!("no error about {file} in\n{logs}"));
        assert!(line.contains(&format!("key `{key}`")), "{line}");
        assert!(line.contains("skipped"), "{line}");
    }
    assert!(
        !logs.contains("hunter2-literal"),
        "a literal secret was logged"
    );
    // The good tenant's lines carry its name.
    assert!(
        logs.lines()
            .any(|l| l.contains("tenant{tenant=good}") && l.contains("sync finished")),
        "{logs}"
    );
}

/// A hostile tenant file: the hostile component running `attack` in `validate`.
fn hostile_tenant(d: &Dirs, tenant: &str, attack: &str, config: &str, limits: &str) {
    d.write(
        tenant,
        &format!(
            r#"plugin = "{plugin}"
interval = "1s"
output = {{ dir = "{out}" }}
[config]
attack = "{attack}"
base-url = "http://127.0.0.1:9"
{config}
[limits]
concurrency = 1
{limits}
"#,
            plugin = guests::HOSTILE,
            out = d.out.join(tenant).display(),
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tenants_do_not_hold_up_the_others() {
    let sim = simulator(4);
    let d = dirs();
    // A hang that holds its sync slot for an hour, a CPU spinner allowed an hour of CPU, a
    // memory bomb and a panic that fail at once and retry.
    hostile_tenant(&d, "hang", "sleep", "", "call-timeout-seconds = 3600");
    hostile_tenant(
        &d,
        "spin",
        "spin",
        "",
        "cpu-seconds = 3600\ncall-timeout-seconds = 3600",
    );
    hostile_tenant(&d, "bomb", "memory-bomb", "", "memory-mib = 32");
    hostile_tenant(&d, "panic", "panic", "", "");
    let normal = ["n1", "n2", "n3"];
    for t in normal {
        let secret = d.secrets.join(t);
        let text = bitbucket_tenant(&sim, &secret, &d.out.join(t), "")
            .replace("interval = \"6h\"", "interval = \"1s\"");
        d.write(t, &text);
    }
    let mut o = options(&d.tenants);
    // Fewer slots than tenants: the two long-running hostile tenants hold two of them.
    o.max_concurrent_syncs = 4;
    let server = Running::start(shared_runtime().clone(), o).await;
    // Each normal tenant keeps syncing every second or so.
    until(
        Duration::from_secs(180),
        "three syncs of every normal tenant",
        async || {
            let mut all = true;
            for t in normal {
                let series = format!("connector_tenant_syncs_total{{tenant=\"{t}\"}}");
                all &= server.value(&series).await >= 3.0;
            }
            all
        },
    )
    .await;
    for t in ["bomb", "panic"] {
        let errors = server
            .value(&format!(
                "connector_tenant_sync_errors_total{{tenant=\"{t}\"}}"
            ))
            .await;
        assert!(errors >= 1.0, "{t} did not fail: {errors}");
    }
    assert!(
        server
            .value("connector_tenant_sync_retries_total{tenant=\"bomb\"}")
            .await
            >= 1.0,
        "the failing tenant is retried"
    );
    assert!(
        server.value("connector_tenants{state=\"syncing\"}").await >= 2.0,
        "the hang and the spinner are still running"
    );
    server.shutdown().await;
}

/// A loopback server in front of a simulator that records the `Authorization` header of every
/// request it passes on.
struct Recorder {
    base_url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn recorder(upstream: String) -> Recorder {
    use axum::extract::Request;
    use axum::response::IntoResponse;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let client = ::reqwest::Client::new();
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let (log, client, upstream) = (log.clone(), client.clone(), upstream.clone());
        async move {
            let auth = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            log.lock().unwrap().push(auth);
            let method = req.method().clone();
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default();
            let mut headers = req.headers().clone();
            headers.remove("host");
            let body = axum::body::to_bytes(req.into_body(), usize::MAX)
                .await
                .unwrap();
            let resp = client
                .request(method, format!("{upstream}{target}"))
                .headers(headers)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let mut headers = resp.headers().clone();
            headers.remove("transfer-encoding");
            headers.remove("content-length");
            (status, headers, resp.bytes().await.unwrap()).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Recorder {
        base_url: format!("http://{addr}"),
        seen,
    }
}

/// A tenant file whose syncs go to ConductorOne as `client` (its secret in a file).
fn conductorone_tenant(sim: &Simulator, client: &ClientIdentity, secrets: &Path) -> String {
    let secret = secrets.join(format!("{}.c1", client.name()));
    std::fs::write(&secret, client.client_secret()).unwrap();
    let token = secrets.join(format!("{}.bitbucket", client.name()));
    std::fs::write(&token, sim.credentials().api_token).unwrap();
    format!(
        r#"plugin = "bitbucket"
output = {{ client_id = "{client_id}", client_secret_file = "{secret}" }}
[config]
base-url = "{base}"
username = "{user}"
app-password = {{ file = "{token}" }}
[limits]
concurrency = 2
retry-backoff-base-ms = 5
"#,
        client_id = client.client_id(),
        secret = secret.display(),
        base = sim.base_url(),
        user = sim.credentials().admin_email,
        token = token.display(),
    )
}

/// The grant ids of a file's latest full sync.
fn grant_ids(file: &Path) -> BTreeSet<String> {
    let reader = c1z::C1zReader::open(file).expect("a .c1z");
    let sync = reader.latest_full_sync().unwrap().expect("a full sync");
    let grants = reader.grants(&sync.id, None, None, None).unwrap();
    grants.into_iter().map(|g| g.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conductorone_tenants_each_serve_their_own_client() {
    let d = dirs();
    // Two customers: each its own ConductorOne tenant, client and Bitbucket.
    let (fake_a, fake_b) = (
        FakeC1::start().await.expect("fake ConductorOne"),
        FakeC1::start().await.expect("fake ConductorOne"),
    );
    let (sim_a, sim_b) = (simulator(11), simulator(12));
    let (client_a, client_b) = (fake_a.new_client("acme"), fake_b.new_client("globex"));
    let roots = d.secrets.join("roots.pem");
    std::fs::write(&roots, format!("{}{}", fake_a.ca_pem(), fake_b.ca_pem())).unwrap();
    let mut o = options(&d.tenants);
    o.network.extra_roots = Some(roots);
    d.write("acme", &conductorone_tenant(&sim_a, &client_a, &d.secrets));
    d.write(
        "globex",
        &conductorone_tenant(&sim_b, &client_b, &d.secrets),
    );
    let task_a = fake_a.push_task(TaskSpec::full_sync(FullSync::default()));
    let task_b = fake_b.push_task(TaskSpec::full_sync(FullSync::default()));
    let server = Running::start(pooled(), o).await;

    for (fake, task, sim, tenant) in [
        (&fake_a, &task_a, &sim_a, "acme"),
        (&fake_b, &task_b, &sim_b, "globex"),
    ] {
        let f = fake
            .wait_finished(task, Duration::from_secs(120))
            .await
            .unwrap_or_else(|e| panic!("{tenant}: {e}\n{}", fake.summary()));
        assert!(f.is_success(), "{tenant}: {f:?}");
        let upload = d.out.join(format!("{tenant}-upload.c1z"));
        fake.save_upload(task, &upload).expect("an upload");
        let truth = sim.ground_truth(View::Admin).grants;
        assert!(!truth.is_empty());
        assert_eq!(
            grant_ids(&upload),
            truth,
            "{tenant}'s upload is its own org"
        );
        assert!(fake.violations().is_empty(), "{:?}", fake.violations());
        assert!(
            fake.auth_failures().is_empty(),
            "{:?}",
            fake.auth_failures()
        );
        let host_ids: Vec<String> = fake
            .hellos()
            .into_iter()
            .map(|h| h.request.host_id)
            .collect();
        assert!(
            !host_ids.is_empty() && host_ids.iter().all(|h| h.ends_with(&format!("/{tenant}"))),
            "{host_ids:?}"
        );
    }
    // Each ConductorOne saw only its own client.
    for (fake, client) in [(&fake_a, &client_a), (&fake_b, &client_b)] {
        let asked = fake.token_requests();
        assert!(!asked.is_empty());
        assert!(
            asked
                .iter()
                .all(|t| t.client_id.as_deref() == Some(client.client_id())),
            "{asked:?}"
        );
    }
    until(
        Duration::from_secs(10),
        "the uploads in the metrics",
        async || {
            server
                .value("connector_tenant_syncs_total{tenant=\"globex\"}")
                .await
                == 1.0
        },
    )
    .await;
    assert!(
        server
            .value("connector_tenant_bytes_written_total{tenant=\"acme\"}")
            .await
            > 0.0
    );

    // globex moves to a directory: it leaves service mode and syncs on its schedule.
    d.bitbucket("globex", &sim_b, "");
    until(
        Duration::from_secs(120),
        "globex's first file",
        async || finished_syncs(&d.sync_file("globex")) == 1,
    )
    .await;
    assert_eq!(
        grant_ids(&d.sync_file("globex")),
        sim_b.ground_truth(View::Admin).grants
    );
    let hellos = fake_b.hellos().len();
    let later = fake_b.push_task(TaskSpec::full_sync(FullSync::default()));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        fake_b.finish_record(&later).is_none(),
        "globex no longer takes tasks"
    );
    assert_eq!(fake_b.hellos().len(), hellos);
    // acme still does.
    let again = fake_a.push_task(TaskSpec::full_sync(FullSync::default()));
    let f = fake_a
        .wait_finished(&again, Duration::from_secs(120))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", fake_a.summary()));
    assert!(f.is_success(), "{f:?}");

    // acme's client is revoked: its service stops with an error and backs off; the server and
    // globex go on.
    fake_a.revoke_client(client_a.client_id());
    until(
        Duration::from_secs(30),
        "acme's refusal in the metrics",
        async || {
            server
                .value("connector_tenant_sync_errors_total{tenant=\"acme\"}")
                .await
                >= 1.0
        },
    )
    .await;
    d.bitbucket("globex", &sim_b, "workspaces = [\"acme\"]");
    until(
        Duration::from_secs(120),
        "globex's second file",
        async || finished_syncs(&d.sync_file("globex")) == 2,
    )
    .await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tenant_has_its_own_credential_and_allow_list() {
    use base64::Engine as _;
    let (sim_a, sim_b) = (simulator(5), simulator(6));
    let (rec_a, rec_b) = (
        recorder(sim_a.base_url()).await,
        recorder(sim_b.base_url()).await,
    );
    let (ca, cb) = (sim_a.credentials(), sim_b.credentials());
    let d = dirs();
    // Alpha: Basic with an API token, at service A.
    let secret = d.secrets.join("alpha");
    d.write(
        "alpha",
        &bitbucket_tenant(&sim_a, &secret, &d.out.join("alpha"), "")
            .replace(&sim_a.base_url(), &rec_a.base_url),
    );
    // Beta: an OAuth consumer, at service B.
    std::fs::write(d.secrets.join("beta"), &cb.oauth_secret).unwrap();
    d.write(
        "beta",
        &format!(
            r#"interval = "6h"
output = {{ dir = "{out}" }}
[config]
base-url = "{base}"
consumer-key = "{key}"
consumer-secret = {{ file = "{secret}" }}
oauth-token-url = "{base}/site/oauth2/access_token"
"#,
            out = d.out.join("beta").display(),
            base = rec_b.base_url,
            key = cb.oauth_key,
            secret = d.secrets.join("beta").display(),
        ),
    );
    // Gamma's plugin, allowed service A only, names service B's host.
    hostile_tenant(
        &d,
        "gamma",
        "forbidden-host",
        &format!("target-url = \"{}/gamma-was-here\"", sim_b.base_url()),
        "",
    );
    let gamma = std::fs::read_to_string(d.tenants.join("gamma.toml"))
        .unwrap()
        .replace("http://127.0.0.1:9", &sim_a.base_url());
    d.write("gamma", &gamma);

    let server = Running::start(shared_runtime().clone(), options(&d.tenants)).await;
    until(
        Duration::from_secs(120),
        "alpha and beta synced, gamma failed",
        async || {
            server
                .value("connector_tenant_syncs_total{tenant=\"alpha\"}")
                .await
                == 1.0
                && server
                    .value("connector_tenant_syncs_total{tenant=\"beta\"}")
                    .await
                    == 1.0
                && server
                    .value("connector_tenant_sync_errors_total{tenant=\"gamma\"}")
                    .await
                    >= 1.0
        },
    )
    .await;
    let metrics = server.metrics().await;
    server.shutdown().await;

    let basic = |user: &str, password: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    };
    let alpha_auth = basic(&ca.admin_email, &ca.api_token);
    let beta_token_auth = basic(&cb.oauth_key, &cb.oauth_secret);
    let seen_a = rec_a.seen.lock().unwrap().clone();
    let seen_b = rec_b.seen.lock().unwrap().clone();
    assert!(
        seen_a.len() > 10 && seen_b.len() > 10,
        "{} {}",
        seen_a.len(),
        seen_b.len()
    );
    // Service A saw alpha's credential on every request, and nothing else.
    assert!(
        seen_a.iter().all(|a| *a == alpha_auth),
        "service A saw {seen_a:?}"
    );
    // Service B saw beta's consumer at its token endpoint and beta's token after: never alpha's.
    assert!(
        seen_b
            .iter()
            .all(|a| *a == beta_token_auth || a.starts_with("Bearer ")),
        "service B saw {seen_b:?}"
    );
    assert!(!seen_b.contains(&alpha_auth));
    assert_eq!(seen_b.iter().filter(|a| **a == beta_token_auth).count(), 1);
    // Gamma's plugin ran its request (its sync failed) and its own allow-list refused it: the
    // request never reached B.
    assert_eq!(sim_b.request_log().count("GET <unmatched>"), 0);
    let _ = metrics;
    assert!(contents(&d.sync_file("alpha")) != contents(&d.sync_file("beta")));
}

/// The child of `sigterm_exits_zero_after_a_checkpoint`: serves `SERVE_CHILD_DIR` until SIGTERM,
/// as the binary does. Without the variable it does nothing.
#[test]
fn child_serve() {
    let Some(dir) = std::env::var_os("SERVE_CHILD_DIR") else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .try_init();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut o = options(Path::new(&dir));
        o.checkpoint_interval = Some(Duration::from_millis(200));
        let server = Server::bind(Runtime::new().unwrap(), o).await.unwrap();
        let addr = server.local_addr().unwrap().to_string();
        std::fs::write(Path::new(&dir).with_file_name("listening"), addr).unwrap();
        server
            .run(connector_host::commands::serve::terminated())
            .await
            .unwrap();
        std::fs::write(Path::new(&dir).with_file_name("stopped"), "").unwrap();
    });
}

#[test]
fn sigterm_exits_zero_after_a_checkpoint() {
    // A slow service: the sync is still running when SIGTERM comes.
    let mut config = SimulatorConfig::new(Scale::Small);
    config.latency = Duration::from_millis(300);
    let sim = Simulator::start(config).unwrap();
    let d = dirs();
    let secret = d.secrets.join("slow");
    let text = bitbucket_tenant(&sim, &secret, &d.out.join("slow"), "")
        .replace("concurrency = 2", "concurrency = 1");
    d.write("slow", &text);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_serve", "--nocapture", "--test-threads=1"])
        .env("SERVE_CHILD_DIR", &d.tenants)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let listening = d.tenants.with_file_name("listening");
    let start = Instant::now();
    let addr = loop {
        if let Ok(addr) = std::fs::read_to_string(&listening) {
            break addr;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the child never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Wait until the sync is under way and has checkpointed.
    let work = c1z::store::in_progress_path(&d.sync_file("slow"));
    let start = Instant::now();
    while !(work.exists() && sim.request_log().total > 5) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the sync never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(blocking_status(&addr, "/ready"), Some(200));
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let stopped_at = Instant::now();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "serve exited with {exit}");
    assert!(stopped_at.elapsed() < Duration::from_secs(20));
    assert!(
        d.tenants.with_file_name("stopped").exists(),
        "serve did not return"
    );
    // The sync stopped at a checkpoint: its progress is kept, the output not written.
    assert!(work.exists(), "the in-progress file was not kept");
    assert_eq!(finished_syncs(&d.sync_file("slow")), 0);
}

/// The status of a GET of `path` at `addr`, on a plain socket (no async runtime here).
fn blocking_status(addr: &str, path: &str) -> Option<u16> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split_whitespace().nth(1)?.parse().ok()
}
