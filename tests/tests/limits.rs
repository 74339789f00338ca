//! The bounds on a whole run, proven with the hostile component: a sync whose pages never end
//! stops at its row cap, its size cap or its deadline with a clear error and its in-progress
//! file removed; a plugin's log flood becomes a bounded host log with a note of what was
//! dropped; a long line is cut; a warning every instance repeats is logged once per run.
//! Small caps via flags keep them quick.

use std::path::Path;
use std::time::{Duration, Instant};

use connector_host::operations::{SyncOutcome, SyncRunError};
use connector_host::sync::{SyncError, SyncLimit};
use connector_tests::guests::HOSTILE;
use connector_tests::log_sink::LogSink;

/// A hostile sync as `connector-host --plugin HOSTILE --attack ATTACK EXTRA… -f OUT` runs it,
/// on a current-thread runtime with a thread-local subscriber writing JSON lines at info, as the
/// binary does when its stderr is not a terminal. Returns the result and the host's log.
fn hostile_sync(attack: &str, out: &Path, extra: &[&str]) -> (anyhow::Result<SyncOutcome>, String) {
    let out = out.to_str().unwrap();
    let mut argv = vec![
        "connector-host",
        "--plugin",
        HOSTILE,
        "--attack",
        attack,
        "--base-url",
        "http://127.0.0.1:9",
        "-f",
        out,
    ];
    argv.extend_from_slice(extra);
    let sink = LogSink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let result = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(connector_tests::sync_argv(&argv))
    });
    let log = sink.text();
    (result, log)
}

/// The limit a failed sync reached, and the in-progress file it names.
fn limit_reached(result: &anyhow::Result<SyncOutcome>) -> (SyncLimit, std::path::PathBuf, String) {
    let err = match result {
        Ok(outcome) => panic!("the endless sync finished: {:?}", outcome.report.counts),
        Err(e) => e,
    };
    match err.downcast_ref::<SyncRunError>() {
        Some(SyncRunError::Sync(SyncError::Limit { limit, work })) => {
            (*limit, work.clone(), err.to_string())
        }
        _ => panic!("expected a sync limit, got: {err:#}"),
    }
}

fn assert_nothing_left(out: &Path, work: &Path) {
    assert_eq!(work, c1z::store::in_progress_path(out));
    assert!(
        !work.exists(),
        "the in-progress file {} is left",
        work.display()
    );
    assert!(!out.exists(), "a file was presented as finished");
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn endless_pages_stop_at_the_row_cap_and_the_in_progress_file_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sync.c1z");
    let (result, log) = hostile_sync("endless-pages", &out, &["--max-sync-rows", "5000"]);
    let (limit, work, message) = limit_reached(&result);
    assert_eq!(limit, SyncLimit::Rows(5000), "{message}");
    assert!(
        message.contains("--max-sync-rows"),
        "says what to raise: {message}"
    );
    assert!(
        message.contains("check the plugin"),
        "says what else to check: {message}"
    );
    assert!(message.contains("removed"), "{message}");
    assert_nothing_left(&out, &work);
    assert!(log.contains("removing its in-progress file"), "{log}");
}

#[test]
fn endless_pages_stop_at_the_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sync.c1z");
    // Rows uncapped: only the file's growth stops it.
    let (result, _) = hostile_sync(
        "endless-pages",
        &out,
        &["--max-sync-rows", "0", "--max-sync-mib", "2"],
    );
    let (limit, work, message) = limit_reached(&result);
    assert_eq!(limit, SyncLimit::Bytes(2 << 20), "{message}");
    assert!(message.contains("--max-sync-mib"), "{message}");
    assert_nothing_left(&out, &work);
}

