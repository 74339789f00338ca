//! Rendering .c1z contents for the console: aligned tables, Baton's protojson of the messages,
//! and the `inspect` views (Baton CLI listings and the diff of two syncs).

pub mod baton_json;
pub mod diff;
pub mod inspect;
pub mod table;
