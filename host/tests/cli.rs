//! The `connector-host` binary: flags and their `BATON_*` variables, credential errors, and a
//! real sync against the Bitbucket simulator (started in this process) followed by `inspect`.
//! No run may print a secret.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use bitbucket_simulator::{Scale, Simulator, SimulatorConfig};
use serde_json::Value;
use support::Run;

/// Flags that clap adds, without an environment variable.
const CLAP_FLAGS: &[&str] = &["help", "version"];

/// Secrets that must never be printed (checked on every run's stdout and stderr).
const FAKE_SECRETS: &[&str] = &[
    "s3cr3t-app-password-value",
    "s3cr3t-token-value",
    "s3cr3t-consumer-secret-value",
    "s3cr3t-client-secret-value",
    "ATATT-wrong-password-value",
];

/// Runs the binary in `dir` with `args` and `env`, without inheriting any `BATON_*` variable,
/// and checks that none of `secrets` (nor the fixed fake ones) appears in its output.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)], secrets: &[&str]) -> Run {
    let all: Vec<&str> = secrets.iter().chain(FAKE_SECRETS).copied().collect();
    support::run(dir, args, env, &all)
}

fn sim() -> Simulator {
    Simulator::start(SimulatorConfig::new(Scale::Small)).expect("simulator")
}

/// A sync of `sim` with its admin credential and `extra` flags.
fn admin_sync(dir: &Path, sim: &Simulator, extra: &[&str], secrets: &[&str]) -> Run {
    let c = sim.credentials();
    let base = sim.base_url();
    let mut args = vec![
        "--base-url",
        &base,
        "--username",
        &c.admin_email,
        "--app-password",
        &c.api_token,
    ];
    args.extend(extra);
    run(dir, &args, &[], secrets)
}

/// `--help` option blocks: long flag → the `[env: NAME...]` of its block.
fn help_flags(help: &str) -> BTreeMap<String, Option<String>> {
    let mut flags = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in help.lines() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        // Option lines: "  -f, --file <FILE>" or "      --token <TOKEN>".
        let flag_part = t.strip_prefix("--").or_else(|| {
            t.strip_prefix('-')
                .and_then(|r| r.get(1..))
                .and_then(|r| r.strip_prefix(", --"))
        });
        if (2..=6).contains(&indent)
            && let Some(rest) = flag_part
        {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            flags.insert(name.clone(), None);
            current = Some(name);
            continue;
        }
        if let (Some(name), Some(env)) = (&current, t.strip_prefix("[env: ")) {
            let var: String = env
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            flags.insert(name.clone(), Some(var));
        }
    }
    flags
}

