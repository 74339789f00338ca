//! The host's side of the contract's imports, one module per capability the guest imports; each
//! is a trait of the generated bindings implemented for the instance's state (the linker picks
//! them up from `bindings::*::Connector::add_to_linker`).

mod config;
mod http;
mod log;

use super::bindings::latest::baton::connector::types;
use super::state::TenantState;

impl types::Host for TenantState {}
