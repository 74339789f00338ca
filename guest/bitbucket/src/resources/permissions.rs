//! Explicit project and repository permissions: level ordering, grant listing pages, and
//! idempotent provisioning through `permissions-config`.

use serde::Deserialize;

use connector_sdk::{
    ConnectorError, Grant, GrantOutcome, ProvisionChange, ResourceId, ResourceInfo, RevokeOutcome,
};

use crate::api::{
    self, F_PERM_GROUPS, F_PERM_USERS, GroupPermission, PAGELEN, PermEndpoints, UserPermission,
};
use crate::cache::Ws;
use crate::errors::PROVISIONING_CREDENTIAL;
use crate::grants::grant;
use crate::ids::{decompose_group, same_uuid};
use crate::instance::Bitbucket;
use crate::resources::{user, user_group};
use crate::settings::AuthKind;
use crate::type_ids::{USER, USER_GROUP, WORKSPACE};

/// Project permission levels, lowest first.
pub const PROJECT_LEVELS: &[&str] = &["read", "write", "create-repo", "admin"];
/// Repository permission levels, lowest first.
pub const REPO_LEVELS: &[&str] = &["read", "write", "admin"];

/// A level's place in `levels`; `None` for a level not there.
pub fn rank(levels: &[&str], level: &str) -> Option<usize> {
    levels.iter().position(|l| *l == level)
}

/// The description of a permission level's entitlement on `what` (`the project X`).
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

/// What granting a level means, given the explicit level held now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantPlan {
    /// Holds exactly this level.
    Held,
    /// Holds a higher level, which includes the one asked for.
    Included { current: String },
    /// Needs a PUT; `from` is the lower (or unknown) level held before, if any.
    Change { from: Option<String> },
}

/// What granting `want` takes, given the explicit level held now.
pub fn plan_grant(
    levels: &[&str],
    current: Option<&str>,
    want: &str,
) -> Result<GrantPlan, ConnectorError> {
    let want_rank = rank(levels, want).ok_or_else(|| {
        ConnectorError::InvalidArgument(format!(
            "'{want}' is not a permission level here: use one of {}",
            levels.join(", ")
        ))
    })?;
    let current = current.filter(|c| !c.is_empty() && *c != "none");
    Ok(match current {
        None => GrantPlan::Change { from: None },
        Some(c) if c == want => GrantPlan::Held,
        Some(c) => match rank(levels, c) {
            Some(r) if r > want_rank => GrantPlan::Included {
                current: c.to_string(),
            },
            _ => GrantPlan::Change {
                from: Some(c.to_string()),
            },
        },
    })
}

/// Revoke deletes only when the explicit level is exactly the one revoked.
pub fn should_delete(current: Option<&str>, slug: &str) -> bool {
    current == Some(slug)
}

/// A project or a repository, as a holder of explicit permissions.
pub struct PermTarget {
    /// Its permissions-config endpoint labels.
    pub ep: PermEndpoints,
    /// Path segments up to `permissions-config`, raw (encoded when the URL is built).
    pub base: Vec<String>,
    /// Its permission levels, lowest first.
    pub levels: &'static [&'static str],
    /// The project or repository.
    pub resource: ResourceId,
    /// For messages, e.g. `the repository acme/api`.
    pub label: String,
    /// Its workspace.
    pub ws: Ws,
}

impl PermTarget {
    fn url(&self, c: &Bitbucket, tail: &[&str], query: &[(&str, &str)]) -> String {
        let mut segs: Vec<&str> = self.base.iter().map(String::as_str).collect();
        segs.extend_from_slice(tail);
        c.client.url(&segs, query)
    }
}

/// A page of explicit permissions as grants with the next page's URL; `None` when Bitbucket
/// refused the listing (said once, the sync goes on without it).
pub type GrantsPage = Option<(Vec<Grant>, Option<String>)>;

/// A page of a listing's values with the next page's URL; `None` when refused.
type ListingPage<V> = Option<(Vec<V>, Option<String>)>;

