//! End-to-end: the embedded Bitbucket component, run by the real host (`sync_to`), against the
//! Bitbucket simulator. The synced file must equal the simulator's ground truth exactly, the
//! request count must follow the formula of docs/bitbucket-model.md ("Request plan"), and
//! credentials, filters, rate limits and server faults must behave as documented.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitbucket_simulator::data::Dataset;
use bitbucket_simulator::truth::{self, GroundTruth};
use bitbucket_simulator::{RateLimit, Scale, Simulator, SimulatorConfig, View};
use clap::Parser;
use connector_host::cli::{Cli, GlobalArgs};
use connector_host::commands::sync::{SyncOutcome, sync_to};
use connector_host::progress::Progress;
use connector_tests::contents;

// ---- running a sync ----

/// The CLI reads `BATON_*` variables; a test environment that sets them would change what the
/// flags below mean, so refuse to run rather than test something else.
fn assert_clean_env() {
    let set: Vec<String> = std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("BATON_"))
        .collect();
    assert!(
        set.is_empty(),
        "unset these variables before running the end-to-end tests: {set:?}"
    );
}

/// Flags of a run against `sim`, writing `file`: `creds` and `extra` are appended.
fn args(sim: &Simulator, file: &Path, creds: &[&str], extra: &[&str]) -> GlobalArgs {
    assert_clean_env();
    let base = sim.base_url();
    let file = file.to_str().expect("utf-8 path");
    let mut argv = vec![
        "connector-host",
        "--base-url",
        base.as_str(),
        "-f",
        file,
        "--max-retry-wait-seconds",
        "120",
        // Short retry waits keep the 429 and 5xx tests quick; the policy is the same.
        "--retry-backoff-base-ms",
        "5",
    ];
    argv.extend_from_slice(creds);
    argv.extend_from_slice(extra);
    Cli::try_parse_from(argv).expect("flags parse").global
}

/// Basic credentials of the simulator's admin.
fn admin_creds(sim: &Simulator) -> Vec<String> {
    let c = sim.credentials();
    vec![
        "--username".into(),
        c.admin_email,
        "--app-password".into(),
        c.api_token,
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A log sink: everything the host (and the guest through it) logs while `f` runs on this thread.
#[derive(Clone, Default)]
struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogSink {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Runs `sync_to` on a current-thread runtime with a thread-local log subscriber, so each
/// test sees only its own log lines.
fn run(args: &GlobalArgs, out: &Path) -> (anyhow::Result<SyncOutcome>, String) {
    let sink = LogSink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let result = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(sync_to(args, out, &Progress::hidden()))
    });
    (result, sink.text())
}

/// Runs a sync that must succeed; returns the outcome and the log.
fn sync_ok(args: &GlobalArgs, out: &Path) -> (SyncOutcome, String) {
    let (result, log) = run(args, out);
    match result {
        Ok(outcome) => (outcome, log),
        Err(e) => panic!("sync failed: {e:#}\n--- log ---\n{log}"),
    }
}

// ---- reading the synced file ----

/// The ids of a synced file, in the ground truth's shape.
#[derive(Debug, Default)]
struct Synced {
    resources: BTreeSet<(String, String)>,
    entitlements: BTreeSet<String>,
    grants: BTreeSet<String>,
    /// User uuid → status name (`STATUS_ENABLED`, ...), from the user trait.
    user_status: BTreeMap<String, String>,
}

fn read_synced(path: &Path) -> Synced {
    use c1z::pb;
    let reader = c1z::C1zReader::open(path).expect("open c1z");
    let sync = reader
        .latest_full_sync()
        .expect("syncs")
        .expect("a finished full sync");
    let mut s = Synced::default();
    for r in reader.resources(&sync.id, None).expect("resources") {
        let id = r.id.clone().expect("resource id");
        if id.resource_type == "user" {
            let status = pb::pick::<pb::UserTrait>(&r.annotations)
                .and_then(|u| u.status)
                .and_then(|st| pb::status_name(st.status))
                .unwrap_or("<no user trait status>");
            s.user_status
                .insert(id.resource.clone(), status.to_string());
        }
        s.resources.insert((id.resource_type, id.resource));
    }
    s.entitlements = reader
        .entitlements(&sync.id, None, None)
        .expect("entitlements")
        .into_iter()
        .map(|e| e.id)
        .collect();
    s.grants = reader
        .grants(&sync.id, None, None, None)
        .expect("grants")
        .into_iter()
        .map(|g| g.id)
        .collect();
    s
}

/// Bitbucket `account_status` → the Baton status the model documents.
fn expected_status(account_status: &str) -> &'static str {
    match account_status {
        "active" => "STATUS_ENABLED",
        "inactive" => "STATUS_DISABLED",
        "closed" => "STATUS_DELETED",
        _ => "STATUS_UNSPECIFIED",
    }
}

