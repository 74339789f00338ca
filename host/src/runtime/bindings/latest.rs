//! Host-side bindings for the current contract, `baton:connector@0.2.0`, generated from `wit/`.
//!
//! Imports are async (HTTP is I/O) and trappable (a host failure can stop the guest);
//! exports are async so calls can be cut by a wall-clock timeout.

wasmtime::component::bindgen!({
    world: "connector",
    path: "../wit",
    imports: { default: async | trappable },
    exports: { default: async },
    additional_derives: [PartialEq],
});

pub use baton::connector::types;
