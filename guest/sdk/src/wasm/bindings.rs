//! The bindings generated from `wit/connector.wit`; `export_component!` uses their export macro.

#![allow(clippy::too_many_arguments)] // generated: one argument per record field

wit_bindgen::generate!({
    world: "connector",
    path: "../../wit/connector.wit",
    pub_export_macro: true,
});