/// Appends the differences of two sets to `report`.
fn diff_sets<T: Ord + std::fmt::Debug>(
    report: &mut String,
    what: &str,
    actual: &BTreeSet<T>,
    expected: &BTreeSet<T>,
) {
    let missing: Vec<&T> = expected.difference(actual).collect();
    let extra: Vec<&T> = actual.difference(expected).collect();
    if missing.is_empty() && extra.is_empty() {
        return;
    }
    report.push_str(&format!(
        "\n{what}: synced {}, expected {}; {} missing, {} unexpected\n",
        actual.len(),
        expected.len(),
        missing.len(),
        extra.len()
    ));
    for m in missing.iter().take(25) {
        report.push_str(&format!("  missing    {m:?}\n"));
    }
    for x in extra.iter().take(25) {
        report.push_str(&format!("  unexpected {x:?}\n"));
    }
}

/// Asserts the synced file equals the ground truth: every resource, entitlement, grant and user status.
fn assert_matches_truth(path: &Path, truth: &GroundTruth, label: &str) {
    let s = read_synced(path);
    let mut report = String::new();
    diff_sets(&mut report, "resources", &s.resources, &truth.resources);
    diff_sets(
        &mut report,
        "entitlements",
        &s.entitlements,
        &truth.entitlements,
    );
    diff_sets(&mut report, "grants", &s.grants, &truth.grants);
    let expected_status: BTreeSet<(String, String)> = truth
        .user_status
        .iter()
        .map(|(u, st)| (u.clone(), expected_status(st).to_string()))
        .collect();
    let actual_status: BTreeSet<(String, String)> = s.user_status.into_iter().collect();
    diff_sets(&mut report, "user status", &actual_status, &expected_status);
    assert!(
        report.is_empty(),
        "{label}: the synced file differs from the ground truth:{report}"
    );
    // Guard against a vacuous pass.
    assert!(!truth.grants.is_empty(), "{label}: the truth has no grants");
}

/// The truth of `view` over only the workspaces `keep` accepts.
fn truth_restricted(data: &Dataset, view: View, keep: impl Fn(&str, &str) -> bool) -> GroundTruth {
    let mut data = data.clone();
    data.workspaces.retain(|w| keep(&w.slug, &w.uuid));
    truth::compute(&data, view)
}

// ---- the request formula of docs/bitbucket-model.md ("Request plan") ----

fn pg(n: usize) -> u64 {
    n.div_ceil(100).max(1) as u64
}

/// Requests per endpoint label of one uninterrupted sync by the admin's Basic credential (no
/// status in member listings, user status looked up), computed from the dataset alone:
///
/// ```text
/// pg(W_all) + L + Σ_w [ 1 + pg(M_w) + pg(P_w) + [P_w > 0]·pg(R_w)
///                       + A_w · ( 1 + [R_w > 0] + Σ_p (pg(U_p) + pg(G_p)) + Σ_r pg(U_r) ) ]
/// ```
fn documented_requests(data: &Dataset) -> BTreeMap<String, u64> {
    let me = &data.admin;
    let mut e: BTreeMap<String, u64> = BTreeMap::new();
    let mut add = |k: &str, n: u64| *e.entry(k.to_string()).or_default() += n;
    let synced: Vec<_> = data
        .workspaces
        .iter()
        .filter(|w| w.members.iter().any(|m| &m.user == me))
        .collect();
    add("GET /2.0/user/workspaces", pg(synced.len()));
    let mut looked_up: BTreeSet<&str> = BTreeSet::new();
    for w in synced {
        let admin = w
            .members
            .iter()
            .any(|m| &m.user == me && m.permission == "owner");
        add("GET /2.0/workspaces/{workspace}", 1);
        let members = if admin {
            "GET /2.0/workspaces/{workspace}/permissions"
        } else {
            "GET /2.0/workspaces/{workspace}/members"
        };
        add(members, pg(w.members.len()));
        looked_up.extend(w.members.iter().map(|m| m.user.as_str()));
        add(
            "GET /2.0/workspaces/{workspace}/projects",
            pg(w.projects.len()),
        );
        if !w.projects.is_empty() {
            add(
                "GET /2.0/repositories/{workspace}",
                pg(w.repositories.len()),
            );
        }
        if admin {
            add("GET /1.0/groups/{workspace}", 1);
            if !w.repositories.is_empty() {
                add("GET /1.0/group-privileges/{workspace}", 1);
            }
            for p in &w.projects {
                add(
                    "GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/users",
                    pg(p.user_perms.len()),
                );
                add(
                    "GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/groups",
                    pg(p.group_perms.len()),
                );
            }
            for r in &w.repositories {
                add(
                    "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/users",
                    pg(r.user_perms.len()),
                );
            }
        }
    }
    add("GET /2.0/users/{selected_user}", looked_up.len() as u64);
    e.retain(|_, n| *n > 0);
    e
}

