//! `project`: a workspace's projects, with `repository` (held by its repositories) and the
//! explicit permission levels `read`, `write`, `create-repo`, `admin`.

use connector_sdk::{
    ConnectorError, Entitlement, EntitlementPurpose, Grant, GrantOutcome, GroupTrait, Page,
    PageToken, Provisions, ResourceId, ResourceInfo, ResourceSyncer, ResourceTrait, ResourceType,
    RevokeOutcome, listed_under, listing_page, profile,
};

use crate::api::{EP_PROJECTS, F_PROJECTS, PAGELEN, PROJECT_PERMS, Project, nonblank};
use crate::cache::Ws;
use crate::grants::grant;
use crate::ids::{ProjectId, compose_project, decompose_project};
use crate::instance::Bitbucket;
use crate::resources::permissions::{self, PROJECT_LEVELS, PermTarget, level_description};
use crate::resources::repository;
use crate::type_ids::{PROJECT, REPOSITORY as REPOSITORY_TYPE, USER, USER_GROUP, WORKSPACE};

/// A repository's belonging to the project (held by the repository).
pub const REPOSITORY: &str = "repository";

/// The syncer of `project`.
pub struct ProjectSyncer;

impl ResourceSyncer<Bitbucket> for ProjectSyncer {
    fn resource_type(&self) -> ResourceType {
        ResourceType::new(
            PROJECT,
            "Project",
            "A project of a Bitbucket workspace: it groups repositories and grants permissions \
on all of them.",
            &[ResourceTrait::Group],
        )
    }

    fn provisions(&self) -> Option<Provisions> {
        Some(Provisions {
            slugs: PROJECT_LEVELS,
            principal_types: &[USER, USER_GROUP],
        })
    }

    /// One page of `/2.0/workspaces/{ws}/projects`. Token: `projects|<next url>`.
    fn list(
        &self,
        c: &mut Bitbucket,
        parent: Option<&ResourceId>,
        page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        let Some(parent) = listed_under(PROJECT, parent, WORKSPACE)? else {
            return Ok(Page::last(vec![]));
        };
        let ws = c.workspace(&parent.id)?;
        let first_url = || {
            c.client.url(
                &["2.0", "workspaces", ws.path(), "projects"],
                &[("pagelen", PAGELEN), ("fields", F_PROJECTS)],
            )
        };
        let page =
            listing_page::<Project>(&c.client, "projects", page_token, first_url, EP_PROJECTS)?;
        let ws_name = c.workspace_name(&ws)?;
        Ok(page.map(|p| resource(&ws, &ws_name, &p)))
    }

    fn entitlements(
        &self,
        _c: &mut Bitbucket,
        target: &ResourceInfo,
        _page_token: &str,
    ) -> Result<Page<Entitlement>, ConnectorError> {
        Ok(Page::last(entitlements(target)))
    }

    /// Phases: `users|<url>`, `groups|<url>` (permissions-config, where readable), then
    /// `repositories|` (from the workspace's repository listing).
    fn grants(
        &self,
        c: &mut Bitbucket,
        target: &ResourceInfo,
        page_token: &str,
    ) -> Result<Page<Grant>, ConnectorError> {
        let (id, t) = sync_target(c, target)?;
        let readable = c.reads_permissions() && c.access(&t.ws)?.reads_project(&id);
        let tok = PageToken::parse(page_token, &["users", "groups", "repositories"], &c.client)?;
        let (phase, url) = match tok {
            Some(t) => (t.phase, t.url),
            None if readable => ("users".to_string(), String::new()),
            None => ("repositories".to_string(), String::new()),
        };
        match phase.as_str() {
            "users" => {
                // A refused user listing says nothing of the group listing: that is asked too.
                let (items, next) = permissions::user_grants_page(c, &t, &url)?.unwrap_or_default();
                let next_token = match next {
                    Some(n) => PageToken::make("users", Some(n)),
                    None => PageToken::make("groups", None),
                };
                Ok(Page { items, next_token })
            }
            "groups" => {
                let (items, next) =
                    permissions::group_grants_page(c, &t, &url)?.unwrap_or_default();
                let next_token = match next {
                    Some(n) => PageToken::make("groups", Some(n)),
                    None => PageToken::make("repositories", None),
                };
                Ok(Page { items, next_token })
            }
            _ => {
                let repos = c.repositories(&t.ws)?;
                let items = repos
                    .iter()
                    .filter(|r| repository::in_project(r, &id))
                    .map(|r| grant(&target.id, REPOSITORY, repository::resource(&t.ws, &id, r)))
                    .collect();
                Ok(Page::last(items))
            }
        }
    }

    fn grant(
        &self,
        c: &mut Bitbucket,
        principal: &ResourceInfo,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        let slug = entitlement.slug.as_str();
        let t = provisioning_target(&entitlement.resource_ref, slug)?;
        permissions::set_level(c, &t, principal, slug)
    }

    fn revoke(&self, c: &mut Bitbucket, grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        let slug = grant.entitlement.slug.as_str();
        let t = provisioning_target(&grant.entitlement.resource_ref, slug)?;
        permissions::remove_level(c, &t, &grant.principal, slug)
    }
}

