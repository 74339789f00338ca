//! End-to-end: the embedded Bitbucket component, run by the real host (`operations::sync` with
//! settings from a command line), against the
//! Bitbucket simulator. The synced file must equal the simulator's ground truth exactly, the
//! request count must follow the formula of docs/bitbucket-model.md ("Request plan"), and
//! credentials, filters, rate limits and server faults must behave as documented.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bitbucket_simulator::access;
use bitbucket_simulator::data::Dataset;
use bitbucket_simulator::plan::{PlanOptions, documented_requests};
use bitbucket_simulator::truth::{self, GroundTruth};
use bitbucket_simulator::{RateLimit, Scale, Simulator, SimulatorConfig, View};
use connector_host::operations::SyncOutcome;
use connector_tests::contents;
use connector_tests::log_sink::LogSink;

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
fn args(sim: &Simulator, file: &Path, creds: &[&str], extra: &[&str]) -> Vec<String> {
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
    argv.into_iter().map(String::from).collect()
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

/// Syncs as the command line `args` does, on a current-thread runtime with a thread-local log
/// subscriber, so each test sees only its own log lines.
fn run(args: &[String], out: &Path) -> (anyhow::Result<SyncOutcome>, String) {
    let _ = out;
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
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
            .block_on(connector_tests::sync_argv(&argv))
    });
    (result, sink.text())
}

