//! Ground truth: what a correct connector sync must produce, per credential (docs/bitbucket-model.md).
//!
//! Computed from the dataset only, independently of any connector code: this is the oracle.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::access::{self, ReadRules};
use crate::data::{Dataset, Project, Repository, Workspace};

/// Which credential the sync ran with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum View {
    /// The admin's API token (Basic): administers every workspace it owns.
    Admin,
    /// The workspace access token (Bearer), scoped to one workspace, no permission endpoints.
    AccessToken,
    /// The OAuth consumer (client credentials), reading as its owner, the admin.
    OAuth,
    /// The non-admin user's API token (Basic).
    User,
}

/// The expected resources, entitlements and grants of a sync, in Baton id form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroundTruth {
    /// `(resource type, resource id)`.
    pub resources: BTreeSet<(String, String)>,
    /// Entitlement ids `<type>:<resource id>:<slug>`.
    pub entitlements: BTreeSet<String>,
    /// Grant ids `<entitlement id>:<principal type>:<principal id>`, after group-grant expansion.
    pub grants: BTreeSet<String>,
    /// User uuid → Bitbucket `account_status`.
    pub user_status: BTreeMap<String, String>,
}

/// The project resource id `<ws uuid>:<project uuid>:<KEY>`.
pub fn project_id(ws: &Workspace, project_uuid: &str) -> Option<String> {
    ws.projects
        .iter()
        .find(|p| p.uuid == project_uuid)
        .map(|p| format!("{}:{}:{}", ws.uuid, p.uuid, p.key))
}

/// Computes the ground truth of `data` as seen by the credential `view`, with the default rules.
pub fn compute(data: &Dataset, view: View) -> GroundTruth {
    compute_with(data, view, ReadRules::default())
}

/// Computes the ground truth of `data` as seen by the credential `view`, where the simulator
/// answers by `rules`: every grant the credential can read is in it.
pub fn compute_with(data: &Dataset, view: View, rules: ReadRules) -> GroundTruth {
    let mut t = GroundTruth::default();
    let caller = match view {
        View::Admin | View::OAuth => Some(data.admin.as_str()),
        View::User => Some(data.non_admin.as_str()),
        // The access token's bot: no permission endpoints.
        View::AccessToken => None,
    };
    for ws in &data.workspaces {
        let visible = match caller {
            None => ws.slug == data.access_token_workspace,
            Some(user) => ws.role(user).is_some(),
        };
        if visible {
            add_workspace(&mut t, data, ws, caller, rules);
        }
    }
    t
}

fn add_workspace(
    t: &mut GroundTruth,
    data: &Dataset,
    ws: &Workspace,
    caller: Option<&str>,
    rules: ReadRules,
) {
    // What the credential may read here (simulator/src/access.rs).
    let reads_owners = caller.is_some();
    let reads_groups = caller.is_some_and(|u| access::reads_legacy_groups(ws, u, rules));
    let reads_project = |p: &Project| caller.is_some_and(|u| access::administers_project(ws, p, u));
    let reads_repo = |r: &Repository| caller.is_some_and(|u| access::administers_repo(ws, r, u));

    t.resources.insert(("workspace".into(), ws.uuid.clone()));
    let ws_member = format!("workspace:{}:member", ws.uuid);
    let ws_owner = format!("workspace:{}:owner", ws.uuid);
    t.entitlements.insert(ws_member.clone());
    t.entitlements.insert(ws_owner.clone());
    for m in &ws.members {
        t.resources.insert(("user".into(), m.user.clone()));
        if let Some(u) = data.user(&m.user) {
            t.user_status
                .insert(u.uuid.clone(), u.account_status.clone());
        }
        t.grants.insert(format!("{ws_member}:user:{}", m.user));
        if reads_owners && m.permission == "owner" {
            t.grants.insert(format!("{ws_owner}:user:{}", m.user));
        }
    }
    if reads_groups {
        for g in &ws.groups {
            let gid = format!("{}:{}", ws.uuid, g.slug);
            t.resources.insert(("user_group".into(), gid.clone()));
            let ent = format!("user_group:{gid}:member");
            t.entitlements.insert(ent.clone());
            for m in &g.members {
                t.grants.insert(format!("{ent}:user:{m}"));
            }
        }
    }
    // A grant to a group; its members hold it too after expansion, when their membership is known.
    let group_grant = |t: &mut GroundTruth, ent: &str, slug: &str| {
        t.resources
            .insert(("user_group".into(), format!("{}:{slug}", ws.uuid)));
        t.grants
            .insert(format!("{ent}:user_group:{}:{slug}", ws.uuid));
        if reads_groups {
            for g in ws.groups.iter().filter(|g| g.slug == slug) {
                for m in &g.members {
                    t.grants.insert(format!("{ent}:user:{m}"));
                }
            }
        }
    };
    for p in &ws.projects {
        let pid = format!("{}:{}:{}", ws.uuid, p.uuid, p.key);
        t.resources.insert(("project".into(), pid.clone()));
        for slug in ["repository", "read", "write", "create-repo", "admin"] {
            t.entitlements.insert(format!("project:{pid}:{slug}"));
        }
        if reads_project(p) {
            for up in &p.user_perms {
                t.grants.insert(format!(
                    "project:{pid}:{}:user:{}",
                    up.permission, up.principal
                ));
            }
            for gp in &p.group_perms {
                group_grant(
                    t,
                    &format!("project:{pid}:{}", gp.permission),
                    &gp.principal,
                );
            }
        }
    }
    for r in &ws.repositories {
        let Some(pid) = project_id(ws, &r.project) else {
            continue;
        };
        let rid = format!("{pid}:{}", r.uuid);
        t.resources.insert(("repository".into(), rid.clone()));
        t.grants
            .insert(format!("project:{pid}:repository:repository:{rid}"));
        for slug in ["read", "write", "admin"] {
            t.entitlements.insert(format!("repository:{rid}:{slug}"));
        }
        let admin = reads_repo(r);
        if admin {
            for up in &r.user_perms {
                t.grants.insert(format!(
                    "repository:{rid}:{}:user:{}",
                    up.permission, up.principal
                ));
            }
        }
        // Group grants: from the repository's own listing (admins), or from the workspace's
        // group privileges (whoever may read the 1.0 group API).
        if admin || reads_groups {
            for gp in &r.group_perms {
                group_grant(
                    t,
                    &format!("repository:{rid}:{}", gp.permission),
                    &gp.principal,
                );
            }
        }
    }
}

/// Counts the explicit (unexpanded) project and repository permission entries of the whole dataset.
pub fn explicit_grant_count(data: &Dataset) -> usize {
    data.workspaces
        .iter()
        .map(|w| {
            w.projects
                .iter()
                .map(|p| p.user_perms.len() + p.group_perms.len())
                .sum::<usize>()
                + w.repositories
                    .iter()
                    .map(|r| r.user_perms.len() + r.group_perms.len())
                    .sum::<usize>()
        })
        .sum()
}
