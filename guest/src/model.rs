//! Plain Rust mirrors of the WIT records (`baton:connector/types`), so that the connector logic
//! compiles and is tested natively. `bindings.rs` converts them to and from the generated types.

use crate::errors::ConnectorError;

/// A Baton resource-type trait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceTrait {
    User,
    Group,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceType {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub traits: Vec<ResourceTrait>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceId {
    pub resource_type: String,
    pub id: String,
}

impl ResourceId {
    pub fn new(resource_type: &str, id: impl Into<String>) -> Self {
        ResourceId {
            resource_type: resource_type.to_string(),
            id: id.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileEntry {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    Unspecified,
    Enabled,
    Disabled,
    Deleted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountType {
    Unspecified,
    Human,
    Service,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserTrait {
    pub login: String,
    pub status: AccountStatus,
    pub status_details: String,
    pub account_type: AccountType,
    pub given_name: String,
    pub family_name: String,
    pub emails: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupTrait {
    pub profile: Vec<ProfileEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    pub id: ResourceId,
    pub parent: Option<ResourceId>,
    pub display_name: String,
    pub description: String,
    pub user: Option<UserTrait>,
    pub group: Option<GroupTrait>,
    pub child_resource_types: Vec<String>,
    pub profile: Vec<ProfileEntry>,
}

impl ResourceInfo {
    /// The value of a profile key, if present.
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

    /// The value of a profile key, or an `internal` error naming the resource.
    pub fn require_profile(&self, key: &str) -> Result<&str, ConnectorError> {
        self.profile_value(key).filter(|v| !v.is_empty()).ok_or_else(|| {
            ConnectorError::InvalidArgument(format!(
                "{} resource '{}' lacks the profile entry '{}'; was it produced by this connector?",
                self.id.resource_type, self.id.id, key
            ))
        })
    }
}

/// Builds a profile from key/value pairs.
pub fn profile(entries: &[(&str, &str)]) -> Vec<ProfileEntry> {
    entries
        .iter()
        .map(|(k, v)| ProfileEntry {
            key: (*k).to_string(),
            value: (*v).to_string(),
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntitlementPurpose {
    Assignment,
    Permission,
    Ownership,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entitlement {
    pub resource_ref: ResourceId,
    pub slug: String,
    pub display_name: String,
    pub description: String,
    pub purpose: EntitlementPurpose,
    pub grantable_to: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitlementRef {
    pub resource_ref: ResourceId,
    pub slug: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantExpandable {
    pub entitlements: Vec<EntitlementRef>,
    pub shallow: bool,
    pub resource_type_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub entitlement: EntitlementRef,
    pub principal: ResourceInfo,
    pub expandable: Option<GrantExpandable>,
}

impl Grant {
    /// A grant of `slug` on `resource` to `principal`. A `user_group` principal gets the
    /// grant-expandable annotation pointing at its `member` entitlement.
    pub fn new(resource: &ResourceId, slug: &str, principal: ResourceInfo) -> Self {
        let expandable = (principal.id.resource_type == crate::resources::user_group::TYPE_ID)
            .then(|| GrantExpandable {
                entitlements: vec![EntitlementRef {
                    resource_ref: principal.id.clone(),
                    slug: crate::resources::user_group::MEMBER.to_string(),
                }],
                shallow: false,
                resource_type_ids: vec![crate::resources::user::TYPE_ID.to_string()],
            });
        Grant {
            entitlement: EntitlementRef {
                resource_ref: resource.clone(),
                slug: slug.to_string(),
            },
            principal,
            expandable,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: String,
}

impl<T> Page<T> {
    pub fn last(items: Vec<T>) -> Self {
        Page {
            items,
            next_token: String::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProvisionChange {
    Applied,
    AlreadySatisfied,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantOutcome {
    pub change: ProvisionChange,
    pub grants: Vec<Grant>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokeOutcome {
    pub change: ProvisionChange,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub display_name: String,
    pub description: String,
    pub version: String,
    pub config_keys: Vec<String>,
}