/// A project resource.
pub fn resource(ws: &Ws, ws_name: &str, p: &Project) -> ResourceInfo {
    let name = nonblank(&p.name).unwrap_or(&p.key).to_string();
    let mut entries = vec![
        ("project_id", p.uuid.as_str()),
        ("project_name", name.as_str()),
        ("project_key", p.key.as_str()),
        ("workspace_uuid", ws.uuid.as_str()),
        ("workspace_slug", ws.slug.as_str()),
    ];
    if let Some(d) = nonblank(&p.description) {
        entries.push(("project_description", d));
    }
    let private = p.is_private.map(|b| b.to_string());
    if let Some(b) = private.as_deref() {
        entries.push(("is_private", b));
    }
    let prof = profile(&entries);
    ResourceInfo {
        id: ResourceId::new(PROJECT, compose_project(&ws.uuid, &p.uuid, &p.key)),
        parent: Some(ResourceId::new(WORKSPACE, ws.uuid.clone())),
        display_name: name.clone(),
        description: format!("The project {name} ({}) of the {ws_name} workspace.", p.key),
        user: None,
        group: Some(GroupTrait {
            profile: prof.clone(),
        }),
        child_resource_types: vec![REPOSITORY_TYPE.to_string()],
        profile: prof,
    }
}

fn label(target: &ResourceInfo) -> String {
    let key = target.profile_value("project_key").unwrap_or("");
    if key.is_empty() || key == target.display_name {
        format!("the project {}", target.display_name)
    } else {
        format!("the project {} ({key})", target.display_name)
    }
}

/// `repository` and the permission levels.
pub fn entitlements(target: &ResourceInfo) -> Vec<Entitlement> {
    let name = &target.display_name;
    let what = label(target);
    let mut out = vec![Entitlement {
        resource_ref: target.id.clone(),
        slug: REPOSITORY.to_string(),
        display_name: format!("{name} repository"),
        description: format!("A repository that belongs to {what}."),
        purpose: EntitlementPurpose::Assignment,
        grantable_to: vec![REPOSITORY_TYPE.to_string()],
    }];
    for level in PROJECT_LEVELS {
        out.push(Entitlement {
            resource_ref: target.id.clone(),
            slug: level.to_string(),
            display_name: format!("{name} {level}"),
            description: level_description(level, &what),
            purpose: EntitlementPurpose::Permission,
            grantable_to: vec![USER.to_string(), USER_GROUP.to_string()],
        });
    }
    out
}

fn sync_target(
    c: &mut Bitbucket,
    target: &ResourceInfo,
) -> Result<(ProjectId, PermTarget), ConnectorError> {
    let id = decompose_project(&target.id.id)?;
    let ws = c.workspace(&id.workspace)?;
    let t = perm_target(ws, &id, target.id.clone(), label(target));
    Ok((id, t))
}

fn perm_target(ws: Ws, id: &ProjectId, resource: ResourceId, label: String) -> PermTarget {
    PermTarget {
        ep: PROJECT_PERMS,
        base: vec![
            "2.0".into(),
            "workspaces".into(),
            ws.path().to_string(),
            "projects".into(),
            id.key.clone(),
            "permissions-config".into(),
        ],
        levels: PROJECT_LEVELS,
        resource,
        label,
        ws,
    }
}

fn provisioning_target(target: &ResourceId, slug: &str) -> Result<PermTarget, ConnectorError> {
    if slug == REPOSITORY {
        return Err(ConnectorError::InvalidArgument(
            "a repository belongs to a project by being created in it or moved to it in \
Bitbucket; the project 'repository' entitlement cannot be granted or revoked"
                .to_string(),
        ));
    }
    let id = decompose_project(&target.id)?;
    let ws = Ws {
        uuid: id.workspace.clone(),
        slug: String::new(),
        admin: true,
    };
    let label = format!("the project {}", id.key);
    Ok(perm_target(ws, &id, target.clone(), label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_resource_and_entitlements() {
        let ws = Ws {
            uuid: "{w}".into(),
            slug: "acme".into(),
            admin: true,
        };
        let p: Project =
            serde_json::from_str(r#"{"uuid":"{p}","key":"API","name":"Api Platform"}"#).unwrap();
        let r = resource(&ws, "Acme", &p);
        assert_eq!(r.id.id, "{w}:{p}:API");
        assert_eq!(r.profile_value("project_id"), Some("{p}"));
        assert_eq!(r.profile_value("project_name"), Some("Api Platform"));
        assert_eq!(r.profile_value("project_key"), Some("API"));
        assert_eq!(r.child_resource_types, vec!["repository"]);
        let e = entitlements(&r);
        let slugs: Vec<&str> = e.iter().map(|e| e.slug.as_str()).collect();
        assert_eq!(
            slugs,
            vec!["repository", "read", "write", "create-repo", "admin"]
        );
        assert_eq!(
            e[2].description,
            "Write access to the project Api Platform (API)."
        );
        assert_eq!(e[0].grantable_to, vec!["repository"]);
        assert!(provisioning_target(&r.id, "repository").is_err());
        let t = provisioning_target(&r.id, "write").unwrap();
        assert_eq!(t.base[2], "{w}");
        assert_eq!(t.base[4], "API");
    }
}
