//! The plugin calls a sync makes, as data: what to ask (prepared from the store) and what came
//! back, so independent calls can run on several instances while one task owns the store.

use c1z::pb;

use super::convert;
use super::state::Action;
use crate::runtime::types as wit;
use crate::runtime::{CallError, Instance};

/// One call to make.
#[derive(Debug)]
pub(super) enum Call {
    /// `resource-types`.
    ResourceTypes,
    /// `list-resources` of the action's type (under its parent) at its page token.
    Resources(Action),
    /// `list-entitlements` of a stored resource.
    Entitlements(Action, pb::Resource),
    /// `list-grants` of a stored resource.
    Grants(Action, pb::Resource),
}

/// What a call returned, with what the engine needs to apply it.
#[derive(Debug)]
pub(super) enum Reply {
    /// The resource types.
    ResourceTypes(Vec<wit::ResourceType>),
    /// A page of resources.
    Resources(Action, wit::ResourcePage),
    /// A page of entitlements of the resource.
    Entitlements(Action, pb::Resource, wit::EntitlementPage),
    /// A page of grants of the resource.
    Grants(Action, pb::Resource, wit::GrantPage),
}

/// Makes the call on `instance`.
pub(super) async fn perform(instance: &mut Instance, call: Call) -> Result<Reply, CallError> {
    Ok(match call {
        Call::ResourceTypes => Reply::ResourceTypes(instance.resource_types().await?),
        Call::Resources(action) => {
            let parent = (!action.parent_resource_type_id.is_empty()).then(|| wit::ResourceId {
                resource_type: action.parent_resource_type_id.clone(),
                id: action.parent_resource_id.clone(),
            });
            let page = instance
                .list_resources(
                    &action.resource_type_id,
                    parent.as_ref(),
                    &action.page_token,
                )
                .await?;
            Reply::Resources(action, page)
        }
        Call::Entitlements(action, resource) => {
            let page = instance
                .list_entitlements(&convert::resource_back(&resource), &action.page_token)
                .await?;
            Reply::Entitlements(action, resource, page)
        }
        Call::Grants(action, resource) => {
            let page = instance
                .list_grants(&convert::resource_back(&resource), &action.page_token)
                .await?;
            Reply::Grants(action, resource, page)
        }
    })
}
