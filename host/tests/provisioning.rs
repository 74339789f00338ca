//! Provisioning through the `connector-host` binary against the simulator: every supported grant and
//! revoke, each repeated (idempotent: no extra changing request), no downgrade, the unsupported and
//! refused cases. Each test syncs the simulator into a temp file first, then provisions from it, and
//! checks the simulator's state and the file's latest sync.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use bitbucket_simulator::{Scale, Simulator, SimulatorConfig};
use c1z::C1zReader;
use common::text;

struct Env {
    sim: Simulator,
    dir: tempfile::TempDir,
    file: PathBuf,
}

/// Runs the binary with only the given flags (no inherited BATON_* settings).
fn host(args: &[&str]) -> Output {
    common::command(args)
        .env("BATON_LOG_LEVEL", "error")
        .output()
        .expect("runs")
}

impl Env {
    fn new() -> Env {
        let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).expect("simulator");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sync.c1z");
        let env = Env { sim, dir, file };
        let out = env.admin(&[]);
        assert!(out.status.success(), "sync: {}", text(&out));
        env.sim.reset_request_log();
        env
    }

    /// Runs with the admin API token on the test file.
    fn admin(&self, args: &[&str]) -> Output {
        self.admin_on(&self.file, args)
    }

    fn admin_on(&self, file: &Path, args: &[&str]) -> Output {
        let mut all = common::admin_args(&self.sim, file);
        all.extend(args.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        host(&refs)
    }

    /// A copy of the file as it is now (to repeat a call whose grant the file no longer holds).
    fn snapshot(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::copy(&self.file, &p).unwrap();
        p
    }

    /// PUT/POST/DELETE requests since the last call, then clears the log.
    fn changes(&self) -> Vec<String> {
        let log = self.sim.request_log();
        self.sim.reset_request_log();
        log.changes
            .iter()
            .map(|c| format!("{} {} {}", c.method, c.path, c.status))
            .collect()
    }

    fn acme(&self) -> bitbucket_simulator::data::Workspace {
        self.sim.dataset().ws_by_slug("acme").unwrap().clone()
    }

    /// Grant ids of the file's latest full sync.
    fn grants(&self) -> Vec<String> {
        let r = C1zReader::open(&self.file).unwrap();
        let sync = r.latest_full_sync().unwrap().unwrap().id;
        r.grants(&sync, None, None, None)
            .unwrap()
            .into_iter()
            .map(|g| g.id)
            .collect()
    }
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "expected success: {}", text(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn failed(o: &Output) -> String {
    assert!(!o.status.success(), "expected failure: {}", text(o));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn project_entitlement(ws: &str, p: &bitbucket_simulator::data::Project, slug: &str) -> String {
    format!("project:{ws}:{}:{}:{slug}", p.uuid, p.key)
}

fn user_perm<'a>(perms: &'a [bitbucket_simulator::data::Perm], who: &str) -> Option<&'a str> {
    perms
        .iter()
        .find(|p| p.principal == who)
        .map(|p| p.permission.as_str())
}

/// An acme member (not the admin) without an explicit permission on the project.
fn free_member(
    ws: &bitbucket_simulator::data::Workspace,
    perms: &[bitbucket_simulator::data::Perm],
    admin: &str,
) -> String {
    ws.members
        .iter()
        .map(|m| m.user.clone())
        .find(|u| u != admin && user_perm(perms, u).is_none())
        .expect("a member without an explicit permission")
}

#[test]
fn project_levels_for_a_user_upgrade_never_downgrade_and_repeat_without_changes() {
    let env = Env::new();
    let ws = env.acme();
    let project = ws.projects[0].clone();
    let admin = env.sim.credentials().admin_uuid;
    let user = free_member(&ws, &project.user_perms, &admin);
    let principal = format!("user:{user}");
    let ent = |slug: &str| project_entitlement(&ws.uuid, &project, slug);
    let grant_id = |slug: &str| format!("{}:user:{user}", ent(slug));
    let perm = |env: &Env| {
        let p = env
            .acme()
            .projects
            .into_iter()
            .find(|p| p.uuid == project.uuid)
            .unwrap();
        user_perm(&p.user_perms, &user).map(str::to_string)
    };

    // Refused without --provisioning: nothing is requested.
    let e = failed(&env.admin(&[
        "grant",
        "--entitlement",
        &ent("read"),
        "--principal",
        &principal,
    ]));
    assert!(e.contains("--provisioning"), "{e}");
    assert!(env.changes().is_empty());
    assert_eq!(perm(&env), None);

    // read: one PUT, then the same again: no changing request.
    let out = ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &ent("read"),
        "--principal",
        &principal,
    ]));
    assert!(out.starts_with("granted:"), "{out}");
    let ch = env.changes();
    assert_eq!(ch.len(), 1, "{ch:?}");
    assert!(
        ch[0].starts_with("PUT ")
            && ch[0].contains(&format!(
                "/projects/{}/permissions-config/users/",
                project.key
            )),
        "{ch:?}"
    );
    assert_eq!(perm(&env).as_deref(), Some("read"));
    assert!(env.grants().contains(&grant_id("read")));
    let out = ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &ent("read"),
        "--principal",
        &principal,
    ]));
    assert!(out.starts_with("already granted:"), "{out}");
    assert!(env.changes().is_empty());
    let before_upgrade = env.snapshot("read.c1z");

    // Upgrades write → create-repo → admin, each one PUT; the file keeps one level.
    for slug in ["write", "create-repo", "admin"] {
        let out = ok(&env.admin(&[
            "-p",
            "grant",
            "--entitlement",
            &ent(slug),
            "--principal",
            &principal,
            "-o",
            "json",
        ]));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["change"], "applied", "{out}");
        assert_eq!(env.changes().len(), 1);
        assert_eq!(perm(&env).as_deref(), Some(slug));
        let grants = env.grants();
        assert!(grants.contains(&grant_id(slug)));
        for other in ["read", "write", "create-repo", "admin"]
            .iter()
            .filter(|s| **s != slug)
        {
            assert!(
                !grants.contains(&grant_id(other)),
                "{other} left beside {slug}"
            );
        }
    }

    // No downgrade: granting write to an admin changes nothing.
    let out = ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &ent("write"),
        "--principal",
        &principal,
    ]));
    assert!(
        out.starts_with("already granted:") && out.contains("admin"),
        "{out}"
    );
    assert!(env.changes().is_empty());
    assert_eq!(perm(&env).as_deref(), Some("admin"));

    // Revoking read (from the older file) while admin is held: nothing deleted.
    let out = ok(&env.admin_on(
        &before_upgrade,
        &["-p", "revoke", "--grant", &grant_id("read")],
    ));
    assert!(out.starts_with("already revoked:"), "{out}");
    assert!(env.changes().is_empty());
    assert_eq!(perm(&env).as_deref(), Some("admin"));

    // Revoke admin: one DELETE; again (from a copy still holding it): nothing.
    let still_admin = env.snapshot("admin.c1z");
    let out = ok(&env.admin(&["-p", "revoke", "--grant", &grant_id("admin")]));
    assert!(out.starts_with("revoked:"), "{out}");
    let ch = env.changes();
    assert!(ch.len() == 1 && ch[0].starts_with("DELETE "), "{ch:?}");
    assert_eq!(perm(&env), None);
    assert!(!env.grants().contains(&grant_id("admin")));
    let out = ok(&env.admin_on(
        &still_admin,
        &["-p", "revoke", "--grant", &grant_id("admin")],
    ));
    assert!(out.starts_with("already revoked:"), "{out}");
    assert!(env.changes().is_empty());

    // The updated file is what inspect shows.
    let out = ok(&env.admin(&["inspect", "grants", "-e", &ent("admin")]));
    assert!(!out.contains(&user), "{out}");
}

