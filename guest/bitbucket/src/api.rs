//! Bitbucket's JSON shapes (only the fields the connector reads; unknown fields are ignored),
//! the endpoint templates (used as the request's `endpoint` label) and the `fields` values.
//!
//! The `fields` values only ever *remove* (`-x`) or *add* (`+x`, sent as `%2B`) to the default
//! representation, so a value that Bitbucket does not recognise can never drop a field we need.

use serde::Deserialize;

/// Items asked per page (Bitbucket's maximum).
pub const PAGELEN: &str = "100";

// ---- endpoint templates ----
pub const EP_USER_WORKSPACES: &str = "GET /2.0/user/workspaces";
pub const EP_WORKSPACE: &str = "GET /2.0/workspaces/{workspace}";
pub const EP_WS_PERMISSIONS: &str = "GET /2.0/workspaces/{workspace}/permissions";
pub const EP_WS_MEMBERS: &str = "GET /2.0/workspaces/{workspace}/members";
pub const EP_WS_MEMBER: &str = "GET /2.0/workspaces/{workspace}/members/{member}";
pub const EP_USER: &str = "GET /2.0/users/{selected_user}";
pub const EP_PROJECTS: &str = "GET /2.0/workspaces/{workspace}/projects";
pub const EP_REPOSITORIES: &str = "GET /2.0/repositories/{workspace}";
pub const EP_OWN_REPO_PERMISSIONS: &str =
    "GET /2.0/user/workspaces/{workspace}/permissions/repositories";
pub const EP_GROUPS: &str = "GET /1.0/groups/{workspace}";
pub const EP_GROUP_PRIVILEGES: &str = "GET /1.0/group-privileges/{workspace}";
pub const EP_GROUP_MEMBERS: &str = "GET /1.0/groups/{workspace}/{group_slug}/members";
pub const EP_GROUP_MEMBER_PUT: &str = "PUT /1.0/groups/{workspace}/{group_slug}/members/{member}";
pub const EP_GROUP_MEMBER_DELETE: &str =
    "DELETE /1.0/groups/{workspace}/{group_slug}/members/{member}";

/// Templates of the permissions-config endpoints of one kind of target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermEndpoints {
    pub list_users: &'static str,
    pub list_groups: &'static str,
    pub get_user: &'static str,
    pub put_user: &'static str,
    pub delete_user: &'static str,
    pub get_group: &'static str,
    pub put_group: &'static str,
    pub delete_group: &'static str,
}

macro_rules! perm_endpoints {
    ($base:expr) => {
        PermEndpoints {
            list_users: concat!("GET ", $base, "/users"),
            list_groups: concat!("GET ", $base, "/groups"),
            get_user: concat!("GET ", $base, "/users/{selected_user_id}"),
            put_user: concat!("PUT ", $base, "/users/{selected_user_id}"),
            delete_user: concat!("DELETE ", $base, "/users/{selected_user_id}"),
            get_group: concat!("GET ", $base, "/groups/{group_slug}"),
            put_group: concat!("PUT ", $base, "/groups/{group_slug}"),
            delete_group: concat!("DELETE ", $base, "/groups/{group_slug}"),
        }
    };
}

/// The permissions-config endpoints of projects.
pub const PROJECT_PERMS: PermEndpoints =
    perm_endpoints!("/2.0/workspaces/{workspace}/projects/{project_key}/permissions-config");
/// The permissions-config endpoints of repositories.
pub const REPO_PERMS: PermEndpoints =
    perm_endpoints!("/2.0/repositories/{workspace}/{repo_slug}/permissions-config");

// ---- fields ----
pub const F_USER_WORKSPACES: &str = "-values.links,-values.workspace.links";
pub const F_WORKSPACE: &str = "-links";
/// Members and permissions: drop links and the repeated workspace, ask for the account status.
pub const F_MEMBERS: &str =
    "-values.links,-values.workspace,-values.user.links,+values.user.account_status";
pub const F_USER: &str = "-links";
pub const F_PROJECTS: &str = "-values.links,-values.owner,-values.workspace";
pub const F_REPOSITORIES: &str =
    "-values.links,-values.owner,-values.workspace,-values.project.links";
/// The caller's own repository permissions: the user is always the caller.
pub const F_OWN_REPO_PERMISSIONS: &str = "-values.links,-values.user,-values.repository.links";
pub const F_PERM_USERS: &str = "-values.links,-values.user.links";
pub const F_PERM_GROUPS: &str = "-values.links,-values.group.links";

