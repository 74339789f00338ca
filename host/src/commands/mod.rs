//! What each subcommand does; `main.rs` only parses flags and dispatches here.

pub mod access;
pub mod capabilities;
pub mod demo;
pub mod explore;
pub mod export;
pub mod inspect;
pub mod interrupt;
pub mod output;
pub mod provision;
pub mod serve;
pub mod service;
pub mod sync;
pub mod wording;
