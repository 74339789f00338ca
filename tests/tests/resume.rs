//! A sync killed with SIGKILL and started again on the same file resumes where it stopped, and
//! ends with exactly what an uninterrupted sync produces.
//!
//! The sync runs in a child process (this test binary re-executed with `RESUME_CHILD` set), so it
//! can be killed for real.

use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicU64, Ordering};

use connector_host::sync::{StopRequest, SyncError, SyncOptions, SyncScope};
use connector_tests::{contents, spawn_child_sync, sync_fixture, sync_fixture_with};
use serde_json::{Value, json};

fn slow_fixture() -> Value {
    let mut resources = vec![json!({"type": "org", "id": "o1", "children": ["team"]})];
    let mut entitlements = Vec::new();
    let mut grants = Vec::new();
    for t in 0..40 {
        let team = format!("t{t:02}");
        resources.push(json!({"type": "team", "id": team, "parent": ["org", "o1"]}));
        entitlements
            .push(json!({"on": ["team", team, "member"], "grantable_to": ["user", "team"]}));
        for u in 0..4 {
            grants.push(json!({"entitlement": ["team", team, "member"], "principal": ["user", format!("u{}", (t + u) % 25)]}));
        }
        if t > 0 {
            let inner = format!("t{:02}", t - 1);
            grants.push(
                json!({"entitlement": ["team", team, "member"], "principal": ["team", inner],
                               "expand": {"entitlements": [["team", inner, "member"]]}}),
            );
        }
    }
    for u in 0..25 {
        resources.push(json!({"type": "user", "id": format!("u{u}")}));
    }
    json!({
        "resource_types": [{"id": "org"}, {"id": "team", "traits": ["group"]}, {"id": "user", "traits": ["user"]}],
        "resources": resources, "entitlements": entitlements, "grants": grants,
        "page_size": 3, "delay_ms": 25
    })
}

/// The child: syncs the slow fixture into the file named by `RESUME_CHILD`.
#[tokio::test]
async fn child_sync() {
    let Ok(path) = std::env::var("RESUME_CHILD") else {
        return;
    };
    let report = sync_fixture(&slow_fixture(), std::path::Path::new(&path))
        .await
        .expect("child sync");
    println!("RESUMED={}", report.resumed);
}

fn spawn_child(path: &std::path::Path) -> std::process::Child {
    spawn_child_sync("RESUME_CHILD", path.as_ref())
}

#[tokio::test]
async fn a_sigkilled_sync_resumes_and_equals_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.c1z");
    sync_fixture(&slow_fixture(), &clean)
        .await
        .expect("clean sync");

    let path = dir.path().join("killed.c1z");
    let in_progress = c1z::store::in_progress_path(&path);
    let mut child = spawn_child(&path);
    // Wait until the child has checkpointed (the working file exists) and made some progress.
    let started = Instant::now();
    while !in_progress.exists() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().expect("SIGKILL the child");
    child.wait().unwrap();
    assert!(
        in_progress.exists(),
        "the interrupted sync left its working state"
    );
    assert!(
        !path.exists(),
        "an interrupted sync must not leave a file that looks complete"
    );

    let child = spawn_child(&path);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "resumed child failed: {stdout}");
    assert!(
        stdout.contains("RESUMED=true"),
        "the second run must resume, not start over: {stdout}"
    );
    assert!(path.exists());
    assert!(!in_progress.exists());

    assert_eq!(contents(&path), contents(&clean));
}

/// The slow fixture without its delay.
fn quick_fixture() -> Value {
    let mut f = slow_fixture();
    f["delay_ms"] = json!(0);
    f
}

/// A scope that differs from the default only in a `workspaces` setting.
fn scope(workspaces: &str) -> SyncScope {
    SyncScope {
        component: "fixture".into(),
        config: [("workspaces".to_string(), workspaces.to_string())].into(),
        ..SyncScope::default()
    }
}

/// Syncs with `scope`, asking the engine to stop after `stop_after` steps (if given).
async fn sync_scoped(
    path: &std::path::Path,
    scope: SyncScope,
    stop_after: Option<u64>,
) -> Result<connector_host::sync::SyncReport, SyncError> {
    let stop = StopRequest::new();
    let steps = AtomicU64::new(0);
    let options = SyncOptions {
        scope,
        stop: stop.clone(),
        ..SyncOptions::default()
    };
    let after_step = || {
        let n = steps.fetch_add(1, Ordering::SeqCst) + 1;
        if stop_after.is_some_and(|at| n >= at) {
            stop.request();
        }
        0
    };
    sync_fixture_with(&quick_fixture(), path, &options, &after_step).await
}

fn unfinished_syncs(path: &std::path::Path) -> i64 {
    c1z::C1zReader::open(path)
        .unwrap()
        .connection()
        .query_row(
            "SELECT count(*) FROM v1_sync_runs WHERE ended_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test]
async fn a_stopped_sync_is_resumed_only_by_a_run_of_the_same_scope() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.c1z");
    sync_fixture(&quick_fixture(), &clean).await.unwrap();
    let path = dir.path().join("scoped.c1z");
    let in_progress = c1z::store::in_progress_path(&path);

    // Stopped midway: a checkpoint, no file that looks finished.
    let stopped = sync_scoped(&path, scope("acme"), Some(30)).await;
    match stopped {
        Err(SyncError::Interrupted { work }) => assert_eq!(work, in_progress),
        other => panic!("expected a stop at a checkpoint, got {other:?}"),
    }
    assert!(in_progress.exists() && !path.exists());

    // Another scope: a new sync, saying what changed; the stopped one is dropped.
    let report = sync_scoped(&path, scope(""), None).await.unwrap();
    assert!(!report.resumed);
    let why = report
        .restarted
        .expect("the reason the stopped sync was set aside");
    assert_eq!(why, "it covers another scope (workspaces \"acme\" → \"\")");
    assert_eq!(contents(&path), contents(&clean));
    assert_eq!(unfinished_syncs(&path), 0);

    // The same scope: resumed where it stopped.
    assert!(matches!(
        sync_scoped(&path, scope("acme"), Some(30)).await,
        Err(SyncError::Interrupted { .. })
    ));
    let report = sync_scoped(&path, scope("acme"), None).await.unwrap();
    assert!(report.resumed && report.restarted.is_none(), "{report:?}");
    assert_eq!(contents(&path), contents(&clean));
    assert_eq!(unfinished_syncs(&path), 0);
}
