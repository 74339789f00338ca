//! Writing `baton:connector@0.2.0` components in Rust.
//!
//! A connector is a [`Connector`] (what it is, its configuration fields, credential kinds and
//! origins, how an instance is made from its configuration) and a registry of
//! [`ResourceSyncer`]s, one per resource type, each listing its resources, entitlements and
//! grants and provisioning what it can. [`export_connector!`] makes the crate a component:
//! the [`Dispatcher`] routes each export by resource type id to its syncer and fills the
//! metadata's `provisioning` from the syncers.
//!
//! Everything but the bindings (`wasm`, compiled for wasm32 only) is plain Rust over the
//! [`Transport`] trait, so connector logic builds and is tested natively; [`Client`] is the
//! generic paged JSON HTTP client and [`PageToken`] the self-contained page token.
//!
//! A small example is `tests/guests/tickets` (two resource types, a schema of its own); the
//! Bitbucket component (`guest/bitbucket`) is the full one. A component whose resource types
//! come from its configuration implements [`Component`] directly (`tests/guests/fixture`).

pub mod client;
pub mod component;
pub mod config;
pub mod connector;
pub mod dispatch;
pub mod error;
pub mod metadata;
pub mod model;
pub mod page_token;
pub mod registry;
pub mod service;
pub mod status;
pub mod syncer;
#[cfg(feature = "testing")]
pub mod testing;
pub mod transport;
pub mod url;
pub mod warnings;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wasm;

pub use client::Client;
pub use component::Component;
pub use config::Config;
pub use connector::Connector;
pub use dispatch::Dispatcher;
pub use error::ConnectorError;
pub use metadata::{
    ConfigField, CredentialKind, CredentialScheme, FieldGroup, FieldType, Metadata, Origin,
    Provisioning,
};
pub use model::*;
pub use page_token::{PageToken, listing_page};
pub use service::Service;
pub use syncer::{Provisions, ResourceSyncer, listed_under};
pub use transport::{HttpError, HttpRequest, HttpResponse, LogLevel, Method, Transport};
pub use warnings::Warnings;

/// Exports a [`Connector`] as the crate's component (through a [`Dispatcher`]). Natively it
/// only checks the type, so the crate still builds and tests natively.
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        $crate::export_component!($crate::Dispatcher<$connector>);
    };
}

/// Exports a [`Component`] as the crate's component; for components that do not dispatch by
/// resource type (use [`export_connector!`] for a [`Connector`]).
#[macro_export]
macro_rules! export_component {
    ($component:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            // wit-bindgen's export macro takes a type name, not a path with generics.
            type ConnectorSdkExport = $crate::wasm::Export<$component>;
            $crate::wasm::bindings::export!(ConnectorSdkExport with_types_in $crate::wasm::bindings);
        };
        // Natively nothing is exported; naming the component keeps it checked, and used.
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() -> $crate::Metadata = <$component as $crate::Component>::metadata;
    };
}
