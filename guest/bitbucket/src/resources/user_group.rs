//! `user_group`: the workspace's groups (1.0 API; whoever Bitbucket lets read it), with `member`
//! granted to each member, and provisioning of membership.

use connector_sdk::{
    ConnectorError, Entitlement, EntitlementPurpose, Grant, GrantOutcome, GroupTrait, Page,
    ProvisionChange, Provisions, ResourceId, ResourceInfo, ResourceSyncer, ResourceTrait,
    ResourceType, RevokeOutcome, listed_under, profile,
};

use crate::api::{
    self, Account, EP_GROUP_MEMBER_DELETE, EP_GROUP_MEMBER_PUT, EP_GROUP_MEMBERS, Group10,
    Member10, nonblank,
};
use crate::cache::Ws;
use crate::errors::PROVISIONING_CREDENTIAL;
use crate::grants::grant;
use crate::ids::{compose_group, decompose_group, same_uuid};
use crate::instance::Bitbucket;
use crate::resources::user;
use crate::type_ids::{GROUP_MEMBER as MEMBER, USER, USER_GROUP, WORKSPACE};

/// The syncer of `user_group`.
pub struct UserGroupSyncer;

impl ResourceSyncer<Bitbucket> for UserGroupSyncer {
    fn resource_type(&self) -> ResourceType {
        ResourceType::new(
            USER_GROUP,
            "User group",
            "A user group of a Bitbucket workspace; groups receive project and repository \
permissions on behalf of their members.",
            &[ResourceTrait::Group],
        )
    }

    fn provisions(&self) -> Option<Provisions> {
        Some(Provisions {
            slugs: &[MEMBER],
            principal_types: &[USER],
        })
    }

