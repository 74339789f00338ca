//! A workspace's repositories (one listing, grouped by project by the resource files) and the
//! group permissions of all of them at once (`/1.0/group-privileges`).

use std::collections::HashMap;
use std::rc::Rc;

use connector_sdk::ConnectorError;

use crate::api::{
    self, EP_GROUP_PRIVILEGES, EP_REPOSITORIES, F_REPOSITORIES, PAGELEN, Repository, nonblank,
};
use crate::cache::{GroupPrivileges, Ws};
use crate::ids::norm;
use crate::instance::Bitbucket;

impl Bitbucket {
    /// `GET /2.0/repositories/{ws}`, every page, once per workspace.
    pub fn repositories(&mut self, ws: &Ws) -> Result<Rc<Vec<Repository>>, ConnectorError> {
        if let Some(r) = self.cache.repos.get(&norm(&ws.uuid)) {
            return Ok(r.clone());
        }
        let url = self.client.url(
            &["2.0", "repositories", ws.path()],
            &[("pagelen", PAGELEN), ("fields", F_REPOSITORIES)],
        );
        let r: Vec<Repository> = self.client.get_all(&url, EP_REPOSITORIES)?;
        let rc = Rc::new(r);
        self.cache.repos.insert(norm(&ws.uuid), rc.clone());
        Ok(rc)
    }

    /// `GET /1.0/group-privileges/{ws}` once per workspace; `None` when that legacy call
    /// failed, in which case each repository's `permissions-config/groups` is read instead.
    pub fn group_privileges(
        &mut self,
        ws: &Ws,
    ) -> Result<Option<Rc<GroupPrivileges>>, ConnectorError> {
        if let Some(p) = self.cache.group_privileges.get(&norm(&ws.uuid)) {
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
        self.cache
            .group_privileges
            .insert(norm(&ws.uuid), result.clone());
        Ok(result)
    }
}
