//! Shared by the access-review tests (beside `common`): running the binary, syncing the simulator into a file, and a running
//! explorer.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use bitbucket_simulator::{Dataset, Scale, Simulator, SimulatorConfig};

/// A finished run of the binary.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary with `args`, without inheriting `BATON_*` variables.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = crate::common::command(args);
    cmd.current_dir(dir).env("NO_COLOR", "1");
    let out = cmd.output().expect("running connector-host");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the binary and fails the test, showing its output, when it fails.
pub fn run_ok(dir: &Path, args: &[&str]) -> String {
    let r = run(dir, args);
    assert!(
        r.ok,
        "`connector-host {}` failed:\n{}\n{}",
        args.join(" "),
        r.stdout,
        r.stderr
    );
    r.stdout
}

/// A simulator and a file synced from it with the admin's credentials.
pub struct Synced {
    pub sim: Simulator,
    pub dir: tempfile::TempDir,
    pub file: PathBuf,
}

impl Synced {
    /// The simulator's data: the oracle the tests check the file's views against.
    pub fn data(&self) -> Dataset {
        self.sim.dataset()
    }

    /// The file's path as a string.
    pub fn file_arg(&self) -> &str {
        self.file.to_str().expect("utf-8 temp path")
    }

    /// Runs the binary with `args` and `-f` the file; fails the test when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        run_ok(self.dir.path(), &[args, &["-f", self.file_arg()]].concat())
    }

    /// Runs the binary with `args` and `-f` the file.
    pub fn cli_run(&self, args: &[&str]) -> Run {
        run(self.dir.path(), &[args, &["-f", self.file_arg()]].concat())
    }

    /// Syncs the simulator (again) into the file.
    pub fn sync(&self) {
        let c = self.sim.credentials();
        run_ok(
            self.dir.path(),
            &[
                "--base-url",
                &self.sim.base_url(),
                "--username",
                &c.admin_email,
                "--app-password",
                &c.api_token,
                "-f",
                self.file_arg(),
                "--log-level",
                "warn",
            ],
        );
    }
}

/// Starts the small simulator and syncs it into a fresh file.
pub fn synced_small() -> Synced {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).expect("simulator");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.c1z");
    let s = Synced { sim, dir, file };
    s.sync();
    s
}

/// A running `connector-host explore`; killed on drop.
pub struct ExplorerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    pub port: u16,
}

impl ExplorerProcess {
    /// Starts the explorer on `file` and waits for the address it prints.
    pub fn start(file: &Path) -> ExplorerProcess {
        let mut child = crate::common::command(&["explore", "-f"])
            .arg(file)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the explorer");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("Explorer listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("the explorer printed no address within 120 s");
            }
        };
        let port = url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {url:?}"));
        ExplorerProcess { child, url, port }
    }

    /// The full URL of `path_and_query`.
    pub fn at(&self, path_and_query: &str) -> String {
        format!("{}{}", self.url.trim_end_matches('/'), path_and_query)
    }
}

impl Drop for ExplorerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A reader of the file and its latest full sync's id, for checking views against the file itself.
pub fn latest_sync(file: &Path) -> (c1z::C1zReader, String) {
    let reader = c1z::C1zReader::open(file).unwrap();
    let sync = reader.latest_full_sync().unwrap().unwrap().id;
    (reader, sync)
}

/// Percent-encodes a query value the way the explorer's links do.
pub fn q(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// Milliseconds since `t`.
pub fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// A repository of the simulator's first workspace whose group permission reaches at least one group member, with
/// that permission, the group and one member: the fact the access views must show as "through the group".
pub struct GroupReach {
    pub workspace_uuid: String,
    pub project_id: String,
    pub repo_uuid: String,
    pub repo_name: String,
    pub permission: String,
    pub group_slug: String,
    pub group_name: String,
    pub member_uuid: String,
    pub member_name: String,
    pub member_login: String,
}

impl GroupReach {
    /// `repository:<project id>:<repo uuid>`.
    pub fn repository_id(&self) -> String {
        format!("{}:{}", self.project_id, self.repo_uuid)
    }

    /// The workspace in the simulator's data.
    pub fn workspace<'a>(&self, data: &'a Dataset) -> &'a bitbucket_simulator::data::Workspace {
        data.workspaces
            .iter()
            .find(|w| w.uuid == self.workspace_uuid)
            .unwrap()
    }

    /// The repository in the simulator's data.
    pub fn repository<'a>(&self, data: &'a Dataset) -> &'a bitbucket_simulator::data::Repository {
        self.workspace(data)
            .repositories
            .iter()
            .find(|r| r.uuid == self.repo_uuid)
            .unwrap()
    }

    /// The repository entitlement granted through the group.
    pub fn entitlement_id(&self) -> String {
        format!("repository:{}:{}", self.repository_id(), self.permission)
    }
}

/// Finds a [`GroupReach`] in the data, preferring a member with no direct permission on that repository.
pub fn group_reach(data: &Dataset) -> GroupReach {
    // Only workspaces the admin credential administers have their group permissions synced.
    for ws in data
        .workspaces
        .iter()
        .filter(|w| w.role(&data.admin).is_some_and(|r| r == "owner"))
    {
        for r in &ws.repositories {
            let Some(p) = ws.projects.iter().find(|p| p.uuid == r.project) else {
                continue;
            };
            for gp in &r.group_perms {
                let Some(g) = ws.groups.iter().find(|g| g.slug == gp.principal) else {
                    continue;
                };
                for m in &g.members {
                    if r.user_perms.iter().any(|up| &up.principal == m) {
                        continue;
                    }
                    let u = data.user(m).expect("members are users");
                    let repo_name = format!("{}/{}", ws.slug, r.slug);
                    return GroupReach {
                        workspace_uuid: ws.uuid.clone(),
                        project_id: format!("{}:{}:{}", ws.uuid, p.uuid, p.key),
                        repo_uuid: r.uuid.clone(),
                        repo_name,
                        permission: gp.permission.clone(),
                        group_slug: g.slug.clone(),
                        group_name: g.name.clone(),
                        member_uuid: u.uuid.clone(),
                        member_name: u.display_name.clone(),
                        member_login: u.nickname.clone(),
                    };
                }
            }
        }
    }
    panic!("the simulator's data has no group permission reaching a member");
}

/// Who holds the reach's entitlement according to the simulator: principal id → display name, for the users
/// with that direct permission, the groups with it, and their members.
pub fn expected_holders(
    data: &Dataset,
    reach: &GroupReach,
) -> std::collections::BTreeMap<String, String> {
    let ws = reach.workspace(data);
    let repo = reach.repository(data);
    let mut holders = std::collections::BTreeMap::new();
    let user = |uuid: &str| {
        (
            uuid.to_string(),
            data.user(uuid).unwrap().display_name.clone(),
        )
    };
    for up in repo
        .user_perms
        .iter()
        .filter(|p| p.permission == reach.permission)
    {
        holders.extend([user(&up.principal)]);
    }
    for gp in repo
        .group_perms
        .iter()
        .filter(|p| p.permission == reach.permission)
    {
        let g = ws.groups.iter().find(|g| g.slug == gp.principal).unwrap();
        holders.insert(format!("{}:{}", ws.uuid, g.slug), g.name.clone());
        holders.extend(g.members.iter().map(|m| user(m)));
    }
    holders
}
