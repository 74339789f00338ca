//! The guest's stdout and stderr, forwarded line by line to the run's plugin log, which cuts,
//! dedupes and rate-caps them (see `plugin_log`). A line is buffered up to the log's length
//! limit; the rest of it is only counted, so a line without end costs no memory.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use tracing::Level;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

use super::plugin_log::{LogSource, PluginLog};

/// Which of the guest's streams.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// The guest's stdout.
    Stdout,
    /// The guest's stderr.
    Stderr,
}

/// A `StdoutStream` for WASI that writes each line to the run's plugin log.
#[derive(Clone)]
pub struct GuestOutput {
    inner: Arc<Mutex<LineBuffer>>,
}

struct LineBuffer {
    log: PluginLog,
    stream: Stream,
    line: Vec<u8>,
    /// Bytes of the current line past the length limit, not kept.
    omitted: usize,
}

impl GuestOutput {
    /// A stream for the guest's `stream`, into `log`.
    pub fn new(log: PluginLog, stream: Stream) -> Self {
        GuestOutput {
            inner: Arc::new(Mutex::new(LineBuffer {
                log,
                stream,
                line: Vec::new(),
                omitted: 0,
            })),
        }
    }
}

impl LineBuffer {
    fn write(&mut self, mut bytes: &[u8]) {
        // Room for a character cut at the limit, so the log can cut on its boundary.
        let keep = self.log.limits().max_line_bytes + 4;
        while !bytes.is_empty() {
            let (chunk, ends_line) = match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => (&bytes[..i], true),
                None => (bytes, false),
            };
            let room = keep.saturating_sub(self.line.len()).min(chunk.len());
            self.line.extend_from_slice(&chunk[..room]);
            self.omitted += chunk.len() - room;
            bytes = &bytes[chunk.len() + usize::from(ends_line)..];
            if ends_line {
                self.flush_line();
            }
        }
    }

    fn flush_line(&mut self) {
        if self.line.is_empty() && self.omitted == 0 {
            return;
        }
        let text = String::from_utf8_lossy(&self.line);
        let (level, source) = match self.stream {
            Stream::Stdout => (Level::INFO, LogSource::Stdout),
            Stream::Stderr => (Level::WARN, LogSource::Stderr),
        };
        self.log.line(level, source, &text, self.omitted);
        self.line.clear();
        self.omitted = 0;
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

impl Drop for LineBuffer {
    /// A last line without its newline is still logged when the instance goes.
    fn drop(&mut self) {
        self.flush_line();
    }
}
