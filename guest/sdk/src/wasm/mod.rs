//! The wit-bindgen glue (wasm32 only): the bindings of `wit/connector.wit`, the host's
//! transport and configuration, and the export of one [`Component`] per instance.

use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;

use crate::component::Component;
use crate::error::ConnectorError;
use crate::model::{Entitlement, Grant, ResourceId, ResourceInfo};

pub mod bindings;
mod convert;
mod host;

use bindings::baton::connector::types as w;
use convert::Convert;

thread_local! {
    /// The instance's component. A component exports one `Component` type, so the cell holds
    /// that type; it is boxed as `Any` because a `thread_local` cannot be generic.
    static INSTANCE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

/// Runs `f` on the instance's component, creating it on first use.
fn with<T: Component, R>(
    f: impl FnOnce(&mut T) -> Result<R, ConnectorError>,
) -> Result<R, w::ConnectorError> {
    INSTANCE
        .with(|cell| {
            let mut slot = cell.borrow_mut();
            let instance = slot.get_or_insert_with(|| {
                Box::new(T::new(Rc::new(host::HostTransport), host::config()))
            });
            match instance.downcast_mut::<T>() {
                Some(c) => f(c),
                None => Err(ConnectorError::Internal(
                    "the instance holds another component type".into(),
                )),
            }
        })
        .map_err(Convert::convert)
}

/// The exports of component `T`, for wit-bindgen's export macro.
pub struct Export<T>(PhantomData<T>);

impl<T: Component> bindings::Guest for Export<T> {
    fn metadata() -> w::Metadata {
        T::metadata().convert()
    }

    fn validate() -> Result<(), w::ConnectorError> {
        with(|c: &mut T| c.validate())
    }

    fn resource_types() -> Result<Vec<w::ResourceType>, w::ConnectorError> {
        with(|c: &mut T| c.resource_types()).map(Convert::convert)
    }

    fn list_resources(
        resource_type: String,
        parent: Option<w::ResourceId>,
        page_token: String,
    ) -> Result<w::ResourcePage, w::ConnectorError> {
        let parent: Option<ResourceId> = parent.convert();
        with(|c: &mut T| c.list_resources(&resource_type, parent.as_ref(), &page_token)).map(|p| {
            w::ResourcePage {
                items: p.items.into_iter().map(Convert::convert).collect(),
                next_token: p.next_token,
            }
        })
    }

    fn list_entitlements(
        target: w::ResourceInfo,
        page_token: String,
    ) -> Result<w::EntitlementPage, w::ConnectorError> {
        let target: ResourceInfo = target.convert();
        with(|c: &mut T| c.list_entitlements(&target, &page_token)).map(|p| w::EntitlementPage {
            items: p.items.into_iter().map(Convert::convert).collect(),
            next_token: p.next_token,
        })
    }

    fn list_grants(
        target: w::ResourceInfo,
        page_token: String,
    ) -> Result<w::GrantPage, w::ConnectorError> {
        let target: ResourceInfo = target.convert();
        with(|c: &mut T| c.list_grants(&target, &page_token)).map(|p| w::GrantPage {
            items: p.items.into_iter().map(Convert::convert).collect(),
            next_token: p.next_token,
        })
    }

    fn grant(
        principal: w::ResourceInfo,
        entitlement: w::Entitlement,
    ) -> Result<w::GrantOutcome, w::ConnectorError> {
        let principal: ResourceInfo = principal.convert();
        let entitlement: Entitlement = entitlement.convert();
        with(|c: &mut T| c.grant(&principal, &entitlement)).map(Convert::convert)
    }

    fn revoke(grant: w::Grant) -> Result<w::RevokeOutcome, w::ConnectorError> {
        let grant: Grant = grant.convert();
        with(|c: &mut T| c.revoke(&grant)).map(Convert::convert)
    }
}