#[test]
fn repository_and_project_permissions_for_groups_and_users() {
    let env = Env::new();
    let ws = env.acme();
    let repo = ws.repositories[0].clone();
    let project = ws
        .projects
        .iter()
        .find(|p| p.uuid == repo.project)
        .unwrap()
        .clone();
    let group = ws
        .groups
        .iter()
        .find(|g| {
            user_perm(&repo.group_perms, &g.slug).is_none()
                && user_perm(&project.group_perms, &g.slug).is_none()
        })
        .expect("a group without permissions on the repo")
        .slug
        .clone();
    let admin = env.sim.credentials().admin_uuid;
    let user = free_member(&ws, &repo.user_perms, &admin);
    let repo_ent = |slug: &str| {
        format!(
            "repository:{}:{}:{}:{}:{slug}",
            ws.uuid, project.uuid, project.key, repo.uuid
        )
    };
    let gid = format!("{}:{group}", ws.uuid);
    let repo_now = |env: &Env| {
        env.acme()
            .repositories
            .into_iter()
            .find(|r| r.uuid == repo.uuid)
            .unwrap()
    };

    // Group on the repository: write, repeat, upgrade to admin, no downgrade to read, revoke, repeat.
    let out = ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &repo_ent("write"),
        "--principal",
        &format!("user_group:{gid}"),
    ]));
    assert!(
        out.contains("note:") && out.contains("re-sync"),
        "expansion caveat: {out}"
    );
    let ch = env.changes();
    assert!(
        ch.len() == 1 && ch[0].contains(&format!("/permissions-config/groups/{group}")),
        "{ch:?}"
    );
    assert_eq!(
        user_perm(&repo_now(&env).group_perms, &group),
        Some("write")
    );
    ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &repo_ent("write"),
        "--principal",
        &format!("user_group:{gid}"),
    ]));
    assert!(env.changes().is_empty());
    ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &repo_ent("admin"),
        "--principal",
        &format!("user_group:{gid}"),
    ]));
    assert_eq!(env.changes().len(), 1);
    let out = ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &repo_ent("read"),
        "--principal",
        &format!("user_group:{gid}"),
    ]));
    assert!(out.starts_with("already granted:"), "{out}");
    assert!(env.changes().is_empty());
    assert_eq!(
        user_perm(&repo_now(&env).group_perms, &group),
        Some("admin")
    );
    let g_admin = format!("{}:user_group:{gid}", repo_ent("admin"));
    assert!(env.grants().contains(&g_admin));
    let copy = env.snapshot("group-admin.c1z");
    ok(&env.admin(&["-p", "revoke", "--grant", &g_admin]));
    assert_eq!(env.changes().len(), 1);
    assert_eq!(user_perm(&repo_now(&env).group_perms, &group), None);
    assert!(!env.grants().contains(&g_admin));
    ok(&env.admin_on(&copy, &["-p", "revoke", "--grant", &g_admin]));
    assert!(env.changes().is_empty());

    // User on the repository: read, repeat, revoke.
    let principal = format!("user:{user}");
    ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &repo_ent("read"),
        "--principal",
        &principal,
    ]));
    let ch = env.changes();
    assert!(
        ch.len() == 1 && ch[0].contains("/permissions-config/users/"),
        "{ch:?}"
    );
    assert_eq!(user_perm(&repo_now(&env).user_perms, &user), Some("read"));
    ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &repo_ent("read"),
        "--principal",
        &principal,
    ]));
    assert!(env.changes().is_empty());
    ok(&env.admin(&[
        "-p",
        "revoke",
        "--grant",
        &format!("{}:user:{user}", repo_ent("read")),
    ]));
    assert_eq!(env.changes().len(), 1);
    assert_eq!(user_perm(&repo_now(&env).user_perms, &user), None);

    // Group on the project (the group slug, not the composite id, in the path).
    let pent = |slug: &str| project_entitlement(&ws.uuid, &project, slug);
    ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &pent("create-repo"),
        "--principal",
        &format!("user_group:{gid}"),
    ]));
    let ch = env.changes();
    assert!(
        ch.len() == 1
            && ch[0].contains(&format!(
                "/projects/{}/permissions-config/groups/{group}",
                project.key
            )),
        "{ch:?}"
    );
    let pnow = env
        .acme()
        .projects
        .into_iter()
        .find(|p| p.uuid == project.uuid)
        .unwrap();
    assert_eq!(user_perm(&pnow.group_perms, &group), Some("create-repo"));
    ok(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &pent("read"),
        "--principal",
        &format!("user_group:{gid}"),
    ]));
    assert!(env.changes().is_empty());
    ok(&env.admin(&[
        "-p",
        "revoke",
        "--grant",
        &format!("{}:user_group:{gid}", pent("create-repo")),
    ]));
    assert_eq!(env.changes().len(), 1);
}

