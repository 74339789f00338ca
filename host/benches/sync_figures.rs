//! The sync's figures (BENCHMARKS.md): full syncs of the simulator at three scales with 30 ms
//! latency, run as the release binary in a child process (requests against the documented plan,
//! wall time, CPU time and peak memory of that process); the component's instantiation time;
//! start-up to first request; and the CPU time of the guest logic as a wasm component, beside
//! the same logic compiled natively (guest/bitbucket/benches/native_sync.rs, read from
//! `NATIVE_BENCH_OUT` when `just bench` has run it first).
//!
//! `cargo bench -p connector-host --bench sync_figures` (`BENCH_SCALES=small,medium` to skip large).

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bitbucket_simulator::plan::{PlanOptions, documented_requests};
use bitbucket_simulator::{Scale, Simulator, SimulatorConfig, View};
use connector_host::cli;
use connector_host::embedded::{DEFAULT_COMPONENT, DEFAULT_PLUGIN_NAME};
use connector_host::http::HttpCapability;
use connector_host::runtime::types as wit;
use connector_host::runtime::{Instance, Limits, Runtime};

const BIN: &str = env!("CARGO_BIN_EXE_connector-host");
const LATENCY: Duration = Duration::from_millis(30);

/// What one child process used.
struct Usage {
    wall: Duration,
    cpu: Duration,
    peak_rss_mib: f64,
    ok: bool,
}

/// Runs `cmd` to its end, with the kernel's account of its CPU time and peak memory.
// The child is reaped by `wait4` (for its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn measure(mut cmd: Command) -> Usage {
    let start = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning the host");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: pid is our child, not yet reaped; status and usage are valid out-pointers.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Usage {
        wall: start.elapsed(),
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        peak_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        ok: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
    }
}

/// The release binary syncing `sim` into `out` as its admin.
fn sync_command(sim: &Simulator, out: &std::path::Path, extra: &[&str]) -> Command {
    let creds = sim.credentials();
    let mut cmd = Command::new(BIN);
    cmd.arg("--base-url")
        .arg(sim.base_url())
        .arg("-f")
        .arg(out)
        .args(["--username", &creds.admin_email])
        .args(["--app-password", &creds.api_token])
        // Speed without a budget; the budget-bound run is tests/tests/rate_budget.rs.
        .args(["--requests-per-hour", "0"])
        .args(extra)
        .env_remove("BATON_LOG_LEVEL");
    cmd
}

fn scale_named(name: &str) -> Scale {
    match name {
        "small" => Scale::Small,
        "medium" => Scale::Medium,
        "large" => Scale::Large,
        other => panic!("BENCH_SCALES: unknown scale {other:?} (small, medium, large)"),
    }
}

fn scales_table(dir: &std::path::Path) {
    let scales = std::env::var("BENCH_SCALES").unwrap_or_else(|_| "small,medium,large".into());
    println!(
        "\nFull syncs, simulator with {} ms latency per request, release binary, default concurrency (8)",
        LATENCY.as_millis()
    );
    println!(
        "| scale | requests | plan floor | ratio | wall | CPU | peak RSS |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for name in scales.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let sim = Simulator::start(SimulatorConfig {
            latency: LATENCY,
            ..SimulatorConfig::new(scale_named(name))
        })
        .expect("simulator");
        let floor: u64 = documented_requests(&sim.dataset(), &PlanOptions::new(View::Admin))
            .values()
            .sum();
        let out = dir.join(format!("{name}.c1z"));
        let usage = measure(sync_command(&sim, &out, &[]));
        assert!(usage.ok, "the {name} sync failed");
        let requests = sim.request_log().total;
        println!(
            "| {name} | {requests} | {floor} | {:.3}x | {:.2} s | {:.2} s | {:.0} MiB |",
            requests as f64 / floor as f64,
            usage.wall.as_secs_f64(),
            usage.cpu.as_secs_f64(),
            usage.peak_rss_mib
        );
    }
}

/// From spawning the binary to the simulator's first request, median of 7 (the compiled
/// component is in wasmtime's disk cache after the first run, as it is in the image).
fn startup_to_first_request(dir: &std::path::Path) {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).expect("simulator");
    let mut samples = Vec::new();
    for i in 0..8 {
        sim.reset_request_log();
        let out = dir.join(format!("startup-{i}.c1z"));
        let start = Instant::now();
        let mut child = sync_command(&sim, &out, &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawning the host");
        while sim.request_log().total == 0 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no request in 30 s"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        let first = start.elapsed();
        child.wait().expect("waiting for the host");
        if i > 0 {
            samples.push(first);
        }
    }
    samples.sort();
    println!(
        "\nStart-up to first request (process spawn to the simulator's first request, small scale): median {:.1} ms, max {:.1} ms of {}",
        ms(samples[samples.len() / 2]),
        ms(*samples.last().unwrap()),
        samples.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Instantiating the pre-instantiated (InstancePre) component, fresh store and all.
async fn instantiation(runtime: &Runtime) {
    let plugin = runtime
        .load_plugin(DEFAULT_PLUGIN_NAME, DEFAULT_COMPONENT)
        .expect("loading the embedded component");
    let http = HttpCapability::new(Default::default(), None).expect("http");
    let config: BTreeMap<String, String> = [("auth-kind".to_string(), "none".to_string())].into();
    let mut samples = Vec::new();
    for _ in 0..300 {
        let start = Instant::now();
        let instance = plugin
            .instantiate(&Limits::default(), http.clone(), config.clone())
            .await
            .expect("instantiate");
        samples.push(start.elapsed());
        drop(instance);
    }
    samples.sort();
    println!(
        "\nInstantiation of the embedded component (InstancePre, new store): median {:.3} ms, p99 {:.3} ms of {}",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 99 / 100]),
        samples.len()
    );
}

