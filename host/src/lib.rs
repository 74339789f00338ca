//! connector-host: runs Baton connector components in a wasmtime sandbox, drives their sync and
//! writes Baton-compatible `.c1z` files.

pub mod cli;
pub mod commands;
pub mod component;
pub mod config;
pub mod credentials;
pub mod embedded;
pub mod http;
pub mod operations;
pub mod progress;
pub mod render;
pub mod runtime;
pub mod secrets;
pub mod serve;
pub mod service;
pub mod sync;
pub mod transport;
