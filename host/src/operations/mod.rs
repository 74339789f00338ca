//! What the host does, as library functions over typed settings, a shared runtime and an event
//! sink: the command line, tenant files and ConductorOne tasks all call these; commands only
//! parse and render.

pub mod capabilities;
pub mod grant_id;
pub mod provision;
pub mod settings;
pub mod sync;

pub use provision::{
    GrantOutcome, ProvisionError, ProvisionRequest, RevokeOutcome, grant_entitlement, provision,
    revoke_grant,
};
pub use settings::{RequestsPerWindow, RunLimits, RunSettings, RunShared, SettingsError};
pub use sync::{SyncOutcome, SyncRequest, SyncRunError, sync};
