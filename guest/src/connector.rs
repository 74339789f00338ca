//! The connector's state for one component instance (one sync, or one provisioning call):
//! settings, the HTTP client, and per-sync caches. Every cache is filled on first use, so a
//! fresh instance (a resumed sync) refetches what it needs.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::api::{self, *};
use crate::client::{Client, LogLevel, Transport};
use crate::errors::{AuthKind, ConnectorError};
use crate::ids::{norm, same_uuid};
use crate::model::*;
use crate::readable::ReadablePermissions;
use crate::resources::{project, repository, user, user_group, workspace};

pub const CONFIG_KEYS: [&str; 4] = ["base-url", "workspaces", "skip-user-status", "auth-kind"];

/// The non-secret settings (`config.get`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub base_url: String,
    /// Configured workspace slugs or uuids, as written; empty = all.
    pub workspaces: Vec<String>,
    pub skip_user_status: bool,
    pub auth: AuthKind,
}

impl Settings {
    pub fn from_config(get: impl Fn(&str) -> Option<String>) -> Result<Settings, ConnectorError> {
        let base_url = get("base-url")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "https://api.bitbucket.org".to_string());
        let workspaces = parse_workspace_list(get("workspaces").as_deref().unwrap_or(""));
        let skip_user_status = match get("skip-user-status")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "" | "false" | "0" | "no" => false,
            "true" | "1" | "yes" => true,
            other => {
                return Err(ConnectorError::InvalidArgument(format!(
                    "skip-user-status '{other}' must be true or false"
                )));
            }
        };
        let auth = AuthKind::parse(get("auth-kind").as_deref())?;
        Ok(Settings {
            base_url,
            workspaces,
            skip_user_status,
            auth,
        })
    }
}

/// Splits `a, b,{uuid}` into entries; blanks dropped, duplicates kept once.
pub fn parse_workspace_list(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split([',', ' ', '\n']) {
        let p = part.trim();
        if !p.is_empty() && !out.iter().any(|o| norm(o) == norm(p)) {
            out.push(p.to_string());
        }
    }
    out
}

/// A workspace the sync covers, as `/2.0/user/workspaces` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ws {
    pub uuid: String,
    pub slug: String,
    pub admin: bool,
}

impl Ws {
    /// The path segment for 2.0 and 1.0 calls: the slug (1.0 requires it), else the uuid.
    pub fn path(&self) -> &str {
        if self.slug.is_empty() {
            &self.uuid
        } else {
            &self.slug
        }
    }
}

/// A workspace's members, from `/permissions` (with roles) or `/members` (without).
#[derive(Debug, Default)]
pub struct MemberList {
    pub members: Vec<Membership>,
    pub has_roles: bool,
}

/// Group privileges of a workspace's repositories, by lower-case `full_name`.
pub type GroupPrivileges = HashMap<String, Vec<(GroupPrivilegeGroup, String)>>;

pub struct Connector<T: Transport> {
    pub client: Client<T>,
    pub settings: Settings,
    workspaces: Option<Rc<Vec<Ws>>>,
    details: HashMap<String, Rc<WorkspaceBase>>,
    members: HashMap<String, Rc<MemberList>>,
    groups: HashMap<String, Rc<Vec<Group10>>>,
    repos: HashMap<String, Rc<Vec<Repository>>>,
    group_privileges: HashMap<String, Option<Rc<GroupPrivileges>>>,
    /// Why Bitbucket refused a workspace's user group listing, by workspace.
    groups_refused: HashMap<String, String>,
    access: HashMap<String, Rc<ReadablePermissions>>,
    statuses: HashMap<String, Option<String>>,
    warned: HashSet<String>,
}

impl<T: Transport> Connector<T> {
    pub fn new(transport: T, settings: Settings) -> Result<Self, ConnectorError> {
        let client = Client::new(transport, &settings.base_url, settings.auth)?;
        Ok(Connector {
            client,
            settings,
            workspaces: None,
            details: HashMap::new(),
            members: HashMap::new(),
            groups: HashMap::new(),
            repos: HashMap::new(),
            group_privileges: HashMap::new(),
            groups_refused: HashMap::new(),
            access: HashMap::new(),
            statuses: HashMap::new(),
            warned: HashSet::new(),
        })
    }

