//! What the credential may read in each workspace, worked out once per workspace, and the one
//! warning of a workspace it belongs to but does not administer.

use std::rc::Rc;

use connector_sdk::ConnectorError;

use crate::api::{
    EP_OWN_REPO_PERMISSIONS, F_OWN_REPO_PERMISSIONS, OwnRepositoryPermission, PAGELEN, nonblank,
};
use crate::cache::Ws;
use crate::ids::norm;
use crate::instance::Bitbucket;
use crate::readable::ReadablePermissions;

impl Bitbucket {
    /// What the credential may read in `ws`, worked out once per workspace (see `readable`).
    /// Outside an administered workspace this reads the user groups and the credential's own
    /// repository permissions (and, when it administers any repository, the repository
    /// listing), all of which the sync reads anyway, and says once what is skipped and why.
    pub fn access(&mut self, ws: &Ws) -> Result<Rc<ReadablePermissions>, ConnectorError> {
        if let Some(a) = self.cache.access.get(&norm(&ws.uuid)) {
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
            self.cache.access.insert(norm(&ws.uuid), rc.clone());
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
        self.cache.access.insert(norm(&ws.uuid), rc.clone());
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
        let refused_groups = self.cache.groups_refused.get(&norm(&ws.uuid));
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
}
