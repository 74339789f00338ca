//! Interrupted one-shot syncs and demos through the `connector-host` binary: a rerun resumes only
//! a sync of the same scope (component, base URL, configuration, credential identity), Ctrl-C
//! stops at a checkpoint and says how to resume, and an interrupted demo never blocks the next.
//! Every finished file is compared with the simulator's ground truth.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use bitbucket_simulator::truth::{self, GroundTruth};
use bitbucket_simulator::{DEFAULT_SEED, Scale, Simulator, SimulatorConfig, View};
use c1z::C1zReader;
use common::text;

/// The binary with `args`, plain-text logs at info, and no inherited BATON_* settings.
fn command(args: &[&str]) -> Command {
    let mut cmd = common::command(args);
    cmd.args(["--log-format", "console", "--log-level", "info"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run(args: &[&str]) -> Output {
    command(args).output().expect("runs")
}

fn spawn(args: &[&str]) -> Child {
    command(args).spawn().expect("spawns")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Flags of a sync of `sim` by its admin into `file`, then `extra`.
fn sync_args(sim: &Simulator, file: &Path, extra: &[&str]) -> Vec<String> {
    let mut v = common::admin_args(sim, file);
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A medium simulator slowed down so a kill or Ctrl-C lands mid-sync.
fn slow_medium() -> Simulator {
    Simulator::start(SimulatorConfig {
        latency: Duration::from_millis(8),
        ..SimulatorConfig::new(Scale::Medium)
    })
    .expect("simulator")
}

/// Waits until the simulator has answered `n` requests (and at least `min` has passed).
fn wait_for_requests(sim: &Simulator, n: u64, min: Duration) {
    let started = Instant::now();
    while (sim.request_log().total < n || started.elapsed() < min)
        && started.elapsed() < Duration::from_secs(120)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        sim.request_log().total >= n,
        "only {} requests",
        sim.request_log().total
    );
}

/// Sends SIGINT (what Ctrl-C sends) to `child`.
fn ctrl_c(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
}

/// Asserts that the ids of the file's latest full sync equal the ground truth and that no
/// unfinished sync is left in it.
fn assert_equals_truth(file: &Path, truth: &GroundTruth, label: &str) {
    let r = C1zReader::open(file).expect("open c1z");
    let sync = r
        .latest_full_sync()
        .unwrap()
        .expect("a finished full sync")
        .id;
    let resources: BTreeSet<(String, String)> = r
        .resources(&sync, None)
        .unwrap()
        .into_iter()
        .map(|r| {
            let id = r.id.unwrap_or_default();
            (id.resource_type, id.resource)
        })
        .collect();
    let entitlements: BTreeSet<String> = r
        .entitlements(&sync, None, None)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let grants: BTreeSet<String> = r
        .grants(&sync, None, None, None)
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    for (what, ok) in [
        ("resources", resources == truth.resources),
        ("entitlements", entitlements == truth.entitlements),
        ("grants", grants == truth.grants),
    ] {
        assert!(
            ok,
            "{label}: the {what} differ from the ground truth ({} resources, {} grants synced; {} and {} expected)",
            resources.len(),
            grants.len(),
            truth.resources.len(),
            truth.grants.len()
        );
    }
    assert!(!truth.grants.is_empty(), "{label}: a vacuous truth");
    // Only the finished sync is left: an abandoned or interrupted one was dropped.
    let unfinished: i64 = r
        .connection()
        .query_row(
            "SELECT count(*) FROM v1_sync_runs WHERE ended_at IS NULL",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(unfinished, 0, "{label}: an unfinished sync was kept");
}

fn workspaces(truth: &GroundTruth) -> usize {
    truth
        .resources
        .iter()
        .filter(|(t, _)| t == "workspace")
        .count()
}

#[test]
fn a_rerun_without_the_workspace_filter_starts_a_new_sync_and_says_why() {
    let sim = slow_medium();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.c1z");
    let in_progress = c1z::store::in_progress_path(&file);

    // Kill the filtered sync after a checkpoint past the workspace listing (every 2 s); one call
    // at a time, so that it is still running then (a concurrent sync of one workspace can end
    // within the 3 s).
    let mut child = spawn(&strs(&sync_args(
        &sim,
        &file,
        &["--workspaces", "acme", "--concurrency", "1"],
    )));
    wait_for_requests(&sim, 40, Duration::from_secs(3));
    child.kill().expect("SIGKILL");
    let killed = child.wait_with_output().unwrap();
    assert!(!killed.status.success(), "{}", text(&killed));
    assert!(in_progress.exists() && !file.exists());

    let out = run(&strs(&sync_args(&sim, &file, &[])));
    assert!(out.status.success(), "{}", text(&out));
    let log = stderr(&out);
    assert!(
        log.contains("not resuming the interrupted sync: it covers another scope (workspaces \"acme\" → unset)")
            && log.contains("starting a new sync instead"),
        "the log says why the interrupted sync was not resumed:\n{log}"
    );
    assert!(!log.contains("resuming the interrupted sync "), "{log}");
    let truth = sim.ground_truth(View::Admin);
    assert!(workspaces(&truth) > 1);
    assert_equals_truth(&file, &truth, "unfiltered rerun");
    assert!(!in_progress.exists());
}

#[test]
fn ctrl_c_stops_at_a_checkpoint_and_the_same_command_resumes() {
    let sim = slow_medium();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.c1z");
    let in_progress = c1z::store::in_progress_path(&file);
    let args = sync_args(&sim, &file, &[]);

    let child = spawn(&strs(&args));
    wait_for_requests(&sim, 150, Duration::ZERO);
    ctrl_c(&child);
    let stopped = child.wait_with_output().unwrap();
    assert_eq!(stopped.status.code(), Some(130), "{}", text(&stopped));
    assert!(
        stderr(&stopped).contains(&format!(
            "interrupted: the sync's progress is kept in {}; rerun the same command to resume",
            in_progress.display()
        )),
        "{}",
        text(&stopped)
    );
    assert!(in_progress.exists() && !file.exists());

    let out = run(&strs(&args));
    assert!(out.status.success(), "{}", text(&out));
    let log = stderr(&out);
    assert!(
        log.contains("resuming the interrupted sync") && !log.contains("not resuming"),
        "{log}"
    );
    assert_equals_truth(
        &file,
        &sim.ground_truth(View::Admin),
        "resumed after Ctrl-C",
    );
}

#[test]
fn a_second_ctrl_c_stops_at_once_without_waiting_for_the_current_request() {
    use std::io::BufRead;
    // Every request takes 10 s, so stopping at the next checkpoint would take that long; the
    // bound below leaves room for a loaded machine.
    let sim = Simulator::start(SimulatorConfig {
        latency: Duration::from_secs(10),
        ..SimulatorConfig::new(Scale::Small)
    })
    .expect("simulator");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.c1z");
    let in_progress = c1z::store::in_progress_path(&file);
    let mut child = spawn(&strs(&sync_args(&sim, &file, &[])));
    // The log, line by line, as the child writes it.
    let (lines, log) = std::sync::mpsc::channel::<String>();
    let err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut text = String::new();
    let mut wait_for = |needle: &str| {
        while !text.contains(needle) {
            let line = log
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| panic!("no {needle:?} in the log:\n{text}"));
            text.push_str(&line);
            text.push('\n');
        }
    };

    wait_for("starting a full sync");
    ctrl_c(&child);
    // Once the first press is seen (two presses in one moment count as one).
    wait_for("press Ctrl-C again to stop at once");
    let second = Instant::now();
    ctrl_c(&child);
    wait_for("rerun the same command to resume");
    let status = child.wait().unwrap();
    assert!(
        second.elapsed() < Duration::from_secs(5),
        "stopping took {:?}:\n{text}",
        second.elapsed()
    );
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(in_progress.exists() && !file.exists());
}

#[test]
fn a_demo_interrupted_by_ctrl_c_does_not_block_the_next_demo() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.c1z");
    let in_progress = c1z::store::in_progress_path(&file);
    let output = file.display().to_string();

    let child = spawn(&["demo", "--scale", "large", "--output", &output]);
    let started = Instant::now();
    while !in_progress.exists() && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(10));
    }
    // Past the first checkpoints, into the large simulator's resources.
    std::thread::sleep(Duration::from_millis(1500));
    ctrl_c(&child);
    let stopped = child.wait_with_output().unwrap();
    assert_eq!(stopped.status.code(), Some(130), "{}", text(&stopped));
    assert!(
        stderr(&stopped).contains("interrupted: the demo stopped; run it again"),
        "{}",
        text(&stopped)
    );
    assert!(in_progress.exists() && !file.exists());

    // A small demo next: a new sync, whatever the large one had done.
    let out = run(&["demo", "--output", &output]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out)
            .contains("not resuming the interrupted sync: a demo run syncs its own new simulator"),
        "{}",
        text(&out)
    );
    let small = truth::compute(
        &bitbucket_simulator::seeded(Scale::Small, DEFAULT_SEED),
        View::Admin,
    );
    assert_equals_truth(&file, &small, "demo after an interrupted demo");
}
