//! Builds WebAssembly components for `wasm32-wasip2` from a build script (`host/build.rs` embeds
//! the Bitbucket component, `tests/build.rs` the test components).
//!
//! rustup adds the targets listed in `rust-toolchain.toml` only when it installs the toolchain,
//! not to a toolchain that was already there; so the target is checked here and, when missing,
//! installed with `rustup target add` for the toolchain this build runs with.

use std::env;
use std::fs::File;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The components' target.
pub const TARGET: &str = "wasm32-wasip2";

/// Variables of the outer build that are meant for the host target, not for the components.
const OUTER_BUILD_VARS: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "RUSTC_WORKSPACE_WRAPPER",
];

/// The toolchain the calling build script runs under.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// cargo (cargo sets `CARGO` for build scripts).
    cargo: PathBuf,
    /// rustc (cargo sets `RUSTC` for build scripts).
    rustc: PathBuf,
    /// The rustup toolchain name, when the build runs under rustup.
    rustup_name: Option<String>,
}

impl Toolchain {
    /// The toolchain of the running build script.
    pub fn current() -> Self {
        let cargo = env::var_os("CARGO").map_or_else(|| "cargo".into(), PathBuf::from);
        let rustc = env::var_os("RUSTC").map_or_else(|| "rustc".into(), PathBuf::from);
        // cargo run through rustup sets RUSTUP_TOOLCHAIN; otherwise the sysroot
        // (`$RUSTUP_HOME/toolchains/<name>`) names it.
        let rustup_name = env::var("RUSTUP_TOOLCHAIN")
            .ok()
            .filter(|name| !name.is_empty())
            .or_else(|| toolchain_name_of_sysroot(&sysroot(&rustc)?));
        Self {
            cargo,
            rustc,
            rustup_name,
        }
    }

    /// Whether the standard library for [`TARGET`] is installed for this rustc.
    pub fn has_target(&self) -> bool {
        let output = Command::new(&self.rustc)
            .args(["--print", "target-libdir", "--target", TARGET])
            .output();
        let Some(output) = output.ok().filter(|o| o.status.success()) else {
            return false;
        };
        let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        std::fs::read_dir(libdir).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("libstd-") && name.ends_with(".rlib")
            })
        })
    }

    /// Installs [`TARGET`] with rustup unless it is there; panics with what to do if it cannot.
    pub fn ensure_target(&self) {
        // host/ and tests/ build in parallel: one rustup at a time, and the second sees the first's work.
        let _lock = lock(&env::temp_dir().join("component-build-target-add.lock"));
        if self.has_target() {
            return;
        }
        let toolchain = self
            .rustup_name
            .as_deref()
            .unwrap_or("the active toolchain");
        println!(
            "cargo:warning=the {TARGET} target is missing from {toolchain}; installing it with `rustup target add {TARGET}`"
        );
        let mut rustup = Command::new("rustup");
        rustup.args(["target", "add", TARGET]);
        if let Some(name) = &self.rustup_name {
            rustup.args(["--toolchain", name]);
        }
        match rustup.status() {
            Ok(status) if status.success() => {}
            Ok(status) => panic!(
                "`rustup target add {TARGET}` for {toolchain} failed ({status}; see its output above). \
                 Check network access to the Rust distribution server, or run it yourself and build again."
            ),
            Err(e) if e.kind() == ErrorKind::NotFound => panic!(
                "the {TARGET} target is not installed for {} and rustup is not on PATH to install it. \
                 Install the target with the tool that installed this Rust (for example your distribution's \
                 rust-std package for {TARGET}), or install Rust with rustup (https://rustup.rs), which \
                 reads rust-toolchain.toml and adds the target by itself.",
                self.rustc.display()
            ),
            Err(e) => panic!("could not run rustup to install {TARGET}: {e}"),
        }
        assert!(
            self.has_target(),
            "rustup reported {TARGET} installed, but {} still has no standard library for it; \
             run `rustup target add {TARGET}` for the toolchain in rust-toolchain.toml",
            self.rustc.display()
        );
    }

    /// Runs `cargo build --release --target wasm32-wasip2 --manifest-path MANIFEST --target-dir
    /// TARGET_DIR EXTRA...` with this toolchain, first installing the target if needed; returns the
    /// directory holding the built `.wasm` files.
    pub fn build_components(&self, manifest: &Path, target_dir: &Path, extra: &[&str]) -> PathBuf {
        self.ensure_target();
        let mut cargo = Command::new(&self.cargo);
        cargo
            .args(["build", "--release", "--target", TARGET])
            .args(extra)
            .arg("--manifest-path")
            .arg(manifest)
            .arg("--target-dir")
            .arg(target_dir)
            // The same compiler as the outer build, whatever rust-toolchain.toml or PATH say.
            .env("RUSTC", &self.rustc);
        if let Some(name) = &self.rustup_name {
            cargo.env("RUSTUP_TOOLCHAIN", name);
        }
        for var in OUTER_BUILD_VARS {
            cargo.env_remove(var);
        }
        let status = cargo
            .status()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", self.cargo.display()));
        assert!(
            status.success(),
            "building {} for {TARGET} failed ({status}); see the compiler's output above",
            manifest.display()
        );
        target_dir.join(TARGET).join("release")
    }
}

/// `rustc --print sysroot`.
fn sysroot(rustc: &Path) -> Option<PathBuf> {
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}

/// The toolchain name of a rustup sysroot (`.../toolchains/<name>`), if it is one.
fn toolchain_name_of_sysroot(sysroot: &Path) -> Option<String> {
    let parent = sysroot.parent()?;
    (parent.file_name()? == "toolchains")
        .then(|| sysroot.file_name()?.to_str().map(str::to_string))
        .flatten()
}

/// An exclusive lock on `path`, released when dropped; none if the file cannot be opened.
fn lock(path: &Path) -> Option<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ok()?;
    file.lock().ok()?;
    Some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustup_sysroots_name_their_toolchain() {
        assert_eq!(
            toolchain_name_of_sysroot(Path::new(
                "/home/u/.rustup/toolchains/1.95.0-x86_64-unknown-linux-gnu"
            ))
            .as_deref(),
            Some("1.95.0-x86_64-unknown-linux-gnu")
        );
        assert_eq!(toolchain_name_of_sysroot(Path::new("/usr")), None);
        assert_eq!(toolchain_name_of_sysroot(Path::new("/usr/lib/rust")), None);
    }
}