// ---- shapes ----

/// `workspace_access` from `/2.0/user/workspaces`.
#[derive(Clone, Debug, Deserialize)]
pub struct WorkspaceAccess {
    #[serde(default)]
    pub administrator: Option<bool>,
    pub workspace: WorkspaceBase,
}

/// `workspace_base` / `workspace` (`/2.0/workspaces/{ws}`).
#[derive(Clone, Debug, Deserialize)]
pub struct WorkspaceBase {
    pub uuid: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub is_private: Option<bool>,
}

/// A user (full, condensed, or embedded in memberships and permissions).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Account {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub uuid: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub account_status: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// `workspace_membership` (`permission` only from `/permissions`).
#[derive(Clone, Debug, Deserialize)]
pub struct Membership {
    #[serde(default)]
    pub permission: Option<String>,
    pub user: Account,
}

/// A project of `/2.0/workspaces/{ws}/projects`.
#[derive(Clone, Debug, Deserialize)]
pub struct Project {
    pub uuid: String,
    pub key: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_private: Option<bool>,
}

/// The project a repository belongs to.
#[derive(Clone, Debug, Deserialize)]
pub struct ProjectRef {
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
}

/// A repository of `/2.0/repositories/{ws}`.
#[derive(Clone, Debug, Deserialize)]
pub struct Repository {
    pub uuid: String,
    pub full_name: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_private: Option<bool>,
    #[serde(default)]
    pub project: Option<ProjectRef>,
}

/// `project_user_permission` / `repository_user_permission`.
#[derive(Clone, Debug, Deserialize)]
pub struct UserPermission {
    #[serde(default)]
    pub permission: Option<String>,
    pub user: Account,
}

/// A group in a permission.
#[derive(Clone, Debug, Deserialize)]
pub struct GroupRef {
    pub slug: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `project_group_permission` / `repository_group_permission`.
#[derive(Clone, Debug, Deserialize)]
pub struct GroupPermission {
    #[serde(default)]
    pub permission: Option<String>,
    pub group: GroupRef,
}

/// The repository of a `repository_permission`.
#[derive(Clone, Debug, Deserialize)]
pub struct RepositoryRef {
    pub uuid: String,
    #[serde(default)]
    pub full_name: Option<String>,
}

/// `repository_permission` from `/2.0/user/workspaces/{ws}/permissions/repositories`: the
/// caller's effective level on one repository.
#[derive(Clone, Debug, Deserialize)]
pub struct OwnRepositoryPermission {
    #[serde(default)]
    pub permission: Option<String>,
    pub repository: RepositoryRef,
}

/// A member object of the 1.0 API.
#[derive(Clone, Debug, Deserialize)]
pub struct Member10 {
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub is_team: Option<bool>,
}

/// A group of `GET /1.0/groups/{ws}`.
#[derive(Clone, Debug, Deserialize)]
pub struct Group10 {
    pub slug: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub permission: Option<String>,
    #[serde(default)]
    pub auto_add: Option<bool>,
    #[serde(default)]
    pub members: Option<Vec<Member10>>,
}

/// An element of `GET /1.0/group-privileges/{ws}`.
#[derive(Clone, Debug, Deserialize)]
pub struct GroupPrivilege {
    pub repo: String,
    #[serde(default)]
    pub privilege: Option<String>,
    pub group: GroupPrivilegeGroup,
}

/// The group of a group privilege.
#[derive(Clone, Debug, Deserialize)]
pub struct GroupPrivilegeGroup {
    pub slug: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `Some(s)` when `s` is present and not blank.
pub fn nonblank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_sdk::client::{Envelope, parse};

    const PROJECT_PC: &str =
        "/2.0/workspaces/{workspace}/projects/{project_key}/permissions-config";
    const REPO_PC: &str = "/2.0/repositories/{workspace}/{repo_slug}/permissions-config";

    #[test]
    fn templates_match_the_spec_paths() {
        assert_eq!(
            PROJECT_PERMS.get_user,
            format!("GET {PROJECT_PC}/users/{{selected_user_id}}")
        );
        assert_eq!(
            REPO_PERMS.delete_group,
            format!("DELETE {REPO_PC}/groups/{{group_slug}}")
        );
    }

