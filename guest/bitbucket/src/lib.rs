//! The Bitbucket Cloud connector: a `baton:connector@0.2.0` component on `connector-sdk`.
//!
//! [`Bitbucket`] is one instance's state: settings, the HTTP client and what it read so far
//! (`cache`, filled by `workspaces`, `members`, `groups`, `repositories` and `access`).
//! `resources/` holds one syncer per resource type, registered in `resources::SYNCERS`; the
//! SDK routes each export to them. Everything builds natively, for `cargo test`.

pub mod access;
pub mod api;
pub mod cache;
pub mod connector;
pub mod errors;
pub mod grants;
pub mod groups;
pub mod ids;
pub mod instance;
pub mod members;
pub mod readable;
pub mod repositories;
pub mod resources;
pub mod settings;
pub mod type_ids;
pub mod workspaces;

pub use instance::Bitbucket;

connector_sdk::export_connector!(Bitbucket);
