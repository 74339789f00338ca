//! What a component can do, as Baton's `ConnectorCapabilities` and `ConnectorMetadata` messages:
//! built here once for `connector-host capabilities` (rendered as `baton_capabilities.json`) and
//! for the Hello of ConductorOne service mode.
//!
//! Every resource type is synced; a type is provisionable when the component's metadata says what
//! can be granted on it (a 0.1.0 component cannot say, so its types are sync-only).

use std::collections::BTreeMap;

use c1z::pb;

use crate::component::DeclaredComponent;
use crate::http::{HttpCapability, HttpSettings, HttpSetupError};
use crate::runtime::{CallError, Limits, types as wit};
use crate::sync::convert;

/// Why the component could not say what it has.
#[derive(Debug, thiserror::Error)]
pub enum CapabilitiesError {
    /// The capability for the call could not be set up.
    #[error(transparent)]
    Http(#[from] HttpSetupError),
    /// The component failed.
    #[error(transparent)]
    Call(#[from] CallError),
}

/// Asks an instance with no credential and no reachable origin for the component's resource types.
pub async fn resource_types(
    component: &DeclaredComponent,
    limits: &Limits,
) -> Result<Vec<wit::ResourceType>, CapabilitiesError> {
    let http = HttpCapability::new(HttpSettings::default(), None)?;
    let mut config = BTreeMap::new();
    config.insert("auth-kind".to_string(), "none".to_string());
    let mut instance = component.plugin.instantiate(limits, http, config).await?;
    Ok(instance.resource_types().await?)
}

/// What can be granted on a type, if anything.
pub fn provisioned<'a>(
    rt: &wit::ResourceType,
    provisioning: &'a [wit::Provisioning],
) -> Option<&'a wit::Provisioning> {
    provisioning
        .iter()
        .find(|p| p.resource_type == rt.id && !p.slugs.is_empty())
}

/// The `ConnectorCapabilities` of `types`: sync for each, provision where `provisioning` says
/// something can be granted; the connector's own list names provision first, as Baton's does.
pub fn connector_capabilities(
    types: &[wit::ResourceType],
    provisioning: &[wit::Provisioning],
) -> pb::ConnectorCapabilities {
    let resource_type_capabilities = types
        .iter()
        .map(|rt| {
            let mut capabilities = vec![pb::Capability::Sync as i32];
            if provisioned(rt, provisioning).is_some() {
                capabilities.push(pb::Capability::Provision as i32);
            }
            pb::ResourceTypeCapability {
                resource_type: Some(convert::resource_type(rt)),
                capabilities,
            }
        })
        .collect();
    let mut connector_capabilities = Vec::new();
    if types
        .iter()
        .any(|rt| provisioned(rt, provisioning).is_some())
    {
        connector_capabilities.push(pb::Capability::Provision as i32);
    }
    connector_capabilities.push(pb::Capability::Sync as i32);
    pb::ConnectorCapabilities {
        resource_type_capabilities,
        connector_capabilities,
        credential_details: None,
    }
}

/// The component's `ConnectorMetadata`: its name and description from its metadata, its
/// capabilities from `types`.
pub fn connector_metadata(
    component: &DeclaredComponent,
    types: &[wit::ResourceType],
) -> pb::ConnectorMetadata {
    let meta = &component.metadata;
    pb::ConnectorMetadata {
        display_name: meta.display_name.clone(),
        description: meta.description.clone(),
        capabilities: Some(connector_capabilities(types, component.provisioning())),
        ..Default::default()
    }
}
