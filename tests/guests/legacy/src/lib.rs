//! The fixture's connector (the graph in its `fixture` config key, see `fixture/src/world.rs`)
//! built with raw wit-bindgen against the frozen contract `baton:connector@0.1.0`
//! (`wit/since_v0.1.0`): a real 0.1.0 plugin for the host's 0.1.0 adapter. Syncing the same
//! graph through it and through the 0.2.0 fixture must give the same file.

mod bindings;
mod records;
#[path = "../../fixture/src/world.rs"]
mod world;

use bindings::baton::connector::config;
use bindings::{
    ConnectorError, Entitlement, EntitlementPage, Grant, GrantOutcome, GrantPage, Guest, Metadata,
    ResourceId, ResourceInfo, ResourcePage, ResourceType, RevokeOutcome,
};
use world::{CONFIG_KEY, Fixture};

fn fixture() -> Result<Fixture, ConnectorError> {
    Fixture::load(config::get(CONFIG_KEY))
}

struct Legacy;

impl Guest for Legacy {
    fn metadata() -> Metadata {
        Metadata {
            display_name: "Legacy fixture".into(),
            description: "Serves a graph from its configuration through contract 0.1.0, for tests."
                .into(),
            version: "0.1.0".into(),
            config_keys: vec![CONFIG_KEY.into()],
        }
    }

    fn validate() -> Result<(), ConnectorError> {
        fixture().map(|_| ())
    }

    fn resource_types() -> Result<Vec<ResourceType>, ConnectorError> {
        Ok(fixture()?.resource_types())
    }

    fn list_resources(
        resource_type: String,
        parent: Option<ResourceId>,
        token: String,
    ) -> Result<ResourcePage, ConnectorError> {
        let (items, next_token) = fixture()?.resources(&resource_type, parent.as_ref(), &token)?;
        Ok(ResourcePage { items, next_token })
    }

    fn list_entitlements(
        target: ResourceInfo,
        token: String,
    ) -> Result<EntitlementPage, ConnectorError> {
        let (items, next_token) = fixture()?.entitlements(&target, &token)?;
        Ok(EntitlementPage { items, next_token })
    }

    fn list_grants(target: ResourceInfo, token: String) -> Result<GrantPage, ConnectorError> {
        let (items, next_token) = fixture()?.grants(&target, &token)?;
        Ok(GrantPage { items, next_token })
    }

    fn grant(_: ResourceInfo, _: Entitlement) -> Result<GrantOutcome, ConnectorError> {
        Err(world::not_provisioned())
    }

    fn revoke(_: Grant) -> Result<RevokeOutcome, ConnectorError> {
        Err(world::not_provisioned())
    }
}

bindings::export!(Legacy with_types_in bindings);