#[test]
fn group_membership_with_batons_one_shot_flags() {
    let env = Env::new();
    let ws = env.acme();
    let group = ws.groups[0].clone();
    let user = ws
        .members
        .iter()
        .map(|m| m.user.clone())
        .find(|u| !group.members.contains(u))
        .expect("a member outside the group");
    let ent = format!("user_group:{}:{}:member", ws.uuid, group.slug);
    let members = |env: &Env| {
        env.acme()
            .groups
            .into_iter()
            .find(|g| g.slug == group.slug)
            .unwrap()
            .members
    };
    let grant = [
        "-p",
        "--grant-entitlement",
        &ent,
        "--grant-principal",
        &user,
        "--grant-principal-type",
        "user",
    ];

    let e = failed(&env.admin(&grant[1..]));
    assert!(e.contains("--provisioning"), "{e}");
    let out = ok(&env.admin(&grant));
    assert!(out.starts_with("granted:"), "{out}");
    let ch = env.changes();
    assert!(
        ch.len() == 1
            && ch[0].starts_with("PUT ")
            && ch[0].contains(&format!("/1.0/groups/{}/{}/members/", ws.slug, group.slug)),
        "{ch:?}"
    );
    assert!(members(&env).contains(&user));
    let out = ok(&env.admin(&grant));
    assert!(out.starts_with("already granted:"), "{out}");
    assert!(env.changes().is_empty());

    let grant_id = format!("{ent}:user:{user}");
    assert!(env.grants().contains(&grant_id));
    let copy = env.snapshot("member.c1z");
    let out = ok(&env.admin(&["-p", "--revoke-grant", &grant_id]));
    assert!(out.starts_with("revoked:"), "{out}");
    assert_eq!(env.changes().len(), 1);
    assert!(!members(&env).contains(&user));
    assert!(!env.grants().contains(&grant_id));
    let out = ok(&env.admin_on(&copy, &["-p", "--revoke-grant", &grant_id]));
    assert!(out.starts_with("already revoked:"), "{out}");
    assert!(env.changes().is_empty());
}