    pub fn log(&self, level: LogLevel, msg: &str) {
        self.client.transport.log(level, msg);
    }

    /// Logs a warning once per instance for `key`.
    pub fn warn_once(&mut self, key: &str, msg: &str) {
        if self.warned.insert(key.to_string()) {
            self.log(LogLevel::Warn, msg);
        }
    }

    /// Whether the credential may be asked for permissions at all: Bitbucket refuses every
    /// permission endpoint to access tokens (reference §1.3), user credentials are asked.
    pub fn reads_permissions(&self) -> bool {
        self.settings.auth != AuthKind::Bearer
    }

    /// What the credential may read in `ws`, worked out once per workspace (see `access`).
    /// Outside an administered workspace this reads the user groups and the credential's own
    /// repository permissions (and, when it administers any repository, the repository
    /// listing), all of which the sync reads anyway, and says once what is skipped and why.
    pub fn access(&mut self, ws: &Ws) -> Result<Rc<ReadablePermissions>, ConnectorError> {
        if let Some(a) = self.access.get(&norm(&ws.uuid)) {
            return Ok(a.clone());
        }
        let access = if !self.reads_permissions() {
            self.warn_once(
                "bearer",
                "auth-kind=bearer: Bitbucket does not let access tokens read permissions, so \
workspace owners, user groups and their members, and project and repository permissions are not \
synced (workspaces, members, projects and repositories are); use an Atlassian API token of a \
workspace admin (--username/--app-password) to sync them",
            );
            ReadablePermissions::none()
        } else if ws.admin {
            ReadablePermissions::administered()
        } else {
            self.groups(ws)?;
            let own = self.own_repository_permissions(ws)?;
            let administers_any = own.iter().any(|p| nonblank(&p.permission) == Some("admin"));
            let repos = if administers_any {
                self.repositories(ws)?
            } else {
                Rc::new(Vec::new())
            };
            let access = ReadablePermissions::from_own_permissions(&repos, &own);
            let rc = Rc::new(access);
            self.access.insert(norm(&ws.uuid), rc.clone());
            // Asked now (the repositories' grants need it) so the one warning can say how
            // their group permissions are read.
            let privileges = if repos.is_empty() {
                None
            } else {
                Some(self.group_privileges(ws)?.is_some())
            };
            self.warn_member_only(ws, &rc, privileges);
            return Ok(rc);
        };
        let rc = Rc::new(access);
        self.access.insert(norm(&ws.uuid), rc.clone());
        Ok(rc)
    }

