//! `project`: a workspace's projects, with `repository` (held by its repositories) and the
//! explicit permission levels `read`, `write`, `create-repo`, `admin`.

use crate::api::{EP_PROJECTS, F_PROJECTS, PAGELEN, PROJECT_PERMS, Project, nonblank};
use crate::client::Transport;
use crate::connector::{Connector, Ws};
use crate::errors::ConnectorError;
use crate::ids::{ProjectId, compose_project, decompose_project};
use crate::model::*;
use crate::resources::permissions::{self, PROJECT_LEVELS, PermTarget};
use crate::resources::{Token, repository, user, user_group, workspace};

pub const TYPE_ID: &str = "project";
pub const REPOSITORY: &str = "repository";

pub fn resource_type() -> ResourceType {
    ResourceType {
        id: TYPE_ID.to_string(),
        display_name: "Project".to_string(),
        description: "A project of a Bitbucket workspace: it groups repositories and grants \
permissions on all of them."
            .to_string(),
        traits: vec![ResourceTrait::Group],
    }
}

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
        id: ResourceId::new(TYPE_ID, compose_project(&ws.uuid, &p.uuid, &p.key)),
        parent: Some(ResourceId::new(workspace::TYPE_ID, ws.uuid.clone())),
        display_name: name.clone(),
        description: format!("The project {name} ({}) of the {ws_name} workspace.", p.key),
        user: None,
        group: Some(GroupTrait {
            profile: prof.clone(),
        }),
        child_resource_types: vec![repository::TYPE_ID.to_string()],
        profile: prof,
    }
}

/// One page of `/2.0/workspaces/{ws}/projects`. Token: `projects|<next url>`.
pub fn list<T: Transport>(
    c: &mut Connector<T>,
    ws_uuid: &str,
    token: &str,
) -> Result<Page<ResourceInfo>, ConnectorError> {
    let ws = c.workspace(ws_uuid)?;
    let url = match Token::parse(token, &["projects"], &c.client)? {
        Some(t) if !t.url.is_empty() => t.url,
        _ => c.client.url(
            &["2.0", "workspaces", ws.path(), "projects"],
            &[("pagelen", PAGELEN), ("fields", F_PROJECTS)],
        ),
    };
    let (values, next) = c.client.get_page::<Project>(&url, EP_PROJECTS)?;
    let ws_name = c.workspace_name(&ws)?;
    let items = values.iter().map(|p| resource(&ws, &ws_name, p)).collect();
    Ok(Page {
        items,
        next_token: next
            .map(|n| Token::make("projects", Some(n)))
            .unwrap_or_default(),
    })
}

fn label(target: &ResourceInfo) -> String {
    let key = target.profile_value("project_key").unwrap_or("");
    if key.is_empty() || key == target.display_name {
        format!("the project {}", target.display_name)
    } else {
        format!("the project {} ({key})", target.display_name)
    }
}

pub fn level_description(level: &str, what: &str) -> String {
    match level {
        "read" => format!("Read access to {what}."),
        "write" => format!("Write access to {what}."),
        "create-repo" => {
            format!("Write access to {what}, and permission to create repositories in it.")
        }
        "admin" => format!("Admin access to {what}."),
        other => format!("{other} access to {what}."),
    }
}

pub fn entitlements(target: &ResourceInfo) -> Vec<Entitlement> {
    let name = &target.display_name;
    let what = label(target);
    let mut out = vec![Entitlement {
        resource_ref: target.id.clone(),
        slug: REPOSITORY.to_string(),
        display_name: format!("{name} repository"),
        description: format!("A repository that belongs to {what}."),
        purpose: EntitlementPurpose::Assignment,
        grantable_to: vec![repository::TYPE_ID.to_string()],
    }];
    for level in PROJECT_LEVELS {
        out.push(Entitlement {
            resource_ref: target.id.clone(),
            slug: level.to_string(),
            display_name: format!("{name} {level}"),
            description: level_description(level, &what),
            purpose: EntitlementPurpose::Permission,
            grantable_to: vec![user::TYPE_ID.to_string(), user_group::TYPE_ID.to_string()],
        });
    }
    out
}

fn sync_target<T: Transport>(
    c: &mut Connector<T>,
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

/// Phases: `users|<url>`, `groups|<url>` (permissions-config, where readable), then
/// `repositories|` (from the workspace's repository listing).
pub fn grants<T: Transport>(
    c: &mut Connector<T>,
    target: &ResourceInfo,
    token: &str,
) -> Result<Page<Grant>, ConnectorError> {
    let (id, t) = sync_target(c, target)?;
    let readable = c.reads_permissions() && c.access(&t.ws)?.reads_project(&id);
    let tok = Token::parse(token, &["users", "groups", "repositories"], &c.client)?;
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
                Some(n) => Token::make("users", Some(n)),
                None => Token::make("groups", None),
            };
            Ok(Page { items, next_token })
        }
        "groups" => {
            let (items, next) = permissions::group_grants_page(c, &t, &url)?.unwrap_or_default();
            let next_token = match next {
                Some(n) => Token::make("groups", Some(n)),
                None => Token::make("repositories", None),
            };
            Ok(Page { items, next_token })
        }
        _ => {
            let repos = c.repositories(&t.ws)?;
            let items = repos
                .iter()
                .filter(|r| repository::in_project(r, &id))
                .map(|r| Grant::new(&target.id, REPOSITORY, repository::resource(&t.ws, &id, r)))
                .collect();
            Ok(Page::last(items))
        }
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

pub fn grant<T: Transport>(
    c: &mut Connector<T>,
    principal: &ResourceInfo,
    target: &ResourceId,
    slug: &str,
) -> Result<GrantOutcome, ConnectorError> {
    let t = provisioning_target(target, slug)?;
    permissions::grant(c, &t, principal, slug)
}

pub fn revoke<T: Transport>(
    c: &mut Connector<T>,
    principal: &ResourceInfo,
    target: &ResourceId,
    slug: &str,
) -> Result<RevokeOutcome, ConnectorError> {
    let t = provisioning_target(target, slug)?;
    permissions::revoke(c, &t, principal, slug)
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
