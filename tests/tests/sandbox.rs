//! Each sandbox property of the security model, proven with the hostile test component.
//! Every test fails if its property breaks.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use connector_host::runtime::{CallError, LimitKind, Plugin};
use connector_tests::guests::{HOSTILE, WRONG_VERSION};
use connector_tests::{SilentListener, config, http_for, load, quick_limits, shared_runtime};

/// Runs the hostile component's `validate` with `attack` and returns its report or the call error.
async fn attack(base: &str, pairs: &[(&str, &str)]) -> Result<String, CallError> {
    let plugin = load(HOSTILE);
    attack_with(&plugin, base, pairs).await
}

async fn attack_with(
    plugin: &Plugin,
    base: &str,
    pairs: &[(&str, &str)],
) -> Result<String, CallError> {
    let mut instance = plugin
        .instantiate(&quick_limits(), http_for(base), config(pairs))
        .await?;
    match instance.validate().await {
        Err(CallError::Connector(e)) => Ok(e.message),
        Err(other) => Err(other),
        Ok(()) => panic!("the hostile component always reports through an error"),
    }
}

/// A loopback HTTP server answering 200 and recording the Authorization headers it saw.
async fn recording_server() -> (String, Arc<Mutex<Vec<Option<String>>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = Router::new().fallback(get(move |headers: HeaderMap| {
        let log = log.clone();
        async move {
            let auth = headers
                .get("authorization")
                .map(|v| v.to_str().unwrap_or("").to_string());
            log.lock().unwrap().push(auth);
            "ok"
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_at_the_cpu_deadline() {
    let plugin = load(HOSTILE);
    let started = Instant::now();
    let err = attack_with(&plugin, "http://127.0.0.1:9", &[("attack", "spin")])
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        CallError::Limit { limit, plugin, .. } => {
            assert_eq!(*limit, LimitKind::Cpu, "{err}");
            assert_eq!(plugin, "hostile");
        }
        other => panic!("expected the CPU limit, got {other}"),
    }
    assert!(err.to_string().contains("CPU"), "{err}");
    // 500 ms of CPU allowed; stopped well before the 2 s wall-clock limit would have.
    assert!(elapsed < Duration::from_millis(1800), "took {elapsed:?}");
}

#[tokio::test]
async fn a_memory_bomb_stops_at_the_memory_limit() {
    let err = attack("http://127.0.0.1:9", &[("attack", "memory-bomb")])
        .await
        .unwrap_err();
    match &err {
        CallError::Limit { limit, .. } => assert_eq!(*limit, LimitKind::Memory, "{err}"),
        other => panic!("expected the memory limit, got {other}"),
    }
    assert!(err.to_string().contains("32 MiB"), "{err}");
}

#[tokio::test]
async fn a_request_to_a_host_off_the_allow_list_is_denied_and_never_sent() {
    let (allowed, _) = recording_server().await;
    let forbidden = SilentListener::start().await;
    let port = forbidden.addr.port();
    for target in [
        format!("http://127.0.0.1:{port}/steal"),
        format!("http://localhost:{port}/steal"),
        format!("{allowed}@127.0.0.1:{port}/steal")
            .replace("http://", "http://x:y@")
            .replacen("@127.0.0.1", "", 0),
        format!("http://[::1]:{port}/steal"),
        "https://evil.example.com/steal".to_string(),
    ] {
        let report = attack(
            &allowed,
            &[("attack", "forbidden-host"), ("target-url", &target)],
        )
        .await
        .unwrap();
        assert!(report.starts_with("denied"), "{target}: {report}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        forbidden.count(),
        0,
        "a denied request reached the forbidden host"
    );
}

#[tokio::test]
async fn a_guest_set_authorization_or_cookie_header_is_refused() {
    let (allowed, seen) = recording_server().await;
    for header in [
        "Authorization",
        "authorization",
        "Proxy-Authorization",
        "Cookie",
    ] {
        let report = attack(
            &allowed,
            &[
                ("attack", "auth-header"),
                ("target-url", &format!("{allowed}/x")),
                ("header", header),
            ],
        )
        .await
        .unwrap();
        assert!(report.starts_with("denied"), "{header}: {report}");
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "a request with a guest auth header was sent"
    );
    // The same request without the header goes through: the refusal is about the header.
    let report = attack(
        &allowed,
        &[
            ("attack", "allowed-request"),
            ("target-url", &format!("{allowed}/x")),
        ],
    )
    .await
    .unwrap();
    assert_eq!(report, "response 200");
}

#[tokio::test]
async fn the_guest_sees_no_environment_variables_or_arguments() {
    // Secrets live in the host's environment; the guest must not see any of it.
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("BATON_APP_PASSWORD", "host-secret-value") };
    let report = attack("http://127.0.0.1:9", &[("attack", "env")])
        .await
        .unwrap();
    assert_eq!(report, "env=[] args=[]");
}

#[tokio::test]
async fn the_guest_cannot_read_list_or_write_files() {
    let report = attack("http://127.0.0.1:9", &[("attack", "files")])
        .await
        .unwrap();
    assert_eq!(report, "read=false list=false list_root=false create=false");
}

#[tokio::test]
async fn the_guest_cannot_open_sockets_or_resolve_names() {
    let listener = SilentListener::start().await;
    let addr = listener.addr.to_string();
    let report = attack(
        "http://127.0.0.1:9",
        &[("attack", "socket"), ("socket-addr", &addr)],
    )
    .await
    .unwrap();
    assert_eq!(report, "tcp=false udp=false dns=false");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(listener.count(), 0);
}

#[tokio::test]
async fn a_host_call_that_never_returns_is_cut_by_the_wall_clock_timeout() {
    // The guest parks in a WASI clock poll for a day: epochs never fire while it waits there,
    // so only the wall-clock timeout can end the call.
    let plugin = load(HOSTILE);
    let started = Instant::now();
    let err = attack_with(&plugin, "http://127.0.0.1:9", &[("attack", "sleep")])
        .await
        .unwrap_err();
    match &err {
        CallError::Limit { limit, .. } => assert_eq!(*limit, LimitKind::WallClock, "{err}"),
        other => panic!("expected the wall-clock limit, got {other}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_http_request_that_is_never_answered_ends_within_the_call_budget() {
    let plugin = load(HOSTILE);
    // Allowed, but it accepts connections and never answers.
    let hang = SilentListener::start().await;
    let base = format!("http://{}", hang.addr);
    let started = Instant::now();
    let outcome = attack_with(
        &plugin,
        &base,
        &[
            ("attack", "allowed-request"),
            ("target-url", &format!("{base}/slow")),
        ],
    )
    .await;
    // The HTTP capability gives up at the call's deadline (or the wall-clock limit cuts the call).
    match &outcome {
        Ok(report) => assert!(report.contains("Timeout"), "{report}"),
        Err(CallError::Limit { limit, .. }) => assert_eq!(*limit, LimitKind::WallClock),
        Err(other) => panic!("unexpected {other}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert!(hang.count() >= 1, "the request should have been sent");
}

#[tokio::test]
async fn a_trapping_tenant_does_not_affect_another_running_at_the_same_time() {
    let (allowed, seen) = recording_server().await;
    let target = format!("{allowed}/x");
    let crashing = attack(&allowed, &[("attack", "panic")]);
    let bombing = attack(&allowed, &[("attack", "memory-bomb")]);
    let healthy_config = [
        ("attack", "allowed-request"),
        ("target-url", target.as_str()),
    ];
    let healthy = attack(&allowed, &healthy_config);
    let (crashed, bombed, healthy) = tokio::join!(crashing, bombing, healthy);
    assert!(
        matches!(crashed, Err(CallError::Trap { .. })),
        "{crashed:?}"
    );
    assert!(matches!(bombed, Err(CallError::Limit { .. })), "{bombed:?}");
    assert_eq!(healthy.unwrap(), "response 200");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_trapped_instance_refuses_further_calls() {
    let plugin = load(HOSTILE);
    let mut instance = plugin
        .instantiate(
            &quick_limits(),
            http_for("http://127.0.0.1:9"),
            config(&[("attack", "panic")]),
        )
        .await
        .unwrap();
    let first = instance.validate().await.unwrap_err();
    assert!(matches!(first, CallError::Trap { .. }), "{first}");
    assert!(
        first.to_string().contains("hostile"),
        "the error names the plugin: {first}"
    );
    let second = instance.metadata().await.unwrap_err();
    assert!(matches!(second, CallError::Poisoned { .. }), "{second}");
}

#[tokio::test]
async fn a_component_built_for_another_contract_version_is_refused_by_name() {
    let err = shared_runtime()
        .load_plugin_file(std::path::Path::new(WRONG_VERSION))
        .err()
        .expect("a 9.0.0 component must be refused");
    let text = err.to_string();
    assert!(text.contains("baton:connector@9.0.0"), "{text}");
    assert!(text.contains("0.2.x") && text.contains("0.1.x"), "{text}");
    assert!(text.contains("wrong_version"), "{text}");
}
