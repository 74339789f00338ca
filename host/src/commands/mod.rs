//! What each subcommand does; `main.rs` only parses flags and dispatches here.

pub mod demo;
pub mod inspect;
pub mod sync;