#[test]
fn a_repeated_revoke_succeeds_and_sends_no_second_delete() {
    let env = Env::new();
    let ws = env.acme();
    let repo = ws.repositories[0].clone();
    let project = ws.project_by_uuid(&repo.project).unwrap().clone();
    let admin = env.sim.credentials().admin_uuid;
    let user = free_member(&ws, &repo.user_perms, &admin);
    let ent = format!(
        "repository:{}:{}:{}:{}:write",
        ws.uuid, project.uuid, project.key, repo.uuid
    );
    let grant_id = format!("{ent}:user:{user}");
    let held = |env: &Env| {
        let r = env
            .acme()
            .repositories
            .into_iter()
            .find(|r| r.uuid == repo.uuid)
            .unwrap();
        user_perm(&r.user_perms, &user).map(str::to_string)
    };
    let grant = [
        "-p",
        "grant",
        "--entitlement",
        &ent,
        "--principal",
        &format!("user:{user}"),
    ];
    ok(&env.admin(&grant));
    assert_eq!(env.changes().len(), 1);
    let still_granted = env.snapshot("granted.c1z");

    // The first revoke deletes, the second (on the same file, which no longer holds the grant)
    // asks Bitbucket, is told nothing is held and sends no DELETE.
    let out = ok(&env.admin(&["-p", "revoke", "--grant", &grant_id]));
    assert!(out.starts_with("revoked:"), "{out}");
    let ch = env.changes();
    assert!(ch.len() == 1 && ch[0].starts_with("DELETE "), "{ch:?}");
    assert_eq!(held(&env), None);
    let grants_after_first = env.grants();
    assert!(!grants_after_first.contains(&grant_id));
    let file_after_first = std::fs::read(&env.file).unwrap();
    let out = ok(&env.admin(&["-p", "revoke", "--grant", &grant_id]));
    assert!(out.starts_with("already revoked:"), "{out}");
    assert!(
        out.contains("not in the file") && out.contains("Bitbucket confirms it is not held"),
        "{out}"
    );
    assert!(out.contains("does not hold the grant; unchanged"), "{out}");
    let ch = env.changes();
    assert!(ch.iter().all(|c| !c.starts_with("DELETE ")), "{ch:?}");
    assert!(ch.is_empty(), "{ch:?}");
    assert_eq!(std::fs::read(&env.file).unwrap(), file_after_first);
    let v: serde_json::Value = serde_json::from_str(&ok(
        &env.admin(&["-p", "revoke", "--grant", &grant_id, "-o", "json"])
    ))
    .unwrap();
    assert_eq!(v["result"], "already revoked");
    assert_eq!(v["change"], "already-satisfied");
    assert_eq!(v["request"]["grantInFile"], false);
    assert!(env.changes().is_empty());

    // Baton's --revoke-grant takes the same path.
    let out = ok(&env.admin(&["-p", "--revoke-grant", &grant_id]));
    assert!(
        out.starts_with("already revoked:") && out.contains("not in the file"),
        "{out}"
    );
    assert!(env.changes().is_empty());

    // Granted again outside this file since the sync: the revoke of the absent grant finds it
    // held and deletes it for real.
    ok(&env.admin_on(&still_granted, &grant));
    assert_eq!(env.changes().len(), 1);
    assert_eq!(held(&env).as_deref(), Some("write"));
    let out = ok(&env.admin(&["-p", "--revoke-grant", &grant_id]));
    assert!(
        out.starts_with("revoked:") && out.contains("Bitbucket still held it"),
        "{out}"
    );
    let ch = env.changes();
    assert!(ch.len() == 1 && ch[0].starts_with("DELETE "), "{ch:?}");
    assert_eq!(held(&env), None);
    assert_eq!(env.grants(), grants_after_first);
}

