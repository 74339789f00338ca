//! `serve` with many tenants on this machine: 200 tenants (`SERVE_BENCH_TENANTS`) syncing small
//! simulated Bitbucket organisations at once, on one pooled runtime. Prints instantiation time,
//! memory, throughput, and the spread of sync durations with and without a hostile tenant (a
//! CPU spinner allowed ten minutes of CPU) beside them.
//!
//! `cargo bench -p connector-tests --bench serve_tenants` (part of `just bench`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use bitbucket_simulator::{Scale, Simulator, SimulatorConfig};
use connector_host::component::{ComponentSource, DeclaredComponent};
use connector_host::http::{HttpCapability, HttpSettings};
use connector_host::runtime::{Limits, PoolSettings, Runtime};
use connector_host::serve::metrics::statm;
use connector_host::serve::{ServeOptions, Server};

/// Simulators the tenants share (each tenant still syncs a whole organisation of its own).
const SIMULATORS: usize = 8;
/// Syncs at once.
const CONCURRENT: usize = 32;

fn pool() -> PoolSettings {
    PoolSettings {
        instances: (CONCURRENT * 4 + 16) as u32,
        max_memory_bytes: 128 << 20,
    }
}

fn rss_mib() -> f64 {
    statm().map_or(0.0, |(_, rss)| rss as f64 / (1 << 20) as f64)
}

struct Round {
    wall: Duration,
    durations: Vec<f64>,
    requests: f64,
    peak_rss: f64,
    rss_after: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Every series `name{tenant="..."}` of a metrics text, by tenant.
fn per_tenant(text: &str, name: &str) -> BTreeMap<String, f64> {
    let prefix = format!("{name}{{tenant=\"");
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&prefix)?;
            let (tenant, value) = rest.split_once("\"} ")?;
            Some((tenant.to_string(), value.parse().ok()?))
        })
        .collect()
}

async fn metrics(addr: std::net::SocketAddr) -> String {
    reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text")
}

fn write_tenants(dir: &Path, out: &Path, sims: &[Simulator], tenants: usize, hostile: bool) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..tenants {
        let sim = &sims[i % sims.len()];
        let c = sim.credentials();
        let secret = out.join(format!("secret-{i}"));
        std::fs::create_dir_all(out).unwrap();
        std::fs::write(&secret, &c.api_token).unwrap();
        let text = format!(
            "interval = \"6h\"\noutput = {{ dir = \"{}\" }}\n[config]\nbase-url = \"{}\"\nusername = \"{}\"\napp-password = {{ file = \"{}\" }}\n[limits]\nconcurrency = 4\n",
            out.join(format!("t{i}")).display(),
            sim.base_url(),
            c.admin_email,
            secret.display()
        );
        std::fs::write(dir.join(format!("t{i:03}.toml")), text).unwrap();
    }
    if hostile {
        let text = format!(
            "plugin = \"{}\"\ninterval = \"6h\"\noutput = {{ dir = \"{}\" }}\n[config]\nattack = \"spin\"\nbase-url = \"http://127.0.0.1:9\"\n[limits]\ncpu-seconds = 600\ncall-timeout-seconds = 600\nconcurrency = 1\n",
            connector_tests::guests::HOSTILE,
            out.join("hostile").display()
        );
        std::fs::write(dir.join("hostile.toml"), text).unwrap();
    }
}