/// Runs a sync that must succeed; returns the outcome and the log.
fn sync_ok(args: &[String], out: &Path) -> (SyncOutcome, String) {
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
    let expected = documented_requests(&sim.dataset(), &PlanOptions::new(View::Admin));
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
    // The only refusals are the 1.0 group API in the workspace the credential does not
    // administer: the reference does not say members may read it, so it is asked.
    let partner = "GET /1.0/groups/{workspace}";
    let privileges = "GET /1.0/group-privileges/{workspace}";
    assert_eq!(
        log.refused(),
        BTreeMap::from([(partner.to_string(), 1), (privileges.to_string(), 1)]),
        "no refusal the plan could have foreseen"
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
fn requests_in_flight_never_exceed_the_concurrency() {
    // Latency keeps requests open long enough to overlap: calls on several instances, each
    // sending `send-all` batches, still share the run's slots.
    let mut config = SimulatorConfig::new(Scale::Medium);
    config.latency = std::time::Duration::from_millis(5);
    let sim = Simulator::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("three.c1z");
    let creds = admin_creds(&sim);
    sync_ok(
        &args(&sim, &out, &strs(&creds), &["--concurrency", "3"]),
        &out,
    );
    let most = sim.most_in_flight();
    assert!(
        most <= 3,
        "{most} requests in flight at once with --concurrency 3"
    );
    assert!(
        most >= 2,
        "the sync ran its requests one at a time ({most} at most)"
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

/// A workspace the credential belongs to but does not administer: its owners (every member reads
/// the workspace permissions), and the permissions of the one project (through a group) and the
/// one repository (explicitly) the credential administers there, found through its own
/// repository permissions; nothing else, and no refusal the plan could have foreseen.
#[test]
fn member_only_workspace_syncs_owners_and_what_the_credential_administers() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let data = sim.dataset();
    let partner = data.ws_by_slug("partner-co").expect("partner-co").clone();
    assert_eq!(
        partner.role(&data.admin),
        Some("member"),
        "the admin is only a member of partner-co"
    );
    let ws = &partner.uuid;
    let project = partner
        .projects
        .iter()
        .find(|p| access::administers_project(&partner, p, &data.admin))
        .expect("an administered project");
    let repo = partner
        .repositories
        .iter()
        .find(|r| r.project != project.uuid && access::administers_repo(&partner, r, &data.admin))
        .expect("an administered repository outside it");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("partial.c1z");
    let creds = admin_creds(&sim);
    let (_, log) = sync_ok(&args(&sim, &out, &strs(&creds), &[]), &out);
    let s = read_synced(&out);
    let truth = sim.ground_truth(View::Admin);
    let in_partner = |g: &String| g.contains(ws.as_str());
    let synced: BTreeSet<&String> = s.grants.iter().filter(|g| in_partner(g)).collect();
    let expected: BTreeSet<&String> = truth.grants.iter().filter(|g| in_partner(g)).collect();
    assert_eq!(
        synced, expected,
        "partner-co grants: synced (left) vs truth (right)"
    );

    // Owners, from the workspace permissions every member may read.
    let owners: Vec<_> = partner
        .members
        .iter()
        .filter(|m| m.permission == "owner")
        .collect();
    assert!(!owners.is_empty());
    for o in owners {
        let g = format!("workspace:{ws}:owner:user:{}", o.user);
        assert!(s.grants.contains(&g), "missing owner grant {g}");
    }
    // The administered project's explicit permissions, its group one included.
    let pid = format!("{ws}:{}:{}", project.uuid, project.key);
    assert!(!project.group_perms.is_empty());
    for gp in &project.group_perms {
        let g = format!(
            "project:{pid}:{}:user_group:{ws}:{}",
            gp.permission, gp.principal
        );
        assert!(s.grants.contains(&g), "missing project grant {g}");
    }
    for up in &project.user_perms {
        let g = format!("project:{pid}:{}:user:{}", up.permission, up.principal);
        assert!(s.grants.contains(&g), "missing project grant {g}");
    }
    // The administered repository's explicit user permissions, the credential's own admin too.
    let rpid = truth::project_id(&partner, &repo.project).unwrap();
    let rid = format!("{rpid}:{}", repo.uuid);
    let own = format!("repository:{rid}:admin:user:{}", data.admin);
    assert!(s.grants.contains(&own), "missing {own}");
    for up in &repo.user_perms {
        let g = format!("repository:{rid}:{}:user:{}", up.permission, up.principal);
        assert!(s.grants.contains(&g), "missing repository grant {g}");
    }
    // Nothing of a repository it does not administer (but its project membership).
    for r in partner
        .repositories
        .iter()
        .filter(|r| !access::administers_repo(&partner, r, &data.admin))
    {
        let leaked: Vec<&&String> = synced
            .iter()
            .filter(|g| g.starts_with("repository:") && g.contains(&r.uuid))
            .collect();
        assert!(
            leaked.is_empty(),
            "grants of a repository it cannot read: {leaked:?}"
        );
    }
    assert!(
        log.contains("partner-co")
            && log.contains("not administered")
            && log
                .contains("and the permissions of the 1 project and 2 repositories it administers"),
        "the log says what was read in partner-co and what was skipped:\n{log}"
    );
    // The only refusals: the 1.0 group API of partner-co, which the reference does not say
    // members may read.
    let refused = sim.request_log().refused();
    assert_eq!(
        refused,
        BTreeMap::from([
            ("GET /1.0/group-privileges/{workspace}".to_string(), 1),
            ("GET /1.0/groups/{workspace}".to_string(), 1),
        ]),
        "no refusal the plan could have foreseen"
    );
}

/// Where Bitbucket lets members read the 1.0 group API, the member-only workspace's groups,
/// their members and the group grants of every repository are synced, and expanded.
#[test]
fn member_only_workspace_with_a_readable_group_api_equals_its_truth() {
    let read_rules = bitbucket_simulator::ReadRules {
        members_read_legacy_groups: true,
    };
    let sim = Simulator::start(SimulatorConfig {
        read_rules,
        ..SimulatorConfig::new(Scale::Medium)
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("groups.c1z");
    let creds = admin_creds(&sim);
    sync_ok(&args(&sim, &out, &strs(&creds), &[]), &out);
    assert_matches_truth(&out, &sim.ground_truth(View::Admin), "readable 1.0 groups");
    let expected = documented_requests(
        &sim.dataset(),
        &PlanOptions {
            read_rules,
            ..PlanOptions::new(View::Admin)
        },
    );
    assert_eq!(sim.request_log().by_endpoint, expected);
    assert!(sim.request_log().refused().is_empty());
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

/// Syncs `sim` (small) with the admin credential and `extra` flags and returns the file's contents.
fn admin_contents(
    sim: &Simulator,
    out: &Path,
    extra: &[&str],
) -> (connector_tests::Contents, SyncOutcome, Duration) {
    let creds = admin_creds(sim);
    let start = Instant::now();
    let (outcome, _) = sync_ok(&args(sim, out, &strs(&creds), extra), out);
    (contents(out), outcome, start.elapsed())
}

/// A sync through injected 429s or 5xx ends with exactly the file of a clean run: the host
/// retries, and every request succeeds once in the end.
fn faulty_run_equals_clean_run(label: &str, fault_rate: f64, rate_limit: Option<RateLimit>) {
    let dir = tempfile::tempdir().unwrap();
    let clean_sim = Simulator::start(SimulatorConfig::new(Scale::Medium)).unwrap();
    let (clean, clean_outcome, _) = admin_contents(&clean_sim, &dir.path().join("clean.c1z"), &[]);
    let clean_log = clean_sim.request_log();
    assert_eq!(clean_outcome.requests_total, clean_log.total);

    let sim = Simulator::start(SimulatorConfig {
        fault_rate,
        rate_limit,
        ..SimulatorConfig::new(Scale::Medium)
    })
    .unwrap();
    // These 429s come in a fixed pattern, not from a rolling window: a budget would take each
    // for a full window (and wait out the hour); this tests the retries alone.
    let (faulty, _, took) = admin_contents(
        &sim,
        &dir.path().join("faulty.c1z"),
        &["--requests-per-hour", "0"],
    );
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
    // Every request got its final answer once in the end: as many successes and refusals (the
    // member-only workspace's 1.0 group API) as in the clean run.
    for status in [200, 403] {
        assert_eq!(
            log.statuses.get(&status),
            clean_log.statuses.get(&status),
            "{label}: {status} answers vs the clean run ({:?})",
            log.statuses
        );
    }
    if faulty != clean {
        // Name what differs: the objects are protobuf bytes.
        for (what, a, b) in [
            ("resource", &faulty.resources, &clean.resources),
            ("entitlement", &faulty.entitlements, &clean.entitlements),
            ("grant", &faulty.grants, &clean.grants),
        ] {
            for k in a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)) {
                eprintln!("{label}: {what} {k} differs from the clean run's");
            }
        }
    }
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
    // The simulator serves the token endpoint beside its API (the default is Bitbucket's).
    let token_url = format!("{}/site/oauth2/access_token", sim.base_url());
    let (_, log) = sync_ok(
        &args(
            &sim,
            &out,
            &[
                "--consumer-key",
                &c.oauth_key,
                "--consumer-secret",
                &c.oauth_secret,
                "--oauth-token-url",
                &token_url,
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

/// A user who belongs to three workspaces is one resource with one parent, the same in the
/// row's columns and in its message, and the same whatever order the workspaces are listed in.
#[test]
fn a_user_in_three_workspaces_has_one_parent_in_columns_and_data_whatever_the_order() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Medium)).unwrap();
    let data = sim.dataset();
    let zoe = data
        .users
        .iter()
        .find(|u| u.display_name == "Zoë Ångström")
        .expect("Zoë");
    let hers: Vec<&str> = data
        .workspaces
        .iter()
        .filter(|w| w.role(&zoe.uuid).is_some())
        .map(|w| w.slug.as_str())
        .collect();
    assert!(hers.len() >= 3, "Zoë is in {hers:?}");
    let dir = tempfile::tempdir().unwrap();
    let creds = admin_creds(&sim);
    let mut parents = Vec::new();
    for (name, order) in [
        ("forward", hers.clone()),
        ("backward", {
            let mut r = hers.clone();
            r.reverse();
            r
        }),
    ] {
        let out = dir.path().join(format!("{name}.c1z"));
        let list = order.join(",");
        sync_ok(
            &args(&sim, &out, &strs(&creds), &["--workspaces", &list]),
            &out,
        );
        let p = connector_tests::resource_parents(&out);
        for (id, (column, message)) in &p {
            assert_eq!(column, message, "{name}: {id}: columns and data disagree");
        }
        parents.push(p);
    }
    assert_eq!(parents[0], parents[1], "the same parents in both orders");
    let zoe_parent = parents[0][&format!("user:{}", zoe.uuid)].0.clone().unwrap();
    let first = data
        .workspaces
        .iter()
        .filter(|w| w.role(&zoe.uuid).is_some())
        .map(|w| format!("workspace:{}", w.uuid))
        .min()
        .unwrap();
    assert_eq!(zoe_parent, first, "the parent that sorts first wins");
}