#[test]
fn revoking_unknown_or_inherited_grants_fails_and_changes_nothing() {
    let env = Env::new();
    let ws = env.acme();
    let repo = ws.repositories[0].clone();
    let project = ws.project_by_uuid(&repo.project).unwrap().clone();
    let ent = format!(
        "repository:{}:{}:{}:{}:write",
        ws.uuid, project.uuid, project.key, repo.uuid
    );

    // Neither the entitlement nor the principal is in the file.
    let unknown = format!(
        "repository:{}:{{no-project}}:NOPE:{{no-repo}}:write:user:{{no-user}}",
        ws.uuid
    );
    let e = failed(&env.admin(&["-p", "revoke", "--grant", &unknown]));
    assert!(
        e.contains("is not in the latest sync") && e.contains("inspect grants"),
        "{e}"
    );
    // The entitlement is, the principal is not.
    let e = failed(&env.admin(&["-p", "--revoke-grant", &format!("{ent}:user:{{no-user}}")]));
    assert!(
        e.contains("nor is its principal") && e.contains("inspect resources"),
        "{e}"
    );

    // A grant the file shows only through expansion (inherited from a group) is refused.
    let r = C1zReader::open(&env.file).unwrap();
    let sync = r.latest_full_sync().unwrap().unwrap().id;
    let inherited = r
        .grants(&sync, None, None, None)
        .unwrap()
        .into_iter()
        .find(|g| {
            let own = g
                .entitlement
                .as_ref()
                .map(|e| e.id.clone())
                .unwrap_or_default();
            g.sources
                .as_ref()
                .is_some_and(|s| !s.sources.is_empty() && !s.sources.contains_key(&own))
        })
        .expect("an inherited grant in the small dataset")
        .id;
    assert!(env.changes().is_empty());
    let e = failed(&env.admin(&["-p", "revoke", "--grant", &inherited]));
    assert!(e.contains("inherited through"), "{e}");
    // Refused before the plugin runs: not even a read.
    assert_eq!(env.sim.request_log().total, 0);
}

