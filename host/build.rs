//! Builds the Bitbucket component (`guest/`) for wasm32-wasip2 and embeds it, so the
//! `connector-host` binary is self-contained.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    for watched in ["guest/src", "guest/Cargo.toml", "guest/Cargo.lock", "wit"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let wasm = build_component(
        &root.join("guest/Cargo.toml"),
        &out_dir.join("guest-target"),
        "bitbucket_connector",
    );
    println!(
        "cargo:rustc-env=BITBUCKET_COMPONENT_PATH={}",
        wasm.display()
    );
}

/// Runs `cargo build --release --target wasm32-wasip2` on a component crate; returns the .wasm path.
pub fn build_component(manifest: &Path, target_dir: &Path, artifact: &str) -> PathBuf {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir)
        // The outer build's flags are for the host target, not for wasm.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .expect("running cargo to build the wasm component");
    if !status.success() {
        panic!(
            "building {} for wasm32-wasip2 failed (see above). If the target is missing, run `rustup target add wasm32-wasip2` \
             (rust-toolchain.toml lists it, so rustup normally installs it by itself).",
            manifest.display()
        );
    }
    target_dir
        .join("wasm32-wasip2/release")
        .join(format!("{artifact}.wasm"))
}
