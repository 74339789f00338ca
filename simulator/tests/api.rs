//! Real HTTP against a running simulator: paging, errors, auth rules, lookups, fields.

mod common;

use std::time::Duration;

use bitbucket_simulator::access;
use bitbucket_simulator::{RateLimit, Scale, Simulator, SimulatorConfig};
use common::*;

fn small() -> Simulator {
    Simulator::start(SimulatorConfig::new(Scale::Small)).unwrap()
}

fn first_team_ws(sim: &Simulator) -> String {
    sim.credentials().access_token_workspace
}

#[test]
fn paging_uses_absolute_next_links_and_bounds_pagelen() {
    let sim = small();
    let a = Auth::admin(&sim.credentials());
    let ws = first_team_ws(&sim);
    let r = get(&sim, &format!("/2.0/repositories/{ws}"), &a);
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["pagelen"], 10);
    assert_eq!(v["page"], 1);
    let size = v["size"].as_u64().unwrap() as usize;
    assert!(size > 10);
    let next = v["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/2.0/repositories/{ws}?", sim.base_url())),
        "{next}"
    );
    assert!(next.contains("page=2"));
    assert!(v.get("previous").is_none());
    let all = get_all(&sim, &format!("/2.0/repositories/{ws}?pagelen=3"), &a);
    assert_eq!(all.len(), size);
    // last page has no next
    let last = get(&sim, &format!("/2.0/repositories/{ws}?pagelen=100"), &a).json();
    assert!(last.get("next").is_none());
    assert_eq!(last["values"].as_array().unwrap().len(), size);
    for bad in ["101", "0", "abc"] {
        let r = get(&sim, &format!("/2.0/repositories/{ws}?pagelen={bad}"), &a);
        assert_eq!(r.status, 400, "pagelen={bad}");
        assert_eq!(r.json()["error"]["message"], "Invalid pagelen");
        assert_eq!(r.json()["type"], "error");
    }
    // other parameters survive in next links
    let v = get(
        &sim,
        &format!("/2.0/workspaces/{ws}/members?pagelen=2&fields=-values.links"),
        &a,
    )
    .json();
    let next = v["next"].as_str().unwrap();
    assert!(
        next.contains("pagelen=2") && next.contains("fields="),
        "{next}"
    );
}

#[test]
fn rate_limit_is_text_plain_without_retry_after_and_faults_are_injected() {
    let sim = small();
    let a = Auth::admin(&sim.credentials());
    sim.set_faults(
        0.0,
        Some(RateLimit::Spread {
            limited: 1,
            every: 1,
        }),
        Duration::ZERO,
    );
    let r = get(&sim, "/2.0/user", &a);
    assert_eq!(r.status, 429);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(r.text(), "Rate limit for this resource has been exceeded");
    assert!(r.header("retry-after").is_none());
    sim.set_faults(
        0.0,
        Some(RateLimit::Burst { count: 2, every: 5 }),
        Duration::ZERO,
    );
    let st: Vec<u16> = (0..10).map(|_| get(&sim, "/2.0/user", &a).status).collect();
    assert_eq!(st, vec![200, 200, 200, 429, 429, 200, 200, 200, 429, 429]);
    sim.set_faults(0.5, None, Duration::ZERO);
    let st: Vec<u16> = (0..6).map(|_| get(&sim, "/2.0/user", &a).status).collect();
    assert_eq!(st.iter().filter(|s| **s >= 500).count(), 3);
    sim.set_faults(0.0, None, Duration::from_millis(30));
    let t = std::time::Instant::now();
    assert_eq!(get(&sim, "/2.0/user", &a).status, 200);
    assert!(t.elapsed() >= Duration::from_millis(30));
    let log = sim.request_log();
    assert_eq!(log.count("GET /2.0/user"), 18);
    assert_eq!(log.statuses[&429], 5);
}

