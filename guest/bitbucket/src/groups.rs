//! A workspace's user groups with their members (`/1.0/groups`), whoever Bitbucket lets read
//! them; a refusal costs the groups, not the sync.

use std::rc::Rc;

use connector_sdk::ConnectorError;

use crate::api::{EP_GROUPS, Group10};
use crate::cache::Ws;
use crate::ids::norm;
use crate::instance::Bitbucket;

impl Bitbucket {
    /// `GET /1.0/groups/{ws}`: every group with its members, once per workspace.
    pub fn groups(&mut self, ws: &Ws) -> Result<Rc<Vec<Group10>>, ConnectorError> {
        if let Some(g) = self.cache.groups.get(&norm(&ws.uuid)) {
            return Ok(g.clone());
        }
        let url = self.client.url(&["1.0", "groups", ws.path()], &[]);
        let g: Vec<Group10> = match self.client.get(&url, EP_GROUPS) {
            Ok(g) => g,
            // Partial access: a refused (legacy, scope-guarded) group listing costs the groups,
            // not the whole sync. Project and repository grants to groups are still synced.
            Err(e @ (ConnectorError::PermissionDenied(_) | ConnectorError::NotFound(_))) => {
                self.cache
                    .groups_refused
                    .insert(norm(&ws.uuid), e.message().to_string());
                // Outside an administered workspace the workspace's one warning says it.
                if !ws.admin {
                    let rc = Rc::new(Vec::new());
                    self.cache.groups.insert(norm(&ws.uuid), rc.clone());
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
        self.cache.groups.insert(norm(&ws.uuid), rc.clone());
        Ok(rc)
    }

    /// The workspace's groups if already read (no request).
    pub fn cached_groups(&self, ws: &Ws) -> Option<Rc<Vec<Group10>>> {
        self.cache.groups.get(&norm(&ws.uuid)).cloned()
    }
}