/// One page of explicit user permissions as grants.
pub fn user_grants_page(
    c: &mut Bitbucket,
    t: &PermTarget,
    url: &str,
) -> Result<GrantsPage, ConnectorError> {
    let Some((values, next)) =
        listing_page::<UserPermission>(c, t, url, "users", F_PERM_USERS, t.ep.list_users)?
    else {
        return Ok(None);
    };
    let parent = ResourceId::new(WORKSPACE, t.ws.uuid.clone());
    let mut grants = Vec::new();
    for v in values {
        let Some(level) = explicit_level(t, &v.permission) else {
            continue;
        };
        let status = c.status_of(&v.user.uuid);
        let principal = user::resource(&v.user, status.as_deref(), Some(parent.clone()));
        grants.push(grant(&t.resource, level, principal));
    }
    Ok(Some((grants, next)))
}

/// One page of explicit group permissions as (expandable) grants.
pub fn group_grants_page(
    c: &mut Bitbucket,
    t: &PermTarget,
    url: &str,
) -> Result<GrantsPage, ConnectorError> {
    let Some((values, next)) =
        listing_page::<GroupPermission>(c, t, url, "groups", F_PERM_GROUPS, t.ep.list_groups)?
    else {
        return Ok(None);
    };
    let mut grants = Vec::new();
    for v in values {
        let Some(level) = explicit_level(t, &v.permission) else {
            continue;
        };
        let principal = user_group::principal(c, &t.ws, &v.group.slug, v.group.name.as_deref())?;
        grants.push(grant(&t.resource, level, principal));
    }
    Ok(Some((grants, next)))
}

/// A level this target knows (`none` and unknown values are not grants).
fn explicit_level<'a>(t: &PermTarget, permission: &'a Option<String>) -> Option<&'a str> {
    api::nonblank(permission).filter(|l| rank(t.levels, l).is_some())
}

/// One page of a `permissions-config/{users|groups}` listing: the first page when `url` is
/// empty. A refused listing (403) is skipped and said once per workspace and endpoint: in an
/// administered workspace it means the token lacks a scope; elsewhere, that the credential
/// administers every repository of a project but not the project. Other errors stop the sync.
fn listing_page<V: serde::de::DeserializeOwned>(
    c: &mut Bitbucket,
    t: &PermTarget,
    url: &str,
    kind: &str,
    fields: &str,
    endpoint: &str,
) -> Result<ListingPage<V>, ConnectorError> {
    let url = if url.is_empty() {
        t.url(c, &[kind], &[("pagelen", PAGELEN), ("fields", fields)])
    } else {
        url.to_string()
    };
    let detail = match c.client.get_page::<V>(&url, endpoint) {
        Ok(page) => return Ok(Some(page)),
        Err(ConnectorError::PermissionDenied(detail)) => detail,
        Err(e) => return Err(e),
    };
    let why = if t.ws.admin {
        "those permissions are not synced for it. Check that the credential has \
read:permission:bitbucket and the project and repository read scopes"
            .to_string()
    } else {
        format!(
            "the credential administers every repository of {} but not the project itself, so \
its permissions are not synced",
            t.label
        )
    };
    c.warn_once(
        &format!("refused:{}:{endpoint}", t.ws.uuid.to_ascii_lowercase()),
        &format!(
            "workspace '{}': Bitbucket refused {endpoint} ({detail}); {why}",
            t.ws.path()
        ),
    );
    Ok(None)
}

// ---- provisioning ----

#[derive(Deserialize)]
struct Single {
    #[serde(default)]
    permission: Option<String>,
}

enum Who {
    User(String),
    Group(String),
}

fn who(principal: &ResourceInfo, ws: &Ws) -> Result<Who, ConnectorError> {
    match principal.id.resource_type.as_str() {
        USER => Ok(Who::User(principal.id.id.clone())),
        USER_GROUP => {
            let g = decompose_group(&principal.id.id)?;
            if !same_uuid(&g.workspace, &ws.uuid) {
                return Err(ConnectorError::InvalidArgument(format!(
                    "group '{}' belongs to another workspace than the one of the permission; \
Bitbucket only grants permissions to groups of the same workspace",
                    g.slug
                )));
            }
            Ok(Who::Group(g.slug))
        }
        other => Err(ConnectorError::InvalidArgument(format!(
            "permissions can be granted to users and user groups, not to a {other}"
        ))),
    }
}

fn describe(principal: &ResourceInfo) -> String {
    let name = if principal.display_name.is_empty() {
        principal.id.id.as_str()
    } else {
        principal.display_name.as_str()
    };
    match principal.id.resource_type.as_str() {
        USER_GROUP => format!("the group {name}"),
        _ => name.to_string(),
    }
}

