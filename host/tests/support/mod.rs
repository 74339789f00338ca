//! Shared by the binary's tests: running `connector-host`, and loopback servers (TLS, proxy).
#![allow(dead_code)] // each test file uses its own part

pub mod proxy;
pub mod tls;

use std::future::Future;
use std::path::Path;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_connector-host");

/// A finished run of the binary.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// The binary with `args` in `dir`, without any inherited `BATON_*` or proxy variable.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).args(args);
    for (k, _) in std::env::vars() {
        let proxy_var = k.to_ascii_lowercase().ends_with("_proxy") || k == "SSL_CERT_FILE";
        if k.starts_with("BATON_") || proxy_var {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the binary and checks that none of `secrets` appears in its output.
pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)], secrets: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = command(dir, args, env)
        .output()
        .expect("running connector-host");
    let run = Run {
        ok: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    for secret in secrets {
        assert!(
            !run.all().contains(secret),
            "`connector-host {}` printed the secret {secret:?}:\n{}",
            args.join(" "),
            run.all()
        );
    }
    run
}

/// Runs `serve` on a loopback listener in a thread of its own (with its own runtime) for the
/// rest of the test process; returns the port.
pub fn spawn_server<F, Fut>(serve: F) -> u16
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            serve(listener).await;
        });
    });
    port
}

/// A loopback port where nothing listens.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
