//! `repository`: a workspace's repositories (one listing per workspace, grouped by project),
//! with the explicit permission levels `read`, `write`, `admin`.

use connector_sdk::{
    ConnectorError, Entitlement, EntitlementPurpose, Grant, GrantOutcome, GroupTrait, Page,
    PageToken, Provisions, ResourceId, ResourceInfo, ResourceSyncer, ResourceTrait, ResourceType,
    RevokeOutcome, listed_under, profile,
};

use crate::api::{REPO_PERMS, Repository, nonblank};
use crate::cache::Ws;
use crate::grants::grant;
use crate::ids::{
    ProjectId, compose_repository, decompose_project, decompose_repository, same_project,
};
use crate::instance::Bitbucket;
use crate::resources::permissions::{self, PermTarget, REPO_LEVELS, level_description, rank};
use crate::resources::user_group;
use crate::type_ids::{PROJECT, REPOSITORY, USER, USER_GROUP};

/// The syncer of `repository`.
pub struct RepositorySyncer;

impl ResourceSyncer<Bitbucket> for RepositorySyncer {
    fn resource_type(&self) -> ResourceType {
        ResourceType::new(
            REPOSITORY,
            "Repository",
            "A Git repository of a Bitbucket project.",
            &[ResourceTrait::Group],
        )
    }

    fn provisions(&self) -> Option<Provisions> {
        Some(Provisions {
            slugs: REPO_LEVELS,
            principal_types: &[USER, USER_GROUP],
        })
    }