/// Turns a refusal of a permission change into advice on the credential.
fn change_denied(auth: AuthKind, label: &str, e: ConnectorError) -> ConnectorError {
    match e {
        ConnectorError::PermissionDenied(detail) => {
            let why = match auth {
                AuthKind::Bearer => "access tokens cannot read or change permissions",
                AuthKind::Oauth => "Bitbucket refuses permission changes from OAuth consumers",
                AuthKind::Basic => "the credential lacks admin rights or scopes",
            };
            ConnectorError::PermissionDenied(format!(
                "Bitbucket refused to change permissions of {label} (HTTP 403: {why}). This needs \
{PROVISIONING_CREDENTIAL}. ({detail})"
            ))
        }
        e => e,
    }
}

impl PermTarget {
    fn single(&self, c: &Bitbucket, w: &Who) -> (String, &'static str, &'static str, &'static str) {
        match w {
            Who::User(u) => (
                self.url(c, &["users", u], &[]),
                self.ep.get_user,
                self.ep.put_user,
                self.ep.delete_user,
            ),
            Who::Group(g) => (
                self.url(c, &["groups", g], &[]),
                self.ep.get_group,
                self.ep.put_group,
                self.ep.delete_group,
            ),
        }
    }

    /// The explicit level held now; `None` for none (404 or `none`).
    fn current(
        &self,
        c: &Bitbucket,
        url: &str,
        endpoint: &str,
    ) -> Result<Option<String>, ConnectorError> {
        match c.client.get::<Single>(url, endpoint) {
            Ok(s) => Ok(api::nonblank(&s.permission)
                .filter(|p| *p != "none")
                .map(str::to_string)),
            Err(ConnectorError::NotFound(_)) => Ok(None),
            Err(e) => Err(change_denied(c.settings.auth, &self.label, e)),
        }
    }
}

/// After a refused PUT for a user: explain when the user is not a workspace member.
fn explain_non_member(
    c: &Bitbucket,
    ws: &Ws,
    principal: &ResourceInfo,
    uuid: &str,
    e: ConnectorError,
) -> ConnectorError {
    if !matches!(
        e,
        ConnectorError::NotFound(_) | ConnectorError::InvalidArgument(_)
    ) {
        return e;
    }
    let url = c
        .client
        .url(&["2.0", "workspaces", ws.path(), "members", uuid], &[]);
    match c.client.get::<serde_json::Value>(&url, api::EP_WS_MEMBER) {
        Err(ConnectorError::NotFound(_)) => ConnectorError::InvalidArgument(format!(
            "{} is not a member of the workspace '{}': Bitbucket grants access only to workspace \
members, and has no API to add members (only invitations)",
            describe(principal),
            ws.path()
        )),
        _ => e,
    }
}

/// Grants `slug` on `t` to `principal`: nothing when held (or a higher level is), else one
/// `PUT`; a refused `PUT` for a user says when the user is not a workspace member.
pub fn set_level(
    c: &mut Bitbucket,
    t: &PermTarget,
    principal: &ResourceInfo,
    slug: &str,
) -> Result<GrantOutcome, ConnectorError> {
    rank(t.levels, slug).ok_or_else(|| {
        ConnectorError::InvalidArgument(format!(
            "'{slug}' cannot be granted on {}: use one of {}",
            t.label,
            t.levels.join(", ")
        ))
    })?;
    let w = who(principal, &t.ws)?;
    let (url, get_ep, put_ep, _) = t.single(c, &w);
    let current = t.current(c, &url, get_ep)?;
    let who_s = describe(principal);
    let grant_of = |level: &str| grant(&t.resource, level, principal.clone());
    match plan_grant(t.levels, current.as_deref(), slug)? {
        GrantPlan::Held => Ok(GrantOutcome {
            change: ProvisionChange::AlreadySatisfied,
            grants: vec![grant_of(slug)],
            message: format!("{who_s} already holds {slug} on {}", t.label),
        }),
        GrantPlan::Included { current } => Ok(GrantOutcome {
            change: ProvisionChange::AlreadySatisfied,
            grants: vec![grant_of(&current)],
            message: format!(
                "{who_s} already holds {current} on {}, which includes {slug}",
                t.label
            ),
        }),
        GrantPlan::Change { from } => {
            let body = serde_json::json!({ "permission": slug });
            c.client.put_json(&url, put_ep, &body).map_err(|e| {
                let e = change_denied(c.settings.auth, &t.label, e);
                match &w {
                    Who::User(u) => explain_non_member(c, &t.ws, principal, u, e),
                    Who::Group(_) => e,
                }
            })?;
            let message = match from {
                Some(f) => format!("upgraded {who_s} from {f} to {slug} on {}", t.label),
                None => format!("granted {slug} on {} to {who_s}", t.label),
            };
            Ok(GrantOutcome {
                change: ProvisionChange::Applied,
                grants: vec![grant_of(slug)],
                message,
            })
        }
    }
}

