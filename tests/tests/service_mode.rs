//! End-to-end: `connector-host` in ConductorOne service mode, a process of its own, against the
//! fake ConductorOne (tests/src/fake_c1) and the Bitbucket simulator, both on 127.0.0.1. The
//! uploaded file must equal the simulator's ground truth; grants and revokes must change the
//! simulator and answer with the resulting grants; every other task kind, a cancellation, a
//! dropped upload, an expiring token, a bad secret and SIGTERM must end as documented.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bitbucket_simulator::{Scale, Simulator, SimulatorConfig, View};
use connector_tests::fake_c1::pb::c1::connector::v2 as c1v2;
use connector_tests::fake_c1::{
    ClientIdentity, FakeC1, FakeC1Config, FullSync, TaskSpec, UploadOutcome, transcode,
};
use connector_tests::host_process::{self, HostProcess};
use prost::Message;
use tonic::Code;

/// How long a task may take here (a small sync takes a few seconds in a debug build).
const WAIT: Duration = Duration::from_secs(120);

/// The world of one test: a fake ConductorOne, a simulator, a scratch directory.
struct World {
    fake: FakeC1,
    sim: Simulator,
    dir: tempfile::TempDir,
}

impl World {
    async fn new(config: FakeC1Config, sim: SimulatorConfig) -> World {
        World {
            fake: FakeC1::start_with(config)
                .await
                .expect("the fake ConductorOne"),
            sim: Simulator::start(sim).expect("the simulator"),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn small() -> World {
        World::new(FakeC1Config::default(), SimulatorConfig::new(Scale::Small)).await
    }

    /// `connector-host` in service mode as `client`, syncing the simulator with its admin.
    fn command(&self, client: &ClientIdentity, extra: &[&str]) -> Command {
        let creds = self.sim.credentials();
        let tmp = self.dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let mut cmd = Command::new(host_process::binary(false));
        // Nothing of the test's environment but what a run needs, and a shared compilation
        // cache, so each process does not compile the component again.
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CACHE_HOME", cache_dir())
            .env("TMPDIR", &tmp)
            .env("SSL_CERT_FILE", self.fake.ca_file())
            .env("BATON_CLIENT_ID", client.client_id())
            .env("BATON_CLIENT_SECRET", client.client_secret())
            .env("BATON_HOST_ID", "e2e-host")
            .env("BATON_LOG_FORMAT", "console")
            .env("NO_COLOR", "1")
            .args(["--base-url", &self.sim.base_url()])
            .args(["--username", &creds.admin_email])
            .args(["--app-password", &creds.api_token])
            .args(["--retry-backoff-base-ms", "5"])
            .args(extra);
        cmd
    }

    fn spawn(&self, client: &ClientIdentity, extra: &[&str]) -> HostProcess {
        HostProcess::spawn(self.command(client, extra))
    }

    /// Saves a task's upload and returns its path.
    fn upload_file(&self, task_id: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{task_id}.c1z"));
        self.fake.save_upload(task_id, &path).expect("an upload");
        path
    }
}

/// A compilation cache shared by the test processes.
fn cache_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("connector-host-service-e2e-cache");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The ids of a file's latest full sync.
fn ids(
    path: &Path,
) -> (
    BTreeSet<(String, String)>,
    BTreeSet<String>,
    BTreeSet<String>,
) {
    let reader = c1z::C1zReader::open(path).expect("the upload opens as a .c1z");
    let sync = reader
        .latest_full_sync()
        .unwrap()
        .expect("a finished full sync");
    let resources = reader
        .resources(&sync.id, None)
        .unwrap()
        .into_iter()
        .map(|r| {
            let id = r.id.unwrap();
            (id.resource_type, id.resource)
        })
        .collect();
    let entitlements = reader
        .entitlements(&sync.id, None, None)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let grants = reader
        .grants(&sync.id, None, None, None)
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    (resources, entitlements, grants)
}

fn assert_equals_truth(path: &Path, sim: &Simulator) {
    let truth = sim.ground_truth(View::Admin);
    let (resources, entitlements, grants) = ids(path);
    assert!(!truth.grants.is_empty(), "a vacuous truth");
    let differ = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
        let missing: Vec<_> = b.difference(a).take(5).cloned().collect();
        let extra: Vec<_> = a.difference(b).take(5).cloned().collect();
        (missing, extra)
    };
    let flat = |set: &BTreeSet<(String, String)>| -> BTreeSet<String> {
        set.iter().map(|(t, id)| format!("{t}:{id}")).collect()
    };
    let (missing, extra) = differ(&flat(&resources), &flat(&truth.resources));
    assert!(
        missing.is_empty() && extra.is_empty(),
        "resources: missing {missing:?}, unexpected {extra:?}"
    );
    let (missing, extra) = differ(&entitlements, &truth.entitlements);
    assert!(
        missing.is_empty() && extra.is_empty(),
        "entitlements: missing {missing:?}, unexpected {extra:?}"
    );
    let missing: Vec<_> = truth.grants.difference(&grants).take(5).collect();
    let extra: Vec<_> = grants.difference(&truth.grants).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "grants differ: missing {missing:?}, unexpected {extra:?}"
    );
}

