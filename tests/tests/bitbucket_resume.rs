//! The Bitbucket component's page tokens are self-contained: a medium-scale sync of the
//! simulator killed with SIGKILL midway and started again with the same `-f` resumes (a fresh
//! component instance, continuing from the checkpointed tokens) and ends with exactly the file of
//! an uninterrupted sync.
//!
//! The sync runs in a child process (this test binary re-executed with `BB_RESUME_CHILD` set),
//! against a simulator the parent keeps running across the kill.

use std::path::Path;
use std::time::{Duration, Instant};

use bitbucket_simulator::{Scale, Simulator, SimulatorConfig};
use connector_tests::{contents, spawn_child_sync, sync_argv};

async fn sync(base_url: &str, user: &str, token: &str, out: &Path) -> bool {
    let argv = [
        "connector-host",
        "--base-url",
        base_url,
        "--username",
        user,
        "--app-password",
        token,
        "-f",
        out.to_str().expect("utf-8 path"),
        // The killed and the resumed run together send more than Bitbucket's hourly 1,000, which
        // the default budget would wait out; rate_budget.rs tests the budget across a kill.
        "--requests-per-hour",
        "0",
    ];
    sync_argv(&argv).await.expect("sync").report.resumed
}

/// The child: `BB_RESUME_CHILD` = "<base url>|<user>|<token>|<file>".
#[tokio::test]
async fn child_sync() {
    let Ok(spec) = std::env::var("BB_RESUME_CHILD") else {
        return;
    };
    let parts: Vec<&str> = spec.splitn(4, '|').collect();
    let resumed = sync(parts[0], parts[1], parts[2], Path::new(parts[3])).await;
    println!("RESUMED={resumed}");
}

fn spawn_child(spec: &str) -> std::process::Child {
    spawn_child_sync("BB_RESUME_CHILD", spec.as_ref())
}

#[tokio::test]
async fn a_sigkilled_bitbucket_sync_resumes_and_equals_a_clean_run() {
    // Latency stretches the medium sync to several seconds, so the kill lands midway.
    let sim = Simulator::start(SimulatorConfig {
        latency: Duration::from_millis(4),
        ..SimulatorConfig::new(Scale::Medium)
    })
    .unwrap();
    let creds = sim.credentials();
    let dir = tempfile::tempdir().unwrap();

    let clean = dir.path().join("clean.c1z");
    sim.reset_request_log();
    assert!(
        !sync(
            &sim.base_url(),
            &creds.admin_email,
            &creds.api_token,
            &clean
        )
        .await
    );
    let clean_requests = sim.request_log().total;

    let path = dir.path().join("killed.c1z");
    let in_progress = c1z::store::in_progress_path(&path);
    let spec = format!(
        "{}|{}|{}|{}",
        sim.base_url(),
        creds.admin_email,
        creds.api_token,
        path.display()
    );
    sim.reset_request_log();
    let mut child = spawn_child(&spec);
    let started = Instant::now();
    while sim.request_log().total < 550 && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL the child");
    child.wait().unwrap();
    let before_kill = sim.request_log().total;
    assert!(
        in_progress.exists(),
        "the interrupted sync left its working state"
    );
    assert!(
        !path.exists(),
        "an interrupted sync must not leave a file that looks complete"
    );

    let out = spawn_child(&spec).wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "resumed child failed: {stdout}");
    assert!(
        stdout.contains("RESUMED=true"),
        "the second run resumes: {stdout}"
    );
    assert!(!in_progress.exists());

    assert_eq!(
        contents(&path),
        contents(&clean),
        "resumed sync differs from a clean one"
    );
    // Resuming continued rather than starting over: the resumed run made fewer requests than a
    // whole sync (it refetches only what its fresh instance needs for the remaining pages).
    let resumed_requests = sim.request_log().total - before_kill;
    eprintln!(
        "killed after {before_kill} requests; the resumed run made {resumed_requests}, a whole sync {clean_requests}"
    );
    assert!(before_kill >= 550, "killed after {before_kill} requests");
    assert!(
        resumed_requests < clean_requests,
        "the resumed run made {resumed_requests} requests, a whole sync {clean_requests}"
    );
}
