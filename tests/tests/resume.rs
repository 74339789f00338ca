//! A sync killed with SIGKILL and started again on the same file resumes where it stopped, and
//! ends with exactly what an uninterrupted sync produces.
//!
//! The sync runs in a child process (this test binary re-executed with `RESUME_CHILD` set), so it
//! can be killed for real.

use std::time::{Duration, Instant};

use connector_tests::{contents, spawn_child_sync, sync_fixture};
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
