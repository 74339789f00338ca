//! Command output on stdout. A reader that stops early (`connector-host inspect … | head`)
//! closes the pipe; that ends the command quietly with success instead of a panic, which is what
//! `print!` would do on the broken pipe.

use std::io::{ErrorKind, Write};

use anyhow::Context;

/// stdout was closed by its reader; the command stops writing and exits with success.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed by its reader")]
pub struct StdoutClosed;

/// Writes `text` to stdout and flushes it.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(e).context("cannot write the output to stdout"),
    }
}
