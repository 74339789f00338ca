//! Builds the Bitbucket component (`guest/`) for wasm32-wasip2 and embeds it, so the
//! `connector-host` binary is self-contained; and generates the ConductorOne service protocol's
//! client (`BatonService`, `google.rpc.Status`) from our `.proto` files, taking the
//! `c1.connector.v2` messages from `c1z::pb`.

use std::env;
use std::path::PathBuf;

/// The service protocol's files, under `proto_build::PROTO_ROOT`.
const SERVICE_PROTOS: &[&str] = &[
    "c1/connectorapi/baton/v1/baton.proto",
    "google/rpc/status.proto",
];

fn main() {
    if let Err(e) = service_protos() {
        panic!("{e}");
    }
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    for watched in [
        "guest/sdk",
        "guest/bitbucket",
        "guest/Cargo.toml",
        "guest/Cargo.lock",
        "wit",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let release = component_build::Toolchain::current().build_components(
        &root.join("guest/Cargo.toml"),
        &out_dir.join("guest-target"),
        &["-p", "bitbucket-connector"],
    );
    println!(
        "cargo:rustc-env=BITBUCKET_COMPONENT_PATH={}",
        release.join("bitbucket_connector.wasm").display()
    );
}

/// The `BatonService` client and its messages, into `OUT_DIR/protos.rs`.
fn service_protos() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = proto_build::config();
    config.extern_path(".c1.connector.v2", "::c1z::pb");
    let fds = proto_build::Protos::new(proto_build::PROTO_ROOT, SERVICE_PROTOS).descriptors()?;
    tonic_prost_build::configure()
        .build_server(false)
        .build_client(true)
        .compile_fds_with_config(fds, config)?;
    Ok(())
}
