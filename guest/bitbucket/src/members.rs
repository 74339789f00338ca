//! A workspace's members (with their roles where readable) and the account status of users,
//! looked up once per user per instance when a listing lacks it.

use std::collections::HashSet;
use std::rc::Rc;

use connector_sdk::ConnectorError;

use crate::api::{
    Account, EP_USER, EP_WS_MEMBERS, EP_WS_PERMISSIONS, F_MEMBERS, F_USER, Membership, PAGELEN,
    nonblank,
};
use crate::cache::{MemberList, Ws};
use crate::ids::norm;
use crate::instance::Bitbucket;

impl Bitbucket {
    /// The workspace's members: `/permissions` (with roles) where permissions are readable,
    /// falling back to `/members` when refused; `/members` elsewhere. With `look_up_status`, the
    /// account status of members whose listing lacks it is then looked up, once per user per
    /// instance (the user listing needs it; grants do not, as their principals are those users).
    pub fn members(
        &mut self,
        ws: &Ws,
        look_up_status: bool,
    ) -> Result<Rc<MemberList>, ConnectorError> {
        let list = match self.cache.members.get(&norm(&ws.uuid)) {
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
                self.cache
                    .statuses
                    .insert(norm(&m.user.uuid), Some(st.to_string()));
            }
        }
        let rc = Rc::new(list);
        self.cache.members.insert(norm(&ws.uuid), rc.clone());
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
        // Independent lookups: sent together, so the host runs them concurrently.
        let mut wanted: Vec<(String, &str)> = Vec::new();
        let mut asked = HashSet::new();
        for m in members {
            let key = norm(&m.user.uuid);
            let is_user = matches!(m.user.kind.as_deref(), None | Some("user"));
            if is_user && !self.cache.statuses.contains_key(&key) && asked.insert(key.clone()) {
                wanted.push((key, &m.user.uuid));
            }
        }
        let urls: Vec<String> = wanted
            .iter()
            .map(|(_, uuid)| {
                self.client
                    .url(&["2.0", "users", uuid], &[("fields", F_USER)])
            })
            .collect();
        let answers = self.client.get_each::<Account>(&urls, EP_USER);
        for ((key, _), answer) in wanted.into_iter().zip(answers) {
            let status = match answer {
                Ok(a) => nonblank(&a.account_status).map(str::to_string),
                Err(ConnectorError::NotFound(_) | ConnectorError::PermissionDenied(_)) => None,
                Err(e) => return Err(e),
            };
            self.cache.statuses.insert(key, status);
        }
        Ok(())
    }

    /// The account status known for a user (from a listing or a lookup).
    pub fn status_of(&self, uuid: &str) -> Option<String> {
        self.cache.statuses.get(&norm(uuid)).cloned().flatten()
    }
}
