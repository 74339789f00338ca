//! The rolling request budget against a simulator that enforces Bitbucket's rolling-window
//! limit (429, text/plain, no `Retry-After`, for a credential's requests beyond the limit in any
//! window), with the window scaled to seconds: a sync needing three windows of budget gets no
//! 429 and the file of an unbounded run; so does one SIGKILLed midway and resumed (the resumed
//! run knows what the killed one sent), and the next sync into the same file (it knows what the
//! previous one sent); and when the service counts more than the host (a lower limit than
//! configured), the host lowers its estimate and still loses no work.
//!
//! Each test prints the budget-bound run's wall time against the least possible,
//! `floor((requests - 1) / budget) * window` (`connector_host::http::minimum_wall`).

use std::path::Path;
use std::time::{Duration, Instant};

use bitbucket_simulator::{RollingLimit, Scale, Simulator, SimulatorConfig};
use connector_host::http::minimum_wall;
use connector_tests::{contents, spawn_child_sync, sync_argv};

/// The scaled window: long enough that a sync's own work is small beside it. The tests use 4 s;
/// `RATE_BENCH_WINDOW_SECONDS` sets a longer one for the benchmark's figures, where the sync's
/// own work (which the theoretical minimum leaves out) weighs less.
fn window() -> Duration {
    std::env::var("RATE_BENCH_WINDOW_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(4), Duration::from_secs)
}

fn argv<'a>(
    sim_url: &'a str,
    user: &'a str,
    token: &'a str,
    out: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut argv = vec![
        "connector-host",
        "--base-url",
        sim_url,
        "--username",
        user,
        "--app-password",
        token,
        "-f",
        out,
    ];
    argv.extend_from_slice(extra);
    argv
}

/// Syncs `sim` as its admin into `out` with `--requests-per-hour budget` over [`window`]
/// (`None`: no budget); returns whether it resumed, the requests it sent and its wall time.
async fn sync(
    sim_url: &str,
    user: &str,
    token: &str,
    out: &Path,
    budget: Option<u32>,
) -> (bool, u64, Duration) {
    let out = out.to_str().expect("utf-8 path");
    let budget = budget.map_or("0".to_string(), |b| b.to_string());
    let seconds = window().as_secs().to_string();
    let extra = [
        "--requests-per-hour",
        &budget,
        "--rate-window-seconds",
        &seconds,
    ];
    let started = Instant::now();
    let outcome = sync_argv(&argv(sim_url, user, token, out, &extra))
        .await
        .expect("sync");
    (
        outcome.report.resumed,
        outcome.requests_total,
        started.elapsed(),
    )
}

/// [`sync`] of `sim` as its admin.
async fn sync_as_admin(sim: &Simulator, out: &Path, budget: Option<u32>) -> (bool, u64, Duration) {
    let creds = sim.credentials();
    sync(
        &sim.base_url(),
        &creds.admin_email,
        &creds.api_token,
        out,
        budget,
    )
    .await
}

/// A simulator of `scale` enforcing `limit` per [`window`] (none: unlimited).
fn simulator(limit: Option<u32>) -> Simulator {
    Simulator::start(SimulatorConfig {
        rolling_limit: limit.map(|n| RollingLimit::new(n, window())),
        ..SimulatorConfig::new(Scale::Small)
    })
    .unwrap()
}

/// An unbounded sync of a fresh small simulator: its requests, its file and its wall time.
async fn unbounded(dir: &Path) -> (u64, connector_tests::Contents, Duration) {
    let sim = simulator(None);
    let out = dir.join("unbounded.c1z");
    let (_, requests, wall) = sync_as_admin(&sim, &out, None).await;
    assert_eq!(requests, sim.request_log().total);
    (requests, contents(&out), wall)
}

fn rate_limited(sim: &Simulator) -> u64 {
    sim.request_log().statuses.get(&429).copied().unwrap_or(0)
}

/// The figure for the benchmark: wall time against the least possible, and the unbounded run's
/// wall time (the sync's own work, which the minimum leaves out).
fn report(label: &str, requests: u64, budget: u32, wall: Duration, unbounded: Duration) {
    let minimum = minimum_wall(requests, budget, window());
    eprintln!(
        "{label}: {requests} requests, budget {budget} per {w:?}: wall {:.2}s, theoretical minimum floor((requests-1)/budget)*window = {:.2}s, ratio {:.3}; over the minimum {:.2}s, an unbounded run takes {:.2}s (ratio to minimum + unbounded run {:.3})",
        wall.as_secs_f64(),
        minimum.as_secs_f64(),
        wall.as_secs_f64() / minimum.as_secs_f64().max(f64::EPSILON),
        wall.saturating_sub(minimum).as_secs_f64(),
        unbounded.as_secs_f64(),
        wall.as_secs_f64() / (minimum + unbounded).as_secs_f64(),
        w = window(),
    );
}

