//! ConductorOne service mode: the connector keeps a connection to ConductorOne, takes its tasks
//! (sync, grant, revoke), heartbeats while it works and uploads each sync's file.

pub mod assertion;
pub mod identity;
pub mod pb;