// ---- tests ----

fn admin_sync_matches_truth(scale: Scale) {
    let sim = Simulator::start(SimulatorConfig::new(scale)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("admin.c1z");
    let creds = admin_creds(&sim);
    let (outcome, _) = sync_ok(&args(&sim, &out, &strs(&creds), &[]), &out);
    assert_matches_truth(
        &out,
        &sim.ground_truth(View::Admin),
        &format!("{scale:?} admin"),
    );
    assert!(
        outcome.report.expansion.created > 0,
        "group grants were expanded"
    );
    // The dataset has every status, so the mapping is really exercised.
    let statuses: BTreeSet<String> = read_synced(&out).user_status.into_values().collect();
    for st in ["STATUS_ENABLED", "STATUS_DISABLED", "STATUS_DELETED"] {
        assert!(
            statuses.contains(st),
            "{scale:?}: no user with {st}: {statuses:?}"
        );
    }
}

#[test]
fn small_admin_sync_equals_ground_truth() {
    admin_sync_matches_truth(Scale::Small);
}

#[test]
fn medium_admin_sync_equals_ground_truth() {
    admin_sync_matches_truth(Scale::Medium);
}

#[test]
fn medium_request_count_follows_the_documented_formula() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Medium)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("count.c1z");
    let creds = admin_creds(&sim);
    let (outcome, _) = sync_ok(&args(&sim, &out, &strs(&creds), &[]), &out);
    let expected = documented_requests(&sim.dataset());
    let log = sim.request_log();
    let total: u64 = expected.values().sum();
    assert_eq!(
        log.by_endpoint, expected,
        "requests per endpoint: simulator log (left) vs docs/bitbucket-model.md formula (right)"
    );
    assert_eq!(log.total, total, "total requests vs the formula");
    assert_eq!(
        outcome.requests_total, total,
        "the host's request counter vs the formula"
    );
    assert_eq!(
        log.statuses.keys().collect::<Vec<_>>(),
        vec![&200],
        "every request succeeded"
    );
    // Medium must actually page somewhere, or the pg() terms are untested.
    assert!(
        sim.dataset()
            .workspaces
            .iter()
            .any(|w| w.members.len() > 100 && w.repositories.len() > 100),
        "medium has a workspace with several pages of members and repositories"
    );
}

#[test]
fn workspace_filter_by_slug_and_by_uuid() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let data = sim.dataset();
    let acme = data.ws_by_slug("acme").expect("acme").clone();
    let personal = data.ws_by_slug("sim-admin").expect("personal").clone();
    let dir = tempfile::tempdir().unwrap();
    let creds = admin_creds(&sim);

    // By slug.
    let out = dir.path().join("slug.c1z");
    sync_ok(
        &args(&sim, &out, &strs(&creds), &["--workspaces", "acme"]),
        &out,
    );
    let truth = truth_restricted(&data, View::Admin, |slug, _| slug == "acme");
    assert_eq!(
        truth
            .resources
            .iter()
            .filter(|(t, _)| t == "workspace")
            .count(),
        1
    );
    assert_matches_truth(&out, &truth, "--workspaces acme");

    // By {uuid}, two at once (one by uuid, one by slug), comma-separated.
    let out = dir.path().join("uuid.c1z");
    let list = format!("{},sim-admin", acme.uuid);
    sync_ok(
        &args(&sim, &out, &strs(&creds), &["--workspaces", &list]),
        &out,
    );
    let truth = truth_restricted(&data, View::Admin, |_, uuid| {
        uuid == acme.uuid || uuid == personal.uuid
    });
    assert_matches_truth(&out, &truth, "--workspaces {uuid},slug");
    let workspaces: BTreeSet<String> = read_synced(&out)
        .resources
        .into_iter()
        .filter(|(t, _)| t == "workspace")
        .map(|(_, id)| id)
        .collect();
    assert_eq!(
        workspaces,
        BTreeSet::from([acme.uuid.clone(), personal.uuid.clone()])
    );
}

