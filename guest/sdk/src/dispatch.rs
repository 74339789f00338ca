//! The [`Component`] of a [`Connector`]: each export goes to the syncer of its resource type,
//! and the connector's state is made from the configuration on the first call that needs it
//! (so `metadata` and `resource-types` answer whatever the configuration).

use std::rc::Rc;

use crate::component::Component;
use crate::config::Config;
use crate::connector::Connector;
use crate::error::ConnectorError;
use crate::metadata::Metadata;
use crate::model::{
    Entitlement, Grant, GrantOutcome, Page, ResourceId, ResourceInfo, ResourceType, RevokeOutcome,
};
use crate::registry::Registry;
use crate::syncer::ResourceSyncer;
use crate::transport::Transport;

/// A connector's state, once made.
enum Instance<C> {
    /// Made on the first call that needs it; kept when making it failed, so every later call
    /// tries again and says why again.
    Unconfigured {
        transport: Rc<dyn Transport>,
        config: Config,
    },
    Configured(C),
}

/// Routes the exports of connector `C` by resource type id to its registered syncers.
pub struct Dispatcher<C: Connector> {
    instance: Instance<C>,
    registry: Registry<C>,
}

impl<C: Connector> Dispatcher<C> {
    /// The dispatcher of an already made connector (native tests make it from typed settings).
    pub fn with_connector(connector: C) -> Self {
        Dispatcher {
            instance: Instance::Configured(connector),
            registry: Registry::new(C::syncers()),
        }
    }

    /// The connector's state, made now if this is the first call that needs it.
    pub fn connector(&mut self) -> Result<&mut C, ConnectorError> {
        if let Instance::Unconfigured { transport, config } = &self.instance {
            self.instance = Instance::Configured(C::new(transport.clone(), config)?);
        }
        match &mut self.instance {
            Instance::Configured(c) => Ok(c),
            Instance::Unconfigured { .. } => {
                Err(ConnectorError::Internal("connector not initialised".into()))
            }
        }
    }
}

impl<C: Connector> Component for Dispatcher<C> {
    fn metadata() -> Metadata {
        Metadata {
            provisioning: Registry::new(C::syncers()).provisioning(),
            ..C::metadata()
        }
    }

    fn new(transport: Rc<dyn Transport>, config: Config) -> Self {
        Dispatcher {
            instance: Instance::Unconfigured { transport, config },
            registry: Registry::new(C::syncers()),
        }
    }

    fn validate(&mut self) -> Result<(), ConnectorError> {
        self.connector()?.validate()
    }

    fn resource_types(&mut self) -> Result<Vec<ResourceType>, ConnectorError> {
        Ok(self.registry.resource_types().to_vec())
    }

    fn list_resources(
        &mut self,
        resource_type: &str,
        parent: Option<&ResourceId>,
        page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        let syncer = self.syncer(resource_type)?;
        syncer.list(self.connector()?, parent, page_token)
    }

    fn list_entitlements(
        &mut self,
        target: &ResourceInfo,
        page_token: &str,
    ) -> Result<Page<Entitlement>, ConnectorError> {
        let syncer = self.syncer(&target.id.resource_type)?;
        syncer.entitlements(self.connector()?, target, page_token)
    }

    fn list_grants(
        &mut self,
        target: &ResourceInfo,
        page_token: &str,
    ) -> Result<Page<Grant>, ConnectorError> {
        let syncer = self.syncer(&target.id.resource_type)?;
        syncer.grants(self.connector()?, target, page_token)
    }

    fn grant(
        &mut self,
        principal: &ResourceInfo,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        let syncer = self.syncer(&entitlement.resource_ref.resource_type)?;
        syncer.grant(self.connector()?, principal, entitlement)
    }

    fn revoke(&mut self, grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        let syncer = self.syncer(&grant.entitlement.resource_ref.resource_type)?;
        syncer.revoke(self.connector()?, grant)
    }
}

impl<C: Connector> Dispatcher<C> {
    /// The syncer of a type; the connector is made first, so a configuration error wins over an
    /// unknown type.
    fn syncer(&mut self, type_id: &str) -> Result<&'static dyn ResourceSyncer<C>, ConnectorError> {
        self.connector()?;
        self.registry.find(type_id)
    }
}