    /// The groups of a workspace (one page); none for credentials that may not read them.
    fn list(
        &self,
        c: &mut Bitbucket,
        parent: Option<&ResourceId>,
        _page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        let Some(parent) = listed_under(USER_GROUP, parent, WORKSPACE)? else {
            return Ok(Page::last(vec![]));
        };
        let ws = c.workspace(&parent.id)?;
        if !c.reads_permissions() {
            return Ok(Page::last(vec![]));
        }
        let groups = c.groups(&ws)?;
        let ws_name = c.workspace_name(&ws)?;
        let items = groups
            .iter()
            .map(|g| resource(&ws, &ws_name, &g.slug, None, Some(g)))
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

    /// `member` for each member embedded in the workspace's group listing.
    fn grants(
        &self,
        c: &mut Bitbucket,
        target: &ResourceInfo,
        _page_token: &str,
    ) -> Result<Page<Grant>, ConnectorError> {
        let id = decompose_group(&target.id.id)?;
        let ws = c.workspace(&id.workspace)?;
        if !c.reads_permissions() {
            return Ok(Page::last(vec![]));
        }
        let groups = c.groups(&ws)?;
        let parent = ResourceId::new(WORKSPACE, ws.uuid.clone());
        let mut items = Vec::new();
        if let Some(g) = groups.iter().find(|g| g.slug == id.slug) {
            for m in g.members.iter().flatten() {
                if let Some(a) = member_account(m) {
                    let status = c.status_of(&a.uuid);
                    let p = user::resource(&a, status.as_deref(), Some(parent.clone()));
                    items.push(grant(&target.id, MEMBER, p));
                }
            }
        }
        Ok(Page::last(items))
    }

    fn grant(
        &self,
        c: &mut Bitbucket,
        principal: &ResourceInfo,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        add_member(c, principal, &entitlement.resource_ref, &entitlement.slug)
    }

    fn revoke(&self, c: &mut Bitbucket, grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        let target = &grant.entitlement.resource_ref;
        remove_member(c, &grant.principal, target, &grant.entitlement.slug)
    }
}

/// A group resource from what is known of it.
pub fn resource(
    ws: &Ws,
    ws_name: &str,
    slug: &str,
    name: Option<&str>,
    group: Option<&Group10>,
) -> ResourceInfo {
    let name = name
        .filter(|n| !n.trim().is_empty())
        .or(group.and_then(|g| nonblank(&g.name)))
        .unwrap_or(slug)
        .to_string();
    let permission = group
        .and_then(|g| nonblank(&g.permission))
        .unwrap_or("")
        .to_string();
    let mut entries = vec![
        ("userGroup_name", name.as_str()),
        ("userGroup_slug", slug),
        ("userGroup_permission", permission.as_str()),
        ("workspace_uuid", ws.uuid.as_str()),
        ("workspace_slug", ws.slug.as_str()),
        ("workspace_name", ws_name),
    ];
    let auto_add = group.and_then(|g| g.auto_add).map(|a| a.to_string());
    if let Some(a) = auto_add.as_deref() {
        entries.push(("userGroup_auto_add", a));
    }
    let count = group
        .and_then(|g| g.members.as_ref())
        .map(|m| m.len().to_string());
    if let Some(n) = count.as_deref() {
        entries.push(("userGroup_member_count", n));
    }
    let p = profile(&entries);
    ResourceInfo {
        id: ResourceId::new(USER_GROUP, compose_group(&ws.uuid, slug)),
        parent: Some(ResourceId::new(WORKSPACE, ws.uuid.clone())),
        display_name: name.clone(),
        description: format!("The user group {name} of the {ws_name} workspace."),
        user: None,
        group: Some(GroupTrait { profile: p.clone() }),
        child_resource_types: vec![],
        profile: p,
    }
}

/// The group as a grant principal, from what the sync reads anyway (the workspace's details and
/// its group listing, if already read): the same whichever instance lists the grant, since the
/// host shares reads between a sync's instances.
pub fn principal(
    c: &mut Bitbucket,
    ws: &Ws,
    slug: &str,
    name: Option<&str>,
) -> Result<ResourceInfo, ConnectorError> {
    let ws_name = c.workspace_name(ws)?;
    let groups = c.cached_groups(ws);
    let group = groups
        .as_ref()
        .and_then(|g| g.iter().find(|g| g.slug == slug));
    Ok(resource(ws, &ws_name, slug, name, group))
}

/// `member`.
pub fn entitlements(target: &ResourceInfo) -> Vec<Entitlement> {
    let name = &target.display_name;
    let ws = target.profile_value("workspace_name").unwrap_or("its");
    vec![Entitlement {
        resource_ref: target.id.clone(),
        slug: MEMBER.to_string(),
        display_name: format!("{name} member"),
        description: format!("Member of the {name} group in the {ws} workspace."),
        purpose: EntitlementPurpose::Assignment,
        grantable_to: vec![USER.to_string()],
    }]
}

/// A 1.0 member as an account; teams are not users.
fn member_account(m: &Member10) -> Option<Account> {
    if m.is_team == Some(true) {
        return None;
    }
    Some(Account {
        kind: Some("user".to_string()),
        uuid: nonblank(&m.uuid)?.to_string(),
        display_name: m.display_name.clone(),
        nickname: m.nickname.clone(),
        account_id: m.account_id.clone(),
        account_status: None,
        username: None,
    })
}

// ---- provisioning ----

struct Ctx {
    ws_uuid: String,
    ws_slug: String,
    group_slug: String,
    user_uuid: String,
    label: String,
    who: String,
}

fn context(
    c: &mut Bitbucket,
    principal: &ResourceInfo,
    target: &ResourceId,
    slug: &str,
) -> Result<Ctx, ConnectorError> {
    if slug != MEMBER {
        return Err(ConnectorError::InvalidArgument(format!(
            "user groups have only the 'member' entitlement, not '{slug}'"
        )));
    }
    if principal.id.resource_type != USER {
        return Err(ConnectorError::InvalidArgument(format!(
            "only users can be members of a Bitbucket user group, not a {}",
            principal.id.resource_type
        )));
    }
    let g = decompose_group(&target.id)?;
    let hint = principal.profile_value("workspace_slug").filter(|_| {
        principal
            .parent
            .as_ref()
            .is_some_and(|p| same_uuid(&p.id, &g.workspace))
    });
    let ws_slug = c.workspace_slug_for(&g.workspace, hint)?;
    let who = if principal.display_name.is_empty() {
        principal.id.id.clone()
    } else {
        principal.display_name.clone()
    };
    Ok(Ctx {
        label: format!("the group {} of the workspace {ws_slug}", g.slug),
        ws_uuid: g.workspace,
        ws_slug,
        group_slug: g.slug,
        user_uuid: principal.id.id.clone(),
        who,
    })
}

fn is_member(c: &Bitbucket, x: &Ctx) -> Result<bool, ConnectorError> {
    let url = c.client.url(
        &["1.0", "groups", &x.ws_slug, &x.group_slug, "members"],
        &[],
    );
    let members: Vec<Member10> = c.client.get(&url, EP_GROUP_MEMBERS).map_err(|e| match e {
        ConnectorError::NotFound(_) => ConnectorError::NotFound(format!(
            "{} does not exist (or the credential cannot see it)",
            x.label
        )),
        e => denied(e, &x.label),
    })?;
    Ok(members.iter().any(|m| {
        m.uuid
            .as_deref()
            .is_some_and(|u| same_uuid(u, &x.user_uuid))
    }))
}

/// `/1.0/groups/{workspace}/{group_slug}/members/{member}`: the membership PUT and DELETE.
fn member_url(c: &Bitbucket, x: &Ctx) -> String {
    c.client.url(
        &[
            "1.0",
            "groups",
            &x.ws_slug,
            &x.group_slug,
            "members",
            &x.user_uuid,
        ],
        &[],
    )
}

fn denied(e: ConnectorError, label: &str) -> ConnectorError {
    match e {
        ConnectorError::PermissionDenied(d) => ConnectorError::PermissionDenied(format!(
            "Bitbucket refused to change the members of {label} (HTTP 403). Group membership \
needs a workspace admin's credential with account:write, i.e. {PROVISIONING_CREDENTIAL}. ({d})"
        )),
        e => e,
    }
}

fn add_member(
    c: &mut Bitbucket,
    principal: &ResourceInfo,
    target: &ResourceId,
    slug: &str,
) -> Result<GrantOutcome, ConnectorError> {
    let x = context(c, principal, target, slug)?;
    let grant = grant(target, MEMBER, principal.clone());
    if is_member(c, &x)? {
        return Ok(GrantOutcome {
            change: ProvisionChange::AlreadySatisfied,
            grants: vec![grant],
            message: format!("{} is already a member of {}", x.who, x.label),
        });
    }
    let url = member_url(c, &x);
    let put = c
        .client
        .put_json(&url, EP_GROUP_MEMBER_PUT, &serde_json::json!({}));
    if let Err(e) = put {
        let e = denied(e, &x.label);
        if matches!(
            e,
            ConnectorError::NotFound(_) | ConnectorError::InvalidArgument(_)
        ) {
            let check = c.client.url(
                &["2.0", "workspaces", &x.ws_uuid, "members", &x.user_uuid],
                &[],
            );
            if let Err(ConnectorError::NotFound(_)) =
                c.client.get::<serde_json::Value>(&check, api::EP_WS_MEMBER)
            {
                return Err(ConnectorError::InvalidArgument(format!(
                    "{} is not a member of the workspace {}: Bitbucket adds only workspace \
members to groups, and has no API to add workspace members (only invitations)",
                    x.who, x.ws_slug
                )));
            }
        }
        return Err(e);
    }
    Ok(GrantOutcome {
        change: ProvisionChange::Applied,
        grants: vec![grant],
        message: format!("added {} to {}", x.who, x.label),
    })
}

fn remove_member(
    c: &mut Bitbucket,
    principal: &ResourceInfo,
    target: &ResourceId,
    slug: &str,
) -> Result<RevokeOutcome, ConnectorError> {
    let x = context(c, principal, target, slug)?;
    if !is_member(c, &x)? {
        return Ok(RevokeOutcome {
            change: ProvisionChange::AlreadySatisfied,
            message: format!(
                "{} is not a member of {}; nothing to revoke",
                x.who, x.label
            ),
        });
    }
    let url = member_url(c, &x);
    match c.client.delete(&url, EP_GROUP_MEMBER_DELETE) {
        Ok(()) => Ok(RevokeOutcome {
            change: ProvisionChange::Applied,
            message: format!("removed {} from {}", x.who, x.label),
        }),
        Err(ConnectorError::NotFound(_)) => Ok(RevokeOutcome {
            change: ProvisionChange::AlreadySatisfied,
            message: format!("{} is no longer a member of {}", x.who, x.label),
        }),
        Err(e) => Err(denied(e, &x.label)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_resource_keeps_go_profile_keys() {
        let ws = Ws {
            uuid: "{w}".into(),
            slug: "acme".into(),
            admin: true,
        };
        let g: Group10 = serde_json::from_str(
            r#"{"name":"Developers","slug":"developers","permission":"write","auto_add":false,"members":[{"uuid":"{m}"}]}"#,
        )
        .unwrap();
        let r = resource(&ws, "Acme", "developers", None, Some(&g));
        assert_eq!(r.id, ResourceId::new("user_group", "{w}:developers"));
        assert_eq!(r.display_name, "Developers");
        assert_eq!(r.profile_value("userGroup_name"), Some("Developers"));
        assert_eq!(r.profile_value("userGroup_slug"), Some("developers"));
        assert_eq!(r.profile_value("userGroup_permission"), Some("write"));
        assert!(r.group.is_some());
        let e = entitlements(&r);
        assert_eq!(
            e[0].description,
            "Member of the Developers group in the Acme workspace."
        );
    }

    #[test]
    fn group_grants_are_expandable() {
        let ws = Ws {
            uuid: "{w}".into(),
            slug: "acme".into(),
            admin: true,
        };
        let p = resource(&ws, "Acme", "devs", Some("Devs"), None);
        let g = grant(&ResourceId::new("repository", "a:b:C:d"), "write", p);
        let x = g.expandable.unwrap();
        assert_eq!(
            x.entitlements[0].resource_ref,
            ResourceId::new("user_group", "{w}:devs")
        );
        assert_eq!(x.entitlements[0].slug, "member");
    }
}
