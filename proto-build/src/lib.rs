//! Compiles the project's `.proto` files from a build script: `protox` parses them (pure Rust, so no
//! system `protoc` is needed) and `prost-build` generates the Rust types.
//!
//! Every generating crate uses the same two steps, so messages shared between crates are generated
//! with the same settings:
//!
//! ```ignore
//! // c1z/build.rs: the file-format messages.
//! let protos = proto_build::Protos::new(proto_build::PROTO_ROOT, &["c1/connector/v2/grant.proto"]);
//! protos.generate(proto_build::config())?;
//!
//! // A gRPC client (for example ConductorOne's `BatonService`): the same descriptors through
//! // `tonic-prost-build`, with the `c1.connector.v2` messages taken from `c1z::pb` instead of
//! // being generated again.
//! let mut config = proto_build::config();
//! config.extern_path(".c1.connector.v2", "::c1z::pb");
//! let fds = proto_build::Protos::new(proto_build::PROTO_ROOT, &["c1/connectorapi/baton/v1/baton.proto"])
//!     .descriptors()?;
//! tonic_prost_build::configure().build_server(false).compile_fds_with_config(fds, config)?;
//! ```

use std::path::{Path, PathBuf};

/// The directory holding every `.proto` file of the project (`c1z/proto`), laid out by package
/// (`c1/connector/v2/*.proto` is package `c1.connector.v2`); the include path of every build.
pub const PROTO_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../c1z/proto");

/// The name of the file, in `OUT_DIR`, that includes every generated package as nested modules
/// (`c1::connector::v2`, ...); `include!` it once.
pub const INCLUDE_FILE: &str = "protos.rs";

/// Why the `.proto` files could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum ProtoBuildError {
    /// protox rejected a file (or could not find one).
    #[error(
        "cannot compile {file} under {root}: {cause}; fix that file or the import that names it"
    )]
    Parse {
        /// The include root.
        root: PathBuf,
        /// The file at fault, relative to the root, as far as protox tells.
        file: String,
        /// protox's diagnostic.
        cause: Box<protox::Error>,
    },
    /// prost-build could not generate or write the Rust code.
    #[error("cannot generate Rust code from the .proto files: {0}; check that OUT_DIR is writable")]
    Generate(std::io::Error),
}

/// prost-build settings every generating crate shares.
pub fn config() -> prost_build::Config {
    let mut config = prost_build::Config::new();
    // Map fields as BTreeMaps: entries encode sorted by key, as baton-sdk's deterministic
    // marshalling does, so the same message always gives the same bytes.
    config.btree_map(["."]);
    // `prost::Name` for every message, with the type URL prefix annotations (`Any`) use.
    config.enable_type_names();
    config.type_name_domain(["."], "type.googleapis.com");
    config.include_file(INCLUDE_FILE);
    config
}

/// Some `.proto` files under an include root.
#[derive(Debug, Clone)]
pub struct Protos {
    root: PathBuf,
    files: Vec<PathBuf>,
}

impl Protos {
    /// `files` are relative to `root` (for example `c1/connector/v2/grant.proto`).
    pub fn new(root: impl AsRef<Path>, files: &[&str]) -> Protos {
        Protos {
            root: root.as_ref().to_path_buf(),
            files: files.iter().map(PathBuf::from).collect(),
        }
    }

    /// Parses the files (and what they import, the `google/protobuf` well-known types included)
    /// and tells cargo to rerun the build script when one of them changes.
    pub fn descriptors(&self) -> Result<prost_types::FileDescriptorSet, ProtoBuildError> {
        let fds =
            protox::compile(&self.files, [&self.root]).map_err(|cause| ProtoBuildError::Parse {
                root: self.root.clone(),
                file: cause.file().unwrap_or("a .proto file").to_string(),
                cause: Box::new(cause),
            })?;
        // Every file read from the root, imports included; the well-known types come from protox.
        for name in fds.file.iter().filter_map(|f| f.name.as_deref()) {
            let path = self.root.join(name);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
        Ok(fds)
    }

    /// Generates the Rust types of the files into `OUT_DIR` with `config`.
    pub fn generate(&self, mut config: prost_build::Config) -> Result<(), ProtoBuildError> {
        let fds = self.descriptors()?;
        config.compile_fds(fds).map_err(ProtoBuildError::Generate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_protos_parse_with_their_imports() {
        let fds = Protos::new(PROTO_ROOT, &["c1/connector/v2/grant.proto"])
            .descriptors()
            .unwrap();
        let names: Vec<&str> = fds.file.iter().filter_map(|f| f.name.as_deref()).collect();
        for want in [
            "c1/connector/v2/grant.proto",
            "c1/connector/v2/entitlement.proto",
            "c1/connector/v2/resource.proto",
            "google/protobuf/any.proto",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
    }

    #[test]
    fn a_broken_file_is_named() {
        let dir = std::env::temp_dir().join(format!("proto-build-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bad.proto"), "syntax = \"proto3\";\nmessage {").unwrap();
        let err = Protos::new(&dir, &["bad.proto"]).descriptors().unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(err.to_string().contains("bad.proto"), "{err}");
    }
}