fn assert_clean(fake: &FakeC1, process: &HostProcess) {
    assert!(
        fake.violations().is_empty(),
        "protocol violations: {:?}\n--- log ---\n{}",
        fake.violations(),
        process.log()
    );
}

async fn finished(
    fake: &FakeC1,
    process: &HostProcess,
    task: &str,
) -> connector_tests::fake_c1::FinishRecord {
    match fake.wait_finished(task, WAIT).await {
        Ok(f) => f,
        Err(e) => panic!("{e}\n--- log ---\n{}", process.log()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_tasks_upload_what_the_simulator_holds_honouring_their_flags() {
    let w = World::small().await;
    let client = w.fake.new_client("bitbucket");
    let full = w.fake.push_task(TaskSpec::full_sync(FullSync::default()));
    let no_grants = w.fake.push_task(TaskSpec::full_sync(FullSync {
        skip_grants: true,
        ..FullSync::default()
    }));
    let users_only = w.fake.push_task(TaskSpec::full_sync(FullSync {
        sync_resource_type_ids: vec!["workspace".into(), "user".into()],
        skip_entitlements_and_grants: true,
        ..FullSync::default()
    }));
    let process = w.spawn(&client, &[]);

    let f = finished(&w.fake, &process, &full).await;
    assert!(f.is_success(), "{f:?}\n{}", process.log());
    assert_equals_truth(&w.upload_file(&full), &w.sim);

    let f = finished(&w.fake, &process, &no_grants).await;
    assert!(f.is_success(), "{f:?}");
    let (resources, entitlements, grants) = ids(&w.upload_file(&no_grants));
    let truth = w.sim.ground_truth(View::Admin);
    // Without grants, what only a grant names (a group of another workspace) is not listed.
    assert!(resources.is_subset(&truth.resources) && resources.len() > truth.resources.len() / 2);
    assert!(entitlements.is_subset(&truth.entitlements) && !entitlements.is_empty());
    assert!(grants.is_empty(), "skip_grants: {} grants", grants.len());

    let f = finished(&w.fake, &process, &users_only).await;
    assert!(f.is_success(), "{f:?}");
    let (resources, entitlements, grants) = ids(&w.upload_file(&users_only));
    let types: BTreeSet<&str> = resources.iter().map(|(t, _)| t.as_str()).collect();
    assert!(
        types.iter().all(|t| ["workspace", "user"].contains(t)) && types.contains("user"),
        "{types:?}"
    );
    assert!(entitlements.is_empty() && grants.is_empty());

    // The Hello said who and what the connector is; every upload came in 512 KiB chunks at most.
    let hello = &w.fake.hellos()[0].request;
    assert_eq!(hello.host_id, "e2e-host");
    let metadata = hello.connector_metadata.as_ref().unwrap();
    assert!(metadata.display_name.contains("Bitbucket"), "{metadata:?}");
    assert!(metadata.capabilities.is_some());
    for attempt in w.fake.upload_attempts(&full) {
        assert!(attempt.chunk_sizes.iter().all(|&n| n <= 512 * 1024));
    }
    assert!(!w.fake.heartbeats(&full).is_empty(), "a sync heartbeats");
    assert!(!process.log().contains(client.client_secret()));
    assert_clean(&w.fake, &process);
}

/// The principal and entitlement of a grant, as a synced file stores them.
fn grant_objects(
    path: &Path,
    entitlement_id: &str,
    user: &str,
) -> (c1v2::Entitlement, c1v2::Resource) {
    let reader = c1z::C1zReader::open(path).unwrap();
    let sync = reader.latest_full_sync().unwrap().unwrap().id;
    let ent = reader
        .entitlement(&sync, entitlement_id)
        .unwrap()
        .unwrap_or_else(|| panic!("no {entitlement_id} in the sync"));
    let principal = reader
        .resource(&sync, "user", user)
        .unwrap()
        .unwrap_or_else(|| panic!("no user {user} in the sync"));
    (transcode(&ent).unwrap(), transcode(&principal).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grant_and_revoke_change_bitbucket_once_and_answer_with_the_resulting_grants() {
    let w = World::small().await;
    let client = w.fake.new_client("bitbucket");
    let sync = w.fake.push_task(TaskSpec::full_sync(FullSync::default()));
    let process = w.spawn(&client, &["--provisioning"]);
    assert!(finished(&w.fake, &process, &sync).await.is_success());
    let file = w.upload_file(&sync);

    let ws = w.sim.dataset().ws_by_slug("acme").unwrap().clone();
    let project = ws.projects[0].clone();
    let admin = w.sim.credentials().admin_uuid;
    let user = ws
        .members
        .iter()
        .map(|m| m.user.clone())
        .find(|u| *u != admin && !project.user_perms.iter().any(|p| &p.principal == u))
        .expect("a member without a permission on the project");
    let ent_id = format!("project:{}:{}:{}:write", ws.uuid, project.uuid, project.key);
    let grant_id = format!("{ent_id}:user:{user}");
    assert!(!w.sim.ground_truth(View::Admin).grants.contains(&grant_id));
    let (ent, principal) = grant_objects(&file, &ent_id, &user);

    // Granted: Bitbucket holds it, and the answer carries the grant.
    let grant = w
        .fake
        .push_task(TaskSpec::grant(ent.clone(), principal.clone()));
    let f = finished(&w.fake, &process, &grant).await;
    assert!(f.is_success(), "{f:?}\n{}", process.log());
    let response = c1v2::GrantManagerServiceGrantResponse::decode(
        f.response().expect("a grant response").value.as_slice(),
    )
    .unwrap();
    let granted: Vec<&str> = response.grants.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(granted, [grant_id.as_str()], "{response:?}");
    assert!(
        response.annotations.is_empty(),
        "a first grant changes something"
    );
    assert!(w.sim.ground_truth(View::Admin).grants.contains(&grant_id));

    // Again: nothing changes, it still succeeds, the answer says it already existed.
    w.sim.reset_request_log();
    let again = w.fake.push_task(TaskSpec::grant(ent, principal));
    let f = finished(&w.fake, &process, &again).await;
    assert!(f.is_success(), "{f:?}");
    let response =
        c1v2::GrantManagerServiceGrantResponse::decode(f.response().unwrap().value.as_slice())
            .unwrap();
    assert_eq!(response.grants.len(), 1);
    assert!(
        response
            .annotations
            .iter()
            .any(|a| a.type_url.ends_with("GrantAlreadyExists")),
        "{response:?}"
    );
    assert!(
        w.sim.request_log().changes.is_empty(),
        "a repeated grant changes nothing"
    );

    // Revoked with the grant the answer carried, twice: once it changes Bitbucket.
    let held = response.grants[0].clone();
    for round in 0..2 {
        w.sim.reset_request_log();
        let revoke = w.fake.push_task(TaskSpec::revoke(held.clone()));
        let f = finished(&w.fake, &process, &revoke).await;
        assert!(f.is_success(), "revoke {round}: {f:?}\n{}", process.log());
        let response =
            c1v2::GrantManagerServiceRevokeResponse::decode(f.response().unwrap().value.as_slice())
                .unwrap();
        assert!(!w.sim.ground_truth(View::Admin).grants.contains(&grant_id));
        let already = response
            .annotations
            .iter()
            .any(|a| a.type_url.ends_with("GrantAlreadyRevoked"));
        assert_eq!(already, round == 1, "revoke {round}: {response:?}");
        assert_eq!(w.sim.request_log().changes.is_empty(), round == 1);
    }
    assert_clean(&w.fake, &process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_tasks_fail_at_once_and_provisioning_needs_its_flag() {
    let w = World::small().await;
    // A tenant the client id names but that does not resolve: --c1-api-host reaches the fake.
    let client = w.fake.new_client_for_tenant("bitbucket", "tenant.invalid");
    let create = w.fake.push_task(TaskSpec::create_account("user"));
    let grant = w.fake.push_task(TaskSpec::grant(
        c1v2::Entitlement::default(),
        c1v2::Resource::default(),
    ));
    let hello = w.fake.push_task(TaskSpec::hello());
    let process = w.spawn(&client, &["--c1-api-host", w.fake.host()]);

    let f = finished(&w.fake, &process, &create).await;
    let handed = w.fake.records().handed_out[0].at;
    assert!(f.at.duration_since(handed) < Duration::from_secs(5));
    assert!(!f.is_success() && f.non_retryable(), "{f:?}");
    assert_eq!(f.code(), Code::Unimplemented);
    let message = &f.status().unwrap().message;
    assert!(
        message.contains("not supported by this connector"),
        "{message}"
    );

    let f = finished(&w.fake, &process, &grant).await;
    assert!(!f.is_success() && f.non_retryable(), "{f:?}");
    let message = &f.status().unwrap().message;
    assert!(message.contains("BATON_PROVISIONING"), "{message}");

    w.fake.wait_hello_task(&hello, WAIT).await.unwrap();
    assert!(
        w.fake
            .records()
            .token_requests
            .iter()
            .all(|t| t.outcome.is_ok())
    );
    assert_clean(&w.fake, &process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_sync_uploads_nothing_and_the_connector_carries_on() {
    let mut sim = SimulatorConfig::new(Scale::Small);
    sim.latency = Duration::from_millis(100);
    let w = World::new(FakeC1Config::default(), sim).await;
    let client = w.fake.new_client("bitbucket");
    let sync = w
        .fake
        .push_task(TaskSpec::full_sync(FullSync::default()).cancelled_after_heartbeats(2));
    let process = w.spawn(&client, &[]);
    let f = finished(&w.fake, &process, &sync).await;
    assert!(!f.is_success(), "{f:?}");
    assert_eq!(f.code(), Code::Cancelled, "{f:?}");
    assert!(w.fake.upload_attempts(&sync).is_empty());
    let hello = w.fake.push_task(TaskSpec::hello());
    w.fake.wait_hello_task(&hello, WAIT).await.unwrap();
    assert_clean(&w.fake, &process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_dropped_midway_is_sent_again_whole() {
    let w = World::small().await;
    let client = w.fake.new_client("bitbucket");
    let sync = w
        .fake
        .push_task(TaskSpec::full_sync(FullSync::default()).drop_upload_once_after_chunks(1));
    let process = w.spawn(&client, &[]);
    let f = finished(&w.fake, &process, &sync).await;
    assert!(f.is_success(), "{f:?}\n{}", process.log());
    let attempts = w.fake.upload_attempts(&sync);
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert!(
        !matches!(attempts[0].outcome, UploadOutcome::Complete { .. }),
        "{attempts:?}"
    );
    assert_equals_truth(&w.upload_file(&sync), &w.sim);
    assert_clean(&w.fake, &process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expires_during_a_long_sync_is_renewed() {
    let config = FakeC1Config {
        token_lifetime: Duration::from_secs(2),
        ..FakeC1Config::default()
    };
    let mut sim = SimulatorConfig::new(Scale::Small);
    sim.latency = Duration::from_millis(60);
    let w = World::new(config, sim).await;
    let client = w.fake.new_client("bitbucket");
    let sync = w.fake.push_task(TaskSpec::full_sync(FullSync::default()));
    // One call at a time: a sync long enough for several tokens to run out.
    let process = w.spawn(&client, &["--concurrency", "1"]);
    let started = Instant::now();
    let f = finished(&w.fake, &process, &sync).await;
    assert!(f.is_success(), "{f:?}\n{}", process.log());
    let took = started.elapsed();
    assert!(
        took > Duration::from_secs(5),
        "the sync was not long: {took:?}"
    );
    assert!(
        w.fake.tokens_issued() >= 3,
        "{} tokens",
        w.fake.tokens_issued()
    );
    assert!(
        w.fake.auth_failures().is_empty(),
        "{:?}",
        w.fake.auth_failures()
    );
    assert_equals_truth(&w.upload_file(&sync), &w.sim);
    assert_clean(&w.fake, &process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_secret_stops_the_process_with_a_clear_message_and_never_shows_it() {
    let w = World::small().await;
    let client = w.fake.new_client("bitbucket");
    // Malformed: refused before any request.
    let malformed = format!("{}garbage", client.client_secret());
    let mut cmd = w.command(&client, &[]);
    cmd.env("BATON_CLIENT_SECRET", &malformed);
    let mut process = HostProcess::spawn(cmd);
    let status = process.wait_timeout(WAIT).expect("it exits");
    assert!(!status.success());
    let log = process.log();
    assert!(
        log.contains("--client-secret") && log.contains("malformed"),
        "{log}"
    );
    assert!(
        !log.contains(&malformed[40..]),
        "the secret is shown: {log}"
    );
    assert!(w.fake.token_requests().is_empty());

    // Well-formed but not the client's key (a rotated secret): the token endpoint refuses it.
    let other = w.fake.new_client("other");
    let mut cmd = w.command(&client, &[]);
    cmd.env("BATON_CLIENT_SECRET", other.client_secret());
    let mut process = HostProcess::spawn(cmd);
    let status = process.wait_timeout(WAIT).expect("it exits");
    assert!(!status.success());
    let log = process.log();
    assert!(log.contains("refused the client credentials"), "{log}");
    assert!(log.contains("BATON_CLIENT_SECRET"), "{log}");
    assert!(
        !log.contains(other.client_secret()),
        "the secret is shown: {log}"
    );

    // A client revoked while it runs: the process stops too.
    let process_client = w.fake.new_client("revoked");
    let mut process = w.spawn(&process_client, &[]);
    w.fake
        .wait_for(WAIT, "a Hello", |r| (!r.hellos.is_empty()).then_some(()))
        .await
        .unwrap();
    w.fake.revoke_client(process_client.client_id());
    let status = process.wait_timeout(WAIT).expect("it exits");
    assert!(!status.success(), "{}", process.log());
    assert!(process.log().contains("refused"), "{}", process.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_sync_exits_0_quickly_without_upload_or_success() {
    let mut sim = SimulatorConfig::new(Scale::Small);
    sim.latency = Duration::from_millis(100);
    let w = World::new(FakeC1Config::default(), sim).await;
    let client = w.fake.new_client("bitbucket");
    let sync = w.fake.push_task(TaskSpec::full_sync(FullSync::default()));
    let mut process = w.spawn(&client, &[]);
    w.fake
        .wait_for(WAIT, "a heartbeat", |r| {
            r.heartbeats.iter().any(|h| h.task_id == sync).then_some(())
        })
        .await
        .unwrap();
    let signalled = Instant::now();
    process.signal("TERM");
    let status = process
        .wait_timeout(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("still running 10 s after SIGTERM\n{}", process.log()));
    assert!(status.success(), "exit {status:?}\n{}", process.log());
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "{:?}",
        signalled.elapsed()
    );
    assert!(w.fake.upload_attempts(&sync).is_empty());
    assert!(w.fake.finish_record(&sync).is_none_or(|f| !f.is_success()));
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(w.dir.path().join("tmp"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_clean(&w.fake, &process);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_ready_after_hello_and_not_while_conductorone_is_unreachable() {
    let w = World::small().await;
    let client = w.fake.new_client("bitbucket");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    let process = w.spawn(&client, &["--health-check", "--health-check-port", &port]);
    let probe = |endpoint: &str| {
        Command::new(host_process::binary(false))
            .env_clear()
            .args(["health-check", "--health-check-endpoint", endpoint])
            .args(["--health-check-port", &port])
            .output()
            .unwrap()
            .status
            .success()
    };
    let until = |want: bool, endpoint: &str| {
        let deadline = Instant::now() + WAIT;
        while probe(endpoint) != want {
            assert!(
                Instant::now() < deadline,
                "{endpoint} never became {want}\n{}",
                process.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    until(true, "ready");
    assert!(probe("live") && probe("health"));
    drop(w.fake);
    until(false, "ready");
    assert!(probe("live"), "still live while ConductorOne is away");
}
