//! connector-host: runs Baton connector components in a wasmtime sandbox, drives their sync and
//! writes Baton-compatible `.c1z` files.

pub mod credentials;
pub mod http;
pub mod secrets;
pub mod runtime;
pub mod progress;
pub mod sync;
pub mod cli;
pub mod commands;
pub mod embedded;
pub mod settings;