    /// The repositories of one project, from the workspace's single repository listing.
    fn list(
        &self,
        c: &mut Bitbucket,
        parent: Option<&ResourceId>,
        _page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        let Some(parent) = listed_under(REPOSITORY, parent, PROJECT)? else {
            return Ok(Page::last(vec![]));
        };
        let pid = decompose_project(&parent.id)?;
        let ws = c.workspace(&pid.workspace)?;
        let repos = c.repositories(&ws)?;
        let items = repos
            .iter()
            .filter(|r| in_project(r, &pid))
            .map(|r| resource(&ws, &pid, r))
            .collect();
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

    /// Phases: `users|<url>` then `groups|<url>`; groups come from the workspace's one
    /// `/1.0/group-privileges` listing, or, if that failed, from the repository's own listing.
    fn grants(
        &self,
        c: &mut Bitbucket,
        target: &ResourceInfo,
        page_token: &str,
    ) -> Result<Page<Grant>, ConnectorError> {
        let id = decompose_repository(&target.id.id)?;
        let ws = c.workspace(&id.project.workspace)?;
        if !c.reads_permissions() {
            return Ok(Page::last(vec![]));
        }
        let administered = c.access(&ws)?.reads_repository(&id.repository);
        let full = target
            .profile_value("repository_full_name")
            .unwrap_or(&target.display_name)
            .to_string();
        let t = perm_target(ws.clone(), &id.repository, target.id.clone(), label(&full));
        let (phase, url) = match PageToken::parse(page_token, &["users", "groups"], &c.client)? {
            Some(t) => (t.phase, t.url),
            None if administered => ("users".to_string(), String::new()),
            None => ("groups".to_string(), String::new()),
        };
        if phase == "users" {
            let (items, next) = permissions::user_grants_page(c, &t, &url)?.unwrap_or_default();
            let next_token = match next {
                Some(n) => PageToken::make("users", Some(n)),
                None => PageToken::make("groups", None),
            };
            return Ok(Page { items, next_token });
        }
        // Group grants: from the workspace's one group privileges listing, readable by whoever
        // may read the 1.0 group API; else, for a repository the credential administers, its own
        // listing.
        if url.is_empty()
            && let Some(privs) = c.group_privileges(&ws)?
        {
            let mut items = Vec::new();
            for (g, level) in privs.get(&full.to_ascii_lowercase()).into_iter().flatten() {
                if rank(REPO_LEVELS, level).is_some() {
                    let p = user_group::principal(c, &ws, &g.slug, g.name.as_deref())?;
                    items.push(grant(&target.id, level, p));
                }
            }
            return Ok(Page::last(items));
        }
        if !administered {
            return Ok(Page::last(vec![]));
        }
        let (items, next) = permissions::group_grants_page(c, &t, &url)?.unwrap_or_default();
        Ok(Page {
            items,
            next_token: next
                .map(|n| PageToken::make("groups", Some(n)))
                .unwrap_or_default(),
        })
    }

    fn grant(
        &self,
        c: &mut Bitbucket,
        principal: &ResourceInfo,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        let t = provisioning_target(&entitlement.resource_ref)?;
        permissions::set_level(c, &t, principal, &entitlement.slug)
    }

    fn revoke(&self, c: &mut Bitbucket, grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        let t = provisioning_target(&grant.entitlement.resource_ref)?;
        permissions::remove_level(c, &t, &grant.principal, &grant.entitlement.slug)
    }
}

/// Whether a repository belongs to the project.
pub fn in_project(r: &Repository, id: &ProjectId) -> bool {
    r.project
        .as_ref()
        .is_some_and(|p| same_project(id, p.uuid.as_deref(), p.key.as_deref()))
}

/// A repository resource, under its project.
pub fn resource(ws: &Ws, pid: &ProjectId, r: &Repository) -> ResourceInfo {
    let name = nonblank(&r.name).unwrap_or(&r.full_name).to_string();
    let slug = nonblank(&r.slug)
        .map(str::to_string)
        .unwrap_or_else(|| r.full_name.rsplit('/').next().unwrap_or("").to_string());
    let mut entries = vec![
        ("repository_id", r.uuid.as_str()),
        ("repository_name", name.as_str()),
        ("repository_full_name", r.full_name.as_str()),
        ("repository_slug", slug.as_str()),
        ("project_key", pid.key.as_str()),
        ("workspace_uuid", ws.uuid.as_str()),
        ("workspace_slug", ws.slug.as_str()),
    ];
    if let Some(d) = nonblank(&r.description) {
        entries.push(("repository_description", d));
    }
    let private = r.is_private.map(|b| b.to_string());
    if let Some(b) = private.as_deref() {
        entries.push(("is_private", b));
    }
    let prof = profile(&entries);
    let project_id = pid.compose();
    ResourceInfo {
        id: ResourceId::new(REPOSITORY, compose_repository(&project_id, &r.uuid)),
        parent: Some(ResourceId::new(PROJECT, project_id)),
        display_name: r.full_name.clone(),
        description: format!("The repository {} in the project {}.", r.full_name, pid.key),
        user: None,
        group: Some(GroupTrait {
            profile: prof.clone(),
        }),
        child_resource_types: vec![],
        profile: prof,
    }
}

fn label(full_name: &str) -> String {
    format!("the repository {full_name}")
}

/// The permission levels.
pub fn entitlements(target: &ResourceInfo) -> Vec<Entitlement> {
    let full = target
        .profile_value("repository_full_name")
        .unwrap_or(&target.display_name)
        .to_string();
    REPO_LEVELS
        .iter()
        .map(|level| Entitlement {
            resource_ref: target.id.clone(),
            slug: level.to_string(),
            display_name: format!("{full} {level}"),
            description: level_description(level, &label(&full)),
            purpose: EntitlementPurpose::Permission,
            grantable_to: vec![USER.to_string(), USER_GROUP.to_string()],
        })
        .collect()
}

fn perm_target(ws: Ws, repo_uuid: &str, resource: ResourceId, label: String) -> PermTarget {
    PermTarget {
        ep: REPO_PERMS,
        base: vec![
            "2.0".into(),
            "repositories".into(),
            ws.path().to_string(),
            repo_uuid.to_string(),
            "permissions-config".into(),
        ],
        levels: REPO_LEVELS,
        resource,
        label,
        ws,
    }
}

fn provisioning_target(target: &ResourceId) -> Result<PermTarget, ConnectorError> {
    let id = decompose_repository(&target.id)?;
    let ws = Ws {
        uuid: id.project.workspace.clone(),
        slug: String::new(),
        admin: true,
    };
    let label = format!(
        "the repository {} (project {})",
        id.repository, id.project.key
    );
    Ok(perm_target(ws, &id.repository, target.clone(), label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_resource() {
        let ws = Ws {
            uuid: "{w}".into(),
            slug: "acme".into(),
            admin: true,
        };
        let pid = decompose_project("{w}:{p}:API").unwrap();
        let r: Repository = serde_json::from_str(
            r#"{"uuid":"{r}","full_name":"acme/api","slug":"api","name":"api","project":{"uuid":"{P}","key":"API"}}"#,
        )
        .unwrap();
        assert!(in_project(&r, &pid));
        let res = resource(&ws, &pid, &r);
        assert_eq!(res.id.id, "{w}:{p}:API:{r}");
        assert_eq!(res.parent, Some(ResourceId::new("project", "{w}:{p}:API")));
        assert_eq!(res.display_name, "acme/api");
        for k in ["repository_id", "repository_name", "repository_full_name"] {
            assert!(res.profile_value(k).is_some());
        }
        let e = entitlements(&res);
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].description, "Write access to the repository acme/api.");
        let t = provisioning_target(&res.id).unwrap();
        assert_eq!(
            t.base,
            vec!["2.0", "repositories", "{w}", "{r}", "permissions-config"]
        );
    }
}
