//! Calls on several instances at once: the file is the one a sequential sync writes, and a
//! concurrent sync stopped midway (with calls in flight) resumes to that same file.

use std::sync::atomic::{AtomicU64, Ordering};

use connector_host::sync::{StopRequest, SyncError, SyncOptions};
use connector_tests::{contents, sync_fixture_concurrently};
use serde_json::{Value, json};

/// Two orgs of teams, nested teams, users in several teams: listings of several pages at every
/// level, grants that expand, and a delay per call so that calls overlap.
fn world(delay_ms: u64) -> Value {
    let mut resources = Vec::new();
    let mut entitlements = Vec::new();
    let mut grants = Vec::new();
    for o in 0..2 {
        let org = format!("o{o}");
        resources.push(json!({"type": "org", "id": org, "children": ["team"]}));
        entitlements.push(json!({"on": ["org", org, "admin"], "grantable_to": ["user"]}));
        grants.push(
            json!({"entitlement": ["org", org, "admin"], "principal": ["user", format!("u{o}")]}),
        );
        for t in 0..15 {
            let team = format!("{org}-t{t:02}");
            resources.push(json!({"type": "team", "id": team, "parent": ["org", org]}));
            entitlements
                .push(json!({"on": ["team", team, "member"], "grantable_to": ["user", "team"]}));
            for u in 0..3 {
                grants.push(json!({"entitlement": ["team", team, "member"],
                    "principal": ["user", format!("u{}", (t * 3 + u + o) % 20)]}));
            }
            if t > 0 {
                let inner = format!("{org}-t{:02}", t - 1);
                grants.push(
                    json!({"entitlement": ["team", team, "member"], "principal": ["team", inner],
                    "expand": {"entitlements": [["team", inner, "member"]]}}),
                );
            }
        }
    }
    for u in 0..20 {
        resources.push(json!({"type": "user", "id": format!("u{u}")}));
    }
    json!({
        "resource_types": [{"id": "org"}, {"id": "team", "traits": ["group"]}, {"id": "user", "traits": ["user"]}],
        "resources": resources, "entitlements": entitlements, "grants": grants,
        "page_size": 2, "delay_ms": delay_ms
    })
}

#[tokio::test]
async fn a_sync_at_concurrency_8_writes_the_same_file_as_one_call_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let sequential = dir.path().join("sequential.c1z");
    let concurrent = dir.path().join("concurrent.c1z");
    let options = SyncOptions::default();
    let one = sync_fixture_concurrently(&world(2), &sequential, &options, &|| 0, 1)
        .await
        .unwrap();
    let eight = sync_fixture_concurrently(&world(2), &concurrent, &options, &|| 0, 8)
        .await
        .unwrap();
    let expected = contents(&sequential);
    assert!(
        expected.grants.len() > 100,
        "{} grants",
        expected.grants.len()
    );
    assert_eq!(contents(&concurrent), expected);
    assert_eq!(eight.counts, one.counts);
    assert_eq!(eight.expansion, one.expansion);
}

#[tokio::test]
async fn a_concurrent_sync_stopped_with_calls_in_flight_resumes_to_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.c1z");
    sync_fixture_concurrently(&world(0), &clean, &SyncOptions::default(), &|| 0, 1)
        .await
        .unwrap();

    let path = dir.path().join("stopped.c1z");
    for stop_after in [10, 40, 90] {
        let stop = StopRequest::new();
        let steps = AtomicU64::new(0);
        let options = SyncOptions {
            stop: stop.clone(),
            ..SyncOptions::default()
        };
        let after_step = || {
            if steps.fetch_add(1, Ordering::SeqCst) + 1 >= stop_after {
                stop.request();
            }
            0
        };
        match sync_fixture_concurrently(&world(3), &path, &options, &after_step, 8).await {
            Err(SyncError::Interrupted { .. }) => {}
            other => panic!("expected a stop at step {stop_after}, got {other:?}"),
        }
    }
    let report = sync_fixture_concurrently(&world(3), &path, &SyncOptions::default(), &|| 0, 8)
        .await
        .unwrap();
    assert!(report.resumed, "{report:?}");
    assert_eq!(contents(&path), contents(&clean));
}
