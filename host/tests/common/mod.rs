//! Helpers of the tests that run the `connector-host` binary.
#![allow(dead_code)]

use std::process::{Command, Output};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_connector-host");

/// The binary with `args` and none of the test environment's `BATON_*` settings, which would
/// change what the flags mean.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("BATON_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args);
    cmd
}

/// A finished run's status and output, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The flags of a run by the simulator's admin (API token) on `file`.
pub fn admin_args(sim: &bitbucket_simulator::Simulator, file: &std::path::Path) -> Vec<String> {
    let c = sim.credentials();
    vec![
        "--base-url".into(),
        sim.base_url(),
        "--username".into(),
        c.admin_email,
        "--app-password".into(),
        c.api_token,
        "-f".into(),
        file.display().to_string(),
    ]
}
