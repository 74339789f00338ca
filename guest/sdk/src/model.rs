//! Plain Rust mirrors of the WIT records of `baton:connector/types` that resources, entitlements
//! and grants are made of, so component logic builds and is tested natively. The export glue
//! (`wasm`) converts them to and from the generated types.

/// A Baton resource-type trait: what kind of thing resources of a type are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceTrait {
    /// People and service accounts; resources carry a [`UserTrait`].
    User,
    /// Groups of principals; resources carry a [`GroupTrait`].
    Group,
    /// Roles.
    Role,
    /// Applications.
    App,
}

/// A kind of resource the connector syncs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// Stable identifier, for example `repository`.
    pub id: String,
    /// Human-readable name, for example `Repository`.
    pub display_name: String,
    /// One sentence saying what the type represents.
    pub description: String,
    /// Traits every resource of this type carries.
    pub traits: Vec<ResourceTrait>,
}

impl ResourceType {
    /// A resource type from its parts.
    pub fn new(id: &str, display_name: &str, description: &str, traits: &[ResourceTrait]) -> Self {
        ResourceType {
            id: id.to_string(),
            display_name: display_name.to_string(),
            description: description.to_string(),
            traits: traits.to_vec(),
        }
    }
}

/// Identifies one resource: its type and its id within that type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceId {
    /// The resource type's id.
    pub resource_type: String,
    /// The resource's id, unique within its type.
    pub id: String,
}

impl ResourceId {
    /// The id `id` of a resource of type `resource_type`.
    pub fn new(resource_type: &str, id: impl Into<String>) -> Self {
        ResourceId {
            resource_type: resource_type.to_string(),
            id: id.into(),
        }
    }
}

/// One key and value of a resource's profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileEntry {
    /// The profile key, for example `account_id`.
    pub key: String,
    /// The value.
    pub value: String,
}

/// Whether an account can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    /// The connector could not tell.
    Unspecified,
    /// The account is active.
    Enabled,
    /// The account is deactivated or suspended.
    Disabled,
    /// The account is closed or deleted.
    Deleted,
}

/// What kind of principal an account is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountType {
    /// The connector could not tell.
    Unspecified,
    /// A person.
    Human,
    /// A bot, integration or access token.
    Service,
}

/// Data carried by resources of a type with the `user` trait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserTrait {
    /// The login name.
    pub login: String,
    /// Whether the account is usable.
    pub status: AccountStatus,
    /// The source system's own word for the status, for example `closed`.
    pub status_details: String,
    /// Person or service account.
    pub account_type: AccountType,
    /// Given name, when known.
    pub given_name: String,
    /// Family name, when known.
    pub family_name: String,
    /// E-mail addresses, primary first.
    pub emails: Vec<String>,
}

/// Data carried by resources of a type with the `group` trait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupTrait {
    /// Extra facts about the group, shown to reviewers.
    pub profile: Vec<ProfileEntry>,
}

/// One resource: a workspace, a user, a group, a project, a repository, ...
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    /// Its identity.
    pub id: ResourceId,
    /// The resource it belongs to, if any.
    pub parent: Option<ResourceId>,
    /// Human-readable name.
    pub display_name: String,
    /// One sentence describing it.
    pub description: String,
    /// Set for resources of a type with the `user` trait.
    pub user: Option<UserTrait>,
    /// Set for resources of a type with the `group` trait.
    pub group: Option<GroupTrait>,
    /// Resource types listed as children of this resource.
    pub child_resource_types: Vec<String>,
    /// Extra facts about the resource, shown to reviewers.
    pub profile: Vec<ProfileEntry>,
}

impl ResourceInfo {
    /// The value of a profile key (the resource's profile first, then its group trait's).
    pub fn profile_value(&self, key: &str) -> Option<&str> {
        self.profile
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
            .or_else(|| {
                self.group
                    .as_ref()
                    .and_then(|g| g.profile.iter().find(|e| e.key == key))
                    .map(|e| e.value.as_str())
            })
    }
}

/// Builds a profile from key/value pairs, in their order.
pub fn profile(entries: &[(&str, &str)]) -> Vec<ProfileEntry> {
    entries
        .iter()
        .map(|(k, v)| ProfileEntry {
            key: (*k).to_string(),
            value: (*v).to_string(),
        })
        .collect()
}

/// What an entitlement means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntitlementPurpose {
    /// Not stated.
    Unspecified,
    /// Membership or assignment.
    Assignment,
    /// A permission level.
    Permission,
    /// Ownership.
    Ownership,
}