    /// `GET /2.0/user/workspaces/{ws}/permissions/repositories`: the credential's effective
    /// level on each repository it has access to. A refusal counts as administering none.
    fn own_repository_permissions(
        &mut self,
        ws: &Ws,
    ) -> Result<Vec<OwnRepositoryPermission>, ConnectorError> {
        let url = self.client.url(
            &[
                "2.0",
                "user",
                "workspaces",
                ws.path(),
                "permissions",
                "repositories",
            ],
            &[("pagelen", PAGELEN), ("fields", F_OWN_REPO_PERMISSIONS)],
        );
        match self.client.get_all(&url, EP_OWN_REPO_PERMISSIONS) {
            Ok(own) => Ok(own),
            Err(e @ (ConnectorError::PermissionDenied(_) | ConnectorError::NotFound(_))) => {
                self.warn_once(
                    &format!("own:{}", norm(&ws.uuid)),
                    &format!(
                        "workspace '{}': Bitbucket refused the credential's own repository \
permissions ({}); no project or repository permissions are synced for it",
                        ws.path(),
                        e.message()
                    ),
                );
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }

    /// The one warning of a workspace the credential belongs to but does not administer: what
    /// was read there, what was skipped, and why.
    fn warn_member_only(
        &mut self,
        ws: &Ws,
        access: &ReadablePermissions,
        group_privileges: Option<bool>,
    ) {
        let (projects, repos) = access.administered_counts();
        let n =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let refused_groups = self.groups_refused.get(&norm(&ws.uuid));
        let mut text = format!(
            "workspace '{}' is not administered by this credential: synced its members and owners, \
{}projects and repositories",
            ws.path(),
            if refused_groups.is_some() {
                ""
            } else {
                "user groups and their members, "
            }
        );
        if repos == 0 {
            text.push_str(
                "; it administers none of its repositories, so no project or repository \
permissions are synced",
            );
        } else {
            text.push_str(&format!(
                ", and the permissions of the {} and {} it administers; skipped the permissions \
of the other {} and of their projects, and of projects without repositories",
                n(projects, "project", "projects"),
                n(repos, "repository", "repositories"),
                n(
                    access.repositories_seen.saturating_sub(repos),
                    "repository",
                    "repositories"
                ),
            ));
        }
        if group_privileges == Some(false) {
            text.push_str(
                "; the group permissions of the repositories it administers are read from each of \
them (Bitbucket refused the workspace's group privileges listing)",
            );
        }
        if let Some(why) = refused_groups {
            text.push_str(&format!(
                "; user groups and their members are not synced (Bitbucket refused the user group \
listing: {why}), so grants to groups are not expanded to their members"
            ));
        }
        text.push_str(
            ". Bitbucket shows a project's or repository's permissions to its admins only",
        );
        self.warn_once(&format!("member-only:{}", norm(&ws.uuid)), &text);
    }

    // ---- workspaces ----

    /// The workspaces the sync covers: `/2.0/user/workspaces`, filtered by `workspaces`.
    pub fn workspaces(&mut self) -> Result<Rc<Vec<Ws>>, ConnectorError> {
        if let Some(w) = &self.workspaces {
            return Ok(w.clone());
        }
        let url = self.client.url(
            &["2.0", "user", "workspaces"],
            &[("pagelen", PAGELEN), ("fields", F_USER_WORKSPACES)],
        );
        let listed: Vec<Ws> = match self
            .client
            .get_all::<WorkspaceAccess>(&url, EP_USER_WORKSPACES)
        {
            Ok(all) => all
                .into_iter()
                .map(|a| Ws {
                    uuid: a.workspace.uuid,
                    slug: a.workspace.slug.unwrap_or_default(),
                    admin: a.administrator.unwrap_or(false),
                })
                .collect(),
            Err(e)
                if self.settings.auth == AuthKind::Bearer
                    && matches!(
                        e,
                        ConnectorError::PermissionDenied(_)
                            | ConnectorError::NotFound(_)
                            | ConnectorError::InvalidArgument(_)
                    ) =>
            {
                return self.workspaces_by_name(e);
            }
            Err(e) => return Err(e),
        };
        let selected = select_workspaces(&listed, &self.settings.workspaces)?;
        let rc = Rc::new(selected);
        self.workspaces = Some(rc.clone());
        Ok(rc)
    }

    /// Access tokens that may not list workspaces: read each configured workspace directly.
    fn workspaces_by_name(&mut self, cause: ConnectorError) -> Result<Rc<Vec<Ws>>, ConnectorError> {
        if self.settings.workspaces.is_empty() {
            return Err(ConnectorError::PermissionDenied(format!(
                "Bitbucket refused to list the workspaces of this access token ({}); set \
--workspaces to the token's workspace",
                cause.message()
            )));
        }
        let mut out = Vec::new();
        for name in self.settings.workspaces.clone() {
            let url = self
                .client
                .url(&["2.0", "workspaces", &name], &[("fields", F_WORKSPACE)]);
            let w: WorkspaceBase = self.client.get(&url, EP_WORKSPACE).map_err(|e| match e {
                ConnectorError::NotFound(_) | ConnectorError::PermissionDenied(_) => {
                    workspace_not_found(&name)
                }
                e => e,
            })?;
            out.push(Ws {
                uuid: w.uuid.clone(),
                slug: w.slug.clone().unwrap_or_default(),
                admin: false,
            });
            self.details.insert(norm(&w.uuid), Rc::new(w));
        }
        let rc = Rc::new(out);
        self.workspaces = Some(rc.clone());
        Ok(rc)
    }

    /// A synced workspace by uuid.
    pub fn workspace(&mut self, uuid: &str) -> Result<Ws, ConnectorError> {
        self.workspaces()?
            .iter()
            .find(|w| same_uuid(&w.uuid, uuid))
            .cloned()
            .ok_or_else(|| {
                ConnectorError::NotFound(format!(
                    "workspace {uuid} is not among the workspaces this sync covers (check --workspaces)"
                ))
            })
    }

    /// `/2.0/workspaces/{ws}` (for the name), once per workspace. A workspace the credential
    /// cannot read in detail keeps its slug as name.
    pub fn workspace_detail(&mut self, ws: &Ws) -> Result<Rc<WorkspaceBase>, ConnectorError> {
        if let Some(d) = self.details.get(&norm(&ws.uuid)) {
            return Ok(d.clone());
        }
        let url = self.client.url(
            &["2.0", "workspaces", ws.path()],
            &[("fields", F_WORKSPACE)],
        );
        let d = match self.client.get::<WorkspaceBase>(&url, EP_WORKSPACE) {
            Ok(d) => d,
            Err(e @ (ConnectorError::NotFound(_) | ConnectorError::PermissionDenied(_))) => {
                self.warn_once(
                    &format!("detail:{}", norm(&ws.uuid)),
                    &format!(
                        "could not read workspace '{}' ({}); its slug is used as its name",
                        ws.path(),
                        e.message()
                    ),
                );
                WorkspaceBase {
                    uuid: ws.uuid.clone(),
                    slug: Some(ws.slug.clone()),
                    name: None,
                    is_private: None,
                }
            }
            Err(e) => return Err(e),
        };
        let rc = Rc::new(d);
        self.details.insert(norm(&ws.uuid), rc.clone());
        Ok(rc)
    }

    /// The workspace's display name (its name, else its slug), from the cache or one request.
    pub fn workspace_name(&mut self, ws: &Ws) -> Result<String, ConnectorError> {
        let d = self.workspace_detail(ws)?;
        Ok(nonblank(&d.name).unwrap_or(ws.path()).to_string())
    }

    /// The workspace's name if already read (no request), else its slug.
    pub fn cached_workspace_name(&self, ws: &Ws) -> String {
        self.details
            .get(&norm(&ws.uuid))
            .and_then(|d| nonblank(&d.name).map(str::to_string))
            .unwrap_or_else(|| ws.path().to_string())
    }

    /// The workspace's groups if already read (no request).
    pub fn cached_groups(&self, ws: &Ws) -> Option<Rc<Vec<Group10>>> {
        self.groups.get(&norm(&ws.uuid)).cloned()
    }

    /// The workspace slug for 1.0 calls during provisioning: a profile hint, the caches, or
    /// `GET /2.0/workspaces/{uuid}`.
    pub fn workspace_slug_for(
        &mut self,
        uuid: &str,
        hint: Option<&str>,
    ) -> Result<String, ConnectorError> {
        if let Some(h) = hint.filter(|h| !h.is_empty()) {
            return Ok(h.to_string());
        }
        if let Some(ws) = self
            .workspaces
            .as_ref()
            .and_then(|w| w.iter().find(|w| same_uuid(&w.uuid, uuid)))
            .filter(|w| !w.slug.is_empty())
        {
            return Ok(ws.slug.clone());
        }
        if let Some(s) = self
            .details
            .get(&norm(uuid))
            .and_then(|d| nonblank(&d.slug).map(str::to_string))
        {
            return Ok(s);
        }
        let url = self
            .client
            .url(&["2.0", "workspaces", uuid], &[("fields", F_WORKSPACE)]);
        let d: WorkspaceBase = self.client.get(&url, EP_WORKSPACE)?;
        let slug = nonblank(&d.slug).map(str::to_string).ok_or_else(|| {
            ConnectorError::Internal(format!("workspace {uuid} has no slug in {EP_WORKSPACE}"))
        })?;
        self.details.insert(norm(uuid), Rc::new(d));
        Ok(slug)
    }

    // ---- members and user status ----

    /// The workspace's members: `/permissions` (with roles) where permissions are readable,
    /// falling back to `/members` when refused; `/members` elsewhere. With `look_up_status`, the
    /// account status of members whose listing lacks it is then looked up, once per user per
    /// instance (the user listing needs it; grants do not, as their principals are those users).
    pub fn members(
        &mut self,
        ws: &Ws,
        look_up_status: bool,
    ) -> Result<Rc<MemberList>, ConnectorError> {
        let list = match self.members.get(&norm(&ws.uuid)) {
            Some(m) => m.clone(),
            None => self.fetch_members(ws)?,
        };
        if look_up_status {
            self.look_up_statuses(&list.members)?;
        }
        Ok(list)
    }

    fn fetch_members(&mut self, ws: &Ws) -> Result<Rc<MemberList>, ConnectorError> {
        let q = [("pagelen", PAGELEN), ("fields", F_MEMBERS)];
        let mut list = MemberList::default();
        // Every member may read the workspace's permissions (reference §1.6).
        if self.reads_permissions() {
            let url = self
                .client
                .url(&["2.0", "workspaces", ws.path(), "permissions"], &q);
            match self.client.get_all::<Membership>(&url, EP_WS_PERMISSIONS) {
                Ok(m) => {
                    list.members = m;
                    list.has_roles = true;
                }
                Err(e @ (ConnectorError::PermissionDenied(_) | ConnectorError::NotFound(_))) => {
                    self.warn_once(
                        &format!("wsperm:{}", norm(&ws.uuid)),
                        &format!(
                            "workspace '{}': Bitbucket refused the workspace permissions listing \
({}); members are read from /members instead and workspace owners are not synced",
                            ws.path(),
                            e.message()
                        ),
                    );
                }
                Err(e) => return Err(e),
            }
        }
        if !list.has_roles {
            let url = self
                .client
                .url(&["2.0", "workspaces", ws.path(), "members"], &q);
            list.members = self.client.get_all::<Membership>(&url, EP_WS_MEMBERS)?;
        }
        // Deduplicate by uuid (a listing should not repeat, but be safe).
        let mut seen = HashSet::new();
        list.members.retain(|m| seen.insert(norm(&m.user.uuid)));
        for m in &list.members {
            if let Some(st) = nonblank(&m.user.account_status) {
                self.statuses
                    .insert(norm(&m.user.uuid), Some(st.to_string()));
            }
        }
        let rc = Rc::new(list);
        self.members.insert(norm(&ws.uuid), rc.clone());
        Ok(rc)
    }

    fn look_up_statuses(&mut self, members: &[Membership]) -> Result<(), ConnectorError> {
        if self.settings.skip_user_status {
            if members.iter().any(|m| m.user.account_status.is_none()) {
                self.warn_once(
                    "skip-user-status",
                    "skip-user-status=true: account status is not looked up; users whose \
membership listing does not carry account_status get status unspecified",
                );
            }
            return Ok(());
        }
        for m in members {
            let key = norm(&m.user.uuid);
            let is_user = matches!(m.user.kind.as_deref(), None | Some("user"));
            if !is_user || self.statuses.contains_key(&key) {
                continue;
            }
            let url = self
                .client
                .url(&["2.0", "users", &m.user.uuid], &[("fields", F_USER)]);
            let status = match self.client.get::<Account>(&url, EP_USER) {
                Ok(a) => nonblank(&a.account_status).map(str::to_string),
                Err(ConnectorError::NotFound(_) | ConnectorError::PermissionDenied(_)) => None,
                Err(e) => return Err(e),
            };
            self.statuses.insert(key, status);
        }
        Ok(())
    }

    /// The account status known for a user (from a listing or a lookup).
    pub fn status_of(&self, uuid: &str) -> Option<String> {
        self.statuses.get(&norm(uuid)).cloned().flatten()
    }

    // ---- groups, repositories, group privileges ----

    /// `GET /1.0/groups/{ws}`: every group with its members, once per workspace.
    pub fn groups(&mut self, ws: &Ws) -> Result<Rc<Vec<Group10>>, ConnectorError> {
        if let Some(g) = self.groups.get(&norm(&ws.uuid)) {
            return Ok(g.clone());
        }
        let url = self.client.url(&["1.0", "groups", ws.path()], &[]);
        let g: Vec<Group10> = match self.client.get(&url, EP_GROUPS) {
            Ok(g) => g,
            // Partial access: a refused (legacy, scope-guarded) group listing costs the groups,
            // not the whole sync. Project and repository grants to groups are still synced.
            Err(e @ (ConnectorError::PermissionDenied(_) | ConnectorError::NotFound(_))) => {
                self.groups_refused
                    .insert(norm(&ws.uuid), e.message().to_string());
                // Outside an administered workspace the workspace's one warning says it.
                if !ws.admin {
                    let rc = Rc::new(Vec::new());
                    self.groups.insert(norm(&ws.uuid), rc.clone());
                    return Ok(rc);
                }
                self.warn_once(
                    &format!("groups:{}", norm(&ws.uuid)),
                    &format!(
                        "workspace '{}': Bitbucket refused the user group listing ({}); user \
groups and their members are not synced for it (groups holding project or repository \
permissions still appear, without members)",
                        ws.path(),
                        e.message()
                    ),
                );
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        let rc = Rc::new(g);
        self.groups.insert(norm(&ws.uuid), rc.clone());
        Ok(rc)
    }

    /// `GET /2.0/repositories/{ws}`, every page, once per workspace.
    pub fn repositories(&mut self, ws: &Ws) -> Result<Rc<Vec<Repository>>, ConnectorError> {
        if let Some(r) = self.repos.get(&norm(&ws.uuid)) {
            return Ok(r.clone());
        }
        let url = self.client.url(
            &["2.0", "repositories", ws.path()],
            &[("pagelen", PAGELEN), ("fields", F_REPOSITORIES)],
        );
        let r: Vec<Repository> = self.client.get_all(&url, EP_REPOSITORIES)?;
        let rc = Rc::new(r);
        self.repos.insert(norm(&ws.uuid), rc.clone());
        Ok(rc)
    }

    /// `GET /1.0/group-privileges/{ws}` once per workspace; `None` when that legacy call
    /// failed, in which case each repository's `permissions-config/groups` is read instead.
    pub fn group_privileges(
        &mut self,
        ws: &Ws,
    ) -> Result<Option<Rc<GroupPrivileges>>, ConnectorError> {
        if let Some(p) = self.group_privileges.get(&norm(&ws.uuid)) {
            return Ok(p.clone());
        }
        let url = self
            .client
            .url(&["1.0", "group-privileges", ws.path()], &[]);
        let result = match self
            .client
            .get::<Vec<api::GroupPrivilege>>(&url, EP_GROUP_PRIVILEGES)
        {
            Ok(list) => {
                let mut map: GroupPrivileges = HashMap::new();
                for p in list {
                    if let Some(level) = nonblank(&p.privilege) {
                        map.entry(p.repo.to_ascii_lowercase())
                            .or_default()
                            .push((p.group, level.to_string()));
                    }
                }
                Some(Rc::new(map))
            }
            Err(e @ (ConnectorError::Unauthenticated(_) | ConnectorError::RateLimited(_))) => {
                return Err(e);
            }
            Err(e) => {
                // Outside an administered workspace a refusal is expected: the workspace's one
                // warning says it.
                if ws.admin {
                    self.warn_once(
                        &format!("groupprivs:{}", norm(&ws.uuid)),
                        &format!(
                            "workspace '{}': the legacy group privileges listing failed ({}); \
reading each repository's group permissions instead",
                            ws.path(),
                            e.message()
                        ),
                    );
                }
                None
            }
        };
        self.group_privileges.insert(norm(&ws.uuid), result.clone());
        Ok(result)
    }

    // ---- the exports ----

    pub fn metadata() -> Metadata {
        Metadata {
            display_name: "Bitbucket".to_string(),
            description: "Syncs Bitbucket Cloud workspaces, users, user groups, projects and \
repositories with their memberships and permissions, and provisions group membership and \
project and repository permissions."
                .to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            config_keys: CONFIG_KEYS.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Fails only when nothing at all is readable.
    pub fn validate(&mut self) -> Result<(), ConnectorError> {
        let wss = self.workspaces()?;
        if wss.is_empty() {
            return Err(ConnectorError::PermissionDenied(
                "the credential is not a member of any Bitbucket workspace, so there is nothing \
to sync"
                    .to_string(),
            ));
        }
        for ws in wss.iter() {
            self.workspace_detail(ws)?;
        }
        Ok(())
    }

    pub fn resource_types() -> Vec<ResourceType> {
        vec![
            workspace::resource_type(),
            user::resource_type(),
            user_group::resource_type(),
            project::resource_type(),
            repository::resource_type(),
        ]
    }

    pub fn list_resources(
        &mut self,
        resource_type: &str,
        parent: Option<&ResourceId>,
        token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        // Baton's syncer lists every type once without a parent: child types answer that with
        // an empty page, and are listed again under each parent.
        let parent_of = |want: &str| -> Result<Option<&ResourceId>, ConnectorError> {
            match parent {
                None => Ok(None),
                Some(p) if p.resource_type == want => Ok(Some(p)),
                Some(p) => Err(ConnectorError::InvalidArgument(format!(
                    "{resource_type} resources are listed per {want}, not per {}",
                    p.resource_type
                ))),
            }
        };
        match resource_type {
            workspace::TYPE_ID => {
                if parent.is_some() {
                    return Ok(Page::last(vec![]));
                }
                workspace::list(self)
            }
            user::TYPE_ID => match parent_of(workspace::TYPE_ID)? {
                Some(p) => user::list(self, &p.id),
                None => Ok(Page::last(vec![])),
            },
            user_group::TYPE_ID => match parent_of(workspace::TYPE_ID)? {
                Some(p) => user_group::list(self, &p.id),
                None => Ok(Page::last(vec![])),
            },
            project::TYPE_ID => match parent_of(workspace::TYPE_ID)? {
                Some(p) => project::list(self, &p.id, token),
                None => Ok(Page::last(vec![])),
            },
            repository::TYPE_ID => match parent_of(project::TYPE_ID)? {
                Some(p) => repository::list(self, &p.id),
                None => Ok(Page::last(vec![])),
            },
            other => Err(unknown_type(other)),
        }
    }

    pub fn list_entitlements(
        &mut self,
        target: &ResourceInfo,
        _token: &str,
    ) -> Result<Page<Entitlement>, ConnectorError> {
        let items = match target.id.resource_type.as_str() {
            workspace::TYPE_ID => workspace::entitlements(target),
            user::TYPE_ID => vec![],
            user_group::TYPE_ID => user_group::entitlements(target),
            project::TYPE_ID => project::entitlements(target),
            repository::TYPE_ID => repository::entitlements(target),
            other => return Err(unknown_type(other)),
        };
        Ok(Page::last(items))
    }

    pub fn list_grants(
        &mut self,
        target: &ResourceInfo,
        token: &str,
    ) -> Result<Page<Grant>, ConnectorError> {
        match target.id.resource_type.as_str() {
            workspace::TYPE_ID => workspace::grants(self, target),
            user::TYPE_ID => Ok(Page::last(vec![])),
            user_group::TYPE_ID => user_group::grants(self, target),
            project::TYPE_ID => project::grants(self, target, token),
            repository::TYPE_ID => repository::grants(self, target, token),
            other => Err(unknown_type(other)),
        }
    }

    pub fn grant(
        &mut self,
        principal: &ResourceInfo,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        let target = &entitlement.resource_ref;
        let slug = entitlement.slug.as_str();
        match target.resource_type.as_str() {
            workspace::TYPE_ID => Err(workspace::provisioning_unsupported(slug)),
            user_group::TYPE_ID => user_group::grant(self, principal, target, slug),
            project::TYPE_ID => project::grant(self, principal, target, slug),
            repository::TYPE_ID => repository::grant(self, principal, target, slug),
            user::TYPE_ID => Err(ConnectorError::InvalidArgument(
                "users have no entitlements to grant".to_string(),
            )),
            other => Err(unknown_type(other)),
        }
    }

    pub fn revoke(&mut self, grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        let target = &grant.entitlement.resource_ref;
        let slug = grant.entitlement.slug.as_str();
        let principal = &grant.principal;
        match target.resource_type.as_str() {
            workspace::TYPE_ID => Err(workspace::provisioning_unsupported(slug)),
            user_group::TYPE_ID => user_group::revoke(self, principal, target, slug),
            project::TYPE_ID => project::revoke(self, principal, target, slug),
            repository::TYPE_ID => repository::revoke(self, principal, target, slug),
            user::TYPE_ID => Err(ConnectorError::InvalidArgument(
                "users have no entitlements to revoke".to_string(),
            )),
            other => Err(unknown_type(other)),
        }
    }
}

fn unknown_type(t: &str) -> ConnectorError {
    ConnectorError::InvalidArgument(format!(
        "unknown resource type '{t}': this connector syncs workspace, user, user_group, project \
and repository"
    ))
}

pub fn workspace_not_found(name: &str) -> ConnectorError {
    ConnectorError::InvalidArgument(format!(
        "workspace '{name}' was not found or the credential is not a member of it; check --workspaces"
    ))
}

/// Applies the `workspaces` filter (slug or uuid, case-insensitive, braces optional); every
/// configured entry must match.
pub fn select_workspaces(listed: &[Ws], filter: &[String]) -> Result<Vec<Ws>, ConnectorError> {
    let mut out: Vec<Ws> = Vec::new();
    let push = |out: &mut Vec<Ws>, w: &Ws| {
        if !out.iter().any(|o| same_uuid(&o.uuid, &w.uuid)) {
            out.push(w.clone());
        }
    };
    if filter.is_empty() {
        for w in listed {
            push(&mut out, w);
        }
        return Ok(out);
    }
    for f in filter {
        let n = norm(f);
        let found = listed
            .iter()
            .find(|w| norm(&w.slug) == n || norm(&w.uuid) == n)
            .ok_or_else(|| workspace_not_found(f))?;
        push(&mut out, found);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(uuid: &str, slug: &str) -> Ws {
        Ws {
            uuid: uuid.into(),
            slug: slug.into(),
            admin: true,
        }
    }

    #[test]
    fn workspace_filter_matches_slug_or_uuid() {
        let listed = vec![ws("{AAA-1}", "acme"), ws("{bbb-2}", "beta")];
        assert_eq!(select_workspaces(&listed, &[]).unwrap().len(), 2);
        let one = select_workspaces(&listed, &["ACME".into()]).unwrap();
        assert_eq!(one, vec![listed[0].clone()]);
        let by_uuid = select_workspaces(&listed, &["{bbb-2}".into()]).unwrap();
        assert_eq!(by_uuid[0].slug, "beta");
        let bare = select_workspaces(&listed, &["aaa-1".into(), "acme".into()]).unwrap();
        assert_eq!(bare.len(), 1);
        let err = select_workspaces(&listed, &["nope".into()]).unwrap_err();
        assert_eq!(
            err,
            ConnectorError::InvalidArgument(
                "workspace 'nope' was not found or the credential is not a member of it; check --workspaces".into()
            )
        );
    }

    #[test]
    fn settings_parse() {
        let s = Settings::from_config(|k| match k {
            "workspaces" => Some(" acme, {b-2} ,,acme".into()),
            "skip-user-status" => Some("TRUE".into()),
            "auth-kind" => Some("oauth".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.workspaces, vec!["acme".to_string(), "{b-2}".to_string()]);
        assert!(s.skip_user_status);
        assert_eq!(s.auth, AuthKind::Oauth);
        assert_eq!(s.base_url, "https://api.bitbucket.org");
        assert!(
            Settings::from_config(|k| (k == "skip-user-status").then(|| "maybe".into())).is_err()
        );
    }
}
