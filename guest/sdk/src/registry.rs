//! A connector's resource syncers by resource type id.

use crate::error::ConnectorError;
use crate::metadata::Provisioning;
use crate::model::ResourceType;
use crate::syncer::ResourceSyncer;

/// The syncers of connector `C` with their resource types.
pub struct Registry<C: 'static> {
    syncers: &'static [&'static dyn ResourceSyncer<C>],
    types: Vec<ResourceType>,
}

impl<C: 'static> Registry<C> {
    /// The registry of these syncers.
    pub fn new(syncers: &'static [&'static dyn ResourceSyncer<C>]) -> Self {
        Registry {
            syncers,
            types: syncers.iter().map(|s| s.resource_type()).collect(),
        }
    }

    /// The resource types, in the registry's order.
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.types
    }

    /// The syncer of a resource type, or an invalid-argument error naming the known types.
    pub fn find(&self, type_id: &str) -> Result<&'static dyn ResourceSyncer<C>, ConnectorError> {
        self.types
            .iter()
            .position(|t| t.id == type_id)
            .map(|i| self.syncers[i])
            .ok_or_else(|| {
                ConnectorError::InvalidArgument(format!(
                    "unknown resource type '{type_id}': this connector syncs {}",
                    self.known()
                ))
            })
    }

    /// `a, b and c`: the known type ids for messages.
    fn known(&self) -> String {
        let ids: Vec<&str> = self.types.iter().map(|t| t.id.as_str()).collect();
        match ids.split_last() {
            None => "no resource types".to_string(),
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }

    /// What each type can provision, for the metadata; types that provision nothing are left out.
    pub fn provisioning(&self) -> Vec<Provisioning> {
        self.syncers
            .iter()
            .zip(&self.types)
            .filter_map(|(s, t)| {
                let p = s.provisions()?;
                Some(Provisioning {
                    resource_type: t.id.clone(),
                    slugs: p.slugs.iter().map(|s| s.to_string()).collect(),
                    principal_types: p.principal_types.iter().map(|s| s.to_string()).collect(),
                })
            })
            .collect()
    }
}