#[test]
fn access_token_syncs_what_it_can_read_and_says_what_it_skipped() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("token.c1z");
    let token = sim.credentials().access_token;
    let (_, log) = sync_ok(&args(&sim, &out, &["--token", &token], &[]), &out);
    let truth = sim.ground_truth(View::AccessToken);
    assert_matches_truth(&out, &truth, "access token");
    let synced = read_synced(&out);
    assert!(
        !synced.resources.iter().any(|(t, _)| t == "user_group"),
        "no groups with a token"
    );
    assert!(
        !synced.grants.iter().any(|g| g.contains(":owner:")
            || g.contains(":read:")
            || g.contains(":write:")
            || g.contains(":admin:")),
        "no owner or permission grants with a token"
    );
    assert!(
        log.contains("auth-kind=bearer") && log.contains("not synced"),
        "the log says what a token cannot sync:\n{log}"
    );
    assert!(!log.contains(&token), "the token appears in the log");
    // No permission endpoint was asked (nor refused).
    let asked = sim.request_log().by_endpoint;
    assert!(
        asked
            .keys()
            .all(|k| !k.contains("permissions") && !k.contains("/1.0/")),
        "a token must not call permission endpoints: {asked:?}"
    );
}

#[test]
fn partially_accessible_workspace_is_synced_as_far_as_readable() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let data = sim.dataset();
    let partner = data.ws_by_slug("partner-co").expect("partner-co").clone();
    assert_eq!(
        partner.role(&data.admin),
        Some("member"),
        "the admin is only a member of partner-co"
    );
    assert!(
        !partner.projects.is_empty()
            && !partner.repositories.is_empty()
            && !partner.groups.is_empty(),
        "partner-co has projects, repositories and groups to not see"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("partner.c1z");
    let creds = admin_creds(&sim);
    let (_, log) = sync_ok(&args(&sim, &out, &strs(&creds), &[]), &out);
    let s = read_synced(&out);
    let ws = &partner.uuid;

    assert!(s.resources.contains(&("workspace".into(), ws.clone())));
    for m in &partner.members {
        assert!(
            s.resources.contains(&("user".into(), m.user.clone())),
            "member {} is a user",
            m.user
        );
        let grant = format!("workspace:{ws}:member:user:{}", m.user);
        assert!(s.grants.contains(&grant), "missing {grant}");
    }
    for p in &partner.projects {
        let pid = format!("{ws}:{}:{}", p.uuid, p.key);
        assert!(
            s.resources.contains(&("project".into(), pid)),
            "project {}",
            p.key
        );
    }
    for r in &partner.repositories {
        assert!(
            s.resources.iter().any(|(t, id)| t == "repository"
                && id.starts_with(&format!("{ws}:"))
                && id.ends_with(&r.uuid)),
            "repository {}",
            r.slug
        );
    }
    // Nothing that needs admin rights: no owners, groups or permission grants.
    let owner_prefix = format!("workspace:{ws}:owner:");
    let forbidden: Vec<&String> = s
        .grants
        .iter()
        .filter(|g| {
            g.starts_with(&owner_prefix)
                || g.starts_with(&format!("user_group:{ws}:"))
                || ((g.starts_with(&format!("project:{ws}:"))
                    || g.starts_with(&format!("repository:{ws}:")))
                    && !g.contains(":repository:repository:"))
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "admin-only grants in partner-co: {forbidden:?}"
    );
    assert!(
        !s.resources
            .iter()
            .any(|(t, id)| t == "user_group" && id.starts_with(&format!("{ws}:"))),
        "no partner-co groups"
    );
    assert!(
        log.contains("partner-co") && log.contains("not administered"),
        "the log says partner-co is not administered:\n{log}"
    );
    // And the permission endpoints were not asked for it (no 403 in the log).
    assert!(
        !sim.request_log().statuses.contains_key(&403),
        "no refused requests: {:?}",
        sim.request_log().by_endpoint_status
    );
}

#[test]
fn wrong_password_fails_with_401_and_writes_no_file() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("denied.c1z");
    let email = sim.credentials().admin_email;
    let wrong = "ATATT-definitely-not-the-token";
    let a = args(
        &sim,
        &out,
        &["--username", &email, "--app-password", wrong],
        &[],
    );
    let (result, log) = run(&a, &out);
    let err = match result {
        Ok(_) => panic!("a wrong password must fail the sync"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("401"), "the error names HTTP 401: {err}");
    assert!(
        err.contains("--username") && err.contains("--app-password"),
        "the error names the flags to fix: {err}"
    );
    assert!(
        !err.contains(wrong) && !log.contains(wrong),
        "the password leaked"
    );
    assert!(!out.exists(), "no output file after a failed sync");
    let left: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "nothing left behind: {left:?}");
}

