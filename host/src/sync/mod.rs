//! The sync engine: drives any connector plugin through Baton's phases (resource types,
//! resources depth-first, entitlements, grants, grant expansion) into a `.c1z` sync store,
//! checkpointing its state so an interrupted sync resumes.

mod calls;
pub mod carried;
pub mod convert;
mod engine;
pub mod events;
pub mod expand;
pub mod limits;
pub mod pool;
pub mod scope;
pub mod selection;
pub mod state;
mod steps;
pub mod stop;

pub use carried::{Carried, CarriedState, find_carried};
pub use engine::{Resume, SyncError, SyncOptions, SyncReport, run_sync};
pub use events::{Counts, NoEvents, RequestMeter, SyncEvents};
pub use limits::{SyncLimit, SyncLimits};
pub use pool::{InstancePool, MakeInstance};
pub use scope::SyncScope;
pub use selection::SyncSelection;
pub use stop::StopRequest;
