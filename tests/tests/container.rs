//! The container, as far as it can be checked without building an image: the Kubernetes
//! manifests parse and carry the documented names and conditions; every variable they name is one
//! the binary understands; and the release binary, run as the image runs it (only the
//! Dockerfile's and the manifests' variables, a non-root uid, an unwritable working directory and
//! HOME, a read-only precompiled-component cache, only TMPDIR writable), completes a service-mode
//! sync against the fake ConductorOne, answers its probes, and stops cleanly on SIGTERM.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bitbucket_simulator::{Scale, Simulator, SimulatorConfig, View, truth};
use connector_host::serve::tenant_file::TenantSpec;
use connector_tests::fake_c1::{FakeC1, FullSync, TaskSpec};
use connector_tests::host_process::{self, HostProcess};
use serde_yaml::Value;

/// The uid the image runs as (distroless `nonroot`).
const IMAGE_UID: u32 = 65532;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The documents of the files in deploy/kubernetes whose names `pick` accepts, by kind.
fn manifests_where(pick: impl Fn(&str) -> bool) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let dir = repo().join("deploy/kubernetes");
    for entry in std::fs::read_dir(&dir).expect("deploy/kubernetes") {
        let path = entry.unwrap().path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") || !pick(name) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value = <Value as serde::Deserialize>::deserialize(doc)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
            let kind = value["kind"].as_str().expect("a kind").to_string();
            assert!(out.insert(kind.clone(), value).is_none(), "two {kind}s");
        }
    }
    out
}

/// The service-mode manifests (a Secret and a Deployment), by kind; the `serve-*` files are
/// the multi-tenant server's.
fn manifests() -> BTreeMap<String, Value> {
    manifests_where(|name| !name.starts_with("serve-"))
}

fn s<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v:?}"))
}

/// The final stage's `ENV` pairs, `USER` and `ENTRYPOINT` of deploy/Dockerfile.
struct Image {
    env: Vec<(String, String)>,
    user: String,
    entrypoint: String,
}

fn image() -> Image {
    let text = std::fs::read_to_string(repo().join("deploy/Dockerfile")).unwrap();
    let joined = text.replace("\\\n", " ");
    let last_stage = joined.rsplit("\nFROM ").next().unwrap();
    let mut image = Image {
        env: vec![],
        user: String::new(),
        entrypoint: String::new(),
    };
    for line in last_stage.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("ENV ") {
            for pair in rest.split_whitespace() {
                let (k, v) = pair.split_once('=').expect("ENV KEY=VALUE");
                image.env.push((k.to_string(), v.to_string()));
            }
        } else if let Some(rest) = line.strip_prefix("USER ") {
            image.user = rest.trim().to_string();
        } else if let Some(rest) = line.strip_prefix("ENTRYPOINT ") {
            let argv: Vec<String> = serde_json::from_str(rest).expect("ENTRYPOINT as JSON");
            image.entrypoint = argv[0].clone();
        }
    }
    image
}

/// The Deployment's container.
fn container(m: &BTreeMap<String, Value>) -> &Value {
    &m["Deployment"]["spec"]["template"]["spec"]["containers"][0]
}