/// Revokes `slug` on `t` from `principal`: one `DELETE` when exactly that level is held.
pub fn remove_level(
    c: &mut Bitbucket,
    t: &PermTarget,
    principal: &ResourceInfo,
    slug: &str,
) -> Result<RevokeOutcome, ConnectorError> {
    rank(t.levels, slug).ok_or_else(|| {
        ConnectorError::InvalidArgument(format!(
            "'{slug}' cannot be revoked on {}: use one of {}",
            t.label,
            t.levels.join(", ")
        ))
    })?;
    let w = who(principal, &t.ws)?;
    let (url, get_ep, _, delete_ep) = t.single(c, &w);
    let current = t.current(c, &url, get_ep)?;
    let who_s = describe(principal);
    if !should_delete(current.as_deref(), slug) {
        let message = match current {
            None => format!(
                "{who_s} holds no explicit permission on {}; nothing to revoke",
                t.label
            ),
            Some(cur) => format!(
                "{who_s} holds {cur}, not {slug}, on {}; nothing was revoked",
                t.label
            ),
        };
        return Ok(RevokeOutcome {
            change: ProvisionChange::AlreadySatisfied,
            message,
        });
    }
    match c.client.delete(&url, delete_ep) {
        Ok(()) => {}
        Err(ConnectorError::NotFound(_)) => {
            return Ok(RevokeOutcome {
                change: ProvisionChange::AlreadySatisfied,
                message: format!("{who_s} no longer holds {slug} on {}", t.label),
            });
        }
        Err(e) => return Err(change_denied(c.settings.auth, &t.label, e)),
    }
    Ok(RevokeOutcome {
        change: ProvisionChange::Applied,
        message: format!("revoked {slug} on {} from {who_s}", t.label),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_plans() {
        let l = PROJECT_LEVELS;
        assert_eq!(
            plan_grant(l, None, "read").unwrap(),
            GrantPlan::Change { from: None }
        );
        assert_eq!(
            plan_grant(l, Some("none"), "read").unwrap(),
            GrantPlan::Change { from: None }
        );
        assert_eq!(
            plan_grant(l, Some("write"), "write").unwrap(),
            GrantPlan::Held
        );
        assert_eq!(
            plan_grant(l, Some("admin"), "read").unwrap(),
            GrantPlan::Included {
                current: "admin".into()
            }
        );
        assert_eq!(
            plan_grant(l, Some("create-repo"), "write").unwrap(),
            GrantPlan::Included {
                current: "create-repo".into()
            }
        );
        assert_eq!(
            plan_grant(l, Some("write"), "create-repo").unwrap(),
            GrantPlan::Change {
                from: Some("write".into())
            }
        );
        assert!(plan_grant(REPO_LEVELS, None, "create-repo").is_err());
        assert!(plan_grant(l, None, "repository").is_err());
    }

    #[test]
    fn levels_are_ordered() {
        assert!(rank(PROJECT_LEVELS, "read") < rank(PROJECT_LEVELS, "write"));
        assert!(rank(PROJECT_LEVELS, "write") < rank(PROJECT_LEVELS, "create-repo"));
        assert!(rank(PROJECT_LEVELS, "create-repo") < rank(PROJECT_LEVELS, "admin"));
        assert!(rank(REPO_LEVELS, "write") < rank(REPO_LEVELS, "admin"));
        assert_eq!(rank(REPO_LEVELS, "create-repo"), None);
    }

    #[test]
    fn revoke_deletes_only_the_exact_level() {
        assert!(should_delete(Some("write"), "write"));
        assert!(!should_delete(Some("admin"), "write"));
        assert!(!should_delete(None, "write"));
    }
}