async fn round(runtime: &Runtime, sims: &[Simulator], tenants: usize, hostile: bool) -> Round {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tenants");
    let out = tmp.path().join("out");
    write_tenants(&dir, &out, sims, tenants, hostile);
    let mut o = ServeOptions::new(&dir);
    o.listen = Some("127.0.0.1:0".parse().unwrap());
    o.max_concurrent_syncs = CONCURRENT;
    o.max_tenant_memory_mib = 128;
    o.reload_every = Duration::from_millis(500);
    o.shutdown_grace = Duration::from_secs(1);
    let server = Server::bind(runtime.clone(), o).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let start = Instant::now();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let mut peak = rss_mib();
    let text = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        peak = peak.max(rss_mib());
        let text = metrics(addr).await;
        let done = per_tenant(&text, "connector_tenant_syncs_total")
            .iter()
            .filter(|(t, n)| t.starts_with('t') && **n >= 1.0)
            .count();
        if done == tenants {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1800),
            "the round did not finish"
        );
    };
    let wall = start.elapsed();
    let rss_after = rss_mib();
    let mut durations: Vec<f64> = per_tenant(&text, "connector_tenant_last_sync_duration_seconds")
        .into_iter()
        .filter(|(t, _)| t.starts_with('t'))
        .map(|(_, d)| d)
        .collect();
    durations.sort_by(f64::total_cmp);
    let requests: f64 = text
        .lines()
        .filter(|l| l.starts_with("connector_tenant_requests_total{tenant=\"t"))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum();
    let _ = stop.send(());
    let _ = task.await;
    Round {
        wall,
        durations,
        requests,
        peak_rss: peak,
        rss_after,
    }
}

fn main() {
    let tenants: usize = std::env::var("SERVE_BENCH_TENANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let sims: Vec<Simulator> = (0..SIMULATORS)
        .map(|i| {
            let mut c = SimulatorConfig::new(Scale::Small);
            c.seed = 100 + i as u64;
            Simulator::start(c).expect("simulator")
        })
        .collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let before_runtime = rss_mib();
        let runtime = Runtime::pooled(&pool()).expect("pooled runtime");
        let component = DeclaredComponent::load(&runtime, &ComponentSource::Embedded, &[])
            .await
            .expect("component");
        // Instantiation: a fresh store and instance of the embedded component, pooled.
        let n = 500;
        let http = HttpCapability::new(HttpSettings::default(), None).unwrap();
        let start = Instant::now();
        for _ in 0..n {
            let i = component
                .plugin
                .instantiate(&Limits::default(), http.clone(), BTreeMap::new())
                .await
                .unwrap();
            drop(i);
        }
        let instantiate_us = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        let baseline = rss_mib();

        let calm = round(&runtime, &sims, tenants, false).await;
        let stormy = round(&runtime, &sims, tenants, true).await;

        println!();
        println!("serve: {tenants} tenants, small organisations on {SIMULATORS} simulators, {CONCURRENT} syncs at once, pooled instances");
        println!("  instantiate (pooled, pre-instantiated): {instantiate_us:.0} µs");
        println!(
            "  memory: runtime + component {:.1} MiB, process {:.1} MiB before the tenants",
            baseline - before_runtime,
            baseline
        );
        println!();
        println!(
            "  {:<22} {:>9} {:>10} {:>10} {:>9} {:>9} {:>11} {:>13} {:>13}",
            "round", "wall s", "syncs/s", "req/s", "p50 s", "p99 s", "peak MiB", "MiB/running", "KiB/idle"
        );
        for (name, r) in [("200 tenants", &calm), ("+ a hostile spinner", &stormy)] {
            println!(
                "  {:<22} {:>9.1} {:>10.2} {:>10.0} {:>9.2} {:>9.2} {:>11.1} {:>13.2} {:>13.0}",
                name.replace("200", &tenants.to_string()),
                r.wall.as_secs_f64(),
                r.durations.len() as f64 / r.wall.as_secs_f64(),
                r.requests / r.wall.as_secs_f64(),
                percentile(&r.durations, 0.5),
                percentile(&r.durations, 0.99),
                r.peak_rss,
                (r.peak_rss - baseline).max(0.0) / CONCURRENT as f64,
                (r.rss_after - baseline).max(0.0) * 1024.0 / tenants as f64,
            );
        }
        println!();
        println!("  MiB/running: (peak - before) / syncs at once; KiB/idle: (after - before) / tenants.");
    });
}