#[test]
fn the_manifests_carry_the_documented_names_and_the_image_conditions() {
    let m = manifests();
    let secret = &m["Secret"];
    assert_eq!(
        s(&secret["metadata"]["name"], "name"),
        "baton-bitbucket-secrets"
    );
    assert_eq!(s(&secret["type"], "type"), "Opaque");
    let keys: BTreeSet<&str> = secret["stringData"]
        .as_mapping()
        .expect("stringData")
        .keys()
        .map(|k| s(k, "key"))
        .collect();
    for documented in [
        "BATON_CLIENT_ID",
        "BATON_CLIENT_SECRET",
        "BATON_USERNAME",
        "BATON_APP_PASSWORD",
        "BATON_WORKSPACES",
        "BATON_PROVISIONING",
    ] {
        assert!(keys.contains(documented), "the Secret lacks {documented}");
    }
    for value in secret["stringData"].as_mapping().unwrap().values() {
        s(value, "a stringData value (Kubernetes wants strings)");
    }

    let deployment = &m["Deployment"];
    assert_eq!(
        s(&deployment["metadata"]["name"], "name"),
        "baton-bitbucket"
    );
    assert_eq!(
        s(&deployment["metadata"]["labels"]["app"], "app"),
        "baton-bitbucket"
    );
    assert_eq!(
        s(
            &deployment["spec"]["selector"]["matchLabels"]["app"],
            "selector"
        ),
        "baton-bitbucket"
    );
    let pod = &deployment["spec"]["template"];
    let labels = &pod["metadata"]["labels"];
    assert_eq!(s(&labels["app"], "app"), "baton-bitbucket");
    assert_eq!(
        s(&labels["baton"], "baton (a string, not a YAML boolean)"),
        "true"
    );
    assert_eq!(s(&labels["baton-app"], "baton-app"), "bitbucket");
    assert_eq!(
        pod["spec"]["securityContext"]["runAsNonRoot"].as_bool(),
        Some(true)
    );
    let image = image();
    assert_eq!(
        pod["spec"]["securityContext"]["runAsUser"].as_u64(),
        Some(u64::from(IMAGE_UID))
    );
    assert_eq!(
        image.user,
        format!("{IMAGE_UID}:{IMAGE_UID}"),
        "the Dockerfile's USER"
    );

    let c = container(&m);
    assert_eq!(s(&c["imagePullPolicy"], "imagePullPolicy"), "IfNotPresent");
    assert_eq!(
        s(&c["envFrom"][0]["secretRef"]["name"], "envFrom"),
        "baton-bitbucket-secrets"
    );
    for (kind, what) in [
        ("requests", "cpu"),
        ("requests", "memory"),
        ("limits", "cpu"),
        ("limits", "memory"),
    ] {
        assert!(
            c["resources"][kind][what].as_str().is_some(),
            "resources.{kind}.{what}"
        );
    }
    assert_eq!(
        c["securityContext"]["readOnlyRootFilesystem"].as_bool(),
        Some(true)
    );
    assert_eq!(
        c["securityContext"]["allowPrivilegeEscalation"].as_bool(),
        Some(false)
    );
    for probe in ["livenessProbe", "readinessProbe"] {
        let command = c[probe]["exec"]["command"].as_sequence().expect(probe);
        assert_eq!(
            s(&command[0], probe),
            image.entrypoint,
            "{probe} runs the image's binary"
        );
        assert_eq!(s(&command[1], probe), "health-check");
    }
    // TMPDIR is the only writable place: an emptyDir mounted there.
    let tmpdir = env_of(c)
        .into_iter()
        .find(|(k, _)| k == "TMPDIR")
        .map(|(_, v)| v)
        .expect("TMPDIR in the container's env");
    let mount = c["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["mountPath"].as_str() == Some(tmpdir.as_str()))
        .expect("a volume at TMPDIR");
    let volume = pod["spec"]["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mounted volume");
    assert!(
        volume["emptyDir"].is_mapping(),
        "TMPDIR is an emptyDir: {volume:?}"
    );
}

/// The container's `env` pairs.
fn env_of(c: &Value) -> Vec<(String, String)> {
    c["env"]
        .as_sequence()
        .map(|env| {
            env.iter()
                .map(|e| {
                    (
                        s(&e["name"], "name").to_string(),
                        s(&e["value"], "value").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Variables the binary reads that are not flags: the temp directory, the compilation cache,
/// the trusted roots, the proxy, colours.
const PROCESS_VARIABLES: &[&str] = &[
    "TMPDIR",
    "HOME",
    "XDG_CACHE_HOME",
    "SSL_CERT_FILE",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "NO_COLOR",
];

/// The `BATON_*` variables `--help` lists for the default command and `health-check`.
fn understood(binary: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for args in [&["--help"][..], &["health-check", "--help"][..]] {
        let out = Command::new(binary)
            .env_clear()
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        for part in help.split("[env: ").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names.extend(PROCESS_VARIABLES.iter().map(|s| s.to_string()));
    names
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chmod_tree(path: &Path, dir_mode: u32, file_mode: u32) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            chmod_tree(&entry.unwrap().path(), dir_mode, file_mode);
        }
        chmod(path, dir_mode);
    } else {
        chmod(path, file_mode);
    }
}

/// Whether this process runs as root (then the child runs as the image's uid).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

#[test]
fn the_serve_manifests_shard_as_documented_and_their_tenant_files_parse() {
    let m = manifests_where(|name| name.starts_with("serve-"));
    let set = &m["StatefulSet"];
    let replicas = set["spec"]["replicas"].as_u64().expect("replicas");
    let pod = &set["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let env = env_of(container);
    let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(
        var("BATON_SHARD_COUNT"),
        Some(replicas.to_string().as_str())
    );
    assert_eq!(
        m["Service"]["spec"]["clusterIP"].as_str(),
        Some("None"),
        "a headless Service gives each replica its stable name"
    );
    assert_eq!(
        s(&set["spec"]["serviceName"], "serviceName"),
        s(&m["Service"]["metadata"]["name"], "name")
    );
    // Every tenant file of the ConfigMap parses, and every secret it names is a key of the
    // mounted Secret.
    let mount = |volume: &str| {
        container["volumeMounts"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|v| v["name"].as_str() == Some(volume))
            .map(|v| s(&v["mountPath"], "mountPath").to_string())
            .unwrap_or_else(|| panic!("no mount of {volume}"))
    };
    let tenants_dir = mount("tenants");
    assert_eq!(var("BATON_TENANTS_DIR"), Some(tenants_dir.as_str()));
    let secrets_dir = mount("tenant-secrets");
    let secret_keys: Vec<&str> = m["Secret"]["stringData"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| s(k, "key"))
        .collect();
    let files = m["ConfigMap"]["data"].as_mapping().expect("tenant files");
    assert!(files.len() >= 2);
    let mut service_mode = 0;
    for (name, text) in files {
        let path = Path::new(&tenants_dir).join(s(name, "file name"));
        let spec =
            TenantSpec::parse(&path, s(text, "tenant file")).unwrap_or_else(|e| panic!("{e}"));
        if spec.sync_file().is_none() {
            service_mode += 1;
        }
        let prefix = format!("\"{secrets_dir}/");
        let mut rest = s(text, "tenant file");
        while let Some(at) = rest.find(&prefix) {
            rest = &rest[at + prefix.len()..];
            let key = rest.split('"').next().unwrap();
            assert!(
                secret_keys.contains(&key),
                "{name:?} names {key}, not in the Secret"
            );
        }
    }
    assert_eq!(service_mode, 1, "the example ConductorOne tenant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_binary_syncs_in_service_mode_as_the_image_runs_it() {
    let m = manifests();
    let image = image();
    let built = host_process::binary(true);

    // Every variable the manifests and the image name is one the binary understands.
    let understood = understood(&built);
    let secret: Vec<(String, String)> = m["Secret"]["stringData"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (s(k, "key").to_string(), s(v, "value").to_string()))
        .collect();
    let deployment_env = env_of(container(&m));
    for (name, _) in secret.iter().chain(&deployment_env).chain(&image.env) {
        assert!(
            understood.contains(name),
            "{name} is named in deploy/ but the binary does not read it"
        );
    }

    // The image's file system, as far as a process can tell: the binary, a read-only cache of
    // the compiled component, unwritable HOME and working directory, TMPDIR (the emptyDir).
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let binary = r.join("connector-host");
    std::fs::copy(&built, &binary).unwrap();
    let (cache, tmp, home, work) = (
        r.join("cache"),
        r.join("tmp"),
        r.join("home"),
        r.join("work"),
    );
    for d in [&cache, &tmp, &home, &work] {
        std::fs::create_dir(d).unwrap();
    }
    // As the Dockerfile's build stage: compile the component into the cache.
    let warm = Command::new(&binary)
        .env_clear()
        .env("XDG_CACHE_HOME", &cache)
        .arg("capabilities")
        .output()
        .unwrap();
    assert!(
        warm.status.success(),
        "{}",
        String::from_utf8_lossy(&warm.stderr)
    );
    chmod_tree(&cache, 0o555, 0o444);
    chmod(&home, 0o555);
    chmod(&work, 0o555);
    chmod(r, 0o755);
    let root_user = is_root();
    if root_user {
        std::os::unix::fs::chown(&tmp, Some(IMAGE_UID), Some(IMAGE_UID)).unwrap();
    }
    chmod(&tmp, 0o700);
    let path_in_image = |value: &str| -> String {
        match value {
            "/tmp" => tmp.display().to_string(),
            "/var/cache/connector-host" => cache.display().to_string(),
            other => other.to_string(),
        }
    };

    let fake = FakeC1::start().await.unwrap();
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let client = fake.new_client("bitbucket");
    let ca = r.join("ca.pem");
    std::fs::write(&ca, fake.ca_pem()).unwrap();
    chmod(&ca, 0o644);
    let creds = sim.credentials();
    let health_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    // The Secret's values for this test's ConductorOne and Bitbucket, the rest as written.
    let mut env: Vec<(String, String)> = image
        .env
        .iter()
        .map(|(k, v)| (k.clone(), path_in_image(v)))
        .collect();
    for (k, v) in secret.iter().chain(&deployment_env) {
        let value = match k.as_str() {
            "BATON_CLIENT_ID" => client.client_id().to_string(),
            "BATON_CLIENT_SECRET" => client.client_secret().to_string(),
            "BATON_USERNAME" => creds.admin_email.clone(),
            "BATON_APP_PASSWORD" => creds.api_token.clone(),
            "BATON_HEALTH_CHECK_PORT" => health_port.clone(),
            _ => path_in_image(v),
        };
        env.push((k.clone(), value));
    }
    let workspaces = env
        .iter()
        .find(|(k, _)| k == "BATON_WORKSPACES")
        .map(|(_, v)| v.clone());
    // What only a test needs: the fake's CA (a private CA works the same way) and the simulator.
    env.push(("SSL_CERT_FILE".into(), ca.display().to_string()));
    env.push(("BATON_BASE_URL".into(), sim.base_url()));
    env.push(("HOME".into(), home.display().to_string()));
    let command = |args: &[&str]| {
        let mut cmd = Command::new(&binary);
        cmd.env_clear()
            .envs(env.iter().cloned())
            .current_dir(&work)
            .args(args);
        if root_user {
            cmd.uid(IMAGE_UID).gid(IMAGE_UID);
        }
        cmd
    };

    let sync = fake.push_task(TaskSpec::full_sync(FullSync::default()));
    let mut process = HostProcess::spawn(command(&[]));
    let finish = match fake.wait_finished(&sync, Duration::from_secs(180)).await {
        Ok(f) => f,
        Err(e) => panic!("{e}\n--- log ---\n{}", process.log()),
    };
    assert!(finish.is_success(), "{finish:?}\n{}", process.log());

    // The upload equals the simulator's truth over the Secret's workspaces.
    let upload = r.join("upload.c1z");
    fake.save_upload(&sync, &upload).unwrap();
    let mut data = sim.dataset();
    if let Some(list) = &workspaces {
        let wanted: Vec<&str> = list.split(',').map(str::trim).collect();
        data.workspaces
            .retain(|w| wanted.contains(&w.slug.as_str()));
    }
    let truth = truth::compute(&data, View::Admin);
    let reader = c1z::C1zReader::open(&upload).unwrap();
    let id = reader.latest_full_sync().unwrap().unwrap().id;
    let grants: BTreeSet<String> = reader
        .grants(&id, None, None, None)
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert!(!truth.grants.is_empty());
    assert_eq!(
        grants, truth.grants,
        "the upload's grants differ from the truth"
    );

    // The manifest's probes, run as the kubelet runs them: in the container, with its env.
    for probe in ["livenessProbe", "readinessProbe"] {
        let argv: Vec<&str> = container(&m)[probe]["exec"]["command"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| s(a, "arg"))
            .collect();
        let out = command(&argv[1..]).output().unwrap();
        assert!(
            out.status.success(),
            "{probe}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    process.signal("TERM");
    let status = process
        .wait_timeout(Duration::from_secs(10))
        .expect("it stops on SIGTERM");
    assert!(status.success(), "{status:?}\n{}", process.log());
    for (what, dir) in [
        ("HOME", &home),
        ("the working directory", &work),
        ("TMPDIR", &tmp),
    ] {
        let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
        assert!(left.is_empty(), "{what} was written to: {left:?}");
    }
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    // Let the temporary directory be removed.
    chmod_tree(&cache, 0o755, 0o644);
    chmod(&home, 0o755);
    chmod(&work, 0o755);
}
