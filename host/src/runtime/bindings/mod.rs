//! Host-side bindings of every contract version the host runs, one module per version (Zed's
//! `since_vX_Y_Z` pattern). The host works in the latest version's types; older components are
//! adapted at the call boundary.

pub mod latest;
pub mod since_v0_1_0;

pub use latest::types;

use super::state::TenantState;

/// A pre-instantiated component, by the contract version it was built for.
#[derive(Clone)]
pub enum ComponentPre {
    /// The current contract.
    Latest(latest::ConnectorPre<TenantState>),
    /// 0.1.x, through the adapter.
    V0_1(since_v0_1_0::ConnectorPre<TenantState>),
}