#[test]
fn auth_rules() {
    let sim = small();
    let c = sim.credentials();
    let ws = first_team_ws(&sim);
    assert_eq!(get(&sim, "/2.0/user", &Auth::admin(&c)).status, 200);
    let r = get(
        &sim,
        "/2.0/user",
        &Auth::Basic(c.admin_email.clone(), "wrong".into()),
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["type"], "error");
    assert_eq!(get(&sim, "/2.0/user", &Auth::None).status, 401);
    assert_eq!(
        get(&sim, "/2.0/user", &Auth::Bearer("nope".into())).status,
        401
    );

    // Access token: its workspace only, never permission endpoints.
    let t = Auth::access_token(&c);
    assert_eq!(get(&sim, &format!("/2.0/workspaces/{ws}"), &t).status, 200);
    assert_eq!(
        get(&sim, &format!("/2.0/repositories/{ws}"), &t).status,
        200
    );
    assert_eq!(
        get(&sim, &format!("/2.0/workspaces/{ws}/members"), &t).status,
        200
    );
    assert_eq!(get(&sim, "/2.0/workspaces/empty-space", &t).status, 404);
    let wss = get_all(&sim, "/2.0/user/workspaces", &t);
    assert_eq!(wss.len(), 1);
    let data = sim.dataset();
    let w = data.ws_by_slug(&ws).unwrap();
    let key = &w.projects[0].key;
    let repo = &w.repositories[0].slug;
    let nora = &c.user_uuid;
    let p0 = &w.projects[0];
    let r0 = &w.repositories[0];
    let project_admin = access::administers_project(w, p0, nora);
    let repo_admin = access::administers_repo(w, r0, nora);
    for (p, member_reads) in [
        // Any member reads the workspace's permissions.
        (format!("/2.0/workspaces/{ws}/permissions"), true),
        // permissions-config needs admin of the project or repository itself.
        (
            format!("/2.0/workspaces/{ws}/projects/{key}/permissions-config/users"),
            project_admin,
        ),
        (
            format!("/2.0/workspaces/{ws}/projects/{key}/permissions-config/groups"),
            project_admin,
        ),
        (
            format!("/2.0/repositories/{ws}/{repo}/permissions-config/users"),
            repo_admin,
        ),
        (
            format!("/2.0/repositories/{ws}/{repo}/permissions-config/groups"),
            repo_admin,
        ),
        // The 1.0 group API: owners only, by default.
        (format!("/1.0/groups/{ws}"), false),
        (format!("/1.0/group-privileges/{ws}"), false),
    ] {
        assert_eq!(get(&sim, &p, &t).status, 403, "{p}");
        assert_eq!(get(&sim, &p, &Auth::admin(&c)).status, 200, "{p}");
        // The non-admin user is a plain member of this workspace.
        let want = if member_reads { 200 } else { 403 };
        assert_eq!(get(&sim, &p, &Auth::user(&c)).status, want, "{p}");
    }
    // The non-admin user owns partner-co; the admin there is a member who reads the workspace
    // permissions, and the permissions of the project and repositories it administers.
    for auth in [Auth::user(&c), Auth::admin(&c)] {
        assert_eq!(
            get(&sim, "/2.0/workspaces/partner-co/permissions", &auth).status,
            200
        );
    }
    let partner = data.ws_by_slug("partner-co").unwrap();
    let own = get_all(
        &sim,
        "/2.0/user/workspaces/partner-co/permissions/repositories?pagelen=100",
        &Auth::admin(&c),
    );
    let admin_repos: Vec<&str> = own
        .iter()
        .filter(|p| p["permission"] == "admin")
        .map(|p| p["repository"]["uuid"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = partner
        .repositories
        .iter()
        .filter(|r| access::administers_repo(partner, r, &c.admin_uuid))
        .map(|r| r.uuid.as_str())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(admin_repos, expected);
    for r in &partner.repositories {
        let url = format!(
            "/2.0/repositories/partner-co/{}/permissions-config/users",
            r.slug
        );
        let want = if expected.contains(&r.uuid.as_str()) {
            200
        } else {
            403
        };
        assert_eq!(get(&sim, &url, &Auth::admin(&c)).status, want, "{url}");
    }
    assert_eq!(
        get(&sim, "/1.0/groups/partner-co", &Auth::admin(&c)).status,
        403
    );
    assert_eq!(
        get(&sim, "/2.0/workspaces/partner-co/members", &Auth::admin(&c)).status,
        200
    );
    let adm = get_all(&sim, "/2.0/user/workspaces?pagelen=100", &Auth::admin(&c));
    let partner = adm
        .iter()
        .find(|w| w["workspace"]["slug"] == "partner-co")
        .unwrap();
    assert_eq!(partner["administrator"], false);
    assert_eq!(partner["type"], "workspace_access");
    assert_eq!(partner["workspace"]["type"], "workspace_base");
    assert!(partner["workspace"].get("name").is_none());
    let only_admin = get_all(
        &sim,
        "/2.0/user/workspaces?administrator=true",
        &Auth::admin(&c),
    );
    assert_eq!(only_admin.len(), adm.len() - 1);
    let q = get_all(
        &sim,
        "/2.0/user/workspaces?q=slug%3D%22partner-co%22",
        &Auth::admin(&c),
    );
    assert_eq!(q.len(), 1);

    // OAuth client credentials.
    let r = request(
        &sim,
        "POST",
        "/site/oauth2/access_token",
        &Auth::Basic(c.oauth_key.clone(), c.oauth_secret.clone()),
        Some("grant_type=client_credentials"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let tok = r.json();
    assert_eq!(tok["expires_in"], 7200);
    assert_eq!(tok["token_type"], "bearer");
    let o = Auth::Bearer(tok["access_token"].as_str().unwrap().to_string());
    assert_eq!(
        get(&sim, "/2.0/user", &o).json()["uuid"],
        c.admin_uuid.as_str()
    );
    assert_eq!(
        get(&sim, &format!("/2.0/workspaces/{ws}/permissions"), &o).status,
        200
    );
    let pu = format!(
        "/2.0/workspaces/{ws}/projects/{key}/permissions-config/groups/{}",
        w.groups[0].slug
    );
    assert_eq!(
        request(&sim, "PUT", &pu, &o, Some(r#"{"permission":"read"}"#)).status,
        403
    );
    assert_eq!(request(&sim, "DELETE", &pu, &o, None).status, 403);
    let member = format!(
        "/1.0/groups/{ws}/{}/members/{}",
        w.groups[0].slug,
        enc(&c.admin_uuid)
    );
    assert_eq!(request(&sim, "PUT", &member, &o, Some("{}")).status, 403);
    let bad = request(
        &sim,
        "POST",
        "/site/oauth2/access_token",
        &Auth::Basic(c.oauth_key.clone(), "bad".into()),
        Some("grant_type=client_credentials"),
    );
    assert_eq!(bad.status, 401);
}

#[test]
fn oauth_tokens_expire() {
    let mut cfg = SimulatorConfig::new(Scale::Small);
    cfg.oauth_token_ttl = Duration::from_millis(50);
    let sim = Simulator::start(cfg).unwrap();
    let c = sim.credentials();
    let r = request(
        &sim,
        "POST",
        "/site/oauth2/access_token",
        &Auth::Basic(c.oauth_key.clone(), c.oauth_secret.clone()),
        Some("grant_type=client_credentials"),
    );
    let o = Auth::Bearer(r.json()["access_token"].as_str().unwrap().to_string());
    assert_eq!(get(&sim, "/2.0/user", &o).status, 200);
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(get(&sim, "/2.0/user", &o).status, 401);
}

#[test]
fn uuid_lookups_accept_percent_encoded_braces_case_insensitively() {
    let sim = small();
    let c = sim.credentials();
    let a = Auth::admin(&c);
    let data = sim.dataset();
    let ws = data.ws_by_slug(&c.access_token_workspace).unwrap();
    let r = get(
        &sim,
        &format!("/2.0/workspaces/{}", enc(&ws.uuid.to_uppercase())),
        &a,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["slug"], ws.slug.as_str());
    let repo = &ws.repositories[0];
    let r = get(
        &sim,
        &format!("/2.0/repositories/{}/{}", enc(&ws.uuid), enc(&repo.uuid)),
        &a,
    );
    assert_eq!(r.json()["slug"], repo.slug.as_str());
    let r = get(
        &sim,
        &format!("/2.0/repositories/%7B%7D/{}", enc(&repo.uuid)),
        &a,
    );
    assert_eq!(r.status, 200);
    let u = data.user(&ws.members[1].user).unwrap();
    let r = get(&sim, &format!("/2.0/users/{}", enc(&u.uuid)), &a);
    assert_eq!(r.json()["account_id"], u.account_id.as_str());
    assert!(r.json()["account_status"].is_string());
    let r = get(&sim, &format!("/2.0/users/{}", u.account_id), &a);
    assert_eq!(r.json()["uuid"], u.uuid.as_str());
    let r = get(
        &sim,
        &format!("/2.0/workspaces/{}/members/{}", ws.slug, enc(&u.uuid)),
        &a,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        get(
            &sim,
            "/2.0/users/%7B00000000-0000-0000-0000-000000000000%7D",
            &a
        )
        .status,
        404
    );
    assert_eq!(get(&sim, "/2.0/workspaces/nope", &a).status, 404);
    assert_eq!(
        get(
            &sim,
            &format!("/2.0/workspaces/{}/projects/NOPE", ws.slug),
            &a
        )
        .status,
        404
    );
    assert_eq!(
        get(&sim, &format!("/2.0/repositories/{}/nope", ws.slug), &a).status,
        404
    );
    // 1.0 wants the slug.
    assert_eq!(
        get(&sim, &format!("/1.0/groups/{}", enc(&ws.uuid)), &a).status,
        403
    );
    let groups = get(&sim, &format!("/1.0/groups/{}", ws.slug), &a).json();
    assert!(groups.is_array());
    let m = &groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| !g["members"].as_array().unwrap().is_empty())
        .unwrap()["members"][0];
    assert!(m["is_active"].is_boolean());
    // q filters on repositories.
    let p = &ws.projects[1];
    let by_key = get_all(
        &sim,
        &format!(
            "/2.0/repositories/{}?q=project.key%3D%22{}%22",
            ws.slug, p.key
        ),
        &a,
    );
    let by_uuid = get_all(
        &sim,
        &format!(
            "/2.0/repositories/{}?q=project.uuid%3D%22{}%22",
            ws.slug,
            enc(&p.uuid)
        ),
        &a,
    );
    let expected = ws
        .repositories
        .iter()
        .filter(|r| r.project == p.uuid)
        .count();
    assert_eq!(by_key.len(), expected);
    assert_eq!(by_uuid.len(), expected);
    let owners = get_all(
        &sim,
        &format!(
            "/2.0/workspaces/{}/permissions?q=permission%3D%22owner%22",
            ws.slug
        ),
        &a,
    );
    assert!(owners.len() >= 2 && owners.iter().all(|o| o["permission"] == "owner"));
}

#[test]
fn fields_partial_responses() {
    let sim = small();
    let c = sim.credentials();
    let a = Auth::admin(&c);
    let ws = first_team_ws(&sim);
    let v = get(&sim, &format!("/2.0/workspaces/{ws}/members"), &a).json();
    let m = &v["values"][0];
    assert!(m.get("permission").is_none());
    assert!(m["user"].get("account_status").is_none());
    assert!(m["links"].is_object());
    let v = get(
        &sim,
        &format!("/2.0/workspaces/{ws}/members?fields=-values.links,%2Bvalues.user.account_status"),
        &a,
    )
    .json();
    assert!(v["values"][0].get("links").is_none());
    assert!(
        v["values"][0]["user"].get("account_status").is_none(),
        "default: not added"
    );
    let v = get(
        &sim,
        &format!("/2.0/workspaces/{ws}/members?fields=-*.links"),
        &a,
    )
    .json();
    assert!(v["values"][0].get("links").is_none());
    let v = get(
        &sim,
        &format!("/2.0/workspaces/{ws}/members?fields=next,values.user.uuid"),
        &a,
    )
    .json();
    assert!(v["next"].is_string());
    let m = v["values"][0].as_object().unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m["user"].as_object().unwrap().len(), 1);

    let mut cfg = SimulatorConfig::new(Scale::Small);
    cfg.member_status_in_listing = true;
    let sim2 = Simulator::start(cfg).unwrap();
    let v = get(
        &sim2,
        &format!("/2.0/workspaces/{ws}/members?fields=%2Bvalues.user.account_status"),
        &a,
    )
    .json();
    assert!(v["values"][0]["user"]["account_status"].is_string());
}
