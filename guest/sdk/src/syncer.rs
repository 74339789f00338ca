//! One resource type's part of a connector, as Baton's `ResourceSyncer`: its type, how its
//! resources are listed, their entitlements and grants, and what can be provisioned on them.
//! Everything but the type and the listing has a default, so a type implements what it has.

use crate::error::ConnectorError;
use crate::model::{
    Entitlement, Grant, GrantOutcome, Page, ResourceId, ResourceInfo, ResourceType, RevokeOutcome,
};

/// What a resource type can provision: these entitlement slugs, to principals of these types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provisions {
    /// The entitlement slugs that can be granted and revoked.
    pub slugs: &'static [&'static str],
    /// The resource types of principals they can be granted to.
    pub principal_types: &'static [&'static str],
}

/// The syncer of one resource type of connector `C`; `C` is the instance's state, passed to
/// every call (its HTTP client, its settings and what it has read so far).
pub trait ResourceSyncer<C> {
    /// The resource type this syncer lists.
    fn resource_type(&self) -> ResourceType;

    /// What can be granted and revoked on resources of this type; `None` when nothing.
    fn provisions(&self) -> Option<Provisions> {
        None
    }

    /// One page of resources. Baton lists every type once without a parent, then each child
    /// type again under every resource that names it in `child_resource_types`: a child type
    /// answers the parentless listing with an empty page (see [`listed_under`]).
    fn list(
        &self,
        cx: &mut C,
        parent: Option<&ResourceId>,
        page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError>;

    /// One page of the entitlements on `resource`; none by default.
    fn entitlements(
        &self,
        cx: &mut C,
        resource: &ResourceInfo,
        page_token: &str,
    ) -> Result<Page<Entitlement>, ConnectorError> {
        let _ = (cx, resource, page_token);
        Ok(Page::last(Vec::new()))
    }

    /// One page of the grants of the entitlements on `resource`; none by default.
    fn grants(
        &self,
        cx: &mut C,
        resource: &ResourceInfo,
        page_token: &str,
    ) -> Result<Page<Grant>, ConnectorError> {
        let _ = (cx, resource, page_token);
        Ok(Page::last(Vec::new()))
    }

    /// Gives `principal` an entitlement on a resource of this type. Idempotent.
    fn grant(
        &self,
        cx: &mut C,
        principal: &ResourceInfo,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        let _ = (cx, principal, entitlement);
        Err(not_provisioned(&self.resource_type().id))
    }

    /// Takes a grant on a resource of this type away. Idempotent.
    fn revoke(&self, cx: &mut C, grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        let _ = (cx, grant);
        Err(not_provisioned(&self.resource_type().id))
    }
}

/// The error of a grant or revoke on a type that provisions nothing.
pub fn not_provisioned(resource_type: &str) -> ConnectorError {
    ConnectorError::InvalidArgument(format!(
        "nothing can be granted or revoked on {resource_type} resources: this connector only \
syncs them (see its capabilities)"
    ))
}

/// The parent of a listing of `resource_type`, a child type of `parent_type`: `None` for
/// Baton's parentless listing, or an invalid-argument error for a parent of another type.
pub fn listed_under<'a>(
    resource_type: &str,
    parent: Option<&'a ResourceId>,
    parent_type: &str,
) -> Result<Option<&'a ResourceId>, ConnectorError> {
    match parent {
        None => Ok(None),
        Some(p) if p.resource_type == parent_type => Ok(Some(p)),
        Some(p) => Err(ConnectorError::InvalidArgument(format!(
            "{resource_type} resources are listed per {parent_type}, not per {}",
            p.resource_type
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_type_is_listed_under_its_parent_type_only() {
        let team = ResourceId::new("team", "t1");
        assert_eq!(listed_under("member", None, "team"), Ok(None));
        assert_eq!(listed_under("member", Some(&team), "team"), Ok(Some(&team)));
        assert_eq!(
            listed_under("member", Some(&ResourceId::new("org", "o")), "team"),
            Err(ConnectorError::InvalidArgument(
                "member resources are listed per team, not per org".into()
            ))
        );
    }
}
