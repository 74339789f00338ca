//! `project`: the tracker's projects (filtered by `projects`), with `member` and `admin` granted
//! from their embedded members, and provisioned by setting or removing a member's role.

use connector_sdk::{
    ConnectorError, Entitlement, EntitlementPurpose, Grant, GrantOutcome, GroupTrait, Page,
    ProvisionChange, Provisions, ResourceId, ResourceInfo, ResourceSyncer, ResourceTrait,
    ResourceType, RevokeOutcome, listing_page, profile,
};

use crate::Tickets;
use crate::api::{
    EP_MEMBER_DELETE, EP_MEMBER_PUT, EP_PROJECT, EP_PROJECTS, PER_PAGE, Project, User,
};
use crate::users::{self, USER};

/// The type id.
pub const PROJECT: &str = "project";
/// The roles, lowest first; each is an entitlement.
const ROLES: &[&str] = &["member", "admin"];

/// The syncer of `project`.
pub struct ProjectSyncer;

impl ResourceSyncer<Tickets> for ProjectSyncer {
    fn resource_type(&self) -> ResourceType {
        ResourceType::new(
            PROJECT,
            "Project",
            "A project of the ticket tracker.",
            &[ResourceTrait::Group],
        )
    }

    fn provisions(&self) -> Option<Provisions> {
        Some(Provisions {
            slugs: ROLES,
            principal_types: &[USER],
        })
    }

    /// One page of `/projects`, less those `projects` leaves out. Token: `projects|<next url>`.
    fn list(
        &self,
        c: &mut Tickets,
        parent: Option<&ResourceId>,
        page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        if parent.is_some() {
            return Ok(Page::last(vec![]));
        }
        let first_url = || c.client.url(&["projects"], &[("per_page", PER_PAGE)]);
        let mut page =
            listing_page::<Project>(&c.client, "projects", page_token, first_url, EP_PROJECTS)?;
        page.items
            .retain(|p| c.projects.is_empty() || c.projects.contains(&p.key.to_ascii_uppercase()));
        Ok(page.map(|p| resource(&p)))
    }

    fn entitlements(
        &self,
        _c: &mut Tickets,
        target: &ResourceInfo,
        _page_token: &str,
    ) -> Result<Page<Entitlement>, ConnectorError> {
        let name = &target.display_name;
        let items = ROLES
            .iter()
            .map(|role| Entitlement {
                resource_ref: target.id.clone(),
                slug: role.to_string(),
                display_name: format!("{name} {role}"),
                description: format!("The {role} role in the project {name}."),
                purpose: if *role == "admin" {
                    EntitlementPurpose::Ownership
                } else {
                    EntitlementPurpose::Assignment
                },
                grantable_to: vec![USER.to_string()],
            })
            .collect();
        Ok(Page::last(items))
    }

    /// The project's members, each holding its role (read again: the listing page is gone).
    fn grants(
        &self,
        c: &mut Tickets,
        target: &ResourceInfo,
        _page_token: &str,
    ) -> Result<Page<Grant>, ConnectorError> {
        let project = fetch(c, &target.id.id)?;
        let items = project
            .members
            .iter()
            .filter(|m| ROLES.contains(&m.role.as_str()))
            .map(|m| Grant::new(&target.id, &m.role, member(&m.user)))
            .collect();
        Ok(Page::last(items))
    }

    fn grant(
        &self,
        c: &mut Tickets,
        principal: &ResourceInfo,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        let (key, user, role) = target(principal, &entitlement.resource_ref, &entitlement.slug)?;
        let grants = vec![Grant::new(&entitlement.resource_ref, role, member(user))];
        if current_role(c, key, user)?.as_deref() == Some(role) {
            return Ok(GrantOutcome {
                change: ProvisionChange::AlreadySatisfied,
                grants,
                message: format!("{user} is already {role} of the project {key}"),
            });
        }
        let url = c.client.url(&["projects", key, "members", user], &[]);
        c.client
            .put_json(&url, EP_MEMBER_PUT, &serde_json::json!({ "role": role }))?;
        Ok(GrantOutcome {
            change: ProvisionChange::Applied,
            grants,
            message: format!("made {user} {role} of the project {key}"),
        })
    }

    fn revoke(&self, c: &mut Tickets, grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        let e = &grant.entitlement;
        let (key, user, role) = target(&grant.principal, &e.resource_ref, &e.slug)?;
        if current_role(c, key, user)?.as_deref() != Some(role) {
            return Ok(RevokeOutcome {
                change: ProvisionChange::AlreadySatisfied,
                message: format!("{user} is not {role} of the project {key}; nothing to revoke"),
            });
        }
        let url = c.client.url(&["projects", key, "members", user], &[]);
        match c.client.delete(&url, EP_MEMBER_DELETE) {
            Ok(()) => Ok(RevokeOutcome {
                change: ProvisionChange::Applied,
                message: format!("removed {user} from the project {key}"),
            }),
            Err(ConnectorError::NotFound(_)) => Ok(RevokeOutcome {
                change: ProvisionChange::AlreadySatisfied,
                message: format!("{user} is no longer a member of the project {key}"),
            }),
            Err(e) => Err(e),
        }
    }
}

/// A project resource.
fn resource(p: &Project) -> ResourceInfo {
    let name = p.name.clone().unwrap_or_else(|| p.key.clone());
    let prof = profile(&[("project_key", &p.key), ("project_name", &name)]);
    ResourceInfo {
        id: ResourceId::new(PROJECT, p.key.clone()),
        parent: None,
        display_name: name.clone(),
        description: format!("The project {name} ({}).", p.key),
        user: None,
        group: Some(GroupTrait {
            profile: prof.clone(),
        }),
        child_resource_types: vec![],
        profile: prof,
    }
}

/// A member as a grant principal, known by id.
fn member(user: &str) -> ResourceInfo {
    users::resource(&User {
        id: user.to_string(),
        name: None,
        email: None,
        active: None,
    })
}

/// `GET /projects/{key}`.
fn fetch(c: &Tickets, key: &str) -> Result<Project, ConnectorError> {
    let url = c.client.url(&["projects", key], &[]);
    c.client.get(&url, EP_PROJECT)
}

fn current_role(c: &Tickets, key: &str, user: &str) -> Result<Option<String>, ConnectorError> {
    Ok(fetch(c, key)?
        .members
        .into_iter()
        .find(|m| m.user == user)
        .map(|m| m.role))
}

/// The project key, user id and role of a provisioning call, or why it cannot be one.
fn target<'a>(
    principal: &'a ResourceInfo,
    project: &'a ResourceId,
    role: &'a str,
) -> Result<(&'a str, &'a str, &'a str), ConnectorError> {
    if !ROLES.contains(&role) {
        return Err(ConnectorError::InvalidArgument(format!(
            "'{role}' is not a project role: use member or admin"
        )));
    }
    if principal.id.resource_type != USER {
        return Err(ConnectorError::InvalidArgument(format!(
            "project roles are given to users, not to a {}",
            principal.id.resource_type
        )));
    }
    Ok((&project.id, &principal.id.id, role))
}
