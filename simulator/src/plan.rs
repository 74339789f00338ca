//! The Bitbucket component's documented request plan (docs/bitbucket-model.md, "Request plan"),
//! computed from a dataset alone: the requests per endpoint of one uninterrupted sync.
//!
//! The one copy of the formula: the component's own tests (guest/bitbucket/tests) and the end-to-end tests
//! (tests/tests) both compare the simulator's request log against it.

use std::collections::{BTreeMap, BTreeSet};

use crate::access::{self, ReadRules};
use crate::data::{Dataset, Workspace};
use crate::truth::View;

/// What the sync ran with, as far as it changes the plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// The credential.
    pub view: View,
    /// How the simulator answers where the reference is silent.
    pub read_rules: ReadRules,
    /// Whether member listings carry `account_status` (no per-user lookups then).
    pub status_in_listing: bool,
    /// The component's `skip-user-status` setting.
    pub skip_user_status: bool,
    /// The `workspaces` filter (slugs or uuids); empty = every workspace.
    pub workspaces: Vec<String>,
}

impl PlanOptions {
    /// A plain sync by `view`: default rules, statuses looked up, no filter.
    pub fn new(view: View) -> PlanOptions {
        PlanOptions {
            view,
            read_rules: ReadRules::default(),
            status_in_listing: false,
            skip_user_status: false,
            workspaces: Vec::new(),
        }
    }
}

/// `pg(n) = max(1, ⌈n / 100⌉)`: the pages of a listing of `n` items.
pub fn pg(n: usize) -> u64 {
    n.div_ceil(100).max(1) as u64
}

const USER_WORKSPACES: &str = "GET /2.0/user/workspaces";
const WORKSPACE: &str = "GET /2.0/workspaces/{workspace}";
const WS_PERMISSIONS: &str = "GET /2.0/workspaces/{workspace}/permissions";
const WS_MEMBERS: &str = "GET /2.0/workspaces/{workspace}/members";
const USER: &str = "GET /2.0/users/{selected_user}";
const PROJECTS: &str = "GET /2.0/workspaces/{workspace}/projects";
const REPOSITORIES: &str = "GET /2.0/repositories/{workspace}";
const OWN_REPO_PERMISSIONS: &str = "GET /2.0/user/workspaces/{workspace}/permissions/repositories";
const GROUPS: &str = "GET /1.0/groups/{workspace}";
const GROUP_PRIVILEGES: &str = "GET /1.0/group-privileges/{workspace}";
const PROJECT_USERS: &str =
    "GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/users";
const PROJECT_GROUPS: &str =
    "GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/groups";
const REPO_USERS: &str = "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/users";
const REPO_GROUPS: &str = "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/groups";

fn selected(ws: &Workspace, filter: &[String]) -> bool {
    let norm = |s: &str| {
        s.trim_start_matches('{')
            .trim_end_matches('}')
            .to_ascii_lowercase()
    };
    filter.is_empty()
        || filter
            .iter()
            .any(|f| norm(f) == ws.slug || norm(f) == norm(&ws.uuid))
}

/// Requests per endpoint label of one uninterrupted sync:
///
/// ```text
/// pg(W_all) + L + Σ_w [ 1 + pg(M_w) + pg(P_w) + [P_w > 0]·pg(R_w)
///                       + B · ( 1 + [R_w > 0] + (1 − A_w)·pg(O_w)
///                               + Σ_{p ∈ AP_w} (pg(U_p) + pg(G_p)) + Σ_{r ∈ AR_w} pg(U_r) ) ]
/// ```
///
/// plus, where the 1.0 group privileges are refused, `pg(G_r)` per `r ∈ AR_w`; and `1 + 1` (both
/// listings refused) for a project in `AP_w` that the credential turns out not to administer.
pub fn documented_requests(data: &Dataset, opts: &PlanOptions) -> BTreeMap<String, u64> {
    let caller = match opts.view {
        View::Admin | View::OAuth => Some(data.admin.as_str()),
        View::User => Some(data.non_admin.as_str()),
        View::AccessToken => None,
    };
    let mut e: BTreeMap<String, u64> = BTreeMap::new();
    let mut add = |k: &str, n: u64| *e.entry(k.to_string()).or_default() += n;
    let listed: Vec<&Workspace> = data
        .workspaces
        .iter()
        .filter(|w| match caller {
            Some(user) => w.role(user).is_some(),
            None => w.slug == data.access_token_workspace,
        })
        .collect();
    add(USER_WORKSPACES, pg(listed.len()));
    let mut looked_up: BTreeSet<&str> = BTreeSet::new();
    for w in listed.into_iter().filter(|w| selected(w, &opts.workspaces)) {
        add(WORKSPACE, 1);
        let members = if caller.is_some() {
            WS_PERMISSIONS
        } else {
            WS_MEMBERS
        };
        add(members, pg(w.members.len()));
        looked_up.extend(w.members.iter().map(|m| m.user.as_str()));
        add(PROJECTS, pg(w.projects.len()));
        if !w.projects.is_empty() {
            add(REPOSITORIES, pg(w.repositories.len()));
        }
        // Permission endpoints: every user credential; access tokens never.
        let Some(user) = caller else { continue };
        let admin = access::owns(w, user);
        add(GROUPS, 1);
        let administered_repos: Vec<_> = w
            .repositories
            .iter()
            .filter(|r| admin || access::administers_repo(w, r, user))
            .collect();
        if !admin {
            let own = w
                .repositories
                .iter()
                .filter(|r| access::repo_level(w, r, user) > 0)
                .count();
            add(OWN_REPO_PERMISSIONS, pg(own));
        }
        for p in &w.projects {
            let repos: Vec<_> = w
                .repositories
                .iter()
                .filter(|r| r.project == p.uuid)
                .collect();
            // Outside an administered workspace, a project is read when the credential
            // administers every one of its repositories.
            let planned = admin
                || (!repos.is_empty()
                    && repos.iter().all(|r| access::administers_repo(w, r, user)));
            if !planned {
                continue;
            }
            if access::administers_project(w, p, user) {
                add(PROJECT_USERS, pg(p.user_perms.len()));
                add(PROJECT_GROUPS, pg(p.group_perms.len()));
            } else {
                add(PROJECT_USERS, 1);
                add(PROJECT_GROUPS, 1);
            }
        }
        for r in &administered_repos {
            add(REPO_USERS, pg(r.user_perms.len()));
        }
        if !w.repositories.is_empty() {
            add(GROUP_PRIVILEGES, 1);
            if !access::reads_legacy_groups(w, user, opts.read_rules) {
                for r in &administered_repos {
                    add(REPO_GROUPS, pg(r.group_perms.len()));
                }
            }
        }
    }
    if !opts.skip_user_status && !opts.status_in_listing {
        add(USER, looked_up.len() as u64);
    }
    e.retain(|_, n| *n > 0);
    e
}
