//! Explorer page times on a large file: `cargo bench -p connector-host --bench explore_pages`.
//!
//! Syncs the simulator's large scale into a temp file (or uses `EXPLORE_BENCH_FILE`, an absolute path since
//! benches run in `host/`, syncing into it when it is missing), starts `connector-host
//! explore` on it, picks the heaviest pages (the account with most grants, the biggest workspace and repository,
//! the most-held entitlement, the review lists, a broad search) and requests each 10 times after a warm-up. Prints
//! the explorer's start-up time and peak memory, then per page the client-side and server-side (Server-Timing)
//! times and the size. The target is every page under 200 ms; pages over it are marked, not failed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use c1z::C1zReader;
use c1z::query::{AccessIndex, AccountStatus, ResourceRef};

const BIN: &str = env!("CARGO_BIN_EXE_connector-host");
const RUNS: usize = 10;
const TARGET_MS: f64 = 200.0;

fn q(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// `EXPLORE_BENCH_FILE` when it exists; otherwise a fresh large sync, written there or to a temp dir.
fn large_file(dir: &Path) -> PathBuf {
    let out = std::env::var_os("EXPLORE_BENCH_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("large.c1z"));
    if out.exists() {
        return out;
    }
    let t = Instant::now();
    let status = Command::new(BIN)
        .args(["demo", "--scale", "large", "--output"])
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .expect("running connector-host demo");
    assert!(status.success(), "the large demo sync failed");
    println!(
        "synced the large simulator in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    out
}

fn most<'a>(
    list: impl Iterator<Item = ResourceRef>,
    key: impl Fn(ResourceRef) -> usize + 'a,
) -> ResourceRef {
    list.max_by_key(|r| key(*r))
        .expect("the file has resources")
}

/// The pages to time, heaviest of each kind.
fn pages(index: &AccessIndex) -> Vec<(String, String)> {
    let url = |path: &str, r: ResourceRef| {
        let res = index.resource(r);
        format!("{path}?type={}&id={}", q(&res.resource_type), q(&res.id))
    };
    let users = index.resources_of_type("user").iter().copied();
    let busiest_user = most(users.clone(), |r| index.grants_of_principal(r).len());
    let dormant = users
        .clone()
        .find(|r| {
            index
                .resource(*r)
                .user
                .as_ref()
                .map(|u| u.effective_status())
                == Some(AccountStatus::Deleted)
        })
        .unwrap_or(busiest_user);
    let entitled = |t: &str| {
        most(index.resources_of_type(t).iter().copied(), |r| {
            index
                .entitlements_of(r)
                .iter()
                .map(|e| index.grants_of_entitlement(*e).len())
                .sum()
        })
    };
    let workspace = entitled("workspace");
    let repository = entitled("repository");
    let project = entitled("project");
    let group = entitled("user_group");
    let top_entitlement = index
        .entitlements()
        .max_by_key(|(e, _)| index.grants_of_entitlement(*e).len())
        .map(|(_, e)| e.id.clone())
        .unwrap();
    let repos = index.resources_of_type("repository").len();
    let last_repo_page = repos.div_ceil(500).max(1);
    vec![
        ("overview".into(), "/".into()),
        ("search 'erin'".into(), "/search?q=erin".into()),
        ("search 'user0'".into(), "/search?q=user0".into()),
        (
            "search by type".into(),
            "/search?q=a&type=repository".into(),
        ),
        (
            "account with most grants".into(),
            url("/user", busiest_user),
        ),
        ("a deleted account".into(), url("/user", dormant)),
        ("biggest workspace".into(), url("/resource", workspace)),
        ("busiest project".into(), url("/resource", project)),
        ("busiest repository".into(), url("/resource", repository)),
        ("biggest group".into(), url("/resource", group)),
        (
            "most-held entitlement".into(),
            format!("/entitlement?id={}", q(&top_entitlement)),
        ),
        (
            "repositories, page 1".into(),
            "/browse?type=repository".into(),
        ),
        (
            "repositories, last page".into(),
            format!("/browse?type=repository&page={last_repo_page}"),
        ),
        ("review".into(), "/review".into()),
        ("review: privileged".into(), "/review/privileged".into()),
        ("review: dormant".into(), "/review/dormant".into()),
        ("review: group-only".into(), "/review/group-only".into()),
        (
            "review: group-only, page 20".into(),
            "/review/group-only?page=20".into(),
        ),
        ("changes".into(), "/changes".into()),
    ]
}

fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn start_explorer(file: &Path) -> (Child, String, Duration) {
    let t = Instant::now();
    let mut child = Command::new(BIN)
        .args(["explore", "-f"])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the explorer");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the explorer printed its address")
            .unwrap();
        if let Some(u) = line.strip_prefix("Explorer listening on ") {
            break u.trim_end_matches('/').to_string();
        }
    };
    (child, url, t.elapsed())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let file = large_file(dir.path());
    let t = Instant::now();
    let index = AccessIndex::load(&C1zReader::open(&file).unwrap(), None).unwrap();
    println!(
        "{}: {} resources, {} entitlements, {} grants (index loaded in-process in {:.2} s)",
        file.display(),
        index.resources().len(),
        index.entitlements().len(),
        index.grants().len(),
        t.elapsed().as_secs_f64()
    );
    let pages = pages(&index);
    drop(index);

    let (mut child, base, startup) = start_explorer(&file);
    println!("explorer ready in {:.2} s", startup.as_secs_f64());
    let client = reqwest::Client::new();
    println!(
        "\n{:<30} {:>9} {:>9} {:>9} {:>11} {:>9}",
        "page", "min ms", "median", "max ms", "server med", "KiB"
    );
    let mut worst: f64 = 0.0;
    for (name, path) in &pages {
        let mut client_ms = Vec::with_capacity(RUNS);
        let mut server_ms = Vec::with_capacity(RUNS);
        let mut size = 0;
        for run in 0..=RUNS {
            let t = Instant::now();
            let r = client.get(format!("{base}{path}")).send().await.unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            let server: f64 = r
                .headers()
                .get("server-timing")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split("dur=").nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            size = r.bytes().await.unwrap().len();
            // The first request warms caches; it is not counted.
            if run > 0 {
                client_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                server_ms.push(server);
            }
        }
        let max = client_ms.iter().copied().fold(0.0, f64::max);
        worst = worst.max(max);
        println!(
            "{:<30} {:>9.1} {:>9.1} {:>9.1} {:>11.1} {:>9.0}{}",
            name,
            client_ms.iter().copied().fold(f64::INFINITY, f64::min),
            median(client_ms.clone()),
            max,
            median(server_ms),
            size as f64 / 1024.0,
            if max > TARGET_MS {
                "  OVER the 200 ms target"
            } else {
                ""
            }
        );
    }
    println!(
        "\nslowest page: {worst:.1} ms (target {TARGET_MS} ms); explorer peak memory {:.0} MiB",
        peak_rss_mib(child.id()).unwrap_or(f64::NAN)
    );
    let _ = child.kill();
    let _ = child.wait();
}
