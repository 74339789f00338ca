//! Who may read and change what: the effective permission levels of a user and the rules the
//! permission endpoints apply (reference/bitbucket-api.md §1.6, §4.4, §4.7, §4.8).
//!
//! The routes and the ground truth both ask here, so what the simulator answers and what a
//! correct sync must contain follow the same rules.

use crate::data::{Perm, Project, Repository, Workspace};

/// Repository and project permission levels, ordered (`create-repo` counts as write on
/// repositories).
pub fn level(permission: &str) -> u8 {
    match permission {
        "read" => 1,
        "write" | "create-repo" => 2,
        "admin" => 3,
        _ => 0,
    }
}

/// The level names, by `level`.
pub fn level_name(level: u8) -> Option<&'static str> {
    match level {
        1 => Some("read"),
        2 => Some("write"),
        3 => Some("admin"),
        _ => None,
    }
}

/// Where the reference is silent, which answer the simulator gives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadRules {
    /// Whether members who do not own the workspace may read `/1.0/groups/{ws}` and
    /// `/1.0/group-privileges/{ws}` (the reference does not say). Default false: refused (403).
    pub members_read_legacy_groups: bool,
}

fn in_group(ws: &Workspace, slug: &str, user: &str) -> bool {
    ws.groups
        .iter()
        .any(|g| g.slug == slug && g.members.iter().any(|m| m == user))
}

/// The best level `user` holds through explicit user and group entries of one list pair.
fn best_of(ws: &Workspace, users: &[Perm], groups: &[Perm], user: &str) -> u8 {
    let direct = users
        .iter()
        .filter(|p| p.principal == user)
        .map(|p| level(&p.permission));
    let through_groups = groups
        .iter()
        .filter(|p| in_group(ws, &p.principal, user))
        .map(|p| level(&p.permission));
    direct.chain(through_groups).max().unwrap_or(0)
}

/// Whether `user` owns the workspace (owners administer everything in it).
pub fn owns(ws: &Workspace, user: &str) -> bool {
    ws.role(user) == Some("owner")
}

/// The user's effective level on a project: its explicit and group permissions, admin for
/// workspace owners.
pub fn project_level(ws: &Workspace, p: &Project, user: &str) -> u8 {
    if owns(ws, user) {
        return 3;
    }
    best_of(ws, &p.user_perms, &p.group_perms, user)
}

/// The user's effective level on a repository: the maximum of its explicit, group, project and
/// workspace-derived access (what `/2.0/user/workspaces/{ws}/permissions/repositories` shows).
pub fn repo_level(ws: &Workspace, r: &Repository, user: &str) -> u8 {
    let on_repo = best_of(ws, &r.user_perms, &r.group_perms, user);
    let on_project = ws
        .project_by_uuid(&r.project)
        .map(|p| project_level(ws, p, user))
        .unwrap_or(0);
    on_repo.max(on_project)
}

/// Project `permissions-config` (read and change) needs project admin.
pub fn administers_project(ws: &Workspace, p: &Project, user: &str) -> bool {
    project_level(ws, p, user) >= 3
}

/// Repository `permissions-config` (read and change) needs repository admin.
pub fn administers_repo(ws: &Workspace, r: &Repository, user: &str) -> bool {
    repo_level(ws, r, user) >= 3
}

/// `/1.0/groups/{ws}` and `/1.0/group-privileges/{ws}`: workspace owners, and members when the
/// rules say so.
pub fn reads_legacy_groups(ws: &Workspace, user: &str, rules: ReadRules) -> bool {
    match ws.role(user) {
        Some("owner") => true,
        Some(_) => rules.members_read_legacy_groups,
        None => false,
    }
}