    #[test]
    fn parses_user_workspaces() {
        let body = br#"{"pagelen":25,"page":1,"size":1,"values":[{"type":"workspace_access","administrator":true,
          "workspace":{"type":"workspace_base","uuid":"{a15fb181-db1f-48f7-b41f-e1eff06929d6}","slug":"bbworkspace1",
          "links":{"avatar":{"href":"x"},"self":{"href":"y"}}}}]}"#;
        let e: Envelope<WorkspaceAccess> = parse(body, "GET /2.0/user/workspaces").unwrap();
        assert_eq!(e.values.len(), 1);
        assert_eq!(e.values[0].administrator, Some(true));
        assert_eq!(e.values[0].workspace.slug.as_deref(), Some("bbworkspace1"));
        assert!(e.next.is_none());
    }

    #[test]
    fn parses_permissions_and_members() {
        let body = br#"{"values":[{"type":"workspace_membership","permission":"owner",
          "user":{"type":"user","uuid":"{u1}","account_id":"557058:x","display_name":"Alice Smith","nickname":"alice","account_status":"active"},
          "workspace":{"type":"workspace","uuid":"{w}","slug":"ws","name":"WS"}},
          {"type":"workspace_membership","user":{"type":"user","uuid":"{u2}","display_name":"Bob"}}],
          "next":"https://api.bitbucket.org/2.0/workspaces/ws/permissions?page=2"}"#;
        let e: Envelope<Membership> = parse(body, "x").unwrap();
        assert_eq!(e.values[0].permission.as_deref(), Some("owner"));
        assert_eq!(e.values[0].user.account_status.as_deref(), Some("active"));
        assert_eq!(e.values[1].permission, None);
        assert!(e.next.is_some());
    }

    #[test]
    fn parses_projects_repos_and_permissions() {
        let p: Envelope<Project> = parse(br#"{"values":[{"type":"project","uuid":"{p}","key":"CLOUD","name":"cloud","description":null,"is_private":false}]}"#, "x").unwrap();
        assert_eq!(p.values[0].key, "CLOUD");
        let r: Envelope<Repository> = parse(br#"{"values":[{"type":"repository","uuid":"{r}","full_name":"ws/survival-games","slug":"survival-games","name":"Survival Games","project":{"type":"project","key":"CLOUD","uuid":"{p}","name":"cloud"}}]}"#, "x").unwrap();
        assert_eq!(
            r.values[0].project.as_ref().unwrap().uuid.as_deref(),
            Some("{p}")
        );
        let u: Envelope<UserPermission> = parse(br#"{"values":[{"type":"project_user_permission","permission":"admin","user":{"type":"user","display_name":"Colin Cameron","uuid":"{d301aafa}","account_id":"557058:ba"},"links":{"self":{"href":"x"}}}]}"#, "x").unwrap();
        assert_eq!(u.values[0].permission.as_deref(), Some("admin"));
        let g: Envelope<GroupPermission> = parse(br#"{"values":[{"type":"project_group_permission","permission":"write","group":{"type":"group","name":"Administrators","slug":"administrators"}}]}"#, "x").unwrap();
        assert_eq!(g.values[0].group.slug, "administrators");
    }

    #[test]
    fn parses_1_0_groups_and_privileges() {
        let g: Vec<Group10> = parse(br#"[{"name":"Administrators","slug":"administrators","permission":null,"auto_add":true,
          "email_forwarding_disabled":false,"owner":{"display_name":"x","uuid":"{o}"},
          "members":[{"display_name":"Justen Stepka","account_id":"557057:1","uuid":"{m1}","nickname":"jstepka","is_team":false,"is_active":true}]}]"#, "x").unwrap();
        assert_eq!(
            g[0].members.as_ref().unwrap()[0].uuid.as_deref(),
            Some("{m1}")
        );
        assert_eq!(g[0].permission, None);
        let p: Vec<GroupPrivilege> = parse(br#"[{"repo":"ws/api","privilege":"write","group":{"owner":{"uuid":"{o}"},"name":"Devs","slug":"devs","members":[]},"repository":{"slug":"api","name":"api"}}]"#, "x").unwrap();
        assert_eq!(p[0].repo, "ws/api");
        assert!(parse::<Vec<Group10>>(br#"{"values":[]}"#, "GET /1.0/groups/{workspace}").is_err());
    }
}