#[test]
fn help_lists_every_flag_with_its_baton_variable() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["--help"], &[], &[]);
    assert!(r.ok, "--help fails: {}", r.stderr);
    let flags = help_flags(&r.stdout);
    assert!(
        flags.len() >= 30,
        "the --help parser found only {} flags: {flags:?}",
        flags.len()
    );
    for required in [
        "username",
        "app-password",
        "app-password-file",
        "token",
        "token-file",
        "consumer-key",
        "consumer-secret",
        "consumer-secret-file",
        "workspaces",
        "base-url",
        "skip-user-status",
        "file",
        "provisioning",
        "client-id",
        "client-secret",
        "client-secret-file",
        "log-level",
        "log-format",
    ] {
        assert!(
            flags.contains_key(required),
            "--{required} is not in --help: {flags:?}\n{}",
            r.stdout
        );
    }
    let mut wrong = Vec::new();
    for (flag, env) in &flags {
        if CLAP_FLAGS.contains(&flag.as_str()) {
            continue;
        }
        let expected = format!("BATON_{}", flag.to_ascii_uppercase().replace('-', "_"));
        if env.as_deref() != Some(expected.as_str()) {
            wrong.push(format!("--{flag}: {env:?}, expected {expected}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "flags without their BATON_* variable in --help:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn help_never_shows_secret_values_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("BATON_APP_PASSWORD", FAKE_SECRETS[0]),
        ("BATON_TOKEN", FAKE_SECRETS[1]),
        ("BATON_CONSUMER_SECRET", FAKE_SECRETS[2]),
        ("BATON_CLIENT_SECRET", FAKE_SECRETS[3]),
        ("BATON_USERNAME", "shown-user@example.com"),
    ];
    for args in [
        &["--help"][..],
        &["-h"],
        &["sync", "--help"],
        &["inspect", "--help"],
    ] {
        let r = run(dir.path(), args, &env, &[]);
        assert!(r.ok, "{args:?} fails: {}", r.stderr);
        // Non-secret values are shown, so the check above is not vacuous.
        if args == ["--help"] {
            assert!(r.stdout.contains("shown-user@example.com"), "{}", r.stdout);
        }
    }
}

#[test]
fn conflicting_credentials_name_both_flags() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let base = sim.base_url();
    let r = run(
        dir.path(),
        &[
            "--base-url",
            &base,
            "--token",
            FAKE_SECRETS[1],
            "--username",
            "someone@example.com",
            "--app-password",
            FAKE_SECRETS[0],
        ],
        &[],
        &[],
    );
    assert!(!r.ok, "conflicting credentials must fail");
    assert!(
        r.stderr.contains("--token") && r.stderr.contains("--username"),
        "the error names both flags: {}",
        r.stderr
    );
    assert_eq!(sim.request_log().total, 0, "nothing was sent");
    assert!(!dir.path().join("sync.c1z").exists());

    // The same through the environment.
    let r = run(
        dir.path(),
        &["--base-url", &base],
        &[
            ("BATON_TOKEN", FAKE_SECRETS[1]),
            ("BATON_CONSUMER_KEY", "key"),
            ("BATON_CONSUMER_SECRET", FAKE_SECRETS[2]),
        ],
        &[],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("--token") && r.stderr.contains("--consumer-key"),
        "{}",
        r.stderr
    );
}

#[test]
fn username_without_app_password_names_the_missing_flag() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &[
            "--base-url",
            &sim.base_url(),
            "--username",
            "someone@example.com",
        ],
        &[],
        &[],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("--app-password"),
        "the error names --app-password: {}",
        r.stderr
    );
    assert_eq!(sim.request_log().total, 0, "nothing was sent");
}

#[test]
fn sync_against_the_simulator_then_inspect() {
    let sim = sim();
    let c = sim.credentials();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.c1z");
    let file_s = file.to_str().unwrap();
    let secrets = [c.api_token.as_str()];
    let r = admin_sync(
        dir.path(),
        &sim,
        &["-f", file_s, "--log-level", "debug", "--log-format", "json"],
        &secrets,
    );
    assert!(r.ok, "sync failed:\n{}", r.all());
    assert!(file.exists(), "the file was written");
    // Not on a terminal: no summary table, only logs, ending with the structured summary line.
    assert!(
        r.stdout.trim().is_empty(),
        "stdout is not a terminal: {}",
        r.stdout
    );
    assert!(
        r.stderr.contains("\"sync finished\""),
        "a closing log line: {}",
        r.stderr
    );
    assert!(sim.request_log().total > 0);

    // inspect resources -o json: Baton's wrapper, every resource with its id and type.
    let r = run(
        dir.path(),
        &["inspect", "resources", "-o", "json", "-f", file_s],
        &[],
        &secrets,
    );
    assert!(r.ok, "inspect failed: {}", r.stderr);
    let json: Value = serde_json::from_str(&r.stdout).expect("inspect prints JSON");
    let resources = json["resources"]
        .as_array()
        .expect("{\"resources\": [...]}");
    let truth = sim.ground_truth(bitbucket_simulator::View::Admin);
    assert_eq!(resources.len(), truth.resources.len());
    for item in resources {
        let id = &item["resource"]["id"];
        let key = (
            id["resourceType"]
                .as_str()
                .expect("resourceType")
                .to_string(),
            id["resource"].as_str().expect("resource").to_string(),
        );
        assert!(truth.resources.contains(&key), "unexpected {key:?}");
        assert!(item["resourceType"]["id"].is_string(), "{item}");
        assert!(item["resource"]["displayName"].is_string(), "{item}");
    }

    // inspect grants (table): Baton's columns and one row per grant.
    let r = run(
        dir.path(),
        &["inspect", "grants", "-f", file_s],
        &[],
        &secrets,
    );
    assert!(r.ok, "inspect grants failed: {}", r.stderr);
    for column in [
        "ID",
        "Resource Type",
        "Resource",
        "Entitlement",
        "Principal",
    ] {
        assert!(r.stdout.contains(column), "column {column}:\n{}", r.stdout);
    }
    let some_grant = truth.grants.iter().next().unwrap();
    assert!(
        r.stdout.contains(some_grant.as_str()),
        "grant {some_grant} listed"
    );

    // inspect grants -o json: the Baton wrapper.
    let r = run(
        dir.path(),
        &["inspect", "grants", "-o", "json", "-f", file_s],
        &[],
        &secrets,
    );
    assert!(r.ok, "{}", r.stderr);
    let json: Value = serde_json::from_str(&r.stdout).expect("JSON");
    let grants = json["grants"].as_array().expect("{\"grants\": [...]}");
    assert_eq!(grants.len(), truth.grants.len());
    for g in grants.iter().take(50) {
        for key in [
            "grant",
            "entitlement",
            "resource",
            "resourceType",
            "principal",
        ] {
            assert!(g.get(key).is_some(), "grant entry lacks {key}: {g}");
        }
        assert!(truth.grants.contains(g["grant"]["id"].as_str().unwrap()));
    }
}

