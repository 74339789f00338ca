//! Ground truth: what a correct connector sync must produce, per credential (docs/bitbucket-model.md).
//!
//! Computed from the dataset only, independently of any connector code: this is the oracle.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::data::{Dataset, Workspace};

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

/// Computes the ground truth of `data` as seen by the credential `view`.
pub fn compute(data: &Dataset, view: View) -> GroundTruth {
    let mut t = GroundTruth::default();
    let caller = match view {
        View::Admin | View::OAuth | View::AccessToken => &data.admin,
        View::User => &data.non_admin,
    };
    for ws in &data.workspaces {
        let (visible, admin) = match view {
            View::AccessToken => (ws.slug == data.access_token_workspace, false),
            _ => match ws.role(caller) {
                Some(role) => (true, role == "owner"),
                None => (false, false),
            },
        };
        if !visible {
            continue;
        }
        add_workspace(&mut t, data, ws, admin);
    }
    t
}

fn add_workspace(t: &mut GroundTruth, data: &Dataset, ws: &Workspace, admin: bool) {
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
        if admin && m.permission == "owner" {
            t.grants.insert(format!("{ws_owner}:user:{}", m.user));
        }
    }
    if admin {
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
    let group_members = |slug: &str| -> Vec<String> {
        ws.groups
            .iter()
            .find(|g| g.slug == slug)
            .map(|g| g.members.clone())
            .unwrap_or_default()
    };
    for p in &ws.projects {
        let pid = format!("{}:{}:{}", ws.uuid, p.uuid, p.key);
        t.resources.insert(("project".into(), pid.clone()));
        for slug in ["repository", "read", "write", "create-repo", "admin"] {
            t.entitlements.insert(format!("project:{pid}:{slug}"));
        }
        if admin {
            for up in &p.user_perms {
                t.grants.insert(format!(
                    "project:{pid}:{}:user:{}",
                    up.permission, up.principal
                ));
            }
            for gp in &p.group_perms {
                let ent = format!("project:{pid}:{}", gp.permission);
                t.grants
                    .insert(format!("{ent}:user_group:{}:{}", ws.uuid, gp.principal));
                for m in group_members(&gp.principal) {
                    t.grants.insert(format!("{ent}:user:{m}"));
                }
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
        if admin {
            for up in &r.user_perms {
                t.grants.insert(format!(
                    "repository:{rid}:{}:user:{}",
                    up.permission, up.principal
                ));
            }
            for gp in &r.group_perms {
                let ent = format!("repository:{rid}:{}", gp.permission);
                t.grants
                    .insert(format!("{ent}:user_group:{}:{}", ws.uuid, gp.principal));
                for m in group_members(&gp.principal) {
                    t.grants.insert(format!("{ent}:user:{m}"));
                }
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