/// Syncs `sim` (small) with the admin credential and returns the file's contents.
fn admin_contents(
    sim: &Simulator,
    out: &Path,
) -> (connector_tests::Contents, SyncOutcome, Duration) {
    let creds = admin_creds(sim);
    let start = Instant::now();
    let (outcome, _) = sync_ok(&args(sim, out, &strs(&creds), &[]), out);
    (contents(out), outcome, start.elapsed())
}

/// A sync through injected 429s or 5xx ends with exactly the file of a clean run: the host
/// retries, and every request succeeds once in the end.
fn faulty_run_equals_clean_run(label: &str, fault_rate: f64, rate_limit: Option<RateLimit>) {
    let dir = tempfile::tempdir().unwrap();
    let clean_sim = Simulator::start(SimulatorConfig::new(Scale::Medium)).unwrap();
    let (clean, clean_outcome, _) = admin_contents(&clean_sim, &dir.path().join("clean.c1z"));
    let clean_requests = clean_sim.request_log().total;
    assert_eq!(clean_outcome.requests_total, clean_requests);

    let sim = Simulator::start(SimulatorConfig {
        fault_rate,
        rate_limit,
        ..SimulatorConfig::new(Scale::Medium)
    })
    .unwrap();
    let (faulty, _, took) = admin_contents(&sim, &dir.path().join("faulty.c1z"));
    let log = sim.request_log();
    let refused: u64 = log
        .statuses
        .iter()
        .filter(|(s, _)| **s != 200)
        .map(|(_, n)| n)
        .sum();
    if rate_limit.is_some() {
        assert!(
            log.statuses.get(&429).copied().unwrap_or(0) >= 5,
            "{label}: a storm of 429s: {:?}",
            log.statuses
        );
    }
    if fault_rate > 0.0 {
        for status in [500, 502, 503] {
            assert!(
                log.statuses.contains_key(&status),
                "{label}: injected {status}: {:?}",
                log.statuses
            );
        }
    }
    assert_eq!(
        log.statuses.get(&200).copied().unwrap_or(0),
        clean_requests,
        "{label}: every request succeeded once in the end ({:?})",
        log.statuses
    );
    assert!(
        faulty == clean,
        "{label}: the file differs from a clean run's"
    );
    eprintln!("{label}: {refused} refused requests, {took:?}");
}

#[test]
fn rate_limit_burst_gives_the_same_file_as_a_clean_run() {
    faulty_run_equals_clean_run(
        "429 burst",
        0.0,
        Some(RateLimit::Burst {
            count: 3,
            every: 25,
        }),
    );
}

#[test]
fn rate_limit_spread_gives_the_same_file_as_a_clean_run() {
    faulty_run_equals_clean_run(
        "429 spread",
        0.0,
        Some(RateLimit::Spread {
            limited: 1,
            every: 5,
        }),
    );
}

#[test]
fn server_faults_give_the_same_file_as_a_clean_run() {
    faulty_run_equals_clean_run("5% 5xx", 0.05, None);
}

