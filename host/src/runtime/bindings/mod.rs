//! Host-side bindings of every contract version the host runs, one module per version (Zed's
//! `since_vX_Y_Z` pattern). The host works in the latest version's types; older components are
//! adapted at the call boundary.

pub mod latest;
pub mod since_v0_1_0;

pub use latest::types;