/// Something that can be granted on a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entitlement {
    /// The resource it is on.
    pub resource_ref: ResourceId,
    /// Short stable name, unique on the resource, for example `admin`.
    pub slug: String,
    /// Human-readable name.
    pub display_name: String,
    /// One sentence saying what holding it allows.
    pub description: String,
    /// What it means.
    pub purpose: EntitlementPurpose,
    /// Resource types whose resources can hold it.
    pub grantable_to: Vec<String>,
}

/// Points at an entitlement: the resource it is on and its slug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitlementRef {
    /// The resource the entitlement is on.
    pub resource_ref: ResourceId,
    /// The entitlement's slug.
    pub slug: String,
}

/// Marks a grant to a group-like principal whose holders also receive the grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantExpandable {
    /// The principal's entitlements whose holders inherit this grant.
    pub entitlements: Vec<EntitlementRef>,
    /// Only holders who hold a source entitlement directly, not through expansion.
    pub shallow: bool,
    /// If not empty, only holders of these resource types inherit the grant.
    pub resource_type_ids: Vec<String>,
}

/// A principal holds an entitlement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The entitlement held.
    pub entitlement: EntitlementRef,
    /// Who holds it.
    pub principal: ResourceInfo,
    /// Set when the principal's own holders inherit the grant.
    pub expandable: Option<GrantExpandable>,
}

impl Grant {
    /// A grant of `slug` on `resource` to `principal`, not expandable.
    pub fn new(resource: &ResourceId, slug: &str, principal: ResourceInfo) -> Self {
        Grant {
            entitlement: EntitlementRef {
                resource_ref: resource.clone(),
                slug: slug.to_string(),
            },
            principal,
            expandable: None,
        }
    }

    /// The same grant, inherited (after grant expansion) by whoever holds the principal's
    /// entitlement `slug`, if of one of `resource_types` (any type when empty).
    pub fn expanded_to_holders_of(mut self, slug: &str, resource_types: &[&str]) -> Self {
        self.expandable = Some(GrantExpandable {
            entitlements: vec![EntitlementRef {
                resource_ref: self.principal.id.clone(),
                slug: slug.to_string(),
            }],
            shallow: false,
            resource_type_ids: resource_types.iter().map(|t| t.to_string()).collect(),
        });
        self
    }
}

/// A page of a listing. An empty `next_token` means the last page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Opaque token for the next page; empty when there is none.
    pub next_token: String,
}

impl<T> Page<T> {
    /// The last (or only) page of a listing.
    pub fn last(items: Vec<T>) -> Self {
        Page {
            items,
            next_token: String::new(),
        }
    }

    /// The same page with each item mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_token: self.next_token,
        }
    }
}

/// Whether a provisioning call changed anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProvisionChange {
    /// The change was made.
    Applied,
    /// Nothing needed to change.
    AlreadySatisfied,
}

/// What a grant call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantOutcome {
    /// Whether anything changed.
    pub change: ProvisionChange,
    /// The grants the principal now holds because of the call.
    pub grants: Vec<Grant>,
    /// One sentence for the operator, for example `upgraded from read to write`.
    pub message: String,
}

/// What a revoke call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokeOutcome {
    /// Whether anything changed.
    pub change: ProvisionChange,
    /// One sentence for the operator.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str) -> ResourceInfo {
        ResourceInfo {
            id: ResourceId::new("team", id),
            parent: None,
            display_name: id.to_string(),
            description: String::new(),
            user: None,
            group: Some(GroupTrait {
                profile: profile(&[("size", "3")]),
            }),
            child_resource_types: vec![],
            profile: profile(&[("name", id)]),
        }
    }

    #[test]
    fn profile_values_are_found_in_the_profile_then_the_group_trait() {
        let g = group("devs");
        assert_eq!(g.profile_value("name"), Some("devs"));
        assert_eq!(g.profile_value("size"), Some("3"));
        assert_eq!(g.profile_value("nope"), None);
    }

    #[test]
    fn an_expanded_grant_points_at_the_principals_entitlement() {
        let on = ResourceId::new("repo", "r1");
        let plain = Grant::new(&on, "write", group("devs"));
        assert_eq!(plain.expandable, None);
        assert_eq!(plain.entitlement.slug, "write");
        let g = plain.expanded_to_holders_of("member", &["user"]);
        let x = g.expandable.unwrap();
        assert_eq!(
            x.entitlements[0].resource_ref,
            ResourceId::new("team", "devs")
        );
        assert_eq!(x.entitlements[0].slug, "member");
        assert_eq!(x.resource_type_ids, vec!["user"]);
        assert!(!x.shallow);
    }
}
