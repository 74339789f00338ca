//! The bindings of the frozen contract 0.1.0 (`wit/since_v0.1.0`).

#![allow(clippy::too_many_arguments)] // generated: one argument per record field

wit_bindgen::generate!({ world: "connector", path: "../../../wit/since_v0.1.0" });