/// A third of the requests (rounded up): the sync needs three windows' worth.
fn third(requests: u64) -> u32 {
    u32::try_from(requests.div_ceil(3)).unwrap()
}

#[tokio::test]
async fn a_budget_bound_sync_gets_no_429_and_the_file_of_an_unbounded_run() {
    let dir = tempfile::tempdir().unwrap();
    let (requests, clean, unbounded_wall) = unbounded(dir.path()).await;
    let budget = third(requests);
    let sim = simulator(Some(budget));
    let out = dir.path().join("bound.c1z");
    let (_, sent, wall) = sync_as_admin(&sim, &out, Some(budget)).await;
    assert_eq!(rate_limited(&sim), 0, "{:?}", sim.request_log().statuses);
    assert_eq!(sent, requests, "the same requests as the unbounded run");
    assert!(
        contents(&out) == clean,
        "the file differs from an unbounded run's"
    );
    // The simulator would have refused the third window's requests had they gone early.
    assert!(
        wall >= minimum_wall(requests, budget, window()),
        "took {wall:?}"
    );
    report("budget-bound sync", requests, budget, wall, unbounded_wall);
}

/// The child: `BUDGET_CHILD` = "<base url>|<user>|<token>|<file>|<budget>".
#[tokio::test]
async fn child_sync() {
    let Ok(spec) = std::env::var("BUDGET_CHILD") else {
        return;
    };
    let parts: Vec<&str> = spec.splitn(5, '|').collect();
    let budget = parts[4].parse().expect("budget");
    let (resumed, _, _) = sync(
        parts[0],
        parts[1],
        parts[2],
        Path::new(parts[3]),
        Some(budget),
    )
    .await;
    println!("RESUMED={resumed}");
}

#[tokio::test]
async fn a_budget_bound_sync_killed_midway_and_resumed_gets_no_429() {
    let dir = tempfile::tempdir().unwrap();
    let (requests, clean, unbounded_wall) = unbounded(dir.path()).await;
    let budget = third(requests);
    let sim = simulator(Some(budget));
    let creds = sim.credentials();
    let path = dir.path().join("killed.c1z");
    let spec = format!(
        "{}|{}|{}|{}|{budget}",
        sim.base_url(),
        creds.admin_email,
        creds.api_token,
        path.display()
    );
    let started = Instant::now();
    let mut child = spawn_child_sync("BUDGET_CHILD", spec.as_ref());
    // Kill it in the second window, once it is sending again: what it sent since its last
    // checkpoint is only in its journal.
    let deadline = Instant::now() + Duration::from_secs(120);
    while sim.request_log().total < u64::from(budget) + 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL the child");
    child.wait().unwrap();
    let before_kill = sim.request_log().total;
    assert!(
        before_kill > u64::from(budget) && before_kill < requests,
        "killed after {before_kill} of {requests} requests"
    );
    let out = spawn_child_sync("BUDGET_CHILD", spec.as_ref())
        .wait_with_output()
        .unwrap();
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "resumed child failed: {stdout}");
    assert!(
        stdout.contains("RESUMED=true"),
        "the second run resumes: {stdout}"
    );
    assert_eq!(rate_limited(&sim), 0, "{:?}", sim.request_log().statuses);
    assert!(
        contents(&path) == clean,
        "the resumed file differs from an unbounded run's"
    );
    let total = sim.request_log().total;
    eprintln!("killed after {before_kill} requests; {total} in all, an unbounded sync {requests}");
    report(
        "budget-bound sync, killed and resumed",
        total,
        budget,
        wall,
        unbounded_wall,
    );
}