#[test]
fn unsupported_refused_and_failing_cases_change_nothing() {
    let env = Env::new();
    let ws = env.acme();
    let project = ws.projects[0].clone();
    let data = env.sim.dataset();
    let admin = env.sim.credentials().admin_uuid;
    let member = free_member(&ws, &project.user_perms, &admin);
    let before = env.sim.dataset();

    // Workspace membership and ownership: no API.
    let e = failed(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &format!("workspace:{}:member", ws.uuid),
        "--principal",
        &format!("user:{member}"),
    ]));
    assert!(e.contains("invitations"), "{e}");
    let owner_grant = format!("workspace:{}:owner:user:{admin}", ws.uuid);
    let e = failed(&env.admin(&["-p", "revoke", "--grant", &owner_grant]));
    assert!(e.contains("ownership"), "{e}");
    // The project `repository` entitlement.
    let repo = ws.repositories[0].clone();
    let rproject = ws.project_by_uuid(&repo.project).unwrap().clone();
    let e = failed(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &project_entitlement(&ws.uuid, &rproject, "repository"),
        "--principal",
        &format!(
            "repository:{}:{}:{}:{}",
            ws.uuid, rproject.uuid, rproject.key, repo.uuid
        ),
    ]));
    assert!(e.contains("repository"), "{e}");

    // A user who is not an acme member (synced from partner-co).
    let partner = data.ws_by_slug("partner-co").unwrap();
    let outsider = partner
        .members
        .iter()
        .map(|m| m.user.clone())
        .find(|u| ws.role(u).is_none())
        .expect("a partner-co member outside acme");
    let e = failed(&env.admin(&[
        "-p",
        "grant",
        "--entitlement",
        &project_entitlement(&ws.uuid, &project, "read"),
        "--principal",
        &format!("user:{outsider}"),
    ]));
    assert!(e.contains("not a member"), "{e}");

    // Unknown ids in the file.
    let e = failed(&env.admin(&["-p", "revoke", "--grant", "nope"]));
    assert!(e.contains("inspect grants"), "{e}");

    // A Bearer access token cannot change permissions: the message names the credential needed.
    let c = env.sim.credentials();
    let e = failed(&host(&[
        "--base-url",
        &env.sim.base_url(),
        "--token",
        &c.access_token,
        "-f",
        &env.file.display().to_string(),
        "-p",
        "grant",
        "--entitlement",
        &project_entitlement(&ws.uuid, &project, "read"),
        "--principal",
        &format!("user:{member}"),
    ]));
    assert!(
        e.contains("API token") && !e.contains(&c.access_token),
        "{e}"
    );

    let changes = env.changes();
    assert!(
        changes
            .iter()
            .all(|c| !c.ends_with(" 200") && !c.ends_with(" 204")),
        "{changes:?}"
    );
    let after = env.sim.dataset();
    assert_eq!(
        serde_json::to_value(&before.workspaces).unwrap(),
        serde_json::to_value(&after.workspaces).unwrap()
    );
}

#[test]
fn capabilities_follow_batons_shape() {
    let out = host(&["capabilities"]);
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(
        v["@type"],
        "type.googleapis.com/c1.connector.v2.ConnectorCapabilities"
    );
    let caps: Vec<(String, Vec<String>)> = v["resourceTypeCapabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["resourceType"]["id"].as_str().unwrap().to_string(),
                t["capabilities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let sync = vec!["CAPABILITY_SYNC".to_string()];
    let both = vec![
        "CAPABILITY_SYNC".to_string(),
        "CAPABILITY_PROVISION".to_string(),
    ];
    assert_eq!(
        caps,
        vec![
            ("workspace".into(), sync.clone()),
            ("user".into(), sync),
            ("user_group".into(), both.clone()),
            ("project".into(), both.clone()),
            ("repository".into(), both),
        ]
    );
}
