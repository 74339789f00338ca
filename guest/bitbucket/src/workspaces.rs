//! The workspaces the sync covers (`/2.0/user/workspaces`, filtered by `workspaces`; an access
//! token that may not list them reads each configured one) and their details.

use std::rc::Rc;

use connector_sdk::ConnectorError;

use crate::api::{
    EP_USER_WORKSPACES, EP_WORKSPACE, F_USER_WORKSPACES, F_WORKSPACE, PAGELEN, WorkspaceAccess,
    WorkspaceBase, nonblank,
};
use crate::cache::Ws;
use crate::ids::{norm, same_uuid};
use crate::instance::Bitbucket;
use crate::settings::AuthKind;

impl Bitbucket {
    /// The workspaces the sync covers: `/2.0/user/workspaces`, filtered by `workspaces`.
    pub fn workspaces(&mut self) -> Result<Rc<Vec<Ws>>, ConnectorError> {
        if let Some(w) = &self.cache.workspaces {
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
        self.cache.workspaces = Some(rc.clone());
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
            self.cache.details.insert(norm(&w.uuid), Rc::new(w));
        }
        let rc = Rc::new(out);
        self.cache.workspaces = Some(rc.clone());
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
        if let Some(d) = self.cache.details.get(&norm(&ws.uuid)) {
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
        self.cache.details.insert(norm(&ws.uuid), rc.clone());
        Ok(rc)
    }

    /// The workspace's display name (its name, else its slug), from the cache or one request.
    pub fn workspace_name(&mut self, ws: &Ws) -> Result<String, ConnectorError> {
        let d = self.workspace_detail(ws)?;
        Ok(nonblank(&d.name).unwrap_or(ws.path()).to_string())
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
            .cache
            .workspaces
            .as_ref()
            .and_then(|w| w.iter().find(|w| same_uuid(&w.uuid, uuid)))
            .filter(|w| !w.slug.is_empty())
        {
            return Ok(ws.slug.clone());
        }
        if let Some(s) = self
            .cache
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
        self.cache.details.insert(norm(uuid), Rc::new(d));
        Ok(slug)
    }
}

/// The error for a configured workspace the credential cannot see.
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
}
