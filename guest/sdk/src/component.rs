//! The contract's exports in plain Rust: what the export glue calls on the one component of a
//! WebAssembly instance. [`Dispatcher`](crate::Dispatcher) implements it for every
//! [`Connector`](crate::Connector); a component whose resource types come from its configuration
//! (a test fixture) implements it directly.

use std::rc::Rc;

use crate::config::Config;
use crate::error::ConnectorError;
use crate::metadata::Metadata;
use crate::model::{
    Entitlement, Grant, GrantOutcome, Page, ResourceId, ResourceInfo, ResourceType, RevokeOutcome,
};
use crate::transport::Transport;

/// A component: one per instance, created before its first call.
pub trait Component: Sized + 'static {
    /// What the connector is. Called without an instance: it must not read configuration.
    fn metadata() -> Metadata;

    /// The instance's component, from its transport and configuration. It must not fail or send
    /// requests: a configuration error is the answer of the first call that needs it.
    fn new(transport: Rc<dyn Transport>, config: Config) -> Self;

    /// Checks that the configuration and credentials can sync something.
    fn validate(&mut self) -> Result<(), ConnectorError>;

    /// The resource types the connector syncs.
    fn resource_types(&mut self) -> Result<Vec<ResourceType>, ConnectorError>;

    /// One page of resources of a type, under `parent` when the type is a child type.
    fn list_resources(
        &mut self,
        resource_type: &str,
        parent: Option<&ResourceId>,
        page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError>;

    /// One page of the entitlements on a resource.
    fn list_entitlements(
        &mut self,
        target: &ResourceInfo,
        page_token: &str,
    ) -> Result<Page<Entitlement>, ConnectorError>;

    /// One page of the grants of the entitlements on a resource.
    fn list_grants(
        &mut self,
        target: &ResourceInfo,
        page_token: &str,
    ) -> Result<Page<Grant>, ConnectorError>;

    /// Gives `principal` the entitlement. Idempotent.
    fn grant(
        &mut self,
        principal: &ResourceInfo,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError>;

    /// Takes a grant away. Idempotent.
    fn revoke(&mut self, grant: &Grant) -> Result<RevokeOutcome, ConnectorError>;
}
