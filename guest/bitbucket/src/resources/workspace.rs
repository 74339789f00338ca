//! `workspace`: the workspaces the credential belongs to (filtered by `workspaces`), with the
//! `member` and `owner` entitlements, granted from the workspace permissions (or members).

use connector_sdk::{
    ConnectorError, Entitlement, EntitlementPurpose, Grant, GrantOutcome, Page, ResourceId,
    ResourceInfo, ResourceSyncer, ResourceType, RevokeOutcome, profile,
};

use crate::api::nonblank;
use crate::cache::Ws;
use crate::grants::grant;
use crate::instance::Bitbucket;
use crate::resources::user;
use crate::type_ids::{PROJECT, USER, USER_GROUP, WORKSPACE};

/// Membership of the workspace.
pub const MEMBER: &str = "member";
/// Ownership of the workspace.
pub const OWNER: &str = "owner";

/// The syncer of `workspace`.
pub struct WorkspaceSyncer;

impl ResourceSyncer<Bitbucket> for WorkspaceSyncer {
    fn resource_type(&self) -> ResourceType {
        ResourceType::new(
            WORKSPACE,
            "Workspace",
            "A Bitbucket Cloud workspace, which holds the members, user groups, projects and \
repositories of a team.",
            &[],
        )
    }

    /// The workspaces the sync covers; a top-level type, so nothing under a parent.
    fn list(
        &self,
        c: &mut Bitbucket,
        parent: Option<&ResourceId>,
        _page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        if parent.is_some() {
            return Ok(Page::last(vec![]));
        }
        let wss = c.workspaces()?;
        let mut items = Vec::new();
        for ws in wss.iter() {
            // Works out (once) what the credential may read there, and says what it skips.
            c.access(ws)?;
            let d = c.workspace_detail(ws)?;
            let name = nonblank(&d.name).unwrap_or(ws.path()).to_string();
            items.push(resource(ws, &name, d.is_private));
        }
        Ok(Page::last(items))
    }

    fn entitlements(
        &self,
        _c: &mut Bitbucket,
        target: &ResourceInfo,
        _page_token: &str,
    ) -> Result<Page<Entitlement>, ConnectorError> {
        Ok(Page::last(entitlements(target)))
    }

    /// `member` for every member, `owner` for those whose workspace permission is `owner`.
    fn grants(
        &self,
        c: &mut Bitbucket,
        target: &ResourceInfo,
        _page_token: &str,
    ) -> Result<Page<Grant>, ConnectorError> {
        let ws = c.workspace(&target.id.id)?;
        let members = c.members(&ws, false)?;
        let mut items = Vec::new();
        for m in &members.members {
            let status = c.status_of(&m.user.uuid);
            let principal = user::resource(&m.user, status.as_deref(), Some(target.id.clone()));
            let owner = members.has_roles && m.permission.as_deref() == Some(OWNER);
            if owner {
                items.push(grant(&target.id, OWNER, principal.clone()));
            }
            items.push(grant(&target.id, MEMBER, principal));
        }
        Ok(Page::last(items))
    }

    fn grant(
        &self,
        _c: &mut Bitbucket,
        _principal: &ResourceInfo,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        Err(provisioning_unsupported(&entitlement.slug))
    }

    fn revoke(&self, _c: &mut Bitbucket, grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        Err(provisioning_unsupported(&grant.entitlement.slug))
    }
}

/// A workspace resource.
pub fn resource(ws: &Ws, name: &str, is_private: Option<bool>) -> ResourceInfo {
    let description = if name == ws.slug || ws.slug.is_empty() {
        format!("The Bitbucket workspace {name}.")
    } else {
        format!("The Bitbucket workspace {name} ({}).", ws.slug)
    };
    let mut entries = vec![
        ("workspace_uuid", ws.uuid.as_str()),
        ("workspace_slug", ws.slug.as_str()),
        ("workspace_name", name),
    ];
    let private = is_private.map(|p| p.to_string());
    if let Some(p) = private.as_deref() {
        entries.push(("is_private", p));
    }
    ResourceInfo {
        id: ResourceId::new(WORKSPACE, ws.uuid.clone()),
        parent: None,
        display_name: name.to_string(),
        description,
        user: None,
        group: None,
        child_resource_types: vec![
            USER.to_string(),
            USER_GROUP.to_string(),
            PROJECT.to_string(),
        ],
        profile: profile(&entries),
    }
}

/// `member` and `owner`.
pub fn entitlements(target: &ResourceInfo) -> Vec<Entitlement> {
    let name = &target.display_name;
    vec![
        Entitlement {
            resource_ref: target.id.clone(),
            slug: MEMBER.to_string(),
            display_name: format!("{name} member"),
            description: format!("Member of the {name} workspace."),
            purpose: EntitlementPurpose::Assignment,
            grantable_to: vec![USER.to_string()],
        },
        Entitlement {
            resource_ref: target.id.clone(),
            slug: OWNER.to_string(),
            display_name: format!("{name} owner"),
            description: format!(
                "Owner of the {name} workspace: administers its members, groups, projects and \
repositories."
            ),
            purpose: EntitlementPurpose::Ownership,
            grantable_to: vec![USER.to_string()],
        },
    ]
}

/// Why workspace membership and ownership cannot be provisioned, and where to change them.
pub fn provisioning_unsupported(slug: &str) -> ConnectorError {
    match slug {
        OWNER => ConnectorError::InvalidArgument(
            "workspace ownership cannot be granted or revoked through the Bitbucket API; change \
it in the workspace settings"
                .to_string(),
        ),
        _ => ConnectorError::InvalidArgument(
            "Bitbucket has no API to add or remove workspace members, only invitations; manage \
workspace membership in Bitbucket or Atlassian Administration"
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_resource_and_entitlements_read_well() {
        let ws = Ws {
            uuid: "{w}".into(),
            slug: "acme".into(),
            admin: true,
        };
        let r = resource(&ws, "Acme", Some(true));
        assert_eq!(r.display_name, "Acme");
        assert_eq!(r.profile_value("workspace_slug"), Some("acme"));
        assert_eq!(r.profile_value("workspace_uuid"), Some("{w}"));
        assert_eq!(
            r.child_resource_types,
            vec!["user", "user_group", "project"]
        );
        let e = entitlements(&r);
        assert_eq!(e[0].slug, "member");
        assert_eq!(e[0].description, "Member of the Acme workspace.");
        assert_eq!(e[1].slug, "owner");
        assert_eq!(e[1].purpose, EntitlementPurpose::Ownership);
        assert!(
            matches!(provisioning_unsupported("member"), ConnectorError::InvalidArgument(m) if m.contains("only invitations"))
        );
    }
}
