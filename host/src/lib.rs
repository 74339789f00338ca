//! connector-host: runs Baton connector components in a wasmtime sandbox, drives their sync and
//! writes Baton-compatible `.c1z` files.

pub mod credentials;
pub mod http;
pub mod secrets;
