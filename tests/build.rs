//! Builds the test components (tests/guests) for wasm32-wasip2 and exposes their paths as
//! `HOSTILE_WASM`, `FIXTURE_WASM` and `WRONG_VERSION_WASM`.

use std::env;
use std::path::PathBuf;

fn main() {
    let tests_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = tests_dir.parent().unwrap().to_path_buf();
    let guests = tests_dir.join("guests");
    for watched in [
        "guests/hostile/src",
        "guests/fixture/src",
        "guests/wrong-version/src",
        "guests/Cargo.toml",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            tests_dir.join(watched).display()
        );
    }
    println!("cargo:rerun-if-changed={}", root.join("wit").display());

    // The 0.1.0 contract, published as 9.0.0: a major the host must refuse by version.
    let wit = std::fs::read_to_string(root.join("wit/since_v0.1.0/connector.wit")).unwrap();
    let bumped = wit.replace(
        "package baton:connector@0.1.0;",
        "package baton:connector@9.0.0;",
    );
    assert_ne!(
        wit, bumped,
        "the contract's package line changed; update tests/build.rs"
    );
    let wit_dir = guests.join("wrong-version/wit");
    std::fs::create_dir_all(&wit_dir).unwrap();
    let target = wit_dir.join("connector.wit");
    if std::fs::read_to_string(&target).ok().as_deref() != Some(bumped.as_str()) {
        std::fs::write(&target, bumped).unwrap();
    }

    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let target_dir = out_dir.join("guests-target");
    let release = component_build::Toolchain::current().build_components(
        &guests.join("Cargo.toml"),
        &target_dir,
        &["--workspace"],
    );
    for (var, name) in [
        ("HOSTILE_WASM", "hostile"),
        ("FIXTURE_WASM", "fixture"),
        ("WRONG_VERSION_WASM", "wrong_version"),
    ] {
        println!(
            "cargo:rustc-env={var}={}",
            release.join(format!("{name}.wasm")).display()
        );
    }
}
