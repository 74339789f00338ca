//! Builds the Bitbucket component (`guest/`) for wasm32-wasip2 and embeds it, so the
//! `connector-host` binary is self-contained.

use std::env;
use std::path::PathBuf;

fn main() {
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