#[test]
fn app_password_file_works() {
    let sim = sim();
    let c = sim.credentials();
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("app-password");
    // A trailing newline, as a Kubernetes secret mount often has.
    std::fs::write(&secret_file, format!("{}\n", c.api_token)).unwrap();
    let r = run(
        dir.path(),
        &[
            "--base-url",
            &sim.base_url(),
            "--workspaces",
            "sim-admin",
            "--app-password-file",
            secret_file.to_str().unwrap(),
        ],
        &[
            ("BATON_USERNAME", &c.admin_email),
            ("BATON_FILE", "from-env.c1z"),
        ],
        &[&c.api_token],
    );
    assert!(r.ok, "sync with --app-password-file failed:\n{}", r.all());
    assert!(
        dir.path().join("from-env.c1z").exists(),
        "BATON_FILE was used"
    );
    assert_eq!(
        sim.request_log()
            .statuses
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![200],
        "every request was authenticated"
    );
}

#[test]
fn token_from_the_environment_syncs_and_is_never_printed() {
    let sim = sim();
    let c = sim.credentials();
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &["--base-url", &sim.base_url(), "--log-level", "trace"],
        &[("BATON_TOKEN", &c.access_token)],
        &[&c.access_token],
    );
    assert!(r.ok, "token sync failed:\n{}", r.all());
    assert!(dir.path().join("sync.c1z").exists());
    assert!(
        r.stderr.contains("auth-kind=bearer"),
        "says what a token skips"
    );
}

#[test]
fn wrong_password_exits_non_zero_mentions_401_and_writes_no_file() {
    let sim = sim();
    let c = sim.credentials();
    let dir = tempfile::tempdir().unwrap();
    let wrong = FAKE_SECRETS[4];
    let r = run(
        dir.path(),
        &[
            "--base-url",
            &sim.base_url(),
            "--username",
            &c.admin_email,
            "--app-password",
            wrong,
            "-f",
            "denied.c1z",
            "--log-level",
            "trace",
        ],
        &[],
        &[wrong, &c.api_token],
    );
    assert!(!r.ok, "a wrong password must fail");
    assert!(r.stderr.contains("401"), "mentions 401: {}", r.stderr);
    assert!(
        r.stderr.contains("--username") && r.stderr.contains("--app-password"),
        "names the flags to fix: {}",
        r.stderr
    );
    assert!(
        !dir.path().join("denied.c1z").exists(),
        "no file after a failed sync"
    );
}

