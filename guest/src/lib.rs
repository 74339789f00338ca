//! The Bitbucket Cloud connector: a `baton:connector@0.1.0` component.
//!
//! Everything but `bindings` is plain Rust over the `client::Transport` trait, so the logic
//! builds and is tested natively (`cargo test`); `bindings` holds the wit-bindgen glue and
//! is compiled for wasm32 only.

pub mod api;
pub mod client;
pub mod connector;
pub mod errors;
pub mod ids;
pub mod model;
pub mod readable;
pub mod resources;

#[cfg(target_arch = "wasm32")]
mod bindings;
