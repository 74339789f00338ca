//! Grants as this connector makes them: a grant to a user group is expandable, so each member
//! of the group holds the entitlement too after grant expansion.

use connector_sdk::{Grant, ResourceId, ResourceInfo};

use crate::type_ids::{GROUP_MEMBER, USER, USER_GROUP};

/// A grant of `slug` on `resource` to `principal`; a `user_group` principal's grant expands to
/// the users holding its `member` entitlement.
pub fn grant(resource: &ResourceId, slug: &str, principal: ResourceInfo) -> Grant {
    let is_group = principal.id.resource_type == USER_GROUP;
    let grant = Grant::new(resource, slug, principal);
    if is_group {
        grant.expanded_to_holders_of(GROUP_MEMBER, &[USER])
    } else {
        grant
    }
}
