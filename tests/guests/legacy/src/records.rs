//! The records `world` builds, as contract 0.1.0 has them.

pub use crate::bindings::baton::connector::types::*;