#[test]
fn endless_pages_stop_at_the_sync_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sync.c1z");
    let started = Instant::now();
    let (result, _) = hostile_sync(
        "endless-pages",
        &out,
        &[
            "--sync-timeout-seconds",
            "1",
            "--max-sync-rows",
            "0",
            "--max-sync-mib",
            "0",
        ],
    );
    let elapsed = started.elapsed();
    let (limit, work, message) = limit_reached(&result);
    assert_eq!(
        limit,
        SyncLimit::Timeout(Duration::from_secs(1)),
        "{message}"
    );
    assert!(message.contains("--sync-timeout-seconds"), "{message}");
    assert!(message.contains("check the plugin"), "{message}");
    assert_nothing_left(&out, &work);
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
}

/// Lines of the host's log that carry the plugin's flood.
fn flood_lines(log: &str) -> usize {
    log.lines().filter(|l| l.contains("flood line")).count()
}

/// The counts in the "dropped N lines" notes.
fn dropped_in_notes(log: &str) -> u64 {
    log.lines()
        .filter(|l| l.contains("dropped") && l.contains("log lines"))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON log line");
            v["fields"]["dropped"].as_u64().expect("a dropped count")
        })
        .sum()
}

#[test]
fn a_flood_of_100000_log_lines_of_1_kb_becomes_a_few_hundred_kb_of_host_log() {
    // Through the log import 100,000 lines; through stderr, slower to write, 20,000.
    for (attack, lines) in [("log-flood", 100_000u64), ("stderr-flood", 20_000)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sync.c1z");
        let count = lines.to_string();
        let (result, log) = hostile_sync(attack, &out, &["--lines", &count]);
        result.unwrap_or_else(|e| panic!("{attack}: the sync fails: {e:#}"));
        let written = flood_lines(&log) as u64;
        let dropped = dropped_in_notes(&log);
        // 100,000 lines of 1 KB are 100 MB; the cap lets a burst and a trickle through.
        assert!(
            log.len() < 2 << 20,
            "{attack}: {} bytes of host log, {written} flood lines",
            log.len()
        );
        assert!(
            written >= 500,
            "{attack}: the burst comes through: {written}"
        );
        assert_eq!(
            written + dropped,
            lines,
            "{attack}: every line is either written or counted as dropped"
        );
        assert!(log.contains("raise --log-lines-per-second"), "{attack}");
        eprintln!(
            "{attack}: {lines} lines of 1 KB -> {} bytes of host log ({written} lines written, {dropped} dropped)",
            log.len()
        );
    }
}

#[test]
fn a_long_log_line_is_cut_with_a_marker() {
    for attack in ["log-flood", "stderr-flood"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sync.c1z");
        let (result, log) = hostile_sync(
            attack,
            &out,
            &[
                "--lines",
                "1",
                "--line-bytes",
                "100000",
                "--max-log-line-bytes",
                "4096",
            ],
        );
        result.unwrap_or_else(|e| panic!("{attack}: the sync fails: {e:#}"));
        let line = log
            .lines()
            .find(|l| l.contains("flood line"))
            .unwrap_or_else(|| panic!("{attack}: the line is logged: {log}"));
        assert!(
            line.contains("[line cut: 95904 more bytes]"),
            "{attack}: {}",
            &line[line.len().saturating_sub(200)..]
        );
        assert!(line.len() < 4096 + 400, "{attack}: {} bytes", line.len());
    }
}

#[test]
fn a_warning_every_instance_repeats_is_logged_once_per_run() {
    const WARNING: &str = "the workspace hides its members from this account";
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sync.c1z");
    // 40 resources: 40 entitlement listings on 4 instances, each logging the same warning.
    let args = ["--lines", "40", "--concurrency", "4"];
    let (result, log) = hostile_sync("same-warning", &out, &args);
    let outcome = result.unwrap_or_else(|e| panic!("the sync fails: {e:#}"));
    assert_eq!(outcome.report.counts.resources, 40);
    assert_eq!(log.matches(WARNING).count(), 1, "{log}");
    // Per run, not per process: the next run says it again.
    let (result, log) = hostile_sync("same-warning", &out, &args);
    result.unwrap_or_else(|e| panic!("the second sync fails: {e:#}"));
    assert_eq!(log.matches(WARNING).count(), 1, "{log}");
}
