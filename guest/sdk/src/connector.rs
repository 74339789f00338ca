//! A connector built from resource syncers: what it is, how an instance is made from its
//! configuration, how it checks it, and the registry of its resource types.

use std::rc::Rc;

use crate::config::Config;
use crate::error::ConnectorError;
use crate::metadata::Metadata;
use crate::syncer::ResourceSyncer;
use crate::transport::Transport;

/// A connector: the instance's state, shared by its resource syncers.
pub trait Connector: Sized + 'static {
    /// What the connector is: name, description, version, configuration fields, credential
    /// kinds and origins. Its `provisioning` is left empty: the SDK fills it from the syncers.
    fn metadata() -> Metadata;

    /// The registry: one syncer per resource type, in the order the types are listed.
    /// A new resource type is one more entry.
    fn syncers() -> &'static [&'static dyn ResourceSyncer<Self>];

    /// The instance's state, from its configuration; sends no request.
    fn new(transport: Rc<dyn Transport>, config: &Config) -> Result<Self, ConnectorError>;

    /// Checks that the configuration and credentials can sync something.
    fn validate(&mut self) -> Result<(), ConnectorError> {
        Ok(())
    }
}
