//! Provisioning changes state and truth; scale sizes and edge cases; truth matches the served data.

mod common;

use std::collections::BTreeSet;

use bitbucket_simulator::access;
use bitbucket_simulator::{ReadRules, Scale, Simulator, SimulatorConfig, View, truth};
use common::*;

#[test]
fn permissions_config_and_group_member_changes() {
    let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
    let c = sim.credentials();
    let a = Auth::admin(&c);
    let data = sim.dataset();
    let ws = data.ws_by_slug(&c.access_token_workspace).unwrap();
    let wsu = &ws.uuid;
    let p = ws.projects.iter().find(|p| p.key != "EMPTY").unwrap();
    let repo = &ws.repositories[1];
    let user = ws
        .members
        .iter()
        .find(|m| m.permission == "member" && m.user != c.user_uuid)
        .unwrap();
    let u = data.user(&user.user).unwrap();
    let owner = ws
        .members
        .iter()
        .find(|m| m.permission == "owner" && m.user != c.admin_uuid)
        .unwrap();
    let pid = format!("{wsu}:{}:{}", p.uuid, p.key);
    let rid = format!(
        "{}:{}",
        truth::project_id(ws, &repo.project).unwrap(),
        repo.uuid
    );

    // Project user permission upsert by account id.
    let url = format!(
        "/2.0/workspaces/{}/projects/{}/permissions-config/users/{}",
        ws.slug, p.key, u.account_id
    );
    let r = request(
        &sim,
        "PUT",
        &url,
        &a,
        Some(r#"{"permission":"create-repo"}"#),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["type"], "project_user_permission");
    assert_eq!(r.json()["permission"], "create-repo");
    assert_eq!(r.json()["user"]["uuid"], u.uuid.as_str());
    let g = format!("project:{pid}:create-repo:user:{}", u.uuid);
    assert!(sim.ground_truth(View::Admin).grants.contains(&g));
    assert_eq!(get(&sim, &url, &a).json()["permission"], "create-repo");
    let r = request(&sim, "PUT", &url, &a, Some(r#"{"permission":"admin"}"#));
    assert_eq!(r.status, 200);
    let t = sim.ground_truth(View::Admin);
    assert!(!t.grants.contains(&g));
    assert!(
        t.grants
            .contains(&format!("project:{pid}:admin:user:{}", u.uuid))
    );
    // Bad values, owners, non-members.
    for body in [
        r#"{"permission":"none"}"#,
        r#"{"permission":"owner"}"#,
        r#"{}"#,
        "nope",
        r#"{"permission":"read","x":1}"#,
    ] {
        assert_eq!(
            request(&sim, "PUT", &url, &a, Some(body)).status,
            400,
            "{body}"
        );
    }
    let owner_url = format!(
        "/2.0/workspaces/{}/projects/{}/permissions-config/users/{}",
        ws.slug,
        p.key,
        enc(&owner.user)
    );
    assert_eq!(
        request(
            &sim,
            "PUT",
            &owner_url,
            &a,
            Some(r#"{"permission":"read"}"#)
        )
        .status,
        400
    );
    let outsider = data
        .users
        .iter()
        .find(|x| ws.role(&x.uuid).is_none())
        .unwrap();
    let out_url = format!(
        "/2.0/repositories/{}/{}/permissions-config/users/{}",
        ws.slug,
        repo.slug,
        enc(&outsider.uuid)
    );
    assert_eq!(
        request(&sim, "PUT", &out_url, &a, Some(r#"{"permission":"read"}"#)).status,
        400
    );
    // Repository: create-repo is not a repository permission.
    let rurl = format!(
        "/2.0/repositories/{}/{}/permissions-config/users/{}",
        ws.slug,
        repo.slug,
        enc(&u.uuid)
    );
    assert_eq!(
        request(
            &sim,
            "PUT",
            &rurl,
            &a,
            Some(r#"{"permission":"create-repo"}"#)
        )
        .status,
        400
    );
    assert_eq!(
        request(&sim, "PUT", &rurl, &a, Some(r#"{"permission":"write"}"#)).status,
        200
    );
    assert!(
        sim.ground_truth(View::Admin)
            .grants
            .contains(&format!("repository:{rid}:write:user:{}", u.uuid))
    );
    let r = request(&sim, "DELETE", &rurl, &a, None);
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert!(
        !sim.ground_truth(View::Admin)
            .grants
            .contains(&format!("repository:{rid}:write:user:{}", u.uuid))
    );
    assert_eq!(get(&sim, &rurl, &a).status, 404);
    assert_eq!(request(&sim, "DELETE", &url, &a, None).status, 204);

    // Group permission on the repository, expanded to its members.
    let grp = ws.groups.iter().find(|g| !g.members.is_empty()).unwrap();
    let gurl = format!(
        "/2.0/repositories/{}/{}/permissions-config/groups/{}",
        ws.slug, repo.slug, grp.slug
    );
    let r = request(&sim, "PUT", &gurl, &a, Some(r#"{"permission":"admin"}"#));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["group"]["slug"], grp.slug.as_str());
    let t = sim.ground_truth(View::Admin);
    assert!(t.grants.contains(&format!(
        "repository:{rid}:admin:user_group:{wsu}:{}",
        grp.slug
    )));
    for m in &grp.members {
        assert!(
            t.grants
                .contains(&format!("repository:{rid}:admin:user:{m}"))
        );
    }
    let privs = get(
        &sim,
        &format!("/1.0/group-privileges/{}/{}", ws.slug, repo.slug),
        &a,
    )
    .json();
    assert!(
        privs
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["group"]["slug"] == grp.slug.as_str() && p["privilege"] == "admin")
    );
    assert_eq!(
        request(
            &sim,
            "PUT",
            &format!(
                "/2.0/repositories/{}/{}/permissions-config/groups/nope",
                ws.slug, repo.slug
            ),
            &a,
            Some(r#"{"permission":"read"}"#)
        )
        .status,
        404
    );

    // 1.0 group membership.
    let newbie = ws
        .members
        .iter()
        .find(|m| !grp.members.contains(&m.user))
        .unwrap();
    let murl = format!(
        "/1.0/groups/{}/{}/members/{}",
        ws.slug,
        grp.slug,
        enc(&newbie.user)
    );
    let r = request(&sim, "PUT", &murl, &a, Some("{}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["uuid"], newbie.user.as_str());
    let t = sim.ground_truth(View::Admin);
    assert!(t.grants.contains(&format!(
        "user_group:{wsu}:{}:member:user:{}",
        grp.slug, newbie.user
    )));
    assert!(
        t.grants
            .contains(&format!("repository:{rid}:admin:user:{}", newbie.user))
    );
    let members = get(
        &sim,
        &format!("/1.0/groups/{}/{}/members", ws.slug, grp.slug),
        &a,
    )
    .json();
    assert!(
        members
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["uuid"] == newbie.user.as_str())
    );
    assert_eq!(request(&sim, "DELETE", &murl, &a, None).status, 204);
    assert!(!sim.ground_truth(View::Admin).grants.contains(&format!(
        "user_group:{wsu}:{}:member:user:{}",
        grp.slug, newbie.user
    )));
    let out = format!(
        "/1.0/groups/{}/{}/members/{}",
        ws.slug,
        grp.slug,
        enc(&outsider.uuid)
    );
    assert_eq!(request(&sim, "PUT", &out, &a, Some("{}")).status, 400);

    let log = sim.request_log();
    assert!(log.changes.iter().any(|ch| ch.endpoint
        == "PUT /1.0/groups/{workspace}/{group_slug}/members/{member}"
        && ch.status == 200));
    assert!(log.count("PUT /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/users/{selected_user_id}") >= 7);
    sim.reset_request_log();
    assert_eq!(sim.request_log().total, 0);
}

#[test]
fn medium_scale_sizes() {
    let d = bitbucket_simulator::seeded(Scale::Medium, bitbucket_simulator::DEFAULT_SEED);
    assert_eq!(d.workspaces.len(), 5);
    assert_eq!(d.users.len(), 300);
    let groups: usize = d.workspaces.iter().map(|w| w.groups.len()).sum();
    let projects: usize = d.workspaces.iter().map(|w| w.projects.len()).sum();
    let repos: usize = d.workspaces.iter().map(|w| w.repositories.len()).sum();
    // The generated groups plus the member-only workspace's Release Managers.
    assert_eq!((groups, projects, repos), (31, 40, 600));
    let grants = truth::explicit_grant_count(&d);
    assert!((850..=1150).contains(&grants), "{grants}");
    // Every user is in some workspace.
    for u in &d.users {
        assert!(
            d.workspaces.iter().any(|w| w.role(&u.uuid).is_some()),
            "{}",
            u.uuid
        );
    }
}

#[test]
fn large_scale_sizes() {
    let d = bitbucket_simulator::seeded(Scale::Large, 7);
    assert_eq!(d.workspaces.len(), 7);
    assert_eq!(d.users.len(), 3000);
    let groups: usize = d.workspaces.iter().map(|w| w.groups.len()).sum();
    let projects: usize = d.workspaces.iter().map(|w| w.projects.len()).sum();
    let repos: usize = d.workspaces.iter().map(|w| w.repositories.len()).sum();
    assert_eq!((groups, projects, repos), (201, 300, 10_000));
    let grants = truth::explicit_grant_count(&d);
    assert!((13_500..=16_500).contains(&grants), "{grants}");
}

#[test]
fn edge_cases_exist_at_every_scale() {
    for scale in [Scale::Small, Scale::Medium, Scale::Large] {
        let d = bitbucket_simulator::seeded(scale, 42);
        let uuid_ok = |s: &str| {
            let b = s.as_bytes();
            s.len() == 38
                && b[0] == b'{'
                && b[37] == b'}'
                && s[1..37]
                    .chars()
                    .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        };
        assert!(
            d.users
                .iter()
                .all(|u| uuid_ok(&u.uuid) && u.account_id.starts_with("557058:"))
        );
        let admin = d.user(&d.admin).unwrap();
        let personal = d.ws_by_slug(&admin.nickname).unwrap();
        assert_eq!(personal.projects.len(), 1);
        assert!(personal.repositories.len() >= 2);
        let empty = d.workspaces.iter().find(|w| w.projects.is_empty()).unwrap();
        assert_eq!(empty.members.len(), 1);
        assert_eq!(empty.role(&d.admin), Some("owner"));
        assert!(
            d.workspaces
                .iter()
                .any(|w| w.role(&d.admin) == Some("member"))
        );
        assert!(d.users.iter().any(|u| u.account_status == "inactive"));
        assert!(d.users.iter().any(|u| u.account_status == "closed"));
        assert!(d.users.iter().any(|u| u.display_name == "Zoë Ångström"));
        let all_projects: Vec<_> = d
            .workspaces
            .iter()
            .flat_map(|w| w.projects.iter().map(move |p| (w, p)))
            .collect();
        assert!(
            all_projects
                .iter()
                .any(|(_, p)| p.name == "日本語プロジェクト")
        );
        assert!(
            all_projects
                .iter()
                .any(|(w, p)| !w.repositories.iter().any(|r| r.project == p.uuid))
        );
        assert!(
            d.workspaces
                .iter()
                .any(|w| w.groups.iter().any(|g| g.members.is_empty()))
        );
        assert!(
            d.users
                .iter()
                .filter(|u| d
                    .workspaces
                    .iter()
                    .filter(|w| w.role(&u.uuid).is_some())
                    .count()
                    > 1)
                .count()
                > 1
        );
        // A group member with an explicit permission where the group also has one.
        assert!(d.workspaces.iter().any(|w| w.repositories.iter().any(|r| {
            r.group_perms.iter().any(|gp| {
                let g = w.groups.iter().find(|g| g.slug == gp.principal).unwrap();
                r.user_perms
                    .iter()
                    .any(|up| g.members.contains(&up.principal))
            })
        })));
        // The member-only workspace: the admin administers one project (through a group) and one
        // repository outside it, and every project whose repositories it all administers is one
        // it administers (so its own repository permissions tell them apart without a 403).
        let partner = d.ws_by_slug("partner-co").unwrap();
        assert_eq!(partner.role(&d.admin), Some("member"));
        let admin_projects: Vec<_> = partner
            .projects
            .iter()
            .filter(|p| access::administers_project(partner, p, &d.admin))
            .collect();
        assert_eq!(admin_projects.len(), 1, "{scale:?}");
        assert!(
            admin_projects[0]
                .user_perms
                .iter()
                .all(|p| p.principal != d.admin)
        );
        let admin_repos: Vec<_> = partner
            .repositories
            .iter()
            .filter(|r| access::administers_repo(partner, r, &d.admin))
            .collect();
        assert!(
            admin_repos
                .iter()
                .any(|r| r.project != admin_projects[0].uuid),
            "{scale:?}"
        );
        for p in &partner.projects {
            let repos: Vec<_> = partner
                .repositories
                .iter()
                .filter(|r| r.project == p.uuid)
                .collect();
            let all_admin = !repos.is_empty()
                && repos
                    .iter()
                    .all(|r| access::administers_repo(partner, r, &d.admin));
            assert_eq!(
                all_admin,
                access::administers_project(partner, p, &d.admin),
                "{scale:?} {}",
                p.key
            );
        }
        for w in &d.workspaces {
            assert_eq!(w.slug, w.slug.to_lowercase());
            for r in &w.repositories {
                assert!(w.project_by_uuid(&r.project).is_some());
            }
            for p in &w.projects {
                assert_eq!(p.key, p.key.to_uppercase());
            }
        }
    }
    // Deterministic per seed.
    let a = serde_json::to_string(&bitbucket_simulator::seeded(Scale::Small, 1)).unwrap();
    let b = serde_json::to_string(&bitbucket_simulator::seeded(Scale::Small, 1)).unwrap();
    assert_eq!(a, b);
}

/// Walks the API asking every listing, keeps whatever is answered (a 403 is what the credential
/// may not read), and rebuilds resources and (expanded) grants.
fn rebuild(sim: &Simulator, auth: &Auth) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let mut res = BTreeSet::new();
    let mut grants = BTreeSet::new();
    for wa in get_all(sim, "/2.0/user/workspaces?pagelen=100", auth) {
        let slug = wa["workspace"]["slug"].as_str().unwrap().to_string();
        let wsu = wa["workspace"]["uuid"].as_str().unwrap().to_string();
        res.insert(("workspace".into(), wsu.clone()));
        let members = get_all_readable(
            sim,
            &format!("/2.0/workspaces/{slug}/permissions?pagelen=100"),
            auth,
        )
        .unwrap_or_else(|| {
            get_all(
                sim,
                &format!("/2.0/workspaces/{slug}/members?pagelen=100"),
                auth,
            )
        });
        for m in members {
            let u = m["user"]["uuid"].as_str().unwrap();
            res.insert(("user".into(), u.to_string()));
            grants.insert(format!("workspace:{wsu}:member:user:{u}"));
            if m["permission"] == "owner" {
                grants.insert(format!("workspace:{wsu}:owner:user:{u}"));
            }
        }
        let mut group_members = std::collections::HashMap::new();
        let groups = get(sim, &format!("/1.0/groups/{slug}"), auth);
        if groups.status != 403 {
            assert_eq!(groups.status, 200, "{}", groups.text());
            for g in groups.json().as_array().unwrap() {
                let gid = format!("{wsu}:{}", g["slug"].as_str().unwrap());
                res.insert(("user_group".into(), gid.clone()));
                let ms: Vec<String> = g["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["uuid"].as_str().unwrap().to_string())
                    .collect();
                for m in &ms {
                    grants.insert(format!("user_group:{gid}:member:user:{m}"));
                }
                group_members.insert(g["slug"].as_str().unwrap().to_string(), ms);
            }
        }
        let group_grant = |res: &mut BTreeSet<(String, String)>,
                           grants: &mut BTreeSet<String>,
                           ent: &str,
                           s: &str| {
            res.insert(("user_group".into(), format!("{wsu}:{s}")));
            grants.insert(format!("{ent}:user_group:{wsu}:{s}"));
            for m in group_members.get(s).into_iter().flatten() {
                grants.insert(format!("{ent}:user:{m}"));
            }
        };
        let add_perms = |res: &mut BTreeSet<(String, String)>,
                         grants: &mut BTreeSet<String>,
                         ent_prefix: &str,
                         base: &str,
                         with_groups: bool| {
            let Some(users) = get_all_readable(sim, &format!("{base}/users?pagelen=100"), auth)
            else {
                return;
            };
            for up in users {
                grants.insert(format!(
                    "{ent_prefix}:{}:user:{}",
                    up["permission"].as_str().unwrap(),
                    up["user"]["uuid"].as_str().unwrap()
                ));
            }
            if with_groups {
                for gp in get_all(sim, &format!("{base}/groups?pagelen=100"), auth) {
                    let s = gp["group"]["slug"].as_str().unwrap();
                    let ent = format!("{ent_prefix}:{}", gp["permission"].as_str().unwrap());
                    group_grant(res, grants, &ent, s);
                }
            }
        };
        let mut pids = std::collections::HashMap::new();
        for p in get_all(
            sim,
            &format!("/2.0/workspaces/{slug}/projects?pagelen=100"),
            auth,
        ) {
            let key = p["key"].as_str().unwrap();
            let pid = format!("{wsu}:{}:{key}", p["uuid"].as_str().unwrap());
            res.insert(("project".into(), pid.clone()));
            pids.insert(key.to_string(), pid.clone());
            add_perms(
                &mut res,
                &mut grants,
                &format!("project:{pid}"),
                &format!("/2.0/workspaces/{slug}/projects/{key}/permissions-config"),
                true,
            );
        }
        let privileges = get(sim, &format!("/1.0/group-privileges/{slug}"), auth);
        let privileges = (privileges.status == 200).then(|| privileges.json());
        for r in get_all(sim, &format!("/2.0/repositories/{slug}?pagelen=100"), auth) {
            let pid = &pids[r["project"]["key"].as_str().unwrap()];
            let rid = format!("{pid}:{}", r["uuid"].as_str().unwrap());
            let repo_slug = r["slug"].as_str().unwrap();
            res.insert(("repository".into(), rid.clone()));
            grants.insert(format!("project:{pid}:repository:repository:{rid}"));
            add_perms(
                &mut res,
                &mut grants,
                &format!("repository:{rid}"),
                &format!("/2.0/repositories/{slug}/{repo_slug}/permissions-config"),
                true,
            );
            for p in privileges.iter().flat_map(|p| p.as_array().unwrap()) {
                if p["repo"] == format!("{slug}/{repo_slug}").as_str() {
                    let ent = format!("repository:{rid}:{}", p["privilege"].as_str().unwrap());
                    group_grant(
                        &mut res,
                        &mut grants,
                        &ent,
                        p["group"]["slug"].as_str().unwrap(),
                    );
                }
            }
        }
    }
    (res, grants)
}

#[test]
fn ground_truth_matches_the_served_data() {
    truth_matches_served_data(ReadRules::default());
    truth_matches_served_data(ReadRules {
        members_read_legacy_groups: true,
    });
}

fn truth_matches_served_data(read_rules: ReadRules) {
    let sim = Simulator::start(SimulatorConfig {
        read_rules,
        ..SimulatorConfig::new(Scale::Small)
    })
    .unwrap();
    let c = sim.credentials();
    for (view, auth) in [
        (View::Admin, Auth::admin(&c)),
        (View::AccessToken, Auth::access_token(&c)),
        (View::User, Auth::user(&c)),
    ] {
        let (res, grants) = rebuild(&sim, &auth);
        let t = sim.ground_truth(view);
        assert_eq!(res, t.resources, "{view:?}");
        assert_eq!(grants, t.grants, "{view:?}");
        for (_, id) in res.iter().filter(|(k, _)| k == "user") {
            let u = get(&sim, &format!("/2.0/users/{}", enc(id)), &auth).json();
            assert_eq!(u["account_status"].as_str().unwrap(), t.user_status[id]);
        }
    }
    assert_eq!(sim.ground_truth(View::OAuth), sim.ground_truth(View::Admin));
    let at = sim.ground_truth(View::AccessToken);
    assert_eq!(
        at.resources
            .iter()
            .filter(|(k, _)| k == "workspace")
            .count(),
        1
    );
    assert!(at.resources.iter().all(|(k, _)| k != "user_group"));
}

#[test]
fn starts_inside_a_tokio_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sim = Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap();
        assert!(sim.base_url().starts_with("http://127.0.0.1:"));
        drop(sim);
    });
}