/// A sync of `base` with a made-up credential; returns the run and how long it took.
fn timed_sync(dir: &Path, base: &str) -> (Run, Duration) {
    let started = Instant::now();
    let r = run(
        dir,
        &[
            "--base-url",
            base,
            "--username",
            "someone@example.com",
            "--app-password",
            "not-a-real-token",
            "-f",
            "out.c1z",
        ],
        &[],
        &["not-a-real-token"],
    );
    (r, started.elapsed())
}

/// A run that cannot reach the API at the start: it fails within seconds, not after a minute of
/// retries, with one error line that names each of `names`, and leaves no file.
fn assert_fails_fast(dir: &Path, r: &Run, took: Duration, names: &[&str]) {
    assert!(!r.ok, "the run must fail:\n{}", r.all());
    // Before: 8 retries with backoff, 56-75 s.
    assert!(
        took < Duration::from_secs(15),
        "took {took:?}:\n{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("retrying after backoff"),
        "retried what retrying cannot fix:\n{}",
        r.stderr
    );
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "one error line:\n{}", r.stderr);
    for name in names {
        assert!(
            errors[0].contains(name),
            "the error names {name:?}: {}",
            errors[0]
        );
    }
    assert!(!dir.join("out.c1z").exists(), "no file that looks complete");
}

#[test]
fn an_unresolvable_host_fails_fast_naming_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let (r, took) = timed_sync(dir.path(), "https://nonexistent.invalid");
    assert_fails_fast(
        dir.path(),
        &r,
        took,
        &[
            "cannot resolve the host name nonexistent.invalid",
            "--base-url",
            "HTTPS_PROXY",
        ],
    );
}

#[test]
fn a_refused_connection_fails_fast_naming_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let port = support::closed_port();
    let (r, took) = timed_sync(dir.path(), &format!("http://127.0.0.1:{port}"));
    assert_fails_fast(
        dir.path(),
        &r,
        took,
        &[
            &format!("127.0.0.1:{port} refused the connection"),
            "--base-url",
        ],
    );
}

#[test]
fn an_untrusted_certificate_fails_fast_naming_ssl_cert_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = support::tls::serve_handshakes(support::tls::self_signed_config(&["127.0.0.1"]));
    let (r, took) = timed_sync(dir.path(), &format!("https://127.0.0.1:{port}"));
    assert_fails_fast(
        dir.path(),
        &r,
        took,
        &["is not trusted", "SSL_CERT_FILE", "--base-url"],
    );
}

#[test]
fn os_errors_are_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &[
            "--username",
            "me@example.com",
            "--app-password-file",
            "missing-secret",
        ][..],
        &["inspect", "resources", "-f", "missing.c1z"],
    ] {
        let r = run(dir.path(), args, &[], &[]);
        assert!(!r.ok, "{args:?} must fail");
        assert_eq!(
            r.stderr.matches("No such file or directory").count(),
            1,
            "{args:?}: each cause once:\n{}",
            r.stderr
        );
    }
    // SQLite's own message repeats in rusqlite's error and its source.
    let r = run(
        dir.path(),
        &["demo", "--output", "missing-dir/demo.c1z"],
        &[],
        &[],
    );
    assert!(!r.ok, "a sync into a missing directory must fail");
    assert_eq!(
        r.stderr.matches("unable to open database file").count(),
        1,
        "each cause once:\n{}",
        r.stderr
    );
}

#[test]
fn output_into_a_closed_pipe_ends_quietly_with_success() {
    let sim = sim();
    let c = sim.credentials();
    let dir = tempfile::tempdir().unwrap();
    let synced = admin_sync(dir.path(), &sim, &["-f", "demo.c1z"], &[&c.api_token]);
    assert!(synced.ok, "{}", synced.all());
    for args in [
        &["inspect", "grants", "-f", "demo.c1z"][..],
        &["inspect", "resources", "-o", "json", "-f", "demo.c1z"],
        &["capabilities"],
    ] {
        // `… | head` that has already exited: the read end is closed before anything is written.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = support::command(dir.path(), args, &[])
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
    }
}