#[tokio::test]
async fn the_next_sync_into_the_same_file_counts_what_the_previous_one_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (requests, clean, _) = unbounded(dir.path()).await;
    // Room for one sync and a little: the first is never slowed, the second must wait for the
    // first one's requests to leave the window.
    let budget = u32::try_from(requests + requests / 4).unwrap();
    let sim = simulator(Some(budget));
    let out = dir.path().join("twice.c1z");
    let (_, first, first_wall) = sync_as_admin(&sim, &out, Some(budget)).await;
    assert!(
        first_wall < window() / 2,
        "a sync within its budget is not slowed: {first_wall:?}"
    );
    let (resumed, second, second_wall) = sync_as_admin(&sim, &out, Some(budget)).await;
    assert!(!resumed);
    assert_eq!(rate_limited(&sim), 0, "{:?}", sim.request_log().statuses);
    assert!(contents(&out) == clean);
    eprintln!(
        "first sync {first} requests in {first_wall:?}, the second {second} in {second_wall:?} (budget {budget} per {w:?})",
        w = window(),
    );
    assert!(
        first_wall + second_wall >= minimum_wall(first + second, budget, window()),
        "the two syncs sent {} requests within one window",
        first + second
    );
}

#[tokio::test]
async fn a_service_that_counts_more_gets_429s_the_budget_lowers_and_no_work_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (requests, clean, _) = unbounded(dir.path()).await;
    // The service allows a third; the host believes it may send half.
    let allowed = third(requests);
    let sim = simulator(Some(allowed));
    let out = dir.path().join("lowered.c1z");
    let believed = u32::try_from(requests / 2).unwrap();
    let (_, _, wall) = sync_as_admin(&sim, &out, Some(believed)).await;
    let log = sim.request_log();
    let refused = rate_limited(&sim);
    assert!(refused > 0, "the service refused what went over its limit");
    // Lowered at the first 429s: far fewer refusals than a client that ignored them.
    assert!(
        refused < u64::from(believed - allowed) + 16,
        "{refused} refused: {:?}",
        log.statuses
    );
    assert_eq!(
        log.statuses.get(&200).copied(),
        Some(requests - log.refused().values().sum::<u64>())
    );
    assert!(
        contents(&out) == clean,
        "the file differs from an unbounded run's"
    );
    eprintln!("{refused} requests refused; took {wall:?}");
}

#[tokio::test]
async fn an_access_token_is_budgeted_to_the_limit_the_api_reports() {
    let dir = tempfile::tempdir().unwrap();
    let sync_token = |sim: &Simulator, out: &Path, extra: Vec<String>| {
        let base = sim.base_url();
        let token = sim.credentials().access_token;
        let out = out.to_str().unwrap().to_string();
        async move {
            let mut argv = vec![
                "connector-host".to_string(),
                "--base-url".into(),
                base,
                "--token".into(),
                token,
                "-f".into(),
                out,
            ];
            argv.extend(extra);
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            let started = Instant::now();
            let outcome = sync_argv(&argv).await.expect("sync");
            (outcome.requests_total, started.elapsed())
        }
    };
    // A token sees one workspace; at medium scale its repository pages, which report the
    // limit, come long before half its requests have gone.
    let free = Simulator::start(SimulatorConfig::new(Scale::Medium)).unwrap();
    let (requests, _) = sync_token(
        &free,
        &dir.path().join("free.c1z"),
        vec!["--requests-per-hour".into(), "0".into()],
    )
    .await;
    let clean = contents(&dir.path().join("free.c1z"));
    // Users get almost nothing; the token's own limit, half its sync, is reported on
    // /2.0/repositories responses. (A real token's limit is never below the default, 1,000 + 10
    // a seat above 100, so the default cannot overspend it before it is learned.)
    let limit = u32::try_from(requests.div_ceil(2)).unwrap();
    let sim = Simulator::start(SimulatorConfig {
        rolling_limit: Some(RollingLimit {
            access_token_requests: Some(limit),
            ..RollingLimit::new(1, window())
        }),
        ..SimulatorConfig::new(Scale::Medium)
    })
    .unwrap();
    let out = dir.path().join("token.c1z");
    // No --requests-per-hour: the default (1000) until the API says otherwise.
    let window_args = vec![
        "--rate-window-seconds".to_string(),
        window().as_secs().to_string(),
    ];
    let (sent, wall) = sync_token(&sim, &out, window_args).await;
    assert_eq!(rate_limited(&sim), 0, "{:?}", sim.request_log().statuses);
    assert_eq!(sent, requests);
    assert!(contents(&out) == clean);
    assert!(
        wall >= minimum_wall(requests, limit, window()),
        "{requests} requests in {wall:?} under {limit} per {w:?}",
        w = window(),
    );
}
