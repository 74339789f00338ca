//! The guest's stdout and stderr, forwarded line by line to the host's log.
//!
//! A plugin must not be able to flood the host: lines are cut at `MAX_LINE` bytes and
//! output beyond `MAX_TOTAL` per instance is dropped with one notice.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

const MAX_LINE: usize = 4096;
const MAX_TOTAL: usize = 1 << 20;

/// Which of the guest's streams.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// The guest's stdout.
    Stdout,
    /// The guest's stderr.
    Stderr,
}

/// A `StdoutStream` for WASI that writes each line to `tracing`, attributed to the plugin.
#[derive(Clone)]
pub struct GuestOutput {
    inner: Arc<Mutex<LineBuffer>>,
}

struct LineBuffer {
    plugin: String,
    stream: Stream,
    line: Vec<u8>,
    total: usize,
    dropped: bool,
}

impl GuestOutput {
    /// A stream for `plugin`'s `stream`.
    pub fn new(plugin: &str, stream: Stream) -> Self {
        GuestOutput {
            inner: Arc::new(Mutex::new(LineBuffer {
                plugin: plugin.to_string(),
                stream,
                line: Vec::new(),
                total: 0,
                dropped: false,
            })),
        }
    }
}

impl LineBuffer {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.total >= MAX_TOTAL {
                if !self.dropped {
                    self.dropped = true;
                    tracing::warn!(plugin = %self.plugin, "plugin wrote more than {MAX_TOTAL} bytes to {:?}; the rest is dropped", self.stream);
                }
                return;
            }
            self.total += 1;
            if b == b'\n' {
                self.flush_line();
            } else if self.line.len() < MAX_LINE {
                self.line.push(b);
            }
        }
    }

    fn flush_line(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.line);
        match self.stream {
            Stream::Stdout => tracing::info!(plugin = %self.plugin, stream = "stdout", "{text}"),
            Stream::Stderr => tracing::warn!(plugin = %self.plugin, stream = "stderr", "{text}"),
        }
        self.line.clear();
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for GuestOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .flush_line();
        Poll::Ready(Ok(()))
    }
}