#[test]
fn oauth_consumer_equals_admin_truth() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("oauth.c1z");
    let c = sim.credentials();
    let (_, log) = sync_ok(
        &args(
            &sim,
            &out,
            &[
                "--consumer-key",
                &c.oauth_key,
                "--consumer-secret",
                &c.oauth_secret,
            ],
            &[],
        ),
        &out,
    );
    assert_matches_truth(&out, &sim.ground_truth(View::OAuth), "OAuth consumer");
    assert_eq!(
        sim.request_log().count("POST /site/oauth2/access_token"),
        1,
        "one token for the whole sync: {:?}",
        sim.request_log().by_endpoint
    );
    assert!(
        !log.contains(&c.oauth_secret),
        "the consumer secret leaked into the log"
    );
}

/// Grant ids of a file's latest sync, with whether each is held directly (listed by the
/// connector) rather than only through grant expansion, and its entitlement id.
fn grants_with_origin(path: &Path) -> BTreeMap<String, (String, bool)> {
    let reader = c1z::C1zReader::open(path).expect("open c1z");
    let sync = reader.latest_full_sync().expect("syncs").expect("a sync");
    reader
        .grants(&sync.id, None, None, None)
        .expect("grants")
        .into_iter()
        .map(|g| {
            let entitlement = g.entitlement.clone().map(|e| e.id).unwrap_or_default();
            let direct = g
                .sources
                .as_ref()
                .is_none_or(|s| s.sources.is_empty() || s.sources.contains_key(&entitlement));
            (g.id, (entitlement, direct))
        })
        .collect()
}

#[test]
fn refused_group_and_permission_listings_degrade_to_what_can_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let clean_sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let clean = dir.path().join("clean.c1z");
    sync_ok(
        &args(&clean_sim, &clean, &strs(&admin_creds(&clean_sim)), &[]),
        &clean,
    );

    // The same data, with three listings refused as a token without their scopes would see it.
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    sim.refuse(&[
        "GET /1.0/groups/{workspace}",
        "GET /2.0/workspaces/{workspace}/permissions",
        "GET /1.0/group-privileges/{workspace}",
        "GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/users",
    ]);
    let out = dir.path().join("refused.c1z");
    let (_, log) = sync_ok(&args(&sim, &out, &strs(&admin_creds(&sim)), &[]), &out);

    // Lost: group memberships, workspace owners, users' explicit project permissions, and what
    // members inherit through groups. Kept: everything else, including the groups' own project
    // and repository grants (read per repository instead of from the group-privileges listing).
    let expected: BTreeSet<String> = grants_with_origin(&clean)
        .into_iter()
        .filter(|(id, (entitlement, direct))| {
            *direct
                && !(entitlement.starts_with("user_group:") && entitlement.ends_with(":member"))
                && !(entitlement.starts_with("workspace:") && entitlement.ends_with(":owner"))
                && !(entitlement.starts_with("project:")
                    && id[entitlement.len()..].starts_with(":user:"))
        })
        .map(|(id, _)| id)
        .collect();
    let got: BTreeSet<String> = grants_with_origin(&out).into_keys().collect();
    let mut report = String::new();
    diff_sets(&mut report, "grants", &got, &expected);
    assert!(report.is_empty(), "{report}");
    assert!(
        got.iter().any(|g| g.contains(":user_group:")),
        "grants to groups are still synced"
    );

    let clean_ids = read_synced(&clean);
    let synced = read_synced(&out);
    let not_groups = |set: &BTreeSet<(String, String)>| -> BTreeSet<(String, String)> {
        set.iter()
            .filter(|(t, _)| t != "user_group")
            .cloned()
            .collect()
    };
    assert_eq!(
        not_groups(&synced.resources),
        not_groups(&clean_ids.resources)
    );
    assert!(synced.resources.is_subset(&clean_ids.resources));
    assert!(synced.entitlements.is_subset(&clean_ids.entitlements));

    for said in [
        "refused the user group listing",
        "refused the workspace permissions listing",
        "legacy group privileges listing failed",
        "refused GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/users",
    ] {
        assert!(log.contains(said), "the log says {said:?}:\n{log}");
    }
    assert!(
        sim.request_log()
            .count("GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/groups")
            > 0,
        "repository group grants fall back to the per-repository listing"
    );
}