/// CPU time this thread has used.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for clock_gettime to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The calls of one sync, in the order of the SDK's native driver, on one instance; returns the
/// number of grants listed.
async fn drive(instance: &mut Instance) -> usize {
    instance.validate().await.expect("validate");
    let mut queue: Vec<wit::ResourceInfo> = Vec::new();
    for t in instance.resource_types().await.expect("resource types") {
        let mut token = String::new();
        loop {
            let page = instance
                .list_resources(&t.id, None, &token)
                .await
                .expect("list");
            queue.extend(page.items);
            token = page.next_token;
            if token.is_empty() {
                break;
            }
        }
    }
    let mut resources = Vec::new();
    while let Some(r) = queue.pop() {
        for child in &r.child_resource_types {
            let mut token = String::new();
            loop {
                let page = instance
                    .list_resources(child, Some(&r.id), &token)
                    .await
                    .expect("list");
                queue.extend(page.items);
                token = page.next_token;
                if token.is_empty() {
                    break;
                }
            }
        }
        resources.push(r);
    }
    let mut grants = 0;
    for r in &resources {
        let mut token = String::new();
        loop {
            let page = instance.list_entitlements(r, &token).await.expect("ents");
            token = page.next_token;
            if token.is_empty() {
                break;
            }
        }
        loop {
            let page = instance.list_grants(r, &token).await.expect("grants");
            grants += page.items.len();
            token = page.next_token;
            if token.is_empty() {
                break;
            }
        }
    }
    grants
}

/// Figures `native_sync` wrote to `NATIVE_BENCH_OUT`, by scale: the logic's own time and the
/// thread's CPU time with its HTTP client.
fn native_figures() -> BTreeMap<String, (f64, f64)> {
    let Some(text) = std::env::var("NATIVE_BENCH_OUT")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
    else {
        return BTreeMap::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next()?.to_string();
            let own = fields.next()?.parse().ok()?;
            let thread = fields.next()?.parse().ok()?;
            Some((name, (own, thread)))
        })
        .collect()
}

/// The guest logic of one sync on the wasm component beside the same logic compiled natively,
/// best of 5: the guest's own time (the calls' wall time less the time in host imports, as the
/// host counts it against its CPU limit), and this thread's CPU time with each side's HTTP
/// client (a current-thread runtime; the simulator serves from threads of its own).
async fn wasm_versus_native(runtime: &Runtime) {
    let native = native_figures();
    println!(
        "\nGuest logic of one sync, one instance, calls in the SDK driver's order (no store): own time without HTTP, then thread CPU with each side's HTTP client"
    );
    println!(
        "| scale | wasm logic | native logic | wasm/native | wasm thread CPU | native thread CPU | wasm/native |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for (name, scale) in [("medium", Scale::Medium), ("large", Scale::Large)] {
        let sim = Simulator::start(SimulatorConfig::new(scale)).expect("simulator");
        let creds = sim.credentials();
        let base = sim.base_url();
        let argv = [
            "connector-host",
            "--base-url",
            &base,
            "--username",
            &creds.admin_email,
            "--app-password",
            &creds.api_token,
            "--requests-per-hour",
            "0",
            "-f",
            "unused.c1z",
        ];
        let inv = cli::parse_from(runtime, argv.iter().map(Into::into).collect())
            .await
            .unwrap_or_else(|f| panic!("flags: {}", f.error));
        let limits = &inv.cli.sync.run.limits;
        let settings = inv.run_settings(limits, true).expect("settings");
        let (mut own, mut thread) = (Duration::MAX, Duration::MAX);
        for _ in 0..5 {
            let (mut instance, _http) = settings.instantiate().await.expect("instance");
            let (guest0, cpu0) = (instance.guest_time(), thread_cpu());
            drive(&mut instance).await;
            thread = thread.min(thread_cpu() - cpu0);
            own = own.min(instance.guest_time() - guest0);
        }
        let (own, thread) = (own.as_secs_f64(), thread.as_secs_f64());
        match native.get(name) {
            Some(&(n_own, n_thread)) => println!(
                "| {name} | {own:.3} s | {n_own:.3} s | {:.2}x | {thread:.3} s | {n_thread:.3} s | {:.2}x |",
                own / n_own,
                thread / n_thread
            ),
            None => println!(
                "| {name} | {own:.3} s | (run guest/bitbucket/benches/native_sync.rs with NATIVE_BENCH_OUT) | | {thread:.3} s | | |"
            ),
        }
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A first run fills wasmtime's disk cache with the compiled component.
    let warm = Simulator::start(SimulatorConfig::new(Scale::Small)).expect("simulator");
    assert!(measure(sync_command(&warm, &dir.path().join("warm.c1z"), &[])).ok);
    drop(warm);

    scales_table(dir.path());
    startup_to_first_request(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let runtime = Runtime::new().expect("wasmtime runtime");
    rt.block_on(instantiation(&runtime));
    rt.block_on(wasm_versus_native(&runtime));
}
