//! Builds every test component (tests/guests) once, in one cargo invocation, for wasm32-wasip2
//! and exposes each one's path to the tests as an environment variable (`<NAME>_WASM`, read by
//! `connector_tests::guests`), as wasmtime's test-programs do. Also compiles the fake
//! ConductorOne's protos (tests/fake_c1_proto) into Rust, in pure Rust (protox: no protoc).

use std::env;
use std::path::PathBuf;

fn main() {
    let tests_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    compile_fake_c1_protos(&tests_dir.join("fake_c1_proto"));
    let root = tests_dir.parent().unwrap().to_path_buf();
    let guests = tests_dir.join("guests");
    for (_, crate_dir, _) in COMPONENTS {
        let src = guests.join(crate_dir).join("src");
        println!("cargo:rerun-if-changed={}", src.display());
    }
    for watched in ["tests/guests/Cargo.toml", "guest/sdk", "wit"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    // The same contract under an unknown major version: a plugin the host must refuse by name.
    let wit = std::fs::read_to_string(root.join("wit/connector.wit")).unwrap();
    let bumped = wit.replace(
        "package baton:connector@0.2.0;",
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
    for (var, _, artifact) in COMPONENTS {
        println!(
            "cargo:rustc-env={var}={}",
            release.join(format!("{artifact}.wasm")).display()
        );
    }
}

/// Compiles the fake ConductorOne's protos: messages, the BatonService server for the fake and
/// its client for the fake's self-tests.
fn compile_fake_c1_protos(dir: &std::path::Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let files = [
        "c1/connectorapi/baton/v1/baton.proto",
        "c1/connector/v2/asset.proto",
        "c1/connector/v2/resource.proto",
        "c1/connector/v2/entitlement.proto",
        "c1/connector/v2/grant.proto",
        "c1/connector/v2/connector.proto",
        "google/rpc/status.proto",
    ];
    let fds = protox::compile(files, [dir]).unwrap_or_else(|e| panic!("fake_c1_proto: {e:?}"));
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)
        .expect("generating the fake ConductorOne's Rust code");
}

/// Every test component: its variable, its crate under tests/guests, its artifact's name.
const COMPONENTS: [(&str, &str, &str); 5] = [
    ("FIXTURE_WASM", "fixture", "fixture"),
    ("HOSTILE_WASM", "hostile", "hostile"),
    ("WRONG_VERSION_WASM", "wrong-version", "wrong_version"),
    ("LEGACY_V0_1_0_WASM", "legacy", "legacy"),
    ("TICKETS_WASM", "tickets", "tickets"),
];
